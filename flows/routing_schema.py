"""The flow file's ``routing`` section: teams, office hours, rules, and what the prospect hears."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from flows.conditions import Condition, Strict

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
