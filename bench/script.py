"""Scripted BANT conversations: the same visitor lines drive every part of the suite."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.messages import InboundKind

# A fixed reference time: relative timelines ("by end of Q1") read the same in every run.
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Line:
    """One visitor turn: typed text, or a quick-reply click by its value."""

    text: str
    kind: InboundKind = "text"


def _click(value: str) -> Line:
    return Line(value, "click")


# Full BANT conversations, each ending in a hand-off (SQL) or in nurture; they mix typed
# answers, clicks, a rephrase, a refusal and a correction, as real visitors do.
CONVERSATIONS: tuple[tuple[Line, ...], ...] = (
    (
        Line("hi there"),
        Line("Our SDRs spend half their day chasing leads that never buy"),
        Line("we'd like something live by end of Q1"),
        Line("roughly 60k a year"),
        Line("I'm the VP of Sales, I sign off on tools like this"),
    ),
    (
        Line("We need to qualify website leads automatically"),
        Line("I'm the COO, we have $75k and need it before March"),
    ),
    (
        Line("just browsing really"),
        _click("bud_none"),
        _click("auth_user"),
        _click("size_1_10"),
        Line("no thanks"),
        Line("no"),
    ),
    (
        Line("We need to qualify inbound leads faster"),
        Line("good question, let me think"),
        Line("within 3 months"),
        Line("about $40k a year"),
        Line("sorry, I meant 100k"),
        Line("I recommend tools to my boss, she decides"),
    ),
    (
        Line("hey"),
        Line("our reps are slow to follow up on inbound demo requests"),
        Line("next quarter"),
        Line("I'd rather not say"),
        _click("auth_dm"),
        _click("size_11_200"),
        Line("sam@example.com"),
    ),
    (
        Line("Hello! We want to integrate lead scoring with HubSpot"),
        _click("tl_3m"),
        _click("bud_10_50k"),
        Line("I'm the head of marketing and I make the call"),
    ),
)

MESSAGES_PER_ROUND = sum(len(c) for c in CONVERSATIONS)


def conversation(index: int) -> tuple[Line, ...]:
    """The ``index``-th conversation of an endless rotation through ``CONVERSATIONS``."""
    return CONVERSATIONS[index % len(CONVERSATIONS)]
