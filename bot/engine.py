"""The conversation engine: ``Engine(flow).decide(snapshot, inbound, now)``; pure, no I/O.

The engine reads a message against the flow, records evidence, scores it, moves the flow's one
state machine, and says what to reply. The service persists the decision in one transaction.
"""

from __future__ import annotations

from datetime import datetime

from bot.decision import Decision
from bot.extract.folded import begin_message, end_message
from bot.flow import Flow
from bot.handoff import sla_expired
from bot.machine import CLOSED, OPTED_OUT, START
from bot.messages import Inbound
from bot.state import Snapshot
from bot.turn import TurnDraft
from bot.understand import (
    GLOBAL_INTENTS,
    Reading,
    clean,
    clean_pair,
    intent_of,
    read_click,
    read_prepared,
    read_text,
    signal_of_page,
)

_RESUME = ("start", "restart", "start again", "start over", "hi", "hello", "resume", "unstop")


class Engine:
    """Decides every turn of every conversation of one flow."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow

    def start(self, snapshot: Snapshot, now: datetime) -> Decision:
        """Open a conversation the bot starts (widget): greet and ask the first question."""
        draft = TurnDraft(self.flow, snapshot, now)
        if snapshot.seq == 0 and not draft.context.get("greeted"):
            draft.greet()
            draft.advance()
        return draft.finish()

    def decide(self, snapshot: Snapshot, inbound: Inbound, now: datetime) -> Decision:
        """One inbound message, click, page view or product event in; the bot's decision out."""
        draft = TurnDraft(self.flow, snapshot, now)
        if inbound.kind in ("page_view", "product_event"):
            self._signal(draft, inbound)
            return draft.finish(activity=False)
        if inbound.kind == "click":
            reading = read_click(self.flow, inbound.text, now)
            if reading is not None:
                self._answer_click(draft, reading, inbound.external_id)
                return draft.finish()
        text, cleaned = clean_pair(inbound.text)  # ``clean``, and as the extractors read it
        if draft.owner != "bot":
            self._while_with_humans(draft, text, inbound)
            return draft.finish()
        if draft.opted_out:
            if text.lower().strip(" .!") in _RESUME or intent_of(self.flow, text) == "restart":
                draft.opted_out = False
                draft.said("resumed")
                draft.fire("restart")
                draft.advance()
            return draft.finish()
        # The message prepared once (lowered, word heads) for the turn's cue tests and reads:
        # the cues then take their word gates, and read_text reuses it. Speed only: every test
        # checks the message is its very text, and gives the same answer with or without it.
        begin_message(cleaned)
        try:
            self._converse(draft, text, cleaned, inbound)
        finally:
            end_message()
        return draft.finish()

    def unchanged(self, snapshot: Snapshot, now: datetime) -> Decision:
        """A turn that changes nothing but what the service adds (a rep's message)."""
        return TurnDraft(self.flow, snapshot, now).finish(activity=False)

    def on_timer(self, snapshot: Snapshot, now: datetime) -> Decision:
        """The conversation's timer fired: nudge once after silence, then close."""
        draft = TurnDraft(self.flow, snapshot, now)
        if draft.owner == "queued":
            due = draft.next_timer()
            if due is not None and now >= due:
                sla_expired(draft)
            return draft.finish(activity=False)
        due = draft.timer_due()
        if due is None or now < due or not draft.waiting_for_answer():
            return draft.finish(activity=False)
        if draft.context.get("nudged"):
            draft.fire("close")
            draft.said("closed")
            draft.closed("idle")
        else:
            draft.context["nudged"] = True
            draft.context["nudged_at"] = now.isoformat()
            draft.said("nudge")
        return draft.finish(activity=False)

    # -- the parts of one turn ------------------------------------------------------------

    def _converse(self, draft: TurnDraft, text: str, cleaned: str, inbound: Inbound) -> None:
        # Every cue of the message at once (pure tests: which ones a turn needs is immaterial).
        cues = self.flow.cue_set.found(text)
        intent = None
        if cues:  # (most messages carry none)
            for name in GLOBAL_INTENTS:  # ``intent_of``: the first in order wins
                if name in cues:
                    intent = name
                    break
        if intent == "opt_out":
            draft.fire("opt_out")
            draft.opted_out = True
            draft.said("opted_out")
            draft.opt_out_event()
            return
        if not draft.context.get("greeted"):
            draft.greet()
        if intent == "restart":
            draft.retract_all(inbound.external_id)
            draft.said("restart")
            draft.fire("restart")
            draft.advance()
            return
        if draft.state == CLOSED:
            draft.said("welcome_back")
        if intent == "help":
            draft.said("help")
            draft.reask(rephrase=False)
            return
        if intent == "human" and self.flow.spec.handoff.on_request:
            # Facts in the same message still count; the open question is not asked again.
            for reading in read_text(self.flow, text, draft.now, None).values():
                draft.record(reading, inbound.external_id, text)
            draft.request_handoff("the prospect asked for a person")
            return
        self._understand(draft, text, cleaned, inbound, cues)
        if not draft.reasking:
            draft.advance()

    def _understand(
        self, draft: TurnDraft, text: str, cleaned: str, inbound: Inbound, cues: set[str]
    ) -> None:
        """Record what the message tells, handle corrections, refusals and non-answers.

        ``cues`` are the intents the message carries (``CueSet.found``).
        """
        # (``cleaned``: ``text`` as the extractors read it, prepared by ``decide``)
        current = self.flow.table.asked[draft.state]  # ``asked_slot``
        # The target of a correction that names none: read only for a correction.
        target = draft.last_answered() if "correction" in cues else None
        correcting = bool(target)
        refusing = current is not None and "refusal" in cues
        smalltalk = "smalltalk" in cues  # "hi there" is not a need
        # ``read_text``, without cleaning and preparing the message again
        asked = None if refusing or smalltalk else current
        found = read_prepared(self.flow, text, cleaned, draft.now, asked)
        corrected: list[str] = []
        evidence = draft.evidence
        for slot in found:  # (a loop: a comprehension is a call)
            if slot != current:
                item = evidence.get(slot)  # ``draft.is_answered(slot)``, inlined
                if item is not None and item.status == "answer":
                    corrected.append(slot)
        if correcting and not corrected and current not in found and self._rereadable(target):
            assert target is not None
            retry = read_text(self.flow, text, draft.now, None, loose=[target]).get(target)
            if retry is None:
                draft.say(
                    self.flow.spec.say.correction_invalid.format(value=draft.describe(target))
                )
                return
            found = {target: (target, retry.value, retry.confidence, retry.span, retry.extractor)}
            corrected = [target]
        message_id = inbound.external_id
        for slot, value, confidence, _, extractor in found.values():
            draft.record_answer(slot, value, confidence, extractor, message_id, text)
        for slot in corrected:
            draft.say(self.flow.spec.say.correction_ack.format(value=draft.describe(slot)))
        if current is None or current in found or corrected:
            return
        if refusing:
            draft.record_status(current, "refused", inbound.external_id, text)
            draft.said("refusal_ack")
        elif smalltalk:
            draft.reask(rephrase=False)
        elif draft.attempts(current) + 1 >= self.flow.questions[current].attempts:
            draft.record_status(current, "unknown", inbound.external_id, text)
            draft.said("unknown_ack")
        else:
            draft.count_attempt(current)
            draft.reask(rephrase=True)

    def _rereadable(self, slot: str | None) -> bool:
        """Whether a correction may re-read ``slot`` loosely: only structured slots.

        Read loosely, the free-text extractors (need, name, company) take any sentence.
        """
        if slot is None:
            return False
        return self.flow.spec.slots[slot].extractor not in ("need", "name", "company")

    def _answer_click(self, draft: TurnDraft, reading: Reading, message_id: str) -> None:
        if draft.owner != "bot" or draft.opted_out:
            return
        draft.record(reading, message_id, reading.span)
        draft.advance()

    def _while_with_humans(self, draft: TurnDraft, text: str, inbound: Inbound) -> None:
        """A rep owns or is about to own the conversation: record, and stay quiet.

        While queued the bot says the waiting line once, so the prospect knows they are heard.
        """
        had_email = draft.is_answered("email")
        for reading in read_text(self.flow, text, draft.now, None).values():
            draft.record(reading, inbound.external_id, text)
        fallback = draft.context.get("fallback_sent")
        if draft.owner == "queued" and fallback and not had_email and draft.is_answered("email"):
            follow_up = self.flow.spec.routing.say.follow_up
            draft.say(follow_up.format(email=draft.describe("email")))
        elif draft.owner == "queued" and not fallback and not draft.context.get("told_waiting"):
            draft.context["told_waiting"] = True
            draft.say(self.flow.spec.handoff.waiting)

    def _signal(self, draft: TurnDraft, inbound: Inbound) -> None:
        if inbound.kind == "page_view":
            signal = signal_of_page(self.flow, clean(inbound.text))
        else:
            signal = "product:" + clean(inbound.text).lower().replace(" ", "_")[:64]
        if signal is None:
            return
        draft.record_signal(signal, inbound.external_id, inbound.text[:500])
        if draft.owner == "bot" and not draft.opted_out and draft.state not in (START, OPTED_OUT):
            draft.advance(quiet=True)


__all__ = ["Decision", "Engine"]
