"""Desk and claim contract: hand-off views, notes, loads, round robin and the claim race."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.messages import ConversationKey
from bot.state import HandoffRequest, Rep, StoredMessage
from storage import SqlStore
from tests.contract.test_store import T0, first_contact, turn

KEY = ConversationKey("widget", "visitor-1")
OTHER = ConversationKey("slack", "U42")
CARD = {"name": "Jane Roe", "email": "jane@acme.com", "company": "Acme"}


async def add_reps(store: Any, *names: str) -> list[Rep]:
    return [await store.add_rep(f"{n.lower()}@example.com", n, "h", team="sales") for n in names]


async def queue(
    store: Any, key: ConversationKey = KEY, *, at: Any = T0, offered: int | None = None, **kw: Any
) -> int:
    """A conversation whose turn asked for a rep, as the service commits it after routing."""
    cid = await first_contact(store, key)
    request = HandoffRequest(
        "asked for a human", "SQL", 80, at, team="sales", offered_rep_id=offered,
        route_reason="team sales by rule 'x'; offered to someone",
        sla_due_at=at + timedelta(minutes=5),
    )  # fmt: skip
    async with store.unit() as u:
        await u.commit_turn(turn(cid, owner="queued", stage="SQL", score=80, handoff=request, **kw))
    return cid


async def claim(store: Any, cid: int, rep_id: int, at: Any = T0) -> bool:
    async with store.unit() as u:
        won: bool = await u.claim(cid, rep_id, at)
    return won


async def end(store: Any, cid: int, status: str, outcome: str | None, at: Any = T0) -> None:
    async with store.unit() as u:
        await u.end_handoff(cid, status, outcome, at)


async def test_desk_lists_handoffs_with_lead_card_and_rep_name(store: Any) -> None:
    dana, lee = await add_reps(store, "Dana", "Lee")
    first = await queue(store, lead=CARD, offered=dana.id)
    await queue(store, OTHER, at=T0 + timedelta(minutes=1))
    later = T0 + timedelta(minutes=2)
    assert await claim(store, first, lee.id, later)

    views = await store.handoffs()
    assert [v.key for v in views] == [KEY, OTHER]  # oldest request first
    view = views[0]
    assert (view.status, view.rep_id, view.rep_name, view.claimed_at) == (
        "claimed", lee.id, "Lee", later,
    )  # fmt: skip
    assert (view.reason, view.stage, view.score, view.team) == (
        "asked for a human",
        "SQL",
        80,
        "sales",
    )
    assert (view.offered_rep_id, view.requested_at) == (dana.id, T0)
    assert view.sla_due_at == T0 + timedelta(minutes=5)
    assert view.route_reason.startswith("team sales by rule")
    assert dict(view.lead) == {**CARD, "stage": "SQL", "score": 80}
    assert (views[1].status, views[1].rep_name, views[1].closed_at) == ("queued", None, None)
    assert dict(views[1].lead) == {"stage": "SQL", "score": 80}
    assert [v.key for v in await store.handoffs(("claimed",))] == [KEY]
    assert await store.handoffs(("closed",)) == []


async def test_lead_card_shows_the_conversations_current_stage(store: Any) -> None:
    cid = await queue(store)
    async with store.unit() as u:  # the lead moved on after asking for a rep
        await u.commit_turn(turn(cid, owner="queued", stage="CQL", score=95))
    view = await store.handoff_for(KEY)
    assert (view.stage, view.score) == ("SQL", 80)  # the request as it was made
    assert (view.lead["stage"], view.lead["score"]) == ("CQL", 95)


async def test_handoff_for_returns_the_latest(store: Any) -> None:
    (dana,) = await add_reps(store, "Dana")
    assert await store.handoff_for(KEY) is None
    cid = await queue(store)
    assert await claim(store, cid, dana.id)
    await end(store, cid, "handed_back", None, T0 + timedelta(minutes=3))
    ended = await store.handoff_for(KEY)
    assert (ended.status, ended.rep_name, ended.closed_at) == (
        "handed_back", "Dana", T0 + timedelta(minutes=3),
    )  # fmt: skip
    async with store.unit() as u:
        await u.commit_turn(
            turn(cid, owner="queued", handoff=HandoffRequest("again", "SQL", 90, T0))
        )
    latest = await store.handoff_for(KEY)
    assert (latest.status, latest.reason, latest.route_reason, latest.team) == (
        "queued",
        "again",
        "",
        None,
    )
    assert latest.id != ended.id
    # The view carries the lead's stage and score of now; the rest of the ended row is as it was.
    (again,) = await store.handoffs(("handed_back",))
    assert replace(again, lead={}) == replace(ended, lead={})


async def test_close_records_the_outcome(store: Any) -> None:
    (dana,) = await add_reps(store, "Dana")
    cid = await queue(store)
    assert await claim(store, cid, dana.id)
    await end(store, cid, "closed", "won", T0 + timedelta(hours=1))
    view = await store.handoff_for(KEY)
    assert (view.status, view.outcome, view.rep_id) == ("closed", "won", dana.id)
    assert view.closed_at == T0 + timedelta(hours=1)


async def test_notes_are_kept_apart_from_the_transcript(store: Any) -> None:
    (dana,) = await add_reps(store, "Dana")
    cid = await queue(store)
    async with store.unit() as u:
        await u.add_message(cid, StoredMessage(1, "visitor", "hello", T0, external_id="m1"))
    note = await store.add_note(KEY, dana.id, "Budget sounds soft; ask about Q3.", T0)
    await store.add_note(KEY, dana.id, "Called back.", T0 + timedelta(minutes=1))
    assert (note.rep_id, note.rep_name, note.at) == (dana.id, "Dana", T0)
    assert [(n.rep_name, n.text) for n in await store.notes(KEY)] == [
        ("Dana", "Budget sounds soft; ask about Q3."), ("Dana", "Called back."),
    ]  # fmt: skip
    assert [m.text for m in await store.transcript(KEY)] == ["hello"]
    assert await store.notes(OTHER) == []
    async with store.unit() as u:  # the conversation's seq is untouched by notes
        assert (await u.load(KEY, T0)).seq == 1


async def test_a_note_needs_a_known_conversation_and_rep(store: Any) -> None:
    (dana,) = await add_reps(store, "Dana")
    await queue(store)
    with pytest.raises(LookupError):
        await store.add_note(OTHER, dana.id, "x", T0)
    with pytest.raises(LookupError):
        await store.add_note(KEY, dana.id + 1000, "x", T0)
    assert await store.notes(KEY) == []


async def test_rep_loads_count_claims_until_they_end(store: Any) -> None:
    dana, lee, kim = await add_reps(store, "Dana", "Lee", "Kim")
    await store.update_rep(lee.id, presence="online")
    await store.update_rep(kim.id, disabled=True)
    a = await queue(store, ConversationKey("widget", "a"))
    b = await queue(store, ConversationKey("widget", "b"))
    c = await queue(store, ConversationKey("widget", "c"))
    assert await claim(store, a, dana.id)
    assert await claim(store, b, dana.id)
    assert await claim(store, c, lee.id)
    loads = {r.name: r for r in await store.rep_loads()}
    assert sorted(loads) == ["Dana", "Lee"]  # disabled reps are never routed to
    assert (loads["Dana"].active, loads["Lee"].active) == (2, 1)
    assert (loads["Lee"].presence, loads["Lee"].capacity, loads["Lee"].team) == (
        "online",
        3,
        "sales",
    )
    await end(store, a, "handed_back", None)
    await end(store, c, "closed", "lost")
    loads = {r.name: r for r in await store.rep_loads()}
    assert (loads["Dana"].active, loads["Lee"].active) == (1, 0)


async def test_a_handoff_turn_stamps_the_offered_rep_for_round_robin(store: Any) -> None:
    dana, lee = await add_reps(store, "Dana", "Lee")
    assert {r.last_assigned_at for r in await store.rep_loads()} == {None}
    await queue(store, offered=dana.id, at=T0)
    await queue(store, OTHER, offered=lee.id, at=T0 + timedelta(minutes=1))
    await queue(
        store, ConversationKey("widget", "c"), offered=dana.id, at=T0 + timedelta(minutes=2)
    )
    loads = {r.name: r.last_assigned_at for r in await store.rep_loads()}
    assert loads == {"Dana": T0 + timedelta(minutes=2), "Lee": T0 + timedelta(minutes=1)}
    requests = await store.handoff_requests(OTHER)
    assert [(h.offered_rep_id, h.team, h.sla_due_at) for h in requests] == [
        (lee.id, "sales", T0 + timedelta(minutes=6)),
    ]  # fmt: skip


async def test_a_second_claim_loses(store: Any) -> None:
    dana, lee = await add_reps(store, "Dana", "Lee")
    cid = await queue(store)
    assert await claim(store, cid, dana.id)
    assert not await claim(store, cid, lee.id)
    assert not await claim(store, cid, dana.id)
    assert (await store.handoff_for(KEY)).rep_name == "Dana"


async def test_a_claim_after_the_handoff_ended_loses(store: Any) -> None:
    (dana,) = await add_reps(store, "Dana")
    queued_only = await queue(store)
    await end(store, queued_only, "closed", "spam")  # closed while still queued
    assert not await claim(store, queued_only, dana.id)
    cid = await queue(store, OTHER)
    assert await claim(store, cid, dana.id)
    await end(store, cid, "handed_back", None)
    assert not await claim(store, cid, dana.id)
    assert [v.status for v in await store.handoffs(("queued", "claimed"))] == []


async def test_nothing_to_claim_without_a_handoff(store: Any) -> None:
    (dana,) = await add_reps(store, "Dana")
    cid = await first_contact(store)
    assert not await claim(store, cid, dana.id)


async def test_a_rolled_back_claim_leaves_the_handoff_queued(store: Any) -> None:
    (dana,) = await add_reps(store, "Dana")
    cid = await queue(store)

    async def failing_claim() -> None:
        async with store.unit() as u:
            assert await u.claim(cid, dana.id, T0)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing_claim()
    assert (await store.handoff_for(KEY)).status == "queued"
    assert {r.active for r in await store.rep_loads()} == {0}


async def test_twenty_concurrent_claims_exactly_one_wins(store: Any) -> None:
    reps = await add_reps(store, *(f"Rep{i:02d}" for i in range(20)))
    cid = await queue(store)
    postgres = isinstance(store, SqlStore) and store.sync_engine.dialect.name == "postgresql"

    async def attempt(rep: Rep) -> bool:
        async with store.unit() as u:  # a unit of its own, as from 20 processes: no load, no lock
            won: bool = await u.claim(cid, rep.id, T0)
            if won and postgres:
                # Hold the winning transaction open until the other 19 UPDATEs wait on its row
                # lock: they then re-check ``status = 'queued'`` after our commit, so the
                # conditional UPDATE, not timing, decides.
                await _until_waiting(store, 19)
        return won

    wins = await asyncio.wait_for(asyncio.gather(*(attempt(r) for r in reps)), 30)
    assert sum(wins) == 1
    winner = reps[wins.index(True)]
    view = await store.handoff_for(KEY)
    assert (view.status, view.rep_id, view.rep_name) == ("claimed", winner.id, winner.name)
    assert {r.name: r.active for r in await store.rep_loads()}[winner.name] == 1


async def _until_waiting(store: SqlStore, count: int) -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE handoffs SET status=%'"
    )
    for _ in range(500):
        if await store.read(lambda conn: conn.execute(waiting).scalar_one()) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} claims ever waited on the row lock")
