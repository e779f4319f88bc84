"""Reading a conversation that is not cached, and creating an empty one, as plain asyncpg.

Through SQLAlchemy Core, the read of an uncached conversation was a job of its own (BEGIN, the
SELECT, COMMIT, and on first contact two INSERTs) bridged by a greenlet: about 1 ms of CPU per
first contact. Here the read is one statement, committed on its own, that creates nothing: a
first contact is known as new (``snapshots.provisional``), and its turn's statement creates
lead and conversation with the turn's writes (``storage.pg_turn``), all or nothing.

The connection is the engine's own, so SQLAlchemy's JSON codecs decode JSONB with the
engine's deserializer: values come back as Core reads them (``SyncUnit.load``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from bot.messages import ConversationKey
from bot.state import Owner, Snapshot
from storage.codec import INITIAL_STATE, LEAD_FIELDS, evidence_from_json, utc
from storage.snapshots import Known

# FOR UPDATE, as Core's load: a turn in flight on the row is waited for, not read around (its
# commit would make this read stale at once). The lock ends with the statement.
_SELECT = (
    "SELECT c.id, c.lead_id, c.state, c.owner, c.stage, c.score, c.opted_out, c.context, "
    "c.current_evidence, c.seq, c.version, c.last_inbound_at, "
    f"{', '.join('l.' + name for name in LEAD_FIELDS)}, l.stage, l.score "
    "FROM conversations c JOIN leads l ON l.id = c.lead_id "
    "WHERE c.channel = $1 AND c.address = $2 FOR UPDATE OF c"
)
# Lead and conversation as Core's load creates them (SyncUnit._create). No ON CONFLICT: if the
# conversation exists by now, the unique key fails the statement and takes the lead with it.
_CREATE = (
    "WITH l AS (INSERT INTO leads (score, created_at, updated_at) VALUES (0, $4, $4) "
    "RETURNING id) "
    "INSERT INTO conversations (channel, address, lead_id, state, owner, stage, score, "
    "opted_out, context, current_evidence, seq, version, created_at, updated_at) "
    "VALUES ($1, $2, (SELECT id FROM l), $3, 'bot', NULL, 0, false, '{}', '{}', 0, 0, $4, $4) "
    "RETURNING id, lead_id"
)
UNIQUE_VIOLATION = "23505"
CONVERSATION_KEY = "uq_conversations_key"  # the unique (channel, address) constraint


def created_meanwhile(error: BaseException) -> bool:
    """Whether ``error`` is the conversation's unique key refusing a second conversation."""
    return (
        getattr(error, "sqlstate", None) == UNIQUE_VIOLATION
        and getattr(error, "constraint_name", None) == CONVERSATION_KEY
    )


async def read(db: Any, key: ConversationKey) -> Known | None:
    """The conversation as ``Known`` (with its snapshot), or None if there is none yet."""
    row = await db.fetchrow(_SELECT, key.channel, key.address)
    if row is None:
        return None
    cid, lead_id, state, owner, stage, score, opted_out, context, evidence, seq, version, \
        last_inbound_at, *card, lead_stage, lead_score = row  # fmt: skip
    lead = {k: v for k, v in zip(LEAD_FIELDS, card, strict=True) if v is not None}
    snapshot = Snapshot(
        conversation_id=cid,
        key=key,
        state=state,
        owner=cast(Owner, owner),
        stage=stage,
        score=score,
        evidence={slot: evidence_from_json(e) for slot, e in evidence.items()},
        context=context,
        opted_out=opted_out,
        seq=seq,
        last_inbound_at=None if last_inbound_at is None else utc(last_inbound_at),
        lead=lead,
    )
    known = Known(cid, lead_id, key.channel, version, dict(evidence), dict(lead), snapshot)
    known.lead.update(stage=lead_stage, score=lead_score)
    return known


async def create(db: Any, known: Known, now: datetime) -> bool:
    """Create a new ``known``'s empty lead and conversation; it takes their ids.

    For a first contact whose turn wrote nothing (its inbound message was a re-delivery): Core's
    load created the conversation before the turn, and so does this, after it. False, creating
    nothing, when the conversation exists by now.
    """
    assert known.snapshot is not None
    assert known.new
    key = known.snapshot.key
    try:
        row = await db.fetchrow(_CREATE, key.channel, key.address, INITIAL_STATE, now)
    except Exception as error:
        if created_meanwhile(error):
            return False
        raise
    adopt(known, row[0], row[1])
    return True


def adopt(known: Known, conversation_id: int, lead_id: int) -> None:
    """A new ``known`` takes the ids its creation gave: it is in the database from now on."""
    assert known.snapshot is not None
    known.conversation_id, known.lead_id, known.new = conversation_id, lead_id, False
    known.snapshot = replace(known.snapshot, conversation_id=conversation_id)
