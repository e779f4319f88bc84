"""One turn in the making (``TurnDraft``): the working copy a turn edits, then freezes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.decision import Decision, Line, lead_card
from bot.describe import describe
from bot.events import (
    ConversationClosed,
    Event,
    EvidenceRecorded,
    HandoffRequested,
    OptedOut,
    ScoreChanged,
    StageChanged,
)
from bot.flow import Flow
from bot.machine import HANDOFF, NURTURE, START, Position
from bot.messages import QuickReply
from bot.scoring import answered
from bot.state import Evidence, EvidenceStatus, HandoffRequest, Snapshot, StageChange
from bot.understand import Reading
from flows.schema import StageSpec

QUOTE_LIMIT = 500
# ``round(c, 3)`` of the confidences extractors give, which are floats of two places
# (``clamp01``): a lookup is a quarter of ``round``, which formats the float.
_ROUNDED = {k / 100: k / 100 for k in range(1, 101)}  # (not 0.0: -0.0 rounds to -0.0)
_NO_ATTEMPTS: dict[str, int] = {}  # a default that is only copied, never edited


class TurnDraft:
    """The working copy of a conversation during one turn; ``finish()`` freezes it."""

    __slots__ = (
        "_reached", "_scored", "context", "events", "evidence", "flow", "handoff",
        "last_inbound_at", "new_evidence", "now", "opted_out", "owner", "reasking", "replies",
        "snapshot", "stage", "state", "total",
    )  # fmt: skip

    def __init__(self, flow: Flow, snapshot: Snapshot, now: datetime) -> None:
        self.flow, self.snapshot, self.now = flow, snapshot, now
        self.owner, self.opted_out = snapshot.owner, snapshot.opted_out
        # A state the machine does not know (a new conversation, or a question removed from the
        # flow since) restarts the question loop rather than failing the turn.
        self.state = snapshot.state if snapshot.state in flow.table.states else START
        context: dict[str, Any] = dict(snapshot.context)
        context["attempts"] = dict(context.get("attempts", _NO_ATTEMPTS))  # (the draft's own)
        context["answered"] = list(context.get("answered", ()))
        self.context = context
        self.evidence: dict[str, Evidence] = dict(snapshot.evidence)
        self.new_evidence: list[Evidence] = []
        self.replies: list[Line] = []
        self.events: list[Event] = []
        self.handoff: HandoffRequest | None = None
        self.reasking = False
        self.last_inbound_at = snapshot.last_inbound_at
        # The stored score and stage are those of the snapshot's evidence: scoring runs again
        # only once this turn adds evidence (it was a quarter of decide() when run eagerly).
        self.total, self.stage = snapshot.score, snapshot.stage
        self._reached: tuple[StageSpec | None, int] | None = None  # the stage and its total
        self._scored = 0

    # -- evidence -------------------------------------------------------------------------

    def record(self, reading: Reading, message_id: str, text: str) -> None:
        """Append an answer; it supersedes the slot's earlier evidence (repeats are skipped)."""
        self.record_answer(
            reading.slot, reading.value, reading.confidence, reading.extractor, message_id, text
        )

    def record_answer(
        self, slot: str, value: Any, confidence: float, extractor: str, message_id: str, text: str
    ) -> None:
        """``record`` of a reading given by its fields (the engine reads into ``Answer`` tuples)."""
        current = self.evidence.get(slot)
        if current is not None and current.status == "answer" and current.value == value:
            return
        exact = _ROUNDED.get(confidence) if type(confidence) is float else None
        item = Evidence(
            slot,
            "answer",
            value,
            text[:QUOTE_LIMIT],
            extractor,
            round(confidence, 3) if exact is None else exact,
            message_id,
            self.now,
        )
        self.evidence[item.slot] = item  # ``_append(item)``, inlined
        self.new_evidence.append(item)
        self.context["attempts"].pop(item.slot, None)
        # The draft's own copy (made in ``__init__``, or new in ``retract_all``): edited in place.
        slots: list[str] = self.context["answered"]
        while slot in slots:
            slots.remove(slot)
        slots.append(slot)

    def record_status(self, slot: str, status: EvidenceStatus, message_id: str, text: str) -> None:
        """Record a refusal, a give-up (unknown) or a retraction for ``slot``."""
        self._append(
            Evidence(slot, status, None, text[:QUOTE_LIMIT], "engine", 1.0, message_id, self.now)
        )

    def record_signal(self, signal: str, message_id: str, raw: str) -> None:
        """Behaviour evidence (``page:pricing``, ``product:trial_started``), recorded once."""
        if signal not in self.evidence:
            self._append(Evidence(signal, "answer", True, raw, "signal", 1.0, message_id, self.now))

    def retract_all(self, message_id: str) -> None:
        """Start over: every answered slot counts as empty again; the log keeps the old rows."""
        for slot in [
            s for s, e in self.evidence.items() if ":" not in s and e.status != "retracted"
        ]:
            self.record_status(slot, "retracted", message_id, "restart")
        self.context.update(attempts={}, answered=[], told_waiting=False)

    def _append(self, item: Evidence) -> None:
        self.evidence[item.slot] = item
        self.new_evidence.append(item)
        self.context["attempts"].pop(item.slot, None)

    def is_answered(self, slot: str) -> bool:
        """Whether ``slot`` holds an answer now."""
        return answered(self.evidence, slot)

    def last_answered(self) -> str | None:
        """The slot answered most recently: the target of a correction that names none."""
        slots: list[str] = self.context["answered"]
        evidence = self.evidence
        for slot in reversed(slots):  # ``is_answered``, inlined
            item = evidence.get(slot)
            if item is not None and item.status == "answer":
                return slot
        return None

    def describe(self, slot: str) -> str:
        """The slot's current value in words."""
        item = self.evidence.get(slot)
        return describe(slot, item.value) if item else ""

    def attempts(self, slot: str) -> int:
        """Failed attempts at ``slot`` so far."""
        return int(self.context["attempts"].get(slot, 0))

    def count_attempt(self, slot: str) -> None:
        """One more answer the bot could not read."""
        self.context["attempts"][slot] = self.attempts(slot) + 1

    # -- saying and moving ----------------------------------------------------------------

    def say(self, text: str, quick_replies: tuple[QuickReply, ...] = ()) -> None:
        """Queue a reply."""
        self.replies.append(Line(text.strip(), quick_replies))

    def said(self, name: str) -> None:
        """Queue one of the flow's fixed lines (``Flow.said``): ``say`` of its text, built once."""
        self.replies.append(self.flow.said[name])

    def notice(self, text: str) -> None:
        """Queue a system notice ("Dana joined the conversation")."""
        self.replies.append(Line(text.strip(), (), "system"))

    def greet(self) -> None:
        """The flow's greeting, once per conversation."""
        self.context["greeted"] = True
        self.said("greeting")

    def fire(self, trigger: str) -> None:
        """Fire a trigger of the flow's machine on this conversation."""
        self.state = self.flow.table.fire(trigger, Position(self.state, self.evidence, False))

    def advance(self, handoff_allowed: bool = True, quiet: bool = False) -> None:
        """Move to the next open question, hand-off or nurture, and say what that state says."""
        if self._scored != len(self.new_evidence):  # ``_rescore``, inlined (once per turn)
            self._rescore()
        flow = self.flow
        reached = flow.scorer.ranks.get(self.stage, -1)  # ``Scorer.rank``
        # ``max(flow.handoff_rank, int(handed_back_at) + 1)``; without a hand-back, the rank
        # alone (it is -1 at least: ``rank``), without the two calls
        handed_back = self.context.get("handed_back_at")
        floor = flow.handoff_rank
        if handed_back is not None:
            floor = max(floor, int(handed_back) + 1)
        due = handoff_allowed and reached >= floor
        before = self.state
        table = flow.table
        self.state = state = table.fire_at("advance", before, self.evidence, due)
        slot = table.asked[state]
        if state == HANDOFF:
            self.request_handoff(f"reached {self.stage} ({self.stage_reason})")
        elif slot is not None and not (quiet and state == before):
            self._ask(slot, rephrase=False)
        elif state == NURTURE and before != NURTURE:
            self.said("nurture")  # its message and resources
        elif state == NURTURE and not quiet and not self.context.get("said_anything_else"):
            self.context["said_anything_else"] = True
            self.said("anything_else")

    def reask(self, rephrase: bool) -> None:
        """Ask the current question again (rephrased after a failed attempt)."""
        slot = self.flow.table.asked[self.state]
        if slot is None:
            self.advance()
            return
        self.reasking = True
        self._ask(slot, rephrase)

    def _ask(self, slot: str, rephrase: bool) -> None:
        question = self.flow.questions[slot]
        if rephrase and question.rephrase:
            # ``say(question.rephrase[i], offered)``, built once
            lines = self.flow.rephrased[slot]
            self.replies.append(lines[(self.attempts(slot) - 1) % len(lines)])
        else:
            self.replies.append(self.flow.asks[slot])  # ``say(question.ask, offered)``, built once

    def request_handoff(self, reason: str) -> None:
        """Stop the bot and queue the conversation for a human rep."""
        if self.owner != "bot":
            return
        if self.state != HANDOFF:
            self.fire("request_human")
        self.owner = "queued"
        self.context["told_waiting"] = False
        self.context.pop("handed_back_at", None)
        self.handoff = HandoffRequest(reason, self.stage or "", self.total, self.now)
        self.events.append(
            HandoffRequested(self.snapshot.key, self.now, reason, self.stage or "", self.total)
        )
        self.said("handoff")

    def opt_out_event(self) -> None:
        """Record that the prospect opted out."""
        self.events.append(OptedOut(self.snapshot.key, self.now))

    def closed(self, reason: str, outcome: str | None = None) -> None:
        """Record that the conversation was closed."""
        self.events.append(ConversationClosed(self.snapshot.key, self.now, reason, outcome))

    # -- timers and result ----------------------------------------------------------------

    def waiting_for_answer(self) -> bool:
        """Whether the bot asked something and is waiting (the idle timer runs only then)."""
        asked = self.flow.table.asked[self.state]
        return self.owner == "bot" and not self.opted_out and asked is not None

    def next_timer(self) -> datetime | None:
        """The conversation's next timer: the idle nudge/close, or the hand-off's SLA."""
        waiting = self.flow.table.asked[self.state] is not None  # ``waiting_for_answer``, inlined
        if waiting and self.owner == "bot" and not self.opted_out:
            return self.timer_due()
        sla = self.context.get("sla_due_at")
        if self.owner == "queued" and sla and not self.context.get("fallback_sent"):
            return datetime.fromisoformat(sla)
        return None

    def timer_due(self) -> datetime | None:
        """When the idle timer fires, from the last message and the nudge already sent."""
        context = self.context
        nudged = context.get("nudged_at") if context.get("nudged") else None
        if nudged:
            return datetime.fromisoformat(nudged) + self.flow.idle_after[1]
        last = self.last_inbound_at  # ``idle_due(self.flow, last, None)``, inlined
        return None if last is None else last + self.flow.idle_after[0]

    def _rescore(self) -> None:
        """Score and stage again if evidence was added since the last time."""
        if self._scored != len(self.new_evidence):
            self._scored = len(self.new_evidence)
            self._compute()

    def _compute(self) -> None:
        scorer = self.flow.scorer
        self.total = scorer.total(self.evidence)
        spec = scorer.reached(self.evidence, self.total)
        self.stage = spec.name if spec is not None else None
        self._reached = (spec, self.total)

    @property
    def stage_reason(self) -> str:
        """Why the lead is at its stage (which score and answers), computed when first asked."""
        if self._reached is None:
            self._compute()
        assert self._reached is not None
        return self.flow.scorer.reason(*self._reached)

    def finish(self, activity: bool = True) -> Decision:
        """Freeze the turn: events for what changed, the next timer, the lead card."""
        if self._scored != len(self.new_evidence):
            self._rescore()
        key, now, snap, context = self.snapshot.key, self.now, self.snapshot, self.context
        if activity:
            self.last_inbound_at = now
            context.pop("nudged", None)
            context.pop("nudged_at", None)
        events: list[Event] = []
        for e in self.new_evidence:  # (a loop: a comprehension is a call, most turns for none)
            events.append(EvidenceRecorded(key, now, e.slot, e.status, e.value))
        total, stage = self.total, self.stage
        if total != snap.score:
            events.append(ScoreChanged(key, now, total, snap.score))
        change = None
        if stage != snap.stage and stage is not None:
            why = self.stage_reason
            change = StageChange(snap.stage, stage, total, why, now)
            events.append(StageChanged(key, now, snap.stage, stage, total, why))
        events += self.events
        # Positional (in field order): keywords cost a third of building the decision.
        return Decision(
            self.state,
            self.owner,
            stage,
            total,
            context,
            self.opted_out,
            self.next_timer(),  # wake_at
            self.last_inbound_at,
            tuple(self.replies),
            tuple(self.new_evidence),  # evidence
            change,  # stage_change
            self.handoff,
            tuple(events),
            lead_card(self.evidence),  # lead
        )
