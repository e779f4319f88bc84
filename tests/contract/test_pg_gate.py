"""The first-come, first-served gate in front of the PostgreSQL pool (``storage.pg_gate``)."""

from __future__ import annotations

import asyncio

import pytest

from storage.pg_gate import FairGate


async def _enter(gate: FairGate, name: str, order: list[str], *, urgent: bool = False) -> None:
    async with gate.hold(urgent=urgent):
        order.append(name)


async def _queue(gate: FairGate, names: str, order: list[str]) -> list[asyncio.Task[None]]:
    tasks = []
    for name in names:
        tasks.append(asyncio.create_task(_enter(gate, name, order)))
        await asyncio.sleep(0)  # let it reach the line (scheduling, not timing)
    return tasks


async def test_a_newcomer_does_not_overtake_the_callers_in_line() -> None:
    gate, order = FairGate(1), []
    await gate.acquire()
    tasks = await _queue(gate, "ab", order)
    assert gate.waiting == 2
    gate.release()  # the slot goes to "a", not to whoever asks next
    tasks.append(asyncio.create_task(_enter(gate, "c", order)))
    await asyncio.gather(*tasks)
    assert order == ["a", "b", "c"]


async def test_an_urgent_caller_goes_to_the_front_of_the_line() -> None:
    gate, order = FairGate(1), []
    await gate.acquire()
    tasks = await _queue(gate, "ab", order)
    tasks.append(asyncio.create_task(_enter(gate, "urgent", order, urgent=True)))
    await asyncio.sleep(0)
    gate.release()
    await asyncio.gather(*tasks)
    assert order == ["urgent", "a", "b"]


async def test_a_cancelled_caller_passes_its_slot_on() -> None:
    gate, order = FairGate(1), []
    await gate.acquire()
    tasks = await _queue(gate, "ab", order)
    gate.release()  # handed to "a", which is cancelled before it runs
    tasks[0].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert order == ["b"]
    async with gate.hold():  # and the slot is free again afterwards
        order.append("c")
    assert order == ["b", "c"]


async def test_a_caller_that_can_never_get_in_raises() -> None:
    gate = FairGate(1, timeout=0.01)
    await gate.acquire()
    with pytest.raises(TimeoutError):
        await gate.acquire()
    gate.release()
    async with gate.hold():  # the timed-out caller took nothing with it
        assert gate.waiting == 0
