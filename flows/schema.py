"""The flow file's schema: what an operator may write, validated before the bot starts."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ExtractorName = Literal[
    "budget", "timeline", "authority", "need", "email", "phone", "name", "company", "company_size",
    "country",
]
STAGE_NAMES = ("IQL", "MQL", "SAL", "SQL", "PQL", "CQL")


class Strict(BaseModel):
    """Unknown keys are errors: a typo in the SLA document must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Condition(Strict):
    """A test on the current evidence; every given key must hold.

    ``slot`` tests a slot's evidence (``status`` answer by default); ``signal`` tests behaviour
    evidence such as ``page:pricing`` or ``product:trial_started``.
    """

    slot: str | None = None
    signal: str | None = None
    status: Literal["answer", "refused", "unknown"] = "answer"
    at_least: float | None = None
    below: float | None = None
    level_in: list[Literal["decision_maker", "influencer", "end_user"]] | None = None
    urgency_in: list[Literal["immediate", "soon", "later", "none"]] | None = None
    category_in: list[str] | None = None
    country_in: list[str] | None = None
    no_need: bool | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Condition:
        if (self.slot is None) == (self.signal is None):
            raise ValueError("give exactly one of 'slot' or 'signal'")
        return self


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


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


class OfficeHours(Strict):
    """When a team answers, in its own time zone (IANA name, e.g. Europe/London)."""

    timezone: str
    days: list[Weekday] = Field(default_factory=lambda: list(WORKDAYS))
    start: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field("17:00", pattern=r"^([01]\d|2[0-4]):[0-5]\d$")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}") from None
        return name


class TeamSpec(Strict):
    """A group of reps that leads can be routed to."""

    office_hours: OfficeHours | None = None


class RouteRule(Strict):
    """Send leads matching ``when`` to ``team``; the first matching rule wins."""

    name: str
    when: Condition
    team: str


class RoutingSay(Strict):
    """What the prospect hears while a rep is found."""

    joined: str = "{name} joined the conversation."
    left: str = "{name} left the conversation."
    no_answer: str = (
        "Sorry for the wait, everyone on the team is busy right now. What's the best email for "
        "us to follow up on?"
    )
    after_hours: str = (
        "Our team is offline right now and back {back}. What's the best email for us to follow "
        "up on?"
    )
    meeting: str = "Or pick a time that suits you: {link}"
    follow_up: str = "Thanks! Someone from the team will follow up at {email}."
    closed: str = "Thanks for chatting with us! This conversation is now closed."


class RoutingSpec(Strict):
    """Who gets a hand-off, and how long the prospect may wait before the fallback."""

    sla_seconds: int = Field(120, ge=5, le=86_400)
    meeting_link: str | None = None
    default_team: str = "sales"
    teams: dict[str, TeamSpec] = Field(default_factory=lambda: {"sales": TeamSpec()})
    rules: list[RouteRule] = Field(default_factory=list)
    say: RoutingSay = RoutingSay()

    @model_validator(mode="after")
    def _teams_exist(self) -> RoutingSpec:
        named = [self.default_team, *(rule.team for rule in self.rules)]
        missing = sorted({team for team in named if team not in self.teams})
        if missing:
            raise ValueError(f"unknown team(s): {', '.join(missing)}; declare them under teams")
        return self


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
