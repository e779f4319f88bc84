"""Submitted jobs for the SQLite thread: many per hop, optimistically without savepoints.

A turn whose conversation is cached needs no interactive transaction: it is one job. Jobs
submitted while the writer is busy go to the thread together, in one hop, inside one unit of
the group commit (``storage.sqlite_backend``), so at 1,000 concurrent conversations a hop
carries hundreds of turns instead of each turn paying its own hops and lock hand-over.

A hop first runs its jobs without a savepoint each: the unit's own savepoint holds them all
(a SAVEPOINT/RELEASE pair per job was two statements of a turn's seven). Jobs rarely fail;
when one does, the hop raises, the unit's savepoint undoes every job of the hop, and the jobs
run again in a second hop, each in a savepoint of its own, so only the failing job's caller
gets an error. Jobs are written to be run again (``Backend.submit``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

T = TypeVar("T")
Outcomes = list[tuple[Any, Exception | None]]  # per job: its value, or its error
# Submitted jobs taken to the thread in one hop, at most: bounds the hop (about 100 µs a turn).
MAX_JOBS = 256


@dataclass(slots=True)
class _Job(Generic[T]):
    """A submitted job and the future its caller awaits."""

    fn: Callable[[Connection], T]
    future: asyncio.Future[T]


class _Rerun(Exception):
    """A job of an optimistic hop failed: the hop is undone, its jobs must run one by one."""


def _run_together(conn: Connection, jobs: list[_Job[Any]]) -> list[tuple[Any, None]]:
    """On the thread: every job with no savepoint of its own; any failure fails the hop.

    A hop of one job raises the job's own error: the unit's savepoint undoes its writes, and
    its caller, the only one, gets the error with nothing left to run again.
    """
    if len(jobs) == 1:
        return [(jobs[0].fn(conn), None)]
    outcomes: list[tuple[Any, None]] = []
    for job in jobs:
        try:
            outcomes.append((job.fn(conn), None))
        except Exception as exc:
            raise _Rerun from exc
    return outcomes


def _run_jobs(conn: Connection, jobs: list[_Job[Any]]) -> list[tuple[Any, Exception | None]]:
    """On the thread: each job in a savepoint of its own (after an optimistic hop failed)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    outcomes: list[tuple[Any, Exception | None]] = []
    for job in jobs:
        driver.execute("SAVEPOINT job")
        try:
            value = job.fn(conn)
        except Exception as exc:
            driver.execute("ROLLBACK TO job")
            driver.execute("RELEASE job")
            outcomes.append((None, exc))
        else:
            driver.execute("RELEASE job")
            outcomes.append((value, None))
    return outcomes


def fail_all(futures: list[asyncio.Future[Any]], exc: BaseException) -> None:
    """A whole hop failed: every caller still waiting gets its exception."""
    for future in futures:
        if not future.done():
            future.set_exception(exc)


def settle(
    futures: list[asyncio.Future[Any]], outcomes: list[tuple[Any, Exception | None]]
) -> None:
    """Each caller still waiting gets its own outcome from the hop: a value or its exception."""
    for future, (value, error) in zip(futures, outcomes, strict=True):
        if future.done():  # cancelled meanwhile
            continue
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)


class JobQueue:
    """Feeds submitted jobs to the thread through ``single`` (a group commit unit of one hop)."""

    def __init__(self, single: Callable[[Callable[[Connection], Any]], Awaitable[Any]]) -> None:
        self._single = single
        self._jobs: list[_Job[Any]] = []  # submitted, not yet taken by the drain
        self._drainer: asyncio.Task[None] | None = None

    def submit(self, job: Callable[[Connection], T]) -> asyncio.Future[T]:
        """Run ``job`` in the next batch, alone in case of error; resolve after the COMMIT.

        Jobs do not hop one by one: whatever was submitted while the writer was busy goes to
        the thread in one hop (so at 1,000 concurrent conversations a hop carries hundreds of
        turns), inside one unit of the group commit machinery above. A job that raises rolls
        back alone and only its caller gets the exception; the others of its hop are then run
        a second time (see the module's docstring), so ``job`` must leave nothing changed
        outside the database but what it returns. If the COMMIT fails, every job of the batch
        raises. Cancelling the future (or the task awaiting it) withdraws the job if it has
        not been taken yet.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.append(_Job(job, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return future

    async def _drain(self) -> None:
        """Feed submitted jobs to the thread, as many per hop as are waiting."""
        while self._jobs:
            jobs = [j for j in self._jobs[:MAX_JOBS] if not j.future.done()]  # done: cancelled
            del self._jobs[:MAX_JOBS]
            if not jobs:
                continue
            try:
                outcomes = await self._run(jobs)
            except BaseException as exc:  # the batch failed (or the drain was cancelled)
                fail_all([j.future for j in jobs], exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            settle([j.future for j in jobs], outcomes)

    async def _run(self, jobs: list[_Job[Any]]) -> Outcomes:
        """One hop with no savepoint per job; on a failure, a second with one per job."""
        try:
            outcomes: Outcomes = await self._single(functools.partial(_run_together, jobs=jobs))
        except _Rerun:  # the hop's writes are undone (its unit's savepoint): run them again
            outcomes = await self._single(functools.partial(_run_jobs, jobs=jobs))
        return outcomes

    async def drained(self) -> None:
        """Wait until every submitted job has run (before closing the backend)."""
        if self._drainer is not None:
            await self._drainer
