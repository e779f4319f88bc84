"""Routing: rules pick the team, then round robin over available reps; office hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.routing import RepLoad, describe_opening, next_opening, route, within_hours
from bot.state import Evidence
from flows.routing_schema import OfficeHours, RoutingSpec

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
SPEC = RoutingSpec.model_validate(
    {
        "default_team": "sales",
        "teams": {
            "sales": {},
            "enterprise": {},
            "emea": {
                "office_hours": {"timezone": "Europe/London", "start": "09:00", "end": "17:30"}
            },
        },
        "rules": [
            {
                "name": "big budget",
                "when": {"slot": "budget", "at_least": 50000},
                "team": "enterprise",
            },
            {"name": "UK", "when": {"signal": "page:uk"}, "team": "emea"},
        ],
    }
)


def budget(amount: int) -> dict[str, Evidence]:
    value = {"amount": amount, "currency": "USD", "period": "year"}
    return {"budget": Evidence("budget", "answer", value, "x", "t", 1, "m", AT)}


def rep(
    rep_id: int,
    team: str,
    presence: str = "online",
    active: int = 0,
    capacity: int = 2,
    last: datetime | None = None,
    seen: datetime | None = None,
) -> RepLoad:
    return RepLoad(rep_id, f"rep{rep_id}", team, presence, capacity, active, last, seen)  # type: ignore[arg-type]


def test_first_matching_rule_picks_the_team() -> None:
    decision = route(SPEC, budget(80000), [rep(1, "enterprise"), rep(2, "sales")], AT)
    assert (decision.team, decision.rep_id) == ("enterprise", 1)
    assert "rule 'big budget'" in decision.reason


def test_no_rule_means_the_default_team() -> None:
    decision = route(SPEC, budget(5000), [rep(1, "enterprise"), rep(2, "sales")], AT)
    assert (decision.team, decision.rep_id) == ("sales", 2)
    assert "default team" in decision.reason


def test_round_robin_offers_the_rep_waiting_longest() -> None:
    reps = [
        rep(1, "sales", last=AT - timedelta(minutes=1)),
        rep(2, "sales", last=AT - timedelta(hours=1)),
        rep(3, "sales", last=AT - timedelta(minutes=5)),
    ]
    decision = route(SPEC, {}, reps, AT)
    assert decision.rep_id == 2
    assert "rep1: not next in round robin" in decision.passed_over


def test_reps_away_offline_or_full_are_passed_over_with_reasons() -> None:
    reps = [
        rep(1, "sales", presence="away"),
        rep(2, "sales", presence="offline"),
        rep(3, "sales", active=2, capacity=2),
        rep(4, "sales"),
    ]
    decision = route(SPEC, {}, reps, AT)
    assert decision.rep_id == 4
    assert set(decision.passed_over) == {"rep1: away", "rep2: offline", "rep3: at capacity (2/2)"}


def test_nobody_free_in_the_team_falls_back_to_any_available_rep() -> None:
    decision = route(
        SPEC, budget(80000), [rep(1, "enterprise", presence="away"), rep(2, "sales")], AT
    )
    assert (decision.team, decision.rep_id) == ("enterprise", 2)
    assert "any available rep" in decision.reason


def test_nobody_available_stays_queued_for_the_team() -> None:
    decision = route(SPEC, {}, [rep(1, "sales", presence="offline")], AT)
    assert decision.rep_id is None
    assert "queued for the team" in decision.reason


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), True),  # Monday 09:00 London
        (datetime(2026, 11, 23, 17, 30, tzinfo=UTC), False),  # closing time is exclusive
        (datetime(2026, 11, 22, 12, 0, tzinfo=UTC), False),  # Sunday
        (datetime(2026, 7, 6, 8, 30, tzinfo=UTC), True),  # Monday 09:30 BST (summer time)
    ],
)
def test_office_hours_in_the_teams_time_zone(at: datetime, is_open: bool) -> None:
    hours = OfficeHours(timezone="Europe/London")
    hours = hours.model_copy(update={"end": "17:30"})
    assert within_hours(hours, at) is is_open


def test_outside_hours_says_when_the_team_is_back() -> None:
    evidence = {"page:uk": Evidence("page:uk", "answer", True, "/uk", "signal", 1, "m", AT)}
    saturday = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    decision = route(SPEC, evidence, [], saturday)
    assert (decision.team, decision.open) == ("emea", False)
    assert decision.back_at == next_opening(SPEC.teams["emea"].office_hours, saturday)  # type: ignore[arg-type]
    assert describe_opening(decision.back_at, saturday) == "on Monday at 09:00 (Europe/London)"  # type: ignore[arg-type]


def test_unknown_team_in_a_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown team"):
        RoutingSpec.model_validate(
            {"rules": [{"name": "x", "when": {"slot": "budget"}, "team": "nope"}]}
        )


def test_an_online_rep_whose_console_went_silent_is_passed_over() -> None:
    # rep1's process died with the console open: still "online", but not seen for 10 minutes.
    gone = rep(1, "sales", seen=AT - timedelta(minutes=10))
    here = rep(2, "sales", seen=AT - timedelta(seconds=30), last=AT)  # offered a lead just now
    decision = route(SPEC, budget(5000), [gone, here], AT)
    assert decision.rep_id == 2
    assert "rep1: online, but no console seen since 2026-11-23 09:50 UTC" in decision.passed_over
