"""What the console shows, as plain JSON: queue items and one conversation with its evidence."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, get_args

from bot.describe import describe
from bot.flow import Flow
from bot.messages import ChannelName, ConversationKey
from bot.scoring import score
from bot.state import HandoffView, Note, Snapshot, StageChange, StoredMessage

CHANNELS = frozenset(get_args(ChannelName))
LEAD_FIELDS = ("name", "company", "email", "phone", "company_size")
_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def dumps(data: Any) -> str:
    """JSON with ``<``, ``>`` and ``&`` escaped.

    A hostile lead name then stays inert even if a response is ever sniffed or embedded as HTML.
    """
    return json.dumps(data, ensure_ascii=False, default=str).translate(_ESCAPES)


def parse_key(text: str) -> ConversationKey | None:
    """A ``channel:address`` from a URL, or None when it cannot be a conversation of ours."""
    key = ConversationKey.parse(text)
    if key.channel not in CHANNELS or not key.address or len(text) > 300:
        return None
    return key


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def lead_card(key: ConversationKey, lead: Mapping[str, Any]) -> dict[str, Any]:
    """The lead card: who they are as far as we know, and where they are talking to us."""
    card: dict[str, Any] = {name: lead.get(name) for name in LEAD_FIELDS}
    size = card.get("company_size")
    if isinstance(size, Mapping):
        card["company_size"] = describe("company_size", size)
    card["channel"] = key.channel
    return card


def queue_item(view: HandoffView) -> dict[str, Any]:
    """One row of the queue (waiting) or of the live list (claimed)."""
    return {
        "key": str(view.key),
        "channel": view.key.channel,
        "status": view.status,
        "reason": view.reason,
        "stage": view.stage,
        "score": view.score,
        "team": view.team,
        "requested_at": _iso(view.requested_at),
        "sla_due_at": _iso(view.sla_due_at),
        "rep_id": view.rep_id,
        "rep_name": view.rep_name,
        "offered_rep_id": view.offered_rep_id,
        "lead": lead_card(view.key, view.lead),
    }


def queue(
    views: Sequence[HandoffView], stage: str | None = None, channel: str | None = None
) -> list[dict[str, Any]]:
    """Queue rows, oldest request first, optionally only one stage or one channel."""
    return [
        queue_item(v)
        for v in views
        if (not stage or v.stage == stage) and (not channel or v.key.channel == channel)
    ]


def message(m: StoredMessage) -> dict[str, Any]:
    """A transcript line for the console (page views included: they tell the rep a story)."""
    return {
        "seq": m.seq,
        "author": m.author,
        "author_name": m.author_name,
        "kind": m.kind,
        "text": m.text,
        "at": _iso(m.at),
    }


def note(n: Note) -> dict[str, Any]:
    """An internal note: for reps only."""
    return {"rep_id": n.rep_id, "rep_name": n.rep_name, "text": n.text, "at": _iso(n.at)}


def evidence(flow: Flow, snapshot: Snapshot) -> dict[str, Any]:
    """The current evidence per slot and the score explanation (rule → points → own words)."""
    slots = []
    for slot, spec in flow.spec.slots.items():
        item = snapshot.evidence.get(slot)
        if item is None or item.status == "retracted":
            continue
        slots.append({
            "slot": slot,
            "label": spec.label or slot.replace("_", " ").capitalize(),
            "status": item.status,
            "value": describe(slot, item.value) if item.status == "answer" else item.status,
            "quote": item.raw_text,
            "confidence": round(item.confidence, 2),
            "at": _iso(item.at),
        })
    explained = score(flow.spec.scoring, snapshot.evidence)
    return {
        "slots": slots,
        "score": explained.total,
        "lines": [
            {"rule": line.rule, "points": line.points, "subject": line.subject,
             "quote": line.quote, "explain": line.explain}
            for line in explained.lines
        ],
    }


def stage_change(change: StageChange) -> dict[str, Any]:
    """One move in the lead's lifecycle and the flow rule that made it."""
    return {
        "previous": change.previous,
        "stage": change.stage,
        "score": change.score,
        "reason": change.reason,
        "at": _iso(change.at),
    }


def conversation(
    flow: Flow,
    snapshot: Snapshot,
    handoff: HandoffView | None,
    transcript: Sequence[StoredMessage],
    history: Sequence[StageChange],
    notes: Sequence[Note],
) -> dict[str, Any]:
    """Everything the middle and right columns show for one conversation."""
    context = snapshot.context
    return {
        "key": str(snapshot.key),
        "channel": snapshot.key.channel,
        "owner": snapshot.owner,
        "owner_rep_id": context.get("rep_id") if snapshot.owner == "rep" else None,
        "owner_rep_name": context.get("rep_name") if snapshot.owner == "rep" else None,
        "stage": snapshot.stage,
        "score": snapshot.score,
        "opted_out": snapshot.opted_out,
        "lead": lead_card(snapshot.key, snapshot.lead),
        "evidence": evidence(flow, snapshot),
        "stages": [stage_change(c) for c in history],
        "handoff": None if handoff is None else {
            **queue_item(handoff),
            "route_reason": handoff.route_reason,
            "claimed_at": _iso(handoff.claimed_at),
            "closed_at": _iso(handoff.closed_at),
            "outcome": handoff.outcome,
        },
        "messages": [message(m) for m in transcript],
        "notes": [note(n) for n in notes],
    }
