"""SyncUnit: a unit's statements, synchronous, on the sync face of the unit's connection.

The backend runs each method in one call (a hop to the SQLite thread, a ``run_sync`` on
PostgreSQL), or a whole ``commit_turn`` as a submitted job (``storage.sql_unit``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from bot.jsontext import dumps
from bot.messages import ConversationKey
from bot.ports import StaleSnapshot
from bot.state import HandoffStatus, Outcome, Owner, Snapshot, StoredMessage, Turn
from storage import sqlite_load
from storage.codec import (
    INITIAL_STATE,
    LEAD_FIELDS,
    evidence_from_json,
    lead_changes,
    message_row,
)
from storage.core_turn import CoreWrites
from storage.snapshots import Known, after_turn
from storage.sql_statements import (
    CLAIM,
    END_HANDOFF,
    INSERT_CONVERSATION,
    INSERT_LEAD,
    INSERT_MESSAGE,
    SELECT_FOR_COMMIT,
    SELECT_SNAPSHOT,
    SELECT_VERSION,
    UPDATE_CONVERSATION,
)
from storage.sqlite_turn import SqliteWrites
from storage.tables import LEADS

_MISSING = object()


class SyncUnit:
    """The Unit's statements, synchronous, on the sync face of the unit's connection.

    Reads and the rare writes are SQLAlchemy Core; a turn's writes go through ``CoreWrites``
    (PostgreSQL) or plain pysqlite statements (``SqliteWrites``). Statement budget for one
    inbound message of a cached conversation: the inbound INSERT, the conditional UPDATE of the
    conversation (which also bumps seq and version), then one INSERT per non-empty kind
    (replies, evidence, stage change, hand-off, outbox) and an UPDATE of the lead only when the
    card, stage or score changed.
    """

    def __init__(
        self,
        conn: Connection,
        known: dict[int, Known],
        now: datetime | None,
        writes: SqliteWrites | None = None,
    ) -> None:
        """``writes``: the SQLite writer's own (``ThreadBackend.writes``), else made here."""
        self._conn = conn
        self._dialect = conn.dialect.name
        self._now = now
        self._known_by_id = known  # shared with the SqlUnit, which caches them after commit
        self._pending_seq: dict[int, int] = {}
        self._real: dict[int, int] = {}  # provisional id -> real id, for first contacts
        self._writes: SqliteWrites | CoreWrites
        if writes is not None:
            self._writes = writes
        else:
            driver = conn.connection.driver_connection if self._dialect == "sqlite" else None
            self._writes = SqliteWrites(driver) if driver is not None else CoreWrites(conn)

    def _clock(self) -> datetime:
        # updated_at follows the caller's clock (load's ``now``) so tests with FixedClock agree.
        return self._now or datetime.now(UTC)

    def load(self, key: ConversationKey, now: datetime) -> Snapshot:
        """Load the conversation, creating lead and conversation on first contact."""
        self._now = now
        if isinstance(self._writes, SqliteWrites):
            known = sqlite_load.load(self._writes.db, key, now)
            self._known_by_id[known.conversation_id] = known
            assert known.snapshot is not None
            return known.snapshot
        params = {"channel": key.channel, "address": key.address}
        row = self._conn.execute(SELECT_SNAPSHOT, params).first()
        if row is None:
            created = self._create(key, now)
            if created is not None:
                assert created.snapshot is not None
                return created.snapshot
            # Another process created it between our SELECT and INSERT: read the winner's row.
            row = self._conn.execute(SELECT_SNAPSHOT, params).one()
        m = row._mapping
        lead = {k: m[k] for k in LEAD_FIELDS if m[k] is not None}
        snapshot = Snapshot(
            conversation_id=m["id"],
            key=key,
            state=m["state"],
            owner=cast(Owner, m["owner"]),
            stage=m["stage"],
            score=m["score"],
            evidence={slot: evidence_from_json(e) for slot, e in m["current_evidence"].items()},
            context=m["context"],
            opted_out=m["opted_out"],
            seq=m["seq"],
            last_inbound_at=m["last_inbound_at"],
            lead=lead,
        )
        known = Known(m["id"], m["lead_id"], key.channel, m["version"],
                      dict(m["current_evidence"]), dict(lead), snapshot)  # fmt: skip
        known.lead.update(stage=m["lead_stage"], score=m["lead_score"])
        self._known_by_id[known.conversation_id] = known
        return snapshot

    def _create(self, key: ConversationKey, now: datetime) -> Known | None:
        """Insert lead and conversation; None when a concurrent unit won the race."""
        lead_id = self._conn.execute(
            INSERT_LEAD, {"score": 0, "created_at": now, "updated_at": now}
        ).scalar_one()
        values = {
            "channel": key.channel, "address": key.address, "lead_id": lead_id,
            "state": INITIAL_STATE, "owner": "bot", "score": 0, "opted_out": False,
            "context": {}, "current_evidence": {}, "seq": 0, "version": 0,
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        # ON CONFLICT, not SELECT-then-INSERT alone: two processes may both miss the SELECT. On
        # PostgreSQL the loser waits for the winner's commit, then inserts nothing.
        result = self._conn.execute(INSERT_CONVERSATION[self._dialect], values)
        conversation_id = result.scalar_one_or_none()
        if conversation_id is None:
            self._conn.execute(delete(LEADS).where(LEADS.c.id == lead_id))  # no orphan lead
            return None
        snapshot = Snapshot(
            conversation_id=conversation_id, key=key, state=INITIAL_STATE, owner="bot",
            stage=None, score=0, evidence={}, context={}, opted_out=False, seq=0,
        )  # fmt: skip
        known = Known(
            conversation_id, lead_id, key.channel, 0, {}, {"stage": None, "score": 0}, snapshot
        )
        self._known_by_id[conversation_id] = known
        return known

    def create_new(self, known: Known) -> None:
        """Create a first contact's lead and conversation; its Known takes their real ids.

        Raises ``StaleSnapshot`` when the conversation exists by now (another process or store
        created it since the read): the job's or unit's savepoint drops the lead inserted
        here, and the service redoes the turn on a fresh read that finds the winner's row.
        On PostgreSQL a first contact's turn usually creates them in its one statement
        (``storage.pg_unit``, ``storage.pg_turn``); this runs there only when the unit has
        opened a transaction.
        """
        assert known.snapshot is not None
        key, now = known.snapshot.key, self._clock()
        if isinstance(self._writes, SqliteWrites):
            created = sqlite_load.create(self._writes.db, key, now)
        else:
            created = self._create(key, now)
        if created is None:
            raise StaleSnapshot(f"{key} was created since it was read")
        provisional_id = known.conversation_id
        self._known_by_id.pop(provisional_id, None)
        self._real[provisional_id] = created.conversation_id
        known.conversation_id, known.lead_id = created.conversation_id, created.lead_id
        # Creation's own snapshot: until this runs a new Known's snapshot is ``provisional``'s,
        # which differs from it only by the id (tests/contract/test_svc_first_contact.py).
        # ``dataclasses.replace`` walked the fields on one message in five.
        known.snapshot = created.snapshot
        known.new = False
        self._known_by_id[known.conversation_id] = known

    def _id(self, conversation_id: int) -> int:
        """The real id of a conversation the caller may know by its provisional id."""
        return self._real.get(conversation_id, conversation_id)

    def _known(self, conversation_id: int) -> Known:
        """This unit's view of a conversation, read once if ``load`` was not called for it."""
        known = self._known_by_id.get(self._id(conversation_id))
        if known is not None and known.new:
            self.create_new(known)
        elif known is None:
            row = self._conn.execute(SELECT_FOR_COMMIT, {"cid": conversation_id}).first()
            if row is None:
                raise LookupError(f"no conversation with id {conversation_id}")
            m = row._mapping
            lead: dict[str, Any] = {k: m[k] for k in LEAD_FIELDS if m[k] is not None}
            lead.update(stage=m["stage"], score=m["score"])
            known = Known(conversation_id, m["lead_id"], m["channel"], m["version"],
                          dict(m["current_evidence"]), lead)  # fmt: skip
            self._known_by_id[conversation_id] = known
        return known

    def check(self) -> None:
        """Raise ``StaleSnapshot`` unless every known conversation is still at its version.

        A unit that loaded outside its transaction (from the cache, say) and then opens a
        transaction checks first, so its later statements cannot act on a stale read; on
        PostgreSQL the rows stay locked (FOR UPDATE) until the unit ends. A first contact the
        unit read but did not create is created here, so later statements see real ids.
        """
        for known in list(self._known_by_id.values()):
            if known.new:  # a first contact: created now, in this transaction
                self.create_new(known)
                continue
            version = self._conn.execute(
                SELECT_VERSION, {"cid": known.conversation_id}
            ).scalar_one_or_none()
            if version != known.version:
                raise StaleSnapshot(f"conversation {known.conversation_id} changed")

    def add_message(self, conversation_id: int, message: StoredMessage) -> bool:
        """Append to the transcript; False (and nothing written) for a known external id."""
        known = self._known(conversation_id)
        conversation_id = known.conversation_id
        # ON CONFLICT, not try/except IntegrityError: a failed INSERT aborts a PostgreSQL
        # transaction, and the unit must go on. A seq collision is a bug and raises.
        row = message_row(conversation_id, known.channel, message)
        stmt = INSERT_MESSAGE[self._dialect]
        inserted = self._conn.execute(stmt, row).scalar_one_or_none() is not None
        if inserted:
            # Deferred: commit_turn's UPDATE of the conversation carries it (one statement
            # fewer per message); flush() writes it when no commit_turn follows.
            previous = self._pending_seq.get(conversation_id, 0)
            self._pending_seq[conversation_id] = max(previous, message.seq)
        return inserted

    def commit_turn(self, turn: Turn) -> list[int] | None:
        """Write the inbound message (if any), then the turn; None for a re-delivery."""
        # A first contact is created by _known just now: ``known`` has its real ids, and the
        # writes take them from it (``turn`` keeps the provisional id: no copy of the Turn).
        known = self._known(turn.conversation_id)
        cid = known.conversation_id
        now = self._clock()
        writes = self._writes
        inbound = turn.inbound
        if inbound is not None and not writes.insert_inbound(
            cid, known.channel, inbound, known.version
        ):
            return None
        seqs = [m.seq for m in turn.messages]
        if turn.inbound is not None:
            seqs.append(turn.inbound.seq)
        if cid in self._pending_seq:
            seqs.append(self._pending_seq.pop(cid))
        seq = max(seqs, default=0)  # seq never goes below 0
        # Later evidence for a slot supersedes the current one. (On StaleSnapshot the unit
        # fails, and SqlUnit.forget drops what it knew: no need to undo this.)
        read = known.record(turn.evidence)
        context = dumps(dict(turn.context))
        if not writes.update_conversation(turn, known, context, seq, known.version, now):
            raise StaleSnapshot(f"conversation {cid} was written since it was loaded")
        known.version += 1
        payloads = turn.payloads or tuple(e.to_json() for e in turn.events)
        outbox_ids = writes.insert_rows(turn, known, payloads, now)
        card = lead_changes(turn.lead)
        changes = {**card, "stage": turn.stage, "score": turn.score}
        lead = known.lead
        for k, v in changes.items():  # a loop, not any() over a generator: no frame a turn
            if lead.get(k, _MISSING) != v:
                writes.update_lead(known.lead_id, changes, now)
                lead.update(changes)
                break
        if known.snapshot is not None:
            seq = max(known.snapshot.seq, seq)
            known.snapshot = after_turn(known.snapshot, turn, seq, context, read, card)
        return outbox_ids

    def claim(self, conversation_id: int, rep_id: int, now: datetime) -> bool:
        """The conditional UPDATE decides the race: only one claim finds the row still queued."""
        params = {"cid": self._id(conversation_id), "rep": rep_id, "now": now}
        return bool(self._conn.execute(CLAIM, params).rowcount)

    def end_handoff(
        self, conversation_id: int, status: HandoffStatus, outcome: Outcome | None, now: datetime
    ) -> None:
        """Close the conversation's open hand-off row (queued or claimed); the rep stays on it."""
        cid = self._id(conversation_id)
        params = {"cid": cid, "new_status": status, "new_outcome": outcome, "now": now}
        self._conn.execute(END_HANDOFF, params)

    @property
    def deferred(self) -> bool:
        """Whether ``flush`` has anything to write."""
        return bool(self._pending_seq)

    def flush(self) -> None:
        """Write seq bumps no commit_turn carried (a duplicate-free add_message on its own)."""
        for cid, seq in self._pending_seq.items():
            known = self._known_by_id[cid]
            params = {"cid": cid, "new_seq": seq, "expected": known.version}
            if self._conn.execute(UPDATE_CONVERSATION, params).rowcount != 1:
                raise StaleSnapshot(f"conversation {cid} was written since it was loaded")
            known.version += 1
            if known.snapshot is not None:
                known.snapshot = replace(known.snapshot, seq=max(known.snapshot.seq, seq))
        self._pending_seq.clear()
