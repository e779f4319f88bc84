"""Conversions between bot values (Evidence, StoredMessage, ...) and rows or JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from bot.isotime import isoformat
from bot.jsontext import dumps
from bot.messages import QuickReply
from bot.state import Evidence, EvidenceStatus, StageChange, StoredMessage

# Lead-card fields a Turn may carry; anything else in ``Turn.lead`` is not a column and is
# ignored (the engine's free-form data belongs in ``context``).
LEAD_FIELDS = ("name", "email", "phone", "company", "company_size")
# The state of a conversation nobody has talked to yet: bot/machine.py's START, the machine's
# initial state (repeated, not imported: bot must not be needed to read the schema's default).
INITIAL_STATE = "start"


def utc(at: datetime) -> datetime:
    """``at`` in UTC, as every store returns it; naive datetimes are refused, not guessed at."""
    if at.tzinfo is UTC:  # the usual case (what astimezone would return: ``at`` itself)
        return at
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: pass a timezone-aware datetime")
    return at.astimezone(UTC)


def evidence_to_json(e: Evidence) -> dict[str, Any]:
    """The JSON form kept in ``conversations.current_evidence`` (one entry per slot)."""
    return {
        "slot": e.slot,
        "status": e.status,
        "value": e.value,
        "raw_text": e.raw_text,
        "extractor": e.extractor,
        "confidence": e.confidence,
        "message_id": e.message_id,
        "at": utc_isoformat(e.at),
    }


def utc_isoformat(at: datetime) -> str:
    """``utc(at).isoformat()``, once per evidence of every turn (on the SQLite thread).

    The evidence of one turn share their time: the last one is kept.
    """
    global _last_iso
    last = _last_iso
    if at is last[0]:
        return last[1]
    text = isoformat(utc(at))
    _last_iso = (at, text)  # one tuple, swapped whole: threads see a consistent pair
    return text


_last_iso: tuple[datetime | None, str] = (None, "")


def evidence_from_json(data: Mapping[str, Any]) -> Evidence:
    """Inverse of ``evidence_to_json``."""
    return Evidence(
        slot=data["slot"],
        status=cast(EvidenceStatus, data["status"]),
        value=data["value"],
        raw_text=data["raw_text"],
        extractor=data["extractor"],
        confidence=data["confidence"],
        message_id=data["message_id"],
        at=datetime.fromisoformat(data["at"]),
    )


def evidence_row(conversation_id: int, e: Evidence) -> dict[str, Any]:
    """Parameters for one ``evidence`` insert."""
    row = evidence_to_json(e)
    row["at"] = e.at
    row["conversation_id"] = conversation_id
    return row


def evidence_from_row(row: Any) -> Evidence:
    """An ``evidence`` row back to the value type."""
    return Evidence(
        slot=row.slot,
        status=row.status,
        value=row.value,
        raw_text=row.raw_text,
        extractor=row.extractor,
        confidence=row.confidence,
        message_id=row.message_id,
        at=row.at,
    )


def quick_replies_to_json(replies: Iterable[QuickReply]) -> list[dict[str, str]] | None:
    """Buttons as JSON, or None when there are none (most lines)."""
    data = [{"label": r.label, "value": r.value} for r in replies]
    return data or None


def quick_replies_text(replies: tuple[QuickReply, ...]) -> str:
    """``dumps(quick_replies_to_json(replies))`` for a line with buttons, kept per tuple.

    The flow builds each question's line, buttons and all, once (``bot.flow``), so the very
    same tuple comes back turn after turn: its text is kept, keyed by identity and holding the
    tuple (so its id cannot be reused while kept). Some 0.7 lines a message have buttons, and
    building their dicts and encoding them was about 8k instructions each on the SQLite thread.
    """
    kept = _REPLIES_TEXT.get(id(replies))
    if kept is not None and kept[0] is replies:
        return kept[1]
    text = dumps(quick_replies_to_json(replies))
    if len(_REPLIES_TEXT) >= _REPLIES_KEPT:  # lines built per turn would only churn it
        _REPLIES_TEXT.clear()
    _REPLIES_TEXT[id(replies)] = (replies, text)
    return text


_REPLIES_KEPT = 1024
_REPLIES_TEXT: dict[int, tuple[tuple[QuickReply, ...], str]] = {}


def message_row(conversation_id: int, channel: str, m: StoredMessage) -> dict[str, Any]:
    """Parameters for one ``messages`` insert."""
    return {
        "conversation_id": conversation_id,
        "seq": m.seq,
        "channel": channel,
        "external_id": m.external_id,
        "author": m.author,
        "author_name": m.author_name,
        "kind": m.kind,
        "text": m.text,
        "quick_replies": quick_replies_to_json(m.quick_replies),
        "at": m.at,
    }


def message_from_row(row: Any) -> StoredMessage:
    """A ``messages`` row back to the value type."""
    return StoredMessage(
        seq=row.seq,
        author=row.author,
        text=row.text,
        at=row.at,
        external_id=row.external_id,
        kind=row.kind,
        author_name=row.author_name,
        quick_replies=tuple(QuickReply(q["label"], q["value"]) for q in row.quick_replies or ()),
    )


def stage_change_from_row(row: Any) -> StageChange:
    """A ``stage_changes`` row back to the value type."""
    return StageChange(
        previous=row.previous, stage=row.stage, score=row.score, reason=row.reason, at=row.at
    )


def lead_changes(lead: Mapping[str, Any]) -> dict[str, Any]:
    """The known (non-None) lead-card fields of ``Turn.lead``: None is "unknown", not "erase"."""
    return {k: lead[k] for k in LEAD_FIELDS if lead.get(k) is not None}
