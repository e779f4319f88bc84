"""A validated flow compiled once at start-up: extractors, patterns, lookups and the machine.

Everything the engine would otherwise redo per message (regex compilation, quick-reply
lookup, the state machine) is done here, once per flow.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from transitions import Machine

from bot.clicks import LabelReadings
from bot.cues import CueSet
from bot.decision import Line
from bot.extract import EXTRACTORS, NeedExtractor
from bot.extract.folded import Folded, foldable
from bot.extract.types import Extractor
from bot.machine import Table, build_machine
from bot.messages import QuickReply
from bot.readers import SlotReader, build_readers
from bot.scorer import Scorer
from bot.scoring import rank
from flows.schema import FlowSpec, QuestionSpec, QuickReplySpec

INTENTS = ("opt_out", "human", "restart", "help", "refusal", "correction", "smalltalk")


class FlowCompileError(ValueError):
    """The flow validated but cannot run (a quick-reply label its extractor cannot read)."""


@dataclass(frozen=True, slots=True)
class Flow:
    """A flow ready to drive conversations; immutable and shared by all of them."""

    spec: FlowSpec
    machine: Machine
    order: tuple[str, ...]
    questions: Mapping[str, QuestionSpec]
    extractors: Mapping[str, Extractor]
    intents: Mapping[str, re.Pattern[str]]
    buttons: Mapping[str, tuple[str, QuickReplySpec]]
    labels: LabelReadings  # the readings of ``buttons`` without ``means``, kept per day
    pages: tuple[tuple[str, re.Pattern[str]], ...]
    handoff_rank: int
    # Per-flow tables so a turn does lookups instead of work (see each type for what it saves).
    table: Table
    scorer: Scorer
    cues: Mapping[str, Callable[[str], bool]]  # ``intents`` as yes/no tests, fast on ASCII
    cue_set: CueSet  # ``cues`` all tested at once, pattern by pattern (the engine's turns)
    readers: tuple[SlotReader, ...]  # ``extractors`` as ``read_text`` runs them
    offered: Mapping[str, tuple[QuickReply, ...]]  # each question's buttons, built once
    idle_after: tuple[timedelta, timedelta]  # the idle nudge's and close's delays (``idle_due``)
    asks: Mapping[str, Line]  # each question as ``TurnDraft.say`` says it (immutable: shared)
    rephrased: Mapping[str, tuple[Line, ...]]  # each question's rephrasings, the same way
    # The fixed lines the same way, by name: every line of ``spec.say``, "handoff" (the
    # hand-off message) and "nurture" (its message and resources).
    said: Mapping[str, Line]


def compile_flow(spec: FlowSpec) -> Flow:
    """Build the runnable flow from a validated spec."""
    extractors: dict[str, Extractor] = {}
    for slot, slot_spec in spec.slots.items():
        if slot_spec.extractor == "need" and slot_spec.categories:
            extractors[slot] = NeedExtractor(slot_spec.categories)
        else:
            extractors[slot] = EXTRACTORS[slot_spec.extractor]
    intents = {
        name: re.compile(
            "|".join(f"(?:{p})" for p in getattr(spec.intents, name)) or r"(?!)", re.IGNORECASE
        )
        for name in INTENTS
    }
    buttons: dict[str, tuple[str, QuickReplySpec]] = {}
    for question in spec.questions:
        for button in question.quick_replies:
            if button.value in buttons:
                raise FlowCompileError(f"quick reply value {button.value!r} is used twice")
            if button.means is None:
                _check_label(extractors[question.slot], question.slot, button)
            buttons[button.value] = (question.slot, button)
    order = tuple(q.slot for q in spec.questions)
    machine = build_machine(list(order))
    cues = {name: _cue(pattern) for name, pattern in intents.items()}
    offered = {
        q.slot: tuple(QuickReply(b.label, b.value) for b in q.quick_replies) for q in spec.questions
    }
    return Flow(
        spec=spec,
        machine=machine,
        order=order,
        questions={q.slot: q for q in spec.questions},
        extractors=extractors,
        intents=intents,
        buttons=buttons,
        labels=LabelReadings(extractors, buttons),
        pages=tuple(
            (name, re.compile(fnmatch.translate(glob))) for name, glob in spec.widget.pages.items()
        ),
        handoff_rank=rank(spec.stages, spec.handoff.at_stage),
        table=Table(machine),
        scorer=Scorer(spec.scoring, spec.stages),
        cues=cues,
        cue_set=CueSet({name: getattr(spec.intents, name) for name in INTENTS}, cues),
        readers=build_readers(extractors, spec.slots),
        idle_after=(
            timedelta(minutes=spec.idle.nudge_after_minutes),
            timedelta(minutes=spec.idle.close_after_minutes),
        ),
        offered=offered,
        asks={q.slot: Line(q.ask.strip(), offered[q.slot]) for q in spec.questions},
        rephrased={
            q.slot: tuple(Line(text.strip(), offered[q.slot]) for text in q.rephrase)
            for q in spec.questions
        },
        said=_said(spec),
    )


def _said(spec: FlowSpec) -> dict[str, Line]:
    """The flow's fixed lines as ``TurnDraft.say`` says them (see ``Flow.said``)."""
    texts: dict[str, str] = spec.say.model_dump()
    texts["handoff"] = spec.handoff.message
    nurture = spec.nurture
    texts["nurture"] = "\n".join(
        [nurture.message.strip(), *(f"• {r.title}: {r.url}" for r in nurture.resources)]
    )
    return {name: Line(text.strip()) for name, text in texts.items()}


def _cue(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """A yes/no test for an intent pattern: ``Folded`` when its literals are all lowercase.

    Seven intent patterns are tried on every message; case-insensitive matching is several
    times slower than exact matching of the lowered text.
    """
    if foldable(pattern):
        return Folded(pattern).found
    return lambda text: pattern.search(text) is not None


def _check_label(extractor: Extractor, slot: str, button: QuickReplySpec) -> None:
    """A button without ``means`` must be readable by its slot's extractor, or clicks do nothing."""
    if extractor(button.label, datetime(2026, 1, 15, tzinfo=UTC), True) is None:
        raise FlowCompileError(
            f"quick reply {button.value!r} of slot {slot!r}: the {slot} extractor cannot read "
            f"its label {button.label!r}; give it a `means:` value"
        )
