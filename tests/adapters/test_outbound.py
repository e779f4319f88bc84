"""The paced queue on fake time (no real sleeping): pacing, fairness, 429s, retries, give-ups."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import adapters.outbound
from adapters.outbound import MAX_RATE_LIMITED, Pace, Pacer
from adapters.retry import Backoff, Verdict, Wait
from tests.adapters.fake_slack import FakeTime

EXACT = Backoff(first=1.0, factor=2.0, cap=4.0, attempts=10, within=300.0, jitter=0.0)


class Limited(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}")
        self.seconds = seconds


class Blip(Exception):
    """A transient failure (a dropped connection, a 5xx)."""


class Gone(Exception):
    """A permanent failure (chat not found, bot blocked)."""


def classify(exc: BaseException) -> Verdict:
    if isinstance(exc, Limited):
        return Wait(exc.seconds)
    return "transient" if isinstance(exc, Blip) else "permanent"


class Platform:
    """Records (time, lane, text) of delivered sends and every try; fails chosen texts on cue."""

    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.sent: list[tuple[float, str, str]] = []
        self.tries: list[tuple[float, str]] = []
        self.refuse: dict[str, float] = {}
        self.failing: dict[str, list[Exception]] = {}

    def send(self, lane: str, text: str) -> Callable[[], Awaitable[str]]:
        async def go() -> str:
            await asyncio.sleep(0)
            self.tries.append((self.time.now, text))
            if text in self.refuse:
                raise Limited(self.refuse.pop(text))
            if self.failing.get(text):
                raise self.failing[text].pop(0)
            self.sent.append((self.time.now, lane, text))
            return f"ok:{text}"

        return go

    def fail(self, text: str, *errors: Exception) -> None:
        self.failing[text] = list(errors)

    def tried(self, text: str) -> list[float]:
        return [at - 1000.0 for at, t in self.tries if t == text]


class Events:
    """Stands in for the module's structlog logger: records (level, event, fields)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    def __getattr__(self, level: str) -> Callable[..., None]:
        return lambda event, **fields: self.seen.append((level, event, fields))

    def named(self, event: str) -> list[dict[str, Any]]:
        return [fields for _, name, fields in self.seen if name == event]


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> Events:
    recorder = Events()
    monkeypatch.setattr(adapters.outbound, "log", recorder)
    return recorder


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


def pacer(time: FakeTime, pace: Pace, backoff: Backoff = EXACT) -> Pacer:
    return Pacer(pace, classify, backoff=backoff, clock=time.clock, sleep=time.sleep)


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


async def test_permanent_failure_is_not_retried_and_the_chat_goes_on(
    time: FakeTime, events: Events
) -> None:
    platform, queue = Platform(time), pacer(time, Pace())
    platform.fail("a0", Gone("chat_not_found"))
    failed = queue.put("a", platform.send("a", "a0"))
    queue.put("a", platform.send("a", "a1"))
    with pytest.raises(Gone):
        await failed
    await queue.join()
    assert platform.tried("a0") == [0.0]  # one try, no second
    assert [text for _, _, text in platform.sent] == ["a1"]
    assert events.named("outbound.given_up") == [
        {"lane": "a", "error": "Gone('chat_not_found')", "verdict": "permanent", "attempts": 1}
    ]
    await queue.close()


async def test_transient_failures_are_retried_with_capped_exponential_backoff(
    time: FakeTime, events: Events
) -> None:
    platform, queue = Platform(time), pacer(time, Pace(per_chat=100, chat_burst=100))
    platform.fail("a0", *(Blip(f"reset {i}") for i in range(5)))
    assert await queue.put("a", platform.send("a", "a0")) == "ok:a0"
    tries = platform.tried("a0")
    waits = [later - earlier for earlier, later in itertools.pairwise(tries)]
    assert waits == pytest.approx([1.0, 2.0, 4.0, 4.0, 4.0], abs=0.01)  # doubling, capped at 4
    assert [text for _, _, text in platform.sent] == ["a0"]  # delivered once
    retrying = events.named("outbound.retrying")
    assert [e["attempts"] for e in retrying] == [1, 2, 3, 4, 5]
    assert all(e["lane"] == "a" and e["verdict"] == "transient" for e in retrying)
    assert events.named("outbound.given_up") == []
    await queue.close()


async def test_a_waiting_message_keeps_its_place_in_its_chat_and_other_chats_go_on(
    time: FakeTime,
) -> None:
    platform, queue = Platform(time), pacer(time, Pace(per_chat=100, chat_burst=100))
    platform.fail("a0", Blip("timed out"), Blip("502"))
    futures = [queue.put("a", platform.send("a", f"a{i}")) for i in range(3)]
    futures += [queue.put("b", platform.send("b", f"b{i}")) for i in range(3)]
    assert await asyncio.gather(*futures) == [f"ok:{x}{i}" for x in "ab" for i in range(3)]
    at = {text: when - 1000.0 for when, _, text in platform.sent}
    assert [text for _, lane, text in platform.sent if lane == "a"] == ["a0", "a1", "a2"]
    assert at["a0"] >= 3.0  # waited 1 s, then 2 s
    assert max(at["b0"], at["b1"], at["b2"]) < 1.0  # the other chat did not wait for it
    await queue.close()


async def test_a_message_is_given_up_after_its_attempts_and_logged_with_its_chat(
    time: FakeTime, events: Events
) -> None:
    platform, queue = Platform(time), pacer(time, Pace(), Backoff(attempts=4, jitter=0.0))
    platform.fail("a0", *(Blip("503 Service Unavailable") for _ in range(10)))
    failed = queue.put("prospect-42", platform.send("prospect-42", "a0"))
    queue.put("prospect-42", platform.send("prospect-42", "a1"))
    with pytest.raises(Blip):
        await failed
    await queue.join()
    assert len(platform.tried("a0")) == 4
    assert [text for _, _, text in platform.sent] == ["a1"]  # the chat goes on after it
    assert events.named("outbound.given_up") == [{
        "lane": "prospect-42", "error": "Blip('503 Service Unavailable')",
        "verdict": "transient", "attempts": 4,
    }]
    await queue.close()


async def test_a_message_is_given_up_once_its_time_is_out(time: FakeTime, events: Events) -> None:
    backoff = Backoff(first=1.0, factor=2.0, cap=30.0, attempts=10, within=5.0, jitter=0.0)
    platform, queue = Platform(time), pacer(time, Pace(), backoff)
    platform.fail("a0", *(Blip("down") for _ in range(10)))
    with pytest.raises(Blip):
        await queue.put("a", platform.send("a", "a0"))
    # Tries at 0, 1 and 3 s; the next would come at 7 s, past the 5 s allowed.
    assert platform.tried("a0") == pytest.approx([0.0, 1.0, 3.0], abs=0.01)
    assert events.named("outbound.given_up")[0]["attempts"] == 3
    await queue.close()


async def test_a_message_the_platform_keeps_rate_limiting_is_given_up(
    time: FakeTime, events: Events
) -> None:
    platform, queue = Platform(time), pacer(time, Pace())
    platform.fail("a0", *(Limited(2.0) for _ in range(MAX_RATE_LIMITED + 1)))
    with pytest.raises(Limited):
        await queue.put("a", platform.send("a", "a0"))
    assert len(platform.tried("a0")) == MAX_RATE_LIMITED + 1
    assert events.named("outbound.given_up")[0]["verdict"] == "rate_limited"
    await queue.close()


async def test_a_classifier_that_fails_gives_the_message_up_rather_than_losing_it(
    time: FakeTime, events: Events
) -> None:
    def broken(exc: BaseException) -> Verdict:
        raise KeyError("oops")

    queue = Pacer(Pace(), broken, clock=time.clock, sleep=time.sleep)

    async def fails() -> None:
        raise Blip("reset")

    with pytest.raises(Blip):
        await queue.put("a", fails)
    assert events.named("outbound.given_up")[0]["verdict"] == "permanent"
    await queue.close()


async def test_messages_still_waiting_at_shutdown_are_logged_as_dropped(
    time: FakeTime, events: Events
) -> None:
    platform, queue = Platform(time), pacer(time, Pace())
    first = queue.put("a", platform.send("a", "a0"))
    queue.put("a", platform.send("a", "a1"))
    await queue.close(grace=0)
    assert first.cancelled()
    assert platform.sent == []
    assert events.named("outbound.dropped") == [{"lane": "a", "messages": 2}]


@pytest.mark.parametrize(
    ("failures", "rand", "expected"),
    [(1, 0.0, 1.0), (2, 0.0, 2.0), (5, 0.0, 16.0), (6, 0.0, 30.0), (9, 0.0, 30.0),
     (3, 1.0, 3.0), (7, 1.0, 22.5), (7, 0.5, 26.25)],
)
def test_default_backoff_doubles_to_a_30_second_cap_less_up_to_a_quarter_jitter(
    failures: int, rand: float, expected: float
) -> None:
    assert Backoff().delay(failures, lambda: rand) == pytest.approx(expected)


def test_default_backoff_gives_up_within_minutes() -> None:
    backoff = Backoff()
    waits = [backoff.delay(n, lambda: 0.0) for n in range(1, backoff.attempts)]
    assert 120 <= sum(waits) <= backoff.within <= 300
