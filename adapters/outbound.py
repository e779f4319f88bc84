"""A paced send queue for chat platforms: per-chat order, rate limits, 429 retry-after, fairness.

Slack and Telegram both allow about one message a second per chat (short bursts pass) and
Telegram about thirty a second per bot; past that they answer 429 with how long to wait. The
``Pacer`` keeps one lane per chat: a lane sends one message at a time, in the order it was put,
within a token bucket; a shared bucket caps the whole bot; lanes take turns (round-robin), so a
chat with fifty queued messages does not hold back a chat with one. A 429 puts the message back
at the head of its own lane until the platform's retry-after has passed: that chat waits, the
others go on. Time is injected (``clock``/``sleep``) so tests run without real waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog

log = structlog.stdlib.get_logger(__name__)

T = TypeVar("T")
Send = Callable[[], Awaitable[Any]]
RetryAfter = Callable[[BaseException], float | None]

MAX_RETRIES = 5  # 429s in a row for one message before it is given up (and logged)


@dataclass(frozen=True, slots=True)
class Pace:
    """Rates of one platform.

    Attributes:
        per_chat: sustained messages per second to one chat or channel.
        chat_burst: messages one chat may get at once (a three-line bot reply) before the
            sustained rate applies.
        overall: messages per second for the whole bot, across chats (None: no cap).
    """

    per_chat: float = 1.0
    chat_burst: int = 3
    overall: float | None = None


class _Bucket:
    """A token bucket: ``burst`` at once, then ``rate`` a second."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill(now)
        # A hair of tolerance: float refills land on 0.9999999..., and a wait too small to
        # move a clock of ~1e9 seconds would spin forever.
        return 0.0 if self.tokens >= 1 - 1e-6 else max((1 - self.tokens) / self.rate, 1e-3)

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


@dataclass(eq=False)
class _Job:
    send: Send
    future: asyncio.Future[Any]
    attempts: int = 0


@dataclass(eq=False)
class _Lane:
    bucket: _Bucket
    jobs: deque[_Job] = field(default_factory=deque)
    blocked_until: float = 0.0
    busy: bool = False


class Pacer:
    """Sends jobs per lane (chat) in order, paced, fairly, honouring 429 retry-after.

    Args:
        pace: the platform's rates.
        retry_after: seconds to wait when an exception is the platform's 429, else None (the
            job then fails and the lane moves on).
        clock: monotonic seconds (default ``time.monotonic``).
        sleep: waits that many seconds (default ``asyncio.sleep``); tests pass a fake that
            advances their clock.
    """

    def __init__(
        self,
        pace: Pace,
        retry_after: RetryAfter,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._pace, self._retry_after = pace, retry_after
        self._clock, self._sleep = clock, sleep
        now = clock()
        self._overall = _Bucket(pace.overall, pace.overall, now) if pace.overall else None
        self._lanes: dict[str, _Lane] = {}
        self._ring: deque[str] = deque()  # lanes with queued jobs, in round-robin order
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._running: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None

    def put(self, lane: str, send: Callable[[], Awaitable[T]]) -> asyncio.Future[T]:
        """Queue ``send`` on ``lane``; the future resolves with its result once it is sent.

        Nobody has to await the future: a failure is logged either way.
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_log_failure)
        state = self._lanes.get(lane)
        if state is None:
            bucket = _Bucket(self._pace.per_chat, self._pace.chat_burst, self._clock())
            state = self._lanes[lane] = _Lane(bucket)
        state.jobs.append(_Job(send, future))
        if lane not in self._ring:
            self._ring.append(lane)
        self._idle.clear()
        self._wake.set()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="qualibot-pacer")
        return future

    async def join(self) -> None:
        """Wait until every queued job has been sent or has failed."""
        await self._idle.wait()

    async def close(self, grace: float = 10.0) -> None:
        """Let queued messages go out for up to ``grace`` seconds, then drop the rest."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self.join()
        tasks = [t for t in (self._worker, *self._running) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for lane in self._lanes.values():
            for job in lane.jobs:
                job.future.cancel()
        self._lanes.clear()
        self._ring.clear()

    async def _work(self) -> None:
        while self._ring or self._running:
            now = self._clock()
            lane = self._next_ready(now)
            if lane is not None:
                self._start(lane, now)
                continue
            delay = self._next_delay(now)
            self._wake.clear()
            await self._wait(delay)
        self._idle.set()

    def _next_ready(self, now: float) -> str | None:
        """The first lane in round-robin order that may send now; it moves to the back."""
        if self._overall is not None and self._overall.wait(now) > 0:
            return None
        for _ in range(len(self._ring)):
            name = self._ring[0]
            self._ring.rotate(-1)
            lane = self._lanes[name]
            if not lane.busy and lane.blocked_until <= now and lane.bucket.wait(now) == 0:
                return name
        return None

    def _next_delay(self, now: float) -> float | None:
        """Seconds until some idle lane may send; None when only a finishing send can help."""
        delays = [
            max(lane.blocked_until - now, lane.bucket.wait(now))
            for lane in (self._lanes[name] for name in self._ring)
            if not lane.busy
        ]
        if not delays:
            return None
        delay = min(delays)
        if self._overall is not None:
            delay = max(delay, self._overall.wait(now))
        return max(delay, 0.0)

    async def _wait(self, delay: float | None) -> None:
        """Sleep ``delay`` seconds, or until a job is put or a send finishes."""
        waiter = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self._sleep(delay)) if delay is not None else None
        pending = {waiter} if sleeper is None else {waiter, sleeper}
        try:
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _start(self, name: str, now: float) -> None:
        lane = self._lanes[name]
        job = lane.jobs.popleft()
        if not lane.jobs:
            self._ring.remove(name)
        lane.busy = True
        lane.bucket.take(now)
        if self._overall is not None:
            self._overall.take(now)
        task = asyncio.create_task(self._run(name, lane, job))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, name: str, lane: _Lane, job: _Job) -> None:
        try:
            result = await job.send()
        except asyncio.CancelledError:
            job.future.cancel()
            raise
        except Exception as exc:
            delay = self._retry_after(exc)
            if delay is not None and job.attempts < MAX_RETRIES:
                job.attempts += 1
                lane.jobs.appendleft(job)
                lane.blocked_until = self._clock() + delay
                if name not in self._ring:
                    self._ring.append(name)
                log.warning("outbound.rate_limited", lane=name, retry_after=delay)
            elif not job.future.done():
                job.future.set_exception(exc)
        else:
            if not job.future.done():
                job.future.set_result(result)
        finally:
            lane.busy = False
            # Discard here, not only in a done callback: the worker re-checks ``_running`` as
            # soon as it wakes, before callbacks scheduled for this task's completion run.
            self._running.discard(asyncio.current_task())
            self._wake.set()


def _log_failure(future: asyncio.Future[Any]) -> None:
    """Retrieve a failed send's exception (no "never retrieved" noise) and log it."""
    if future.cancelled():
        return
    exc = future.exception()
    if exc is not None:
        log.error("outbound.failed", error=repr(exc)[:300])
