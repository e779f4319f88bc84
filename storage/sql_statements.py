"""The Core statements of SqlUnit, built once at import so SQLAlchemy's compiled cache hits.

Built per call, a statement pays for its cache key every time (a third of commit_turn's cost
when measured). The hot path on SQLite skips Core altogether (``storage.sqlite_turn``).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Insert, bindparam, case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.codec import LEAD_FIELDS
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

_C, _L, _H = CONVERSATIONS.c, LEADS.c, HANDOFFS.c
LEAD_COLUMNS = [LEADS.c[name] for name in LEAD_FIELDS]
# One query loads everything Engine.decide needs. FOR UPDATE (PostgreSQL; SQLite's compiler
# omits it) backs up the Locks port: if a lock's TTL ever lapses mid-turn, the row lock still
# serializes the two turns ("load after lock", aiogram #1317).
SELECT_SNAPSHOT = (
    select(
        CONVERSATIONS, *LEAD_COLUMNS, _L.stage.label("lead_stage"), _L.score.label("lead_score")
    )
    .join(LEADS, LEADS.c.id == _C.lead_id)
    .where(_C.channel == bindparam("channel"), _C.address == bindparam("address"))
    .with_for_update(of=CONVERSATIONS)
)
SELECT_FOR_COMMIT = (
    select(
        _C.lead_id, _C.channel, _C.current_evidence, _C.version, *LEAD_COLUMNS, _L.stage, _L.score
    )
    .join(LEADS, LEADS.c.id == _C.lead_id)
    .where(_C.id == bindparam("cid"))
    .with_for_update(of=CONVERSATIONS)
)
SELECT_VERSION = (
    select(_C.version).where(_C.id == bindparam("cid")).with_for_update(of=CONVERSATIONS)
)
# seq only moves forward, whatever order messages are written in (GREATEST is not portable).
SEQ = case((_C.seq < bindparam("new_seq"), bindparam("new_seq")), else_=_C.seq)
# The other SET columns come from the execute-time parameters. Conditional on the version the
# unit read (or its cached snapshot holds), and bumping it: no row matched means someone else
# wrote the conversation meanwhile (storage.snapshots).
UPDATE_CONVERSATION = (
    update(CONVERSATIONS)
    .where(_C.id == bindparam("cid"), _C.version == bindparam("expected"))
    .values(seq=SEQ, version=_C.version + 1)
)
# The lead UPDATE too: built per call, it cost a cache key each time (docs/benchmarks.md). Its
# SET columns come from the execute-time parameters (stage, score and the known card fields),
# a few shapes, each compiled once and then found in SQLAlchemy's cache.
UPDATE_LEAD = update(LEADS).where(_L.id == bindparam("lid"))
INSERT = {t.name: insert(t) for t in (MESSAGES, EVIDENCE, STAGE_CHANGES, HANDOFFS, OUTBOX)}
# One multi-row INSERT .. RETURNING (SQLite 3.35+, PostgreSQL). The ids are used as a set (a
# turn's events are marked published together), so their order is not asked for: asking
# makes SQLAlchemy split the insert into one statement per row on SQLite.
INSERT_OUTBOX = insert(OUTBOX).returning(OUTBOX.c.id)
INSERT_LEAD = insert(LEADS).returning(_L.id)
# The claim race is decided here and nowhere else: under PostgreSQL's READ COMMITTED a second
# UPDATE waits on the winner's row lock, then re-checks ``status = 'queued'`` against the
# committed row and matches nothing; SQLite has one writer. No SELECT, no other lock.
CLAIM = (
    update(HANDOFFS)
    .where(_H.conversation_id == bindparam("cid"), _H.status == "queued")
    .values(status="claimed", rep_id=bindparam("rep"), claimed_at=bindparam("now"))
)
END_HANDOFF = (
    update(HANDOFFS)
    .where(_H.conversation_id == bindparam("cid"), _H.status.in_(("queued", "claimed")))
    .values(
        status=bindparam("new_status"), outcome=bindparam("new_outcome"), closed_at=bindparam("now")
    )
)
# Round robin offers the next lead to whoever waited longest (bot/routing.py): hand-off turns
# stamp the offered rep. Only those turns run it, so the hot path keeps its statement count.
STAMP_REP = (
    update(REPS).where(REPS.c.id == bindparam("rep")).values(last_assigned_at=bindparam("at_"))
)


def _upsert(dialect: str, table: Any, *conflict: str) -> Insert:
    """INSERT .. ON CONFLICT (conflict) DO NOTHING RETURNING id, in the dialect's own syntax."""
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).on_conflict_do_nothing(index_elements=list(conflict))
    return cast(Insert, stmt.returning(table.c.id))


INSERT_CONVERSATION = {
    d: _upsert(d, CONVERSATIONS, "channel", "address") for d in ("postgresql", "sqlite")
}
INSERT_MESSAGE = {
    d: _upsert(d, MESSAGES, "channel", "external_id") for d in ("postgresql", "sqlite")
}


