"""Open-loop driving of the service: conversations that pause between messages, at a fixed rate.

A closed loop of N conversations answers "how fast at most", but its latency is just N divided
by that rate (Little's law: at 1,000 concurrent and 5,000 messages/s every message waits 200 ms
on average, whatever the server does). The latency a visitor sees depends on how the server
answers a load it can carry, so here each of N conversations thinks between its messages for an
exponential time with mean N / rate: arrivals over all conversations are a Poisson stream at
``rate``. Latency counts from when a message was due, not when it was sent, so falling behind
shows (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.script import conversation


@dataclass(slots=True)
class Paced:
    """What an open-loop run saw: latencies from due time, and how much was answered in time."""

    latencies: list[float] = field(default_factory=list)
    answered_in_window: int = 0  # replies that came before the window closed
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def achieved(self) -> float:
        """Share of the messages due in the window that were answered within it."""
        return self.answered_in_window / max(1, len(self.latencies))


async def paced_drive(
    conversations: int, rate: float, seconds: float, send: Callable[[int, int], Awaitable[None]]
) -> Paced:
    """Offer ``rate`` messages/s over ``conversations`` for ``seconds``.

    Messages due after ``seconds`` are not sent; those due before are all sent and answered,
    however late. A conversation that ends starts the next one.
    """
    run = Paced()
    latencies = run.latencies
    mean_gap = conversations / rate
    numbers = itertools.count()
    rng = random.Random(conversations)
    began, cpu = time.perf_counter(), time.process_time()
    deadline = began + seconds

    async def visitor() -> None:
        due = began + rng.expovariate(1 / mean_gap)
        while due < deadline:
            index = next(numbers)
            for turn in range(len(conversation(index))):
                if due >= deadline:
                    return
                await asyncio.sleep(due - time.perf_counter())
                await send(index, turn)
                replied = time.perf_counter()
                latencies.append(replied - due)
                run.answered_in_window += replied <= deadline
                due += rng.expovariate(1 / mean_gap)

    await asyncio.gather(*(visitor() for _ in range(conversations)))
    run.seconds, run.cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    return run
