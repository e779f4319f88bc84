"""Closed-loop driving: N conversations, each sending its next message as soon as it is answered."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.report import percentile
from bench.script import conversation


@dataclass(slots=True)
class Cell:
    """One measurement: messages, wall time and per-message latencies."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process, every thread: robust when the machine is shared

    @property
    def rate(self) -> float:
        """Messages per second over the cell's wall time."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, float]:
        """Rate and latency percentiles in milliseconds."""
        return {
            "messages": len(self.latencies),
            "seconds": round(self.seconds, 3),
            "per_second": round(self.rate, 1),
            "p50_ms": round(percentile(self.latencies, 50) * 1e3, 2),
            "p99_ms": round(percentile(self.latencies, 99) * 1e3, 2),
            "cpu_ms_per_message": round(self.cpu_ms, 3),
        }

    @property
    def cpu_ms(self) -> float:
        """Process CPU milliseconds per message."""
        return self.cpu_seconds / max(1, len(self.latencies)) * 1e3


@dataclass(slots=True)
class Budget:
    """Bounds of one cell: messages started and wall time, whichever comes first."""

    messages: int
    seconds: float
    started: int = 0
    deadline: float = 0.0

    def take(self) -> bool:
        """Whether another message may start (and count it)."""
        if self.started >= self.messages or time.perf_counter() > self.deadline:
            return False
        self.started += 1
        return True


async def drive(
    concurrency: int, budget: Budget, send: Callable[[int, int], Awaitable[None]]
) -> Cell:
    """Run ``concurrency`` workers, each sending conversation after conversation."""
    cell = Cell()
    numbers = itertools.count()

    async def worker() -> None:
        while True:
            index = next(numbers)
            for turn in range(len(conversation(index))):
                if not budget.take():
                    return
                started = time.perf_counter()
                await send(index, turn)
                cell.latencies.append(time.perf_counter() - started)

    started, cpu = time.perf_counter(), time.process_time()
    budget.deadline = started + budget.seconds
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cell.seconds = time.perf_counter() - started
    cell.cpu_seconds = time.process_time() - cpu
    return cell
