"""A paced send queue for chat platforms: per-chat order, rate limits, retries, fairness.

Slack and Telegram both allow about one message a second per chat (short bursts pass) and
Telegram about thirty a second per bot; past that they answer 429 with how long to wait. The
``Pacer`` keeps one lane per chat: a lane sends one message at a time, in the order it was put,
within a token bucket; a shared bucket caps the whole bot; lanes take turns (round-robin), so a
chat with fifty queued messages does not hold back a chat with one.

The adapter classifies a failed send (adapters/retry). A 429 puts the message back at the
head of its lane until the platform's retry-after has passed; a transient failure (network,
timeout, 5xx) puts it back for a capped exponential backoff with jitter (``Backoff``: about 1,
2, 4, ... 30 s, ten tries within five minutes); a permanent one (chat gone, bot blocked, bad
request) fails at once. While a message waits its chat waits behind it and other chats go on.
A message given up is logged as ``outbound.given_up`` (lane = chat, error, verdict, attempts);
ones still queued at shutdown as ``outbound.dropped``. Time is injected (``clock``/``sleep``)
so tests run without real waiting.
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

from adapters.retry import Backoff, Classify, Verdict, Wait

log = structlog.stdlib.get_logger(__name__)

T = TypeVar("T")
Send = Callable[[], Awaitable[Any]]

MAX_RATE_LIMITED = 5  # 429s for one message before it is given up (the platform keeps refusing)


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
    sends: int = 0  # tries so far
    failures: int = 0  # transient failures so far (the backoff's exponent)
    limited: int = 0  # 429s so far
    first_at: float | None = None  # when it was first tried


@dataclass(eq=False)
class _Lane:
    bucket: _Bucket
    jobs: deque[_Job] = field(default_factory=deque)
    blocked_until: float = 0.0
    busy: bool = False


class Pacer:
    """Sends jobs per lane (chat) in order, paced, fairly, retrying what may yet succeed.

    Args:
        pace: the platform's rates.
        classify: the platform's reading of a failed send: ``Wait(seconds)`` for its 429,
            ``"transient"`` to retry after a backoff, ``"permanent"`` to fail the job now (the
            lane then moves on).
        backoff: waits and limits for transient failures.
        clock: monotonic seconds (default ``time.monotonic``).
        sleep: waits that many seconds (default ``asyncio.sleep``); tests pass a fake that
            advances their clock.
    """

    def __init__(
        self,
        pace: Pace,
        classify: Classify,
        *,
        backoff: Backoff = Backoff(),  # noqa: B008 (frozen, so one shared default is safe)
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._pace, self._classify, self._backoff = pace, classify, backoff
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

        Nobody has to await the future: a message given up is logged either way.
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
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
        for name, lane in self._lanes.items():
            if lane.jobs or lane.busy:  # past the grace: the operator should know who missed what
                log.warning("outbound.dropped", lane=name, messages=len(lane.jobs) + lane.busy)
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
        if job.first_at is None:
            job.first_at = now
        task = asyncio.create_task(self._run(name, lane, job))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, name: str, lane: _Lane, job: _Job) -> None:
        job.sends += 1
        try:
            result = await job.send()
        except asyncio.CancelledError:
            job.future.cancel()
            raise
        except Exception as exc:
            self._failed(name, lane, job, exc)
        else:
            if not job.future.done():
                job.future.set_result(result)
        finally:
            lane.busy = False
            # Discard here, not only in a done callback: the worker re-checks ``_running`` as
            # soon as it wakes, before callbacks scheduled for this task's completion run.
            self._running.discard(asyncio.current_task())
            self._wake.set()

    def _failed(self, name: str, lane: _Lane, job: _Job, exc: Exception) -> None:
        """Put the job back at the head of its lane for a later try, or give it up (logged)."""
        try:
            verdict = self._classify(exc)
        except Exception:  # a classifier bug must not leave the message unresolved and unlogged
            log.exception("outbound.classify_failed", lane=name)
            verdict = "permanent"
        now, error = self._clock(), repr(exc)[:300]
        delay = self._retry_in(job, verdict, now)
        kind = "rate_limited" if isinstance(verdict, Wait) else verdict
        if delay is None:
            log.error("outbound.given_up", lane=name, error=error, verdict=kind, attempts=job.sends)
            if not job.future.done():
                job.future.set_exception(exc)
            return
        lane.jobs.appendleft(job)  # still first in its chat: later messages wait behind it
        lane.blocked_until = now + delay
        if name not in self._ring:
            self._ring.append(name)
        log.warning(
            "outbound.retrying", lane=name, error=error, verdict=kind, attempts=job.sends,
            retry_in=round(delay, 3),
        )

    def _retry_in(self, job: _Job, verdict: Verdict, now: float) -> float | None:
        """Seconds until the job's next try; None to give it up."""
        if isinstance(verdict, Wait):
            job.limited += 1
            return verdict.seconds if job.limited <= MAX_RATE_LIMITED else None
        if verdict == "permanent":
            return None
        job.failures += 1
        if job.failures >= self._backoff.attempts:
            return None
        delay = self._backoff.delay(job.failures)
        first = now if job.first_at is None else job.first_at
        return delay if now + delay <= first + self._backoff.within else None


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Retrieve a failed send's exception: no "never retrieved" noise (``_failed`` logged it)."""
    if not future.cancelled():
        future.exception()
