"""The flow file's schema: what an operator may write, validated before the bot starts."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from flows.conditions import Condition as Condition  # re-exported: the scoring rules' type
from flows.conditions import Strict
from flows.routing_schema import RoutingSpec

ExtractorName = Literal[
    "budget", "timeline", "authority", "need", "email", "phone", "name", "company", "company_size",
    "country",
]
STAGE_NAMES = ("IQL", "MQL", "SAL", "SQL", "PQL", "CQL")


class SlotSpec(Strict):
    """A fact the bot collects, and the extractor that reads it from text."""

    extractor: ExtractorName
    label: str | None = None
    categories: dict[str, list[str]] = Field(default_factory=dict)
    min_confidence: float = Field(0.5, ge=0, le=1)


class QuickReplySpec(Strict):
    """A button; clicking it records ``means`` (the canonical value) as the answer.

    Without ``means`` the label is read by the slot's extractor when clicked, which suits values
    relative to the click's time ("Within 3 months").
    """

    label: str = Field(min_length=1, max_length=80)
    value: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    means: dict[str, Any] | None = None


class QuestionSpec(Strict):
    """One question of the flow, asked in file order when its slot is still empty."""

    slot: str
    ask: str = Field(min_length=1)
    rephrase: list[str] = Field(default_factory=list)
    attempts: int = Field(2, ge=1, le=10)
    quick_replies: list[QuickReplySpec] = Field(default_factory=list)
    acknowledge: str | None = None


class ScoringRule(Strict):
    """Points given while the condition holds (negative points allowed)."""

    name: str = Field(min_length=1)
    when: Condition
    points: int
    explain: str | None = None


class StageSpec(Strict):
    """A lifecycle stage: reached when the score and the required evidence are there."""

    name: Literal["IQL", "MQL", "SAL", "SQL", "PQL", "CQL"]
    meaning: str = ""
    min_score: int = 0
    requires: list[str] = Field(default_factory=list)
    requires_any: list[str] = Field(default_factory=list)
    requires_signals: list[str] = Field(default_factory=list)


class HandoffSpec(Strict):
    """When the bot stops and a human rep takes over."""

    at_stage: Literal["IQL", "MQL", "SAL", "SQL", "PQL", "CQL"] = "SQL"
    on_request: bool = True
    message: str
    waiting: str


class Resource(Strict):
    """A link offered to leads who do not qualify (yet)."""

    title: str
    url: str


class NurtureSpec(Strict):
    """What the bot does for leads that finish the questions without reaching hand-off."""

    message: str
    resources: list[Resource] = Field(default_factory=list)


class IdleSpec(Strict):
    """Silence timers: one nudge, then close."""

    nudge_after_minutes: float = Field(10, gt=0)
    close_after_minutes: float = Field(30, gt=0)


class IntentsSpec(Strict):
    """Regular expressions (case-insensitive) for things the prospect can say at any point."""

    human: list[str]
    opt_out: list[str]
    restart: list[str]
    help: list[str]
    refusal: list[str]
    correction: list[str]
    # Greetings and acknowledgements: never an answer, never a failed attempt.
    smalltalk: list[str] = Field(default_factory=lambda: [
        r"^\s*(hi|hello|hey|hiya|howdy|yo|good (morning|afternoon|evening)|greetings|thanks|"
        r"thank you|thx|ty|ok(ay)?|cool|great|nice|sure|hmm+|\?+)"
        r"( there| again| all| team| everyone| folks| bot)?[\s!.,?]*$"
    ])

    @field_validator("*")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return patterns


class SaySpec(Strict):
    """Everything the bot says that is not a question."""

    greeting: str
    help: str
    restart: str
    opted_out: str
    resumed: str
    refusal_ack: str
    unknown_ack: str
    correction_ack: str
    correction_invalid: str
    nudge: str
    closed: str
    welcome_back: str
    anything_else: str


class ProactiveSpec(Strict):
    """Open the widget by itself after some time on matching pages."""

    page: str
    after_seconds: int = Field(ge=0, le=3600)
    message: str


class WidgetSpec(Strict):
    """Web-widget behaviour the flow controls."""

    proactive: list[ProactiveSpec] = Field(default_factory=list)
    pages: dict[str, str] = Field(default_factory=dict)


class FlowSpec(Strict):
    """A whole flow file."""

    version: Literal[1]
    name: str
    description: str = ""
    slots: dict[str, SlotSpec]
    questions: list[QuestionSpec] = Field(min_length=1)
    scoring: list[ScoringRule] = Field(default_factory=list)
    stages: list[StageSpec] = Field(min_length=1)
    handoff: HandoffSpec
    nurture: NurtureSpec
    idle: IdleSpec = IdleSpec()
    intents: IntentsSpec
    say: SaySpec
    widget: WidgetSpec = WidgetSpec()
    routing: RoutingSpec = RoutingSpec()

    @model_validator(mode="after")
    def _references(self) -> FlowSpec:
        """Every slot, stage and quick reply a part names must exist (checked once, at load)."""
        problems: list[str] = []
        for i, question in enumerate(self.questions):
            if question.slot not in self.slots:
                problems.append(f"questions.{i}.slot: unknown slot {question.slot!r}")
        seen = [q.slot for q in self.questions]
        if len(set(seen)) != len(seen):
            problems.append("questions: a slot is asked twice")
        for i, rule in enumerate(self.scoring):
            if rule.when.slot is not None and rule.when.slot not in self.slots:
                problems.append(f"scoring.{i}.when.slot: unknown slot {rule.when.slot!r}")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            problems.append("stages: a stage is defined twice")
        for i, stage in enumerate(self.stages):
            for slot in [*stage.requires, *stage.requires_any]:
                if slot not in self.slots:
                    problems.append(f"stages.{i}: unknown slot {slot!r}")
        for i, route in enumerate(self.routing.rules):
            if route.when.slot is not None and route.when.slot not in self.slots:
                problems.append(f"routing.rules.{i}.when.slot: unknown slot {route.when.slot!r}")
        if self.handoff.at_stage not in names:
            problems.append(f"handoff.at_stage: stage {self.handoff.at_stage!r} is not defined")
        if problems:
            raise ValueError("; ".join(problems))
        return self
