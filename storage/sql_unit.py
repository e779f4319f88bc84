"""SqlUnit: one transaction's load, add_message and commit_turn, as SQLAlchemy Core statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Insert, bindparam, case, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bot.messages import ConversationKey
from bot.state import HandoffStatus, Outcome, Owner, Snapshot, StoredMessage, Turn
from storage.backend import Runner
from storage.codec import (
    INITIAL_STATE,
    LEAD_FIELDS,
    evidence_from_json,
    evidence_row,
    evidence_to_json,
    lead_changes,
    message_row,
)
from storage.tables import (
    CONVERSATIONS,
    EVIDENCE,
    HANDOFFS,
    LEADS,
    MESSAGES,
    OUTBOX,
    REPS,
    STAGE_CHANGES,
)

_C, _L = CONVERSATIONS.c, LEADS.c
_LEAD_COLUMNS = [LEADS.c[name] for name in LEAD_FIELDS]
# One query loads everything Engine.decide needs. FOR UPDATE (PostgreSQL; SQLite's compiler
# omits it) backs up the Locks port: if a lock's TTL ever lapses mid-turn, the row lock still
# serializes the two turns ("load after lock", aiogram #1317).
_SELECT_SNAPSHOT = (
    select(
        CONVERSATIONS, *_LEAD_COLUMNS, _L.stage.label("lead_stage"), _L.score.label("lead_score")
    )
    .join(LEADS, LEADS.c.id == _C.lead_id)
    .where(_C.channel == bindparam("channel"), _C.address == bindparam("address"))
    .with_for_update(of=CONVERSATIONS)
)
_SELECT_FOR_COMMIT = (
    select(_C.lead_id, _C.channel, _C.current_evidence, *_LEAD_COLUMNS, _L.stage, _L.score)
    .join(LEADS, LEADS.c.id == _C.lead_id)
    .where(_C.id == bindparam("cid"))
    .with_for_update(of=CONVERSATIONS)
)
# seq only moves forward, whatever order messages are written in (GREATEST is not portable).
_SEQ = case((_C.seq < bindparam("new_seq"), bindparam("new_seq")), else_=_C.seq)
# Built once: SQLAlchemy then reuses the compiled form, where a statement built per call pays
# for its cache key every time (a third of commit_turn's cost when measured). The other SET
# columns come from the execute-time parameters.
_UPDATE_CONVERSATION = update(CONVERSATIONS).where(_C.id == bindparam("cid")).values(seq=_SEQ)
# The lead UPDATE too: built per call, it cost a cache key each time (docs/benchmarks.md). Its
# SET columns come from the execute-time parameters (stage, score and the known card fields),
# a few shapes, each compiled once and then found in SQLAlchemy's cache.
_UPDATE_LEAD = update(LEADS).where(_L.id == bindparam("lid"))
_INSERT = {t.name: insert(t) for t in (MESSAGES, EVIDENCE, STAGE_CHANGES, HANDOFFS, OUTBOX)}
# One multi-row INSERT .. RETURNING (SQLite 3.35+, PostgreSQL). The ids are used as a set (a
# turn's events are marked published together), so their order is not asked for: asking
# makes SQLAlchemy split the insert into one statement per row on SQLite.
_INSERT_OUTBOX = insert(OUTBOX).returning(OUTBOX.c.id)
_INSERT_LEAD = insert(LEADS).returning(_L.id)
_H = HANDOFFS.c
# The claim race is decided here and nowhere else: under PostgreSQL's READ COMMITTED a second
# UPDATE waits on the winner's row lock, then re-checks ``status = 'queued'`` against the
# committed row and matches nothing; SQLite has one writer. No SELECT, no other lock.
_CLAIM = (
    update(HANDOFFS)
    .where(_H.conversation_id == bindparam("cid"), _H.status == "queued")
    .values(status="claimed", rep_id=bindparam("rep"), claimed_at=bindparam("now"))
)
_END_HANDOFF = (
    update(HANDOFFS)
    .where(_H.conversation_id == bindparam("cid"), _H.status.in_(("queued", "claimed")))
    .values(
        status=bindparam("new_status"), outcome=bindparam("new_outcome"), closed_at=bindparam("now")
    )
)
# Round robin offers the next lead to whoever waited longest (bot/routing.py): hand-off turns
# stamp the offered rep. Only those turns run it, so the hot path keeps its statement count.
_STAMP_REP = (
    update(REPS).where(REPS.c.id == bindparam("rep")).values(last_assigned_at=bindparam("at_"))
)


def _upsert(dialect: str, table: Any, *conflict: str) -> Insert:
    """INSERT .. ON CONFLICT (conflict) DO NOTHING RETURNING id, in the dialect's own syntax."""
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).on_conflict_do_nothing(index_elements=list(conflict))
    return cast(Insert, stmt.returning(table.c.id))


_INSERT_CONVERSATION = {
    d: _upsert(d, CONVERSATIONS, "channel", "address") for d in ("postgresql", "sqlite")
}
_INSERT_MESSAGE = {
    d: _upsert(d, MESSAGES, "channel", "external_id") for d in ("postgresql", "sqlite")
}


@dataclass(slots=True)
class _Loaded:
    """What this unit already knows of a conversation, so commit_turn need not read it again."""

    lead_id: int
    channel: str
    evidence: dict[str, Any]
    lead: dict[str, Any] = field(default_factory=dict)  # card fields plus stage and score


class SyncUnit:
    """The Unit's statements, synchronous, on the sync face of the unit's connection.

    SqlUnit runs each method in one call to the backend rather than awaiting every statement
    (see ``storage.backend``).

    Statement budget for one inbound message of a known conversation: ``load`` 1 SELECT,
    ``add_message`` 1 INSERT, ``commit_turn`` 1 UPDATE of the conversation (which also carries
    add_message's seq bump), then one executemany INSERT per non-empty kind (messages, evidence,
    stage change, hand-off, outbox) and an UPDATE of the lead only when the card changed.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._dialect = conn.dialect.name
        self._now: datetime | None = None
        self._loaded: dict[int, _Loaded] = {}
        self._pending_seq: dict[int, int] = {}

    def _clock(self) -> datetime:
        # updated_at follows the caller's clock (load's ``now``) so tests with FixedClock agree.
        return self._now or datetime.now(UTC)

    def load(self, key: ConversationKey, now: datetime) -> Snapshot:
        """Load the conversation, creating lead and conversation on first contact."""
        self._now = now
        params = {"channel": key.channel, "address": key.address}
        row = (self._conn.execute(_SELECT_SNAPSHOT, params)).first()
        if row is None:
            created = self._create(key, now)
            if created is not None:
                return created
            # Another process created it between our SELECT and INSERT: read the winner's row.
            row = (self._conn.execute(_SELECT_SNAPSHOT, params)).one()
        m = row._mapping
        lead = {k: m[k] for k in LEAD_FIELDS if m[k] is not None}
        loaded = _Loaded(m["lead_id"], key.channel, dict(m["current_evidence"]), dict(lead))
        loaded.lead.update(stage=m["lead_stage"], score=m["lead_score"])
        self._loaded[m["id"]] = loaded
        return Snapshot(
            conversation_id=m["id"],
            key=key,
            state=m["state"],
            owner=cast(Owner, m["owner"]),
            stage=m["stage"],
            score=m["score"],
            evidence={slot: evidence_from_json(e) for slot, e in loaded.evidence.items()},
            context=m["context"],
            opted_out=m["opted_out"],
            seq=m["seq"],
            last_inbound_at=m["last_inbound_at"],
            lead=lead,
        )

    def _create(self, key: ConversationKey, now: datetime) -> Snapshot | None:
        """Insert lead and conversation; None when a concurrent unit won the race."""
        lead_stmt = _INSERT_LEAD
        lead_id = (
            self._conn.execute(lead_stmt, {"score": 0, "created_at": now, "updated_at": now})
        ).scalar_one()
        values = {
            "channel": key.channel, "address": key.address, "lead_id": lead_id,
            "state": INITIAL_STATE, "owner": "bot", "score": 0, "opted_out": False,
            "context": {}, "current_evidence": {}, "seq": 0, "created_at": now, "updated_at": now,
        }  # fmt: skip
        # ON CONFLICT, not SELECT-then-INSERT alone: two processes may both miss the SELECT. On
        # PostgreSQL the loser waits for the winner's commit, then inserts nothing.
        result = self._conn.execute(_INSERT_CONVERSATION[self._dialect], values)
        conversation_id = result.scalar_one_or_none()
        if conversation_id is None:
            self._conn.execute(delete(LEADS).where(_L.id == lead_id))  # no orphan lead
            return None
        self._loaded[conversation_id] = _Loaded(
            lead_id, key.channel, {}, {"stage": None, "score": 0}
        )
        return Snapshot(
            conversation_id=conversation_id, key=key, state=INITIAL_STATE, owner="bot",
            stage=None, score=0, evidence={}, context={}, opted_out=False, seq=0,
        )  # fmt: skip

    def _known(self, conversation_id: int) -> _Loaded:
        """This unit's view of a conversation, read once if ``load`` was not called for it."""
        loaded = self._loaded.get(conversation_id)
        if loaded is None:
            row = (self._conn.execute(_SELECT_FOR_COMMIT, {"cid": conversation_id})).first()
            if row is None:
                raise LookupError(f"no conversation with id {conversation_id}")
            m = row._mapping
            lead: dict[str, Any] = {k: m[k] for k in LEAD_FIELDS if m[k] is not None}
            lead.update(stage=m["stage"], score=m["score"])
            loaded = _Loaded(m["lead_id"], m["channel"], dict(m["current_evidence"]), lead)
            self._loaded[conversation_id] = loaded
        return loaded

    def add_message(self, conversation_id: int, message: StoredMessage) -> bool:
        """Append to the transcript; False (and nothing written) for a known external id."""
        loaded = self._known(conversation_id)
        # ON CONFLICT, not try/except IntegrityError: a failed INSERT aborts a PostgreSQL
        # transaction, and the unit must go on (store the duplicate's absence, commit, reply).
        # The conflict target is the external id only: a seq collision is a bug and raises.
        stmt = _INSERT_MESSAGE[self._dialect]
        row = message_row(conversation_id, loaded.channel, message)
        inserted = (self._conn.execute(stmt, row)).scalar_one_or_none() is not None
        if inserted:
            # Deferred: commit_turn's UPDATE of the conversation carries it (one statement
            # fewer per message); flush() writes it when no commit_turn follows.
            previous = self._pending_seq.get(conversation_id, 0)
            self._pending_seq[conversation_id] = max(previous, message.seq)
        return inserted

    def commit_turn(self, turn: Turn) -> list[int]:
        """Write the new state, messages, evidence, stage change, hand-off and outbox rows."""
        cid = turn.conversation_id
        loaded = self._known(cid)
        now = self._clock()
        for e in turn.evidence:  # later evidence for a slot supersedes the current one
            loaded.evidence[e.slot] = evidence_to_json(e)
        seqs = [m.seq for m in turn.messages]
        if cid in self._pending_seq:
            seqs.append(self._pending_seq.pop(cid))
        values: dict[str, Any] = {
            "state": turn.state, "owner": turn.owner, "stage": turn.stage, "score": turn.score,
            "context": dict(turn.context), "opted_out": turn.opted_out, "wake_at": turn.wake_at,
            "last_inbound_at": turn.last_inbound_at, "current_evidence": loaded.evidence,
            "updated_at": now,
        }  # fmt: skip
        values.update(cid=cid, new_seq=max(seqs, default=0))  # seq never goes below 0
        self._conn.execute(_UPDATE_CONVERSATION, values)
        outbox_ids = self._insert_rows(turn, loaded.channel, now)
        self._update_lead(turn, loaded, now)
        return outbox_ids

    def claim(self, conversation_id: int, rep_id: int, now: datetime) -> bool:
        """The conditional UPDATE decides the race: only one claim finds the row still queued."""
        params = {"cid": conversation_id, "rep": rep_id, "now": now}
        return bool(self._conn.execute(_CLAIM, params).rowcount)

    def end_handoff(
        self, conversation_id: int, status: HandoffStatus, outcome: Outcome | None, now: datetime
    ) -> None:
        """Close the conversation's open hand-off row (queued or claimed); the rep stays on it."""
        params = {"cid": conversation_id, "new_status": status, "new_outcome": outcome, "now": now}
        self._conn.execute(_END_HANDOFF, params)

    def _insert_rows(self, turn: Turn, channel: str, now: datetime) -> list[int]:
        """The append-only rows of a turn, one statement per table that has any; the outbox ids."""
        cid = turn.conversation_id
        execute = self._conn.execute
        if turn.messages:
            execute(_INSERT["messages"], [message_row(cid, channel, m) for m in turn.messages])
        if turn.evidence:
            execute(_INSERT["evidence"], [evidence_row(cid, e) for e in turn.evidence])
        if (sc := turn.stage_change) is not None:
            execute(
                _INSERT["stage_changes"],
                {"conversation_id": cid, "previous": sc.previous, "stage": sc.stage,
                 "score": sc.score, "reason": sc.reason, "at": sc.at},
            )  # fmt: skip
        if (h := turn.handoff) is not None:
            execute(
                _INSERT["handoffs"],
                {"conversation_id": cid, "reason": h.reason, "stage": h.stage, "score": h.score,
                 "status": "queued", "requested_at": h.at, "team": h.team,
                 "offered_rep_id": h.offered_rep_id, "route_reason": h.route_reason,
                 "sla_due_at": h.sla_due_at},
            )  # fmt: skip
            if h.offered_rep_id is not None:
                execute(_STAMP_REP, {"rep": h.offered_rep_id, "at_": h.at})
        if not turn.events:
            return []
        rows = [
            {"topic": "events", "payload": ev.to_json(), "created_at": now} for ev in turn.events
        ]
        return list(execute(_INSERT_OUTBOX, rows).scalars())

    def _update_lead(self, turn: Turn, loaded: _Loaded, now: datetime) -> None:
        """Stage, score and newly known card fields; skipped when nothing changed (most turns)."""
        changes = lead_changes(turn.lead)
        changes.update(stage=turn.stage, score=turn.score)
        if all(loaded.lead.get(k, object()) == v for k, v in changes.items()):
            return
        self._conn.execute(_UPDATE_LEAD, {**changes, "updated_at": now, "lid": loaded.lead_id})
        loaded.lead.update(changes)

    @property
    def deferred(self) -> bool:
        """Whether ``flush`` has anything to write."""
        return bool(self._pending_seq)

    def flush(self) -> None:
        """Write seq bumps no commit_turn carried (a duplicate-free add_message on its own)."""
        for cid, seq in self._pending_seq.items():
            self._conn.execute(_UPDATE_CONVERSATION, {"cid": cid, "new_seq": seq})
        self._pending_seq.clear()


class SqlUnit:
    """One transaction on one connection; see ``bot.ports.Unit``.

    Each method is one call through the backend's runner (a ``run_sync`` on PostgreSQL, a hop
    to the SQLite thread), whatever the number of statements inside.
    """

    def __init__(self, conn: Connection, run: Runner) -> None:
        self._sync = SyncUnit(conn)
        self._run = run

    async def load(self, key: ConversationKey, now: datetime) -> Snapshot:
        """Load the conversation, creating lead and conversation on first contact."""
        return await self._run(lambda: self._sync.load(key, now))

    async def add_message(self, conversation_id: int, message: StoredMessage) -> bool:
        """Append to the transcript; False (and nothing written) for a known external id."""
        return await self._run(lambda: self._sync.add_message(conversation_id, message))

    async def commit_turn(self, turn: Turn) -> list[int]:
        """Write the new state, messages, evidence, stage change, hand-off and outbox rows."""
        return await self._run(lambda: self._sync.commit_turn(turn))

    async def claim(self, conversation_id: int, rep_id: int, now: datetime) -> bool:
        """Give the queued hand-off to ``rep_id``; False when it was not queued any more."""
        return await self._run(lambda: self._sync.claim(conversation_id, rep_id, now))

    async def end_handoff(
        self, conversation_id: int, status: HandoffStatus, outcome: Outcome | None, now: datetime
    ) -> None:
        """Finish the open hand-off (handed back or closed)."""
        await self._run(lambda: self._sync.end_handoff(conversation_id, status, outcome, now))

    async def flush(self) -> None:
        """Write what the unit deferred; called before commit."""
        if self._sync.deferred:
            await self._run(self._sync.flush)
