"""Store, Unit and Outbox contract: the same suite against MemoryStore, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.events import EvidenceRecorded, HandoffRequested, MessageAdded, StageChanged
from bot.messages import ConversationKey, QuickReply
from bot.ports import StaleSnapshot
from bot.state import Evidence, HandoffRequest, StageChange, StoredMessage, Turn
from storage.codec import INITIAL_STATE

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
KEY = ConversationKey("widget", "visitor-1")


def msg(
    seq: int, text: str = "hi", *, ext: str | None = None, author: Any = "visitor"
) -> StoredMessage:
    at = T0 + timedelta(seconds=seq)
    return StoredMessage(seq=seq, author=author, text=text, at=at, external_id=ext)


def ev(slot: str, value: Any, *, at: datetime = T0, status: Any = "answer") -> Evidence:
    return Evidence(slot, status, value, f"raw {slot}", "test", 0.9, f"m-{slot}", at)


def turn(cid: int, **kw: Any) -> Turn:
    base: dict[str, Any] = {
        "conversation_id": cid, "state": "asking", "owner": "bot", "stage": None, "score": 0,
        "context": {}, "opted_out": False, "wake_at": None, "last_inbound_at": T0,
    }  # fmt: skip
    base.update(kw)
    return Turn(**base)


async def first_contact(store: Any, key: ConversationKey = KEY) -> int:
    """The conversation's id once its first turn is committed (a load's may be provisional)."""
    async with store.unit() as u:
        snap = await u.load(key, T0)
        await u.commit_turn(turn(snap.conversation_id))
    async with store.unit() as u:
        return int((await u.load(key, T0)).conversation_id)


async def test_first_load_gives_a_fresh_conversation_its_first_write_keeps(store: Any) -> None:
    async with store.unit() as u:
        snap = await u.load(KEY, T0)
        await u.commit_turn(turn(snap.conversation_id, state=INITIAL_STATE, last_inbound_at=None))
    assert (snap.key, snap.state, snap.owner, snap.stage) == (KEY, INITIAL_STATE, "bot", None)
    assert (snap.score, snap.seq, snap.opted_out, snap.last_inbound_at) == (0, 0, False, None)
    assert (dict(snap.evidence), dict(snap.context), dict(snap.lead)) == ({}, {}, {})
    async with store.unit() as u:  # the id a load gives may be provisional until the commit
        again = await u.load(KEY, T0)
        other = await u.load(ConversationKey("slack", "visitor-1"), T0)
    async with store.unit() as u:
        assert (await u.load(KEY, T0, fresh=True)).conversation_id == again.conversation_id
    assert (again.state, again.seq) == (INITIAL_STATE, 0)
    assert other.conversation_id != again.conversation_id


async def test_duplicate_external_id_is_a_noop_and_the_unit_goes_on(store: Any) -> None:
    async with store.unit() as u:
        cid = (await u.load(KEY, T0)).conversation_id
        assert await u.add_message(cid, msg(1, ext="e1"))
        # ON CONFLICT keeps the transaction usable: a failed INSERT would abort it on PostgreSQL.
        assert not await u.add_message(cid, msg(2, "resent", ext="e1"))
        assert await u.add_message(cid, msg(2, ext="e2"))
        await u.commit_turn(turn(cid, messages=(msg(3, "reply", author="bot"),)))
    async with store.unit() as u:  # a re-delivery in a later transaction
        snap = await u.load(KEY, T0)
        assert not await u.add_message(snap.conversation_id, msg(4, ext="e2"))
    assert snap.seq == 3
    assert [(m.seq, m.external_id) for m in await store.transcript(KEY)] == [
        (1, "e1"), (2, "e2"), (3, None),
    ]  # fmt: skip


async def test_external_ids_are_unique_per_channel_and_none_repeats(store: Any) -> None:
    slack = ConversationKey("slack", "T1:C1:1")
    async with store.unit() as u:
        a = (await u.load(KEY, T0)).conversation_id
        b = (await u.load(slack, T0)).conversation_id
        assert await u.add_message(a, msg(1, ext="same"))
        assert await u.add_message(b, msg(1, ext="same"))
        assert await u.add_message(a, msg(2))
        assert await u.add_message(a, msg(3))
    assert len(await store.transcript(KEY)) == 3
    assert len(await store.transcript(slack)) == 1


async def test_add_message_alone_moves_seq(store: Any) -> None:
    cid = await first_contact(store)
    async with store.unit() as u:
        assert await u.add_message(cid, msg(1, ext="x"))
    async with store.unit() as u:
        assert (await u.load(KEY, T0)).seq == 1


async def test_concurrent_first_load_creates_one_conversation(store: Any) -> None:
    async def visit(delay: float, ext: str) -> int:
        await asyncio.sleep(delay)
        while True:  # without the Locks port, as the service would: redo on a stale snapshot
            try:
                async with store.unit() as u:
                    snap = await u.load(KEY, T0)
                    await asyncio.sleep(0.1)  # the other unit tries to create it meanwhile
                    await u.add_message(snap.conversation_id, msg(snap.seq + 1, ext=ext))
                    await u.commit_turn(turn(snap.conversation_id))
                async with store.unit() as u:  # the id once committed (a load's may be provisional)
                    return int((await u.load(KEY, T0)).conversation_id)
            except StaleSnapshot:
                continue

    first, second = await asyncio.gather(visit(0, "a"), visit(0.02, "b"))
    assert first == second
    assert [m.seq for m in await store.transcript(KEY)] == [1, 2]


async def test_commit_turn_round_trip(store: Any) -> None:
    cid = await first_contact(store)
    wake = T0 + timedelta(minutes=10)
    first = turn(
        cid, state="ask_timeline", stage="MQL", score=40, wake_at=wake,
        context={"attempts": {"budget": 1}, "asking": "timeline", "list": [1, 2]},
        messages=(
            StoredMessage(2, "bot", "When?", T0, quick_replies=(QuickReply("Now", "now"),)),
        ),
        evidence=(ev("budget", {"amount": 5000, "currency": "EUR"}), ev("need", ["crm"])),
        stage_change=StageChange(None, "MQL", 40, "budget known", T0),
        handoff=HandoffRequest("asked for a human", "MQL", 40, T0),
        events=(
            MessageAdded(KEY, T0, 2, "bot", "When?", quick_replies=(("Now", "now"),)),
            StageChanged(KEY, T0, None, "MQL", 40, "budget known"),
        ),
        lead={"email": "ana@example.com", "company_size": {"min": 10, "max": 50}},
    )  # fmt: skip
    async with store.unit() as u:
        await u.load(KEY, T0)
        assert await u.add_message(cid, msg(1, "5k EUR for a CRM", ext="in-1"))
        await u.commit_turn(first)
    later = T0 + timedelta(minutes=1)
    second = turn(
        cid, state="done", owner="queued", stage="SQL", score=90, opted_out=True,
        evidence=(ev("budget", {"amount": 8000, "currency": "EUR"}, at=later),),
        stage_change=StageChange("MQL", "SQL", 90, "budget raised", later),
        events=(HandoffRequested(KEY, later, "sql", "SQL", 90),),
        lead={"name": "Ana", "email": None},
    )  # fmt: skip
    async with store.unit() as u:
        await u.load(KEY, T0)
        await u.commit_turn(second)
    async with store.unit() as u:
        snap = await u.load(KEY, T0)

    assert (snap.state, snap.owner, snap.stage, snap.score) == ("done", "queued", "SQL", 90)
    assert (snap.opted_out, snap.seq, snap.last_inbound_at) == (True, 2, T0)
    assert snap.context == {}
    assert snap.evidence["budget"] == ev("budget", {"amount": 8000, "currency": "EUR"}, at=later)
    assert snap.evidence["need"].value == ["crm"]
    assert snap.lead == {
        "name": "Ana", "email": "ana@example.com", "company_size": {"min": 10, "max": 50},
    }  # fmt: skip
    log = await store.evidence_log(KEY)
    assert [(e.slot, e.value) for e in log] == [
        ("budget", {"amount": 5000, "currency": "EUR"}), ("need", ["crm"]),
        ("budget", {"amount": 8000, "currency": "EUR"}),
    ]  # fmt: skip
    assert log[0] == first.evidence[0]
    assert await store.stage_history(KEY) == [first.stage_change, second.stage_change]
    assert await store.handoff_requests(KEY) == [first.handoff]
    lines = await store.transcript(KEY)
    assert [(m.seq, m.author, m.text) for m in lines] == [
        (1, "visitor", "5k EUR for a CRM"), (2, "bot", "When?"),
    ]  # fmt: skip
    assert lines[1].quick_replies == (QuickReply("Now", "now"),)
    assert lines[0] == msg(1, "5k EUR for a CRM", ext="in-1")


async def test_context_and_wake_at_of_first_turn(store: Any) -> None:
    cid = await first_contact(store)
    context = {"attempts": {"budget": 1}, "asking": "timeline", "nested": [{"a": None}]}
    async with store.unit() as u:
        await u.commit_turn(turn(cid, context=context, wake_at=T0 + timedelta(minutes=5)))
    async with store.unit() as u:
        snap = await u.load(KEY, T0)
    assert snap.context == context
    assert await store.due(T0 + timedelta(minutes=5)) == [KEY]


async def test_outbox_pending_and_mark_published(store: Any) -> None:
    cid = await first_contact(store)
    events = [EvidenceRecorded(KEY, T0, "budget", "answer", {"amount": i}) for i in range(5)]
    for chunk in (events[:2], events[2:3], events[3:]):  # one outbox row per turn
        async with store.unit() as u:
            await u.commit_turn(turn(cid, events=tuple(chunk)))
    pending = await store.pending()
    assert [[dict(e) for e in row] for _, row in pending] == [
        [e.to_json() for e in chunk] for chunk in (events[:2], events[2:3], events[3:])
    ]  # each turn's events, in order; turns in commit order
    assert [i for i, _ in await store.pending(limit=2)] == [i for i, _ in pending[:2]]
    await store.mark_published([pending[0][0], pending[2][0]])
    assert await store.pending() == [pending[1]]
    await store.mark_published([])


async def test_commit_turn_returns_the_outbox_row_of_its_events(store: Any) -> None:
    cid = await first_contact(store)
    events = [EvidenceRecorded(KEY, T0, "budget", "answer", {"amount": i}) for i in range(3)]
    async with store.unit() as u:
        ids = await u.commit_turn(turn(cid, events=tuple(events)))
    assert len(ids) == 1  # one row holds the turn's events
    assert list(ids) == [i for i, _ in await store.pending()]
    async with store.unit() as u:
        assert await u.commit_turn(turn(cid)) == []  # no events: no row


async def test_pending_older_than_leaves_events_being_published(store: Any) -> None:
    cid = await first_contact(store)
    async with store.unit() as u:
        await u.commit_turn(turn(cid, events=(EvidenceRecorded(KEY, T0, "need", "answer", {}),)))
    now = datetime.now(UTC)
    assert await store.pending(older_than=now - timedelta(minutes=1)) == []
    assert len(await store.pending(older_than=now + timedelta(minutes=1))) == 1


async def test_exception_rolls_back_the_whole_unit(store: Any) -> None:
    async def failing_turn() -> None:
        async with store.unit() as u:
            cid = (await u.load(KEY, T0)).conversation_id
            await u.add_message(cid, msg(1, ext="e1"))
            change = StageChange(None, "IQL", 1, "r", T0)
            event = StageChanged(KEY, T0, None, "IQL", 1, "r")
            await u.commit_turn(
                turn(cid, evidence=(ev("budget", 1),), stage_change=change, events=(event,),
                     handoff=HandoffRequest("r", "IQL", 1, T0), wake_at=T0)
            )  # fmt: skip
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing_turn()
    assert await store.transcript(KEY) == []
    assert await store.evidence_log(KEY) == []
    assert await store.stage_history(KEY) == []
    assert await store.pending() == []
    assert await store.due(T0) == []
    assert await store.handoff_requests(KEY) == []
    async with store.unit() as u:
        snap = await u.load(KEY, T0)
        assert (snap.state, snap.seq) == (INITIAL_STATE, 0)
        # The rolled-back external id is free again: the message was never stored.
        assert await u.add_message(snap.conversation_id, msg(1, ext="e1"))


async def test_exception_keeps_the_previous_state(store: Any) -> None:
    cid = await first_contact(store)

    async def failing_turn() -> None:
        async with store.unit() as u:
            await u.load(KEY, T0)
            await u.commit_turn(turn(cid, state="elsewhere", score=99, lead={"name": "X"}))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing_turn()
    async with store.unit() as u:
        snap = await u.load(KEY, T0)
    assert (snap.state, snap.score, dict(snap.lead)) == ("asking", 0, {})


async def test_transcript_after_seq_is_ordered_and_limited(store: Any) -> None:
    cid = await first_contact(store)
    async with store.unit() as u:
        await u.add_message(cid, msg(1, ext="1"))
        # Written out of order: the transcript orders by seq, not by insertion.
        await u.commit_turn(turn(cid, messages=(msg(5, author="bot"), msg(3), msg(4), msg(2))))
    assert [m.seq for m in await store.transcript(KEY)] == [1, 2, 3, 4, 5]
    assert [m.seq for m in await store.transcript(KEY, after_seq=2)] == [3, 4, 5]
    assert [m.seq for m in await store.transcript(KEY, after_seq=2, limit=2)] == [3, 4]
    assert await store.transcript(KEY, after_seq=5) == []
    assert await store.transcript(ConversationKey("widget", "nobody")) == []


async def test_due_returns_timers_at_or_before_now_most_overdue_first(store: Any) -> None:
    wakes = {"a": T0 - timedelta(minutes=1), "b": T0 - timedelta(minutes=10), "c": T0,
             "d": T0 + timedelta(seconds=1), "e": None}  # fmt: skip
    for address, wake in wakes.items():
        key = ConversationKey("telegram", address)
        cid = await first_contact(store, key)
        async with store.unit() as u:
            await u.commit_turn(turn(cid, wake_at=wake))
    due = await store.due(T0)
    assert [k.address for k in due] == ["b", "a", "c"]
    assert await store.due(T0, limit=1) == [ConversationKey("telegram", "b")]
    assert await store.due(T0 - timedelta(hours=1)) == []


async def test_timezone_aware_datetimes_round_trip(store: Any) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    local = datetime(2025, 3, 1, 14, 30, 0, 123456, tzinfo=india)
    cid = await first_contact(store)
    async with store.unit() as u:
        await u.add_message(cid, StoredMessage(1, "visitor", "hi", local, external_id="x"))
        await u.commit_turn(
            turn(cid, last_inbound_at=local, wake_at=local, evidence=(ev("budget", 1, at=local),),
                 stage_change=StageChange(None, "IQL", 0, "r", local))
        )  # fmt: skip
    async with store.unit() as u:
        snap = await u.load(KEY, T0)
    values = [
        snap.last_inbound_at, snap.evidence["budget"].at, (await store.transcript(KEY))[0].at,
        (await store.evidence_log(KEY))[0].at, (await store.stage_history(KEY))[0].at,
    ]  # fmt: skip
    for value in values:
        assert value == local
        assert value is not None
        assert value.utcoffset() == timedelta(0)
    assert await store.due(local) == [KEY]
    assert await store.due(local - timedelta(microseconds=1)) == []


async def test_commit_turn_without_load_in_the_same_unit(store: Any) -> None:
    cid = await first_contact(store)
    async with store.unit() as u:
        await u.commit_turn(turn(cid, evidence=(ev("budget", 1),), lead={"phone": "+4930"}))
    async with store.unit() as u:
        await u.commit_turn(turn(cid, evidence=(ev("need", "crm"),), score=7))
    async with store.unit() as u:
        snap = await u.load(KEY, T0)
    assert sorted(snap.evidence) == ["budget", "need"]
    assert (snap.score, dict(snap.lead)) == (7, {"phone": "+4930"})


async def test_commit_turn_for_an_unknown_conversation_raises(store: Any) -> None:
    with pytest.raises(LookupError):
        async with store.unit() as u:
            await u.commit_turn(turn(123456))
