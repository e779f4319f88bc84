"""The paced queue and message splitting, on fake time (no real sleeping)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

import pytest

from adapters.outbound import Pace, Pacer
from tests.adapters.fake_slack import FakeTime


class Limited(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}")
        self.seconds = seconds


def retry_after(exc: BaseException) -> float | None:
    return exc.seconds if isinstance(exc, Limited) else None


class Platform:
    """Records (time, lane, text); refuses chosen sends once with a 429-like error."""

    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.sent: list[tuple[float, str, str]] = []
        self.refuse: dict[str, float] = {}

    def send(self, lane: str, text: str) -> Callable[[], Awaitable[str]]:
        async def go() -> str:
            await asyncio.sleep(0)
            if text in self.refuse:
                raise Limited(self.refuse.pop(text))
            self.sent.append((self.time.now, lane, text))
            return f"ok:{text}"

        return go


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


def pacer(time: FakeTime, pace: Pace) -> Pacer:
    return Pacer(pace, retry_after, clock=time.clock, sleep=time.sleep)


async def test_one_chat_is_paced_after_its_burst_and_keeps_its_order(time: FakeTime) -> None:
    platform, queue = Platform(time), pacer(time, Pace(per_chat=1.0, chat_burst=2))
    futures = [queue.put("a", platform.send("a", f"m{i}")) for i in range(5)]
    assert await asyncio.gather(*futures) == [f"ok:m{i}" for i in range(5)]
    times = [at - 1000.0 for at, _, _ in platform.sent]
    assert [text for _, _, text in platform.sent] == [f"m{i}" for i in range(5)]
    assert times[:2] == [0.0, 0.0]  # the burst
    assert all(later - earlier >= 0.99 for earlier, later in itertools.pairwise(times[1:]))
    await queue.close()


async def test_chats_take_turns_so_a_busy_chat_does_not_starve_others(time: FakeTime) -> None:
    platform, queue = Platform(time), pacer(time, Pace(per_chat=1.0, chat_burst=1, overall=2.0))
    for i in range(4):
        queue.put("busy", platform.send("busy", f"b{i}"))
    queue.put("quiet", platform.send("quiet", "q0"))
    await queue.join()
    lanes = [lane for _, lane, _ in platform.sent]
    assert lanes.index("quiet") <= 1  # served right after the busy chat's first message
    await queue.close()


async def test_overall_rate_is_capped(time: FakeTime) -> None:
    platform, queue = Platform(time), pacer(time, Pace(per_chat=100, chat_burst=100, overall=3.0))
    for i in range(9):
        queue.put(f"chat{i}", platform.send(f"chat{i}", "x"))
    await queue.join()
    assert platform.sent[-1][0] - 1000.0 >= 1.99  # 9 messages at 3/s after a burst of 3
    await queue.close()


async def test_429_puts_the_message_back_first_in_its_chat_after_retry_after(
    time: FakeTime,
) -> None:
    platform, queue = Platform(time), pacer(time, Pace(per_chat=10, chat_burst=10))
    platform.refuse["a0"] = 5.0
    first = queue.put("a", platform.send("a", "a0"))
    queue.put("a", platform.send("a", "a1"))
    queue.put("b", platform.send("b", "b0"))
    assert await first == "ok:a0"
    await queue.join()
    texts = [text for _, _, text in platform.sent]
    assert texts.count("a0") == 1
    assert texts.index("a0") < texts.index("a1")  # order kept in the refused chat
    at = {text: when - 1000.0 for when, _, text in platform.sent}
    assert at["b0"] < 5.0 <= at["a0"]  # the other chat did not wait
    await queue.close()


async def test_other_failures_fail_the_message_and_the_chat_goes_on(time: FakeTime) -> None:
    queue = pacer(time, Pace())
    sent: list[str] = []

    async def broken() -> None:
        raise RuntimeError("channel_not_found")

    async def fine() -> None:
        sent.append("next")

    failed = queue.put("a", broken)
    queue.put("a", fine)
    with pytest.raises(RuntimeError):
        await failed
    await queue.join()
    assert sent == ["next"]
    await queue.close()
