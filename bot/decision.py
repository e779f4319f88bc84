"""What one turn decides (``Decision``) and the lines it says; the result of ``TurnDraft``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from bot.events import Event
from bot.frozen import fast_init
from bot.messages import QuickReply
from bot.state import Evidence, HandoffRequest, Owner, StageChange

if TYPE_CHECKING:  # bot.flow builds each question's ``Line`` once, so it imports this module
    from bot.flow import Flow

LEAD_FIELDS = ("name", "email", "phone", "company", "company_size")


@fast_init
@dataclass(frozen=True, slots=True)
class Line:
    """A line the bot says, with the buttons offered under it."""

    text: str
    quick_replies: tuple[QuickReply, ...] = ()
    author: Literal["bot", "system"] = "bot"


@fast_init
@dataclass(frozen=True, slots=True)
class Decision:
    """What one turn changes; the service turns it into a ``Turn`` and commits it."""

    state: str
    owner: Owner
    stage: str | None
    score: int
    context: dict[str, Any]
    opted_out: bool
    wake_at: datetime | None
    last_inbound_at: datetime | None
    replies: tuple[Line, ...]
    evidence: tuple[Evidence, ...]
    stage_change: StageChange | None
    handoff: HandoffRequest | None
    events: tuple[Event, ...]
    lead: dict[str, Any]


def idle_due(
    flow: Flow, last_inbound_at: datetime | None, nudged_at: datetime | None
) -> datetime | None:
    """When the idle timer fires next: the nudge after silence, then the close after the nudge.

    The delays are ``timedelta(minutes=...)`` of the flow's ``idle`` spec, built once per flow.
    """
    nudge_after, close_after = flow.idle_after
    if nudged_at is not None:
        return nudged_at + close_after
    if last_inbound_at is None:
        return None
    return last_inbound_at + nudge_after


def lead_card(evidence: Mapping[str, Evidence]) -> dict[str, Any]:
    """The lead-card fields (``LEAD_FIELDS``) the evidence holds an answer for."""
    lead: dict[str, Any] = {}
    for field in LEAD_FIELDS:
        item = evidence.get(field)
        if item is not None and item.status == "answer":
            lead[field] = item.value
    return lead
