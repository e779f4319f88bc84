"""Presence stamps: an open console keeps its rep seen, so a dead process cannot strand leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.console_socket import Presences
from bot.clock import FixedClock
from bot.routing import PRESENCE_REFRESH, route
from flows import load_flow
from storage.memory import MemoryStore

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, inside every team's office hours


async def test_an_open_console_keeps_its_rep_seen_and_the_last_close_sets_offline() -> None:
    store, clock = MemoryStore(), FixedClock(T0)
    presences = Presences(store, clock)
    dana = await store.add_rep("dana@example.com", "Dana", "h")

    await presences.opened(dana)
    seen = await store.find_rep(rep_id=dana.id)
    assert (seen.presence, seen.last_seen_at) == ("online", T0)

    clock.advance(PRESENCE_REFRESH)
    await presences.refresh()
    assert (await store.find_rep(rep_id=dana.id)).last_seen_at == T0 + PRESENCE_REFRESH

    clock.advance(timedelta(seconds=5))
    await presences.closed(dana)
    gone = await store.find_rep(rep_id=dana.id)
    assert (gone.presence, gone.last_seen_at) == ("offline", clock.now())


async def test_a_rep_left_online_by_a_dead_process_is_not_offered_leads() -> None:
    store, clock = MemoryStore(), FixedClock(T0)
    dana = await store.add_rep("dana@example.com", "Dana", "h", team="sales")
    lee = await store.add_rep("lee@example.com", "Lee", "h", team="sales")
    dead, alive = Presences(store, clock), Presences(store, clock)  # two server processes
    await dead.opened(dana)
    await alive.opened(lee)

    for _ in range(10):  # ten minutes on: only the live process keeps refreshing
        clock.advance(PRESENCE_REFRESH)
        await alive.refresh()

    routing = load_flow().spec.routing
    decision = route(routing, {}, await store.rep_loads(), clock.now())
    assert decision.rep_name == "Lee"
    stale = "Dana: online, but no console seen since"
    assert any(p.startswith(stale) for p in decision.passed_over)
