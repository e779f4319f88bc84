"""Writing a decided turn: its reply lines and events, handed to the store in one call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.decision import Decision
from bot.events import Event, MessageAdded
from bot.frozen import fast_init
from bot.messages import ConversationKey
from bot.ports import Unit
from bot.state import Snapshot, StoredMessage, Turn


@fast_init
@dataclass(frozen=True, slots=True)
class Committed:
    """What a turn wrote: the replies, and its events with their outbox ids, to publish.

    ``outbox_ids`` pairs each event with the id of the outbox row holding it: the turn writes
    one row for all its events, so the id repeats (the publisher marks each row once).
    """

    replies: tuple[StoredMessage, ...]
    events: tuple[Mapping[str, Any], ...]
    outbox_ids: tuple[int, ...]


async def commit(
    unit: Unit,
    snapshot: Snapshot,
    decision: Decision,
    now: datetime,
    inbound: StoredMessage | None = None,
) -> Committed | None:
    """Write the decision (and ``inbound``, first) as the unit's last call.

    None if ``inbound`` is a re-delivery: then nothing was written. The events are serialized
    once, here, for both the outbox and the bus.
    """
    # List comprehensions, not generators, inside tuple(): no generator frame per turn.
    seq, key = snapshot.seq, snapshot.key
    replies = tuple([
        StoredMessage(seq + i, line.author, line.text, now, quick_replies=line.quick_replies)
        for i, line in enumerate(decision.replies, start=1)
    ])  # fmt: skip
    said = (inbound, *replies) if inbound is not None else replies
    events = (*[_added(key, m) for m in said], *decision.events)
    payloads = tuple([e.to_json() for e in events])
    rows = await unit.finish(
        Turn(
            conversation_id=snapshot.conversation_id,
            state=decision.state,
            owner=decision.owner,
            stage=decision.stage,
            score=decision.score,
            context=decision.context,
            opted_out=decision.opted_out,
            wake_at=decision.wake_at,
            last_inbound_at=decision.last_inbound_at,
            messages=replies,
            evidence=decision.evidence,
            stage_change=decision.stage_change,
            handoff=decision.handoff,
            lead=decision.lead,
            events=events,
            inbound=inbound,
            payloads=payloads,
        )
    )
    if rows is None:
        return None
    return Committed(replies, payloads, (rows[0],) * len(payloads) if rows else ())


def _added(key: ConversationKey, message: StoredMessage) -> Event:
    return MessageAdded(
        key,
        message.at,
        message.seq,
        message.author,
        message.text,
        message.author_name,
        # (no generator when there are no buttons: an inbound message never has any)
        tuple([(q.label, q.value) for q in message.quick_replies]) if message.quick_replies else (),
        message.kind,
    )


def storable(text: str) -> str:
    """The text as the prospect wrote it, but for NUL, which PostgreSQL text cannot hold."""
    return text.replace("\x00", "\ufffd")
