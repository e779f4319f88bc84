"""Scoring: rule -> points -> explanation quoting the prospect; stages from score and evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.scoring import score, stage
from bot.state import Evidence, EvidenceStatus
from flows import load_spec

SPEC = load_spec()
AT = datetime(2026, 11, 22, tzinfo=UTC)


def ev(slot: str, value: Any, text: str = "", status: EvidenceStatus = "answer") -> Evidence:
    return Evidence(slot, status, value, text or f"about {slot}", "test", 0.9, "m1", AT)


NEED = ev(
    "need",
    {"text": "more leads", "categories": ["lead_generation"], "none": False},
    "we need more leads",
)
BUDGET_75K = ev(
    "budget",
    {"amount": 75000, "min": None, "max": None, "currency": "USD", "period": "year"},
    "we have $75k",
)
CTO = ev("authority", {"level": "decision_maker", "title": "CTO"}, "I'm the CTO")
SOON = ev("timeline", {"start": None, "end": None, "grain": "month", "urgency": "soon"}, "by March")


def test_explanation_quotes_the_prospects_words() -> None:
    result = score(SPEC.scoring, {"budget": BUDGET_75K})
    assert result.total == 30
    assert [(line.rule, line.points, line.quote) for line in result.lines] == [
        ("Budget of $10k+ a year", 20, "we have $75k"),
        ("Budget of $50k+ a year", 10, "we have $75k"),
    ]


def test_monthly_budget_is_annualized() -> None:
    monthly = ev("budget", {"amount": 5000, "currency": "USD", "period": "month"})
    rules = [line.rule for line in score(SPEC.scoring, {"budget": monthly}).lines]
    assert rules == ["Budget of $10k+ a year", "Budget of $50k+ a year"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"amount": None, "min": 20000, "max": 30000}, ["Budget of $10k+ a year"]),
        ({"amount": None, "min": None, "max": 5000}, []),
        ({"amount": 0}, ["No budget"]),
    ],
)
def test_budget_ranges_and_none(value: dict[str, Any], expected: list[str]) -> None:
    assert [
        line.rule for line in score(SPEC.scoring, {"budget": ev("budget", value)}).lines
    ] == expected


def test_negative_points_for_a_refusal() -> None:
    refused = ev("budget", None, "rather not say", status="refused")
    assert score(SPEC.scoring, {"budget": refused}).total == -5


def test_just_browsing_is_not_a_need() -> None:
    browsing = ev("need", {"text": "just browsing", "categories": [], "none": True})
    result = score(SPEC.scoring, {"need": browsing})
    assert [line.rule for line in result.lines] == ["Just browsing"]
    assert stage(SPEC.stages, {"need": browsing}, 100)[0] is None


def test_full_bant_reaches_sql_with_reason() -> None:
    evidence = {"need": NEED, "budget": BUDGET_75K, "authority": CTO, "timeline": SOON}
    total = score(SPEC.scoring, evidence).total
    name, reason = stage(SPEC.stages, evidence, total)
    assert (name, total) == ("SQL", 105)
    assert "need, timeline, budget, authority" in reason


def test_high_score_without_required_answers_is_not_sql() -> None:
    evidence = {"need": NEED, "budget": BUDGET_75K, "authority": CTO}
    total = score(SPEC.scoring, evidence).total
    assert stage(SPEC.stages, evidence, total)[0] == "MQL"


def test_contact_only_is_iql() -> None:
    evidence = {"email": ev("email", "jane@acme.com")}
    assert stage(SPEC.stages, evidence, score(SPEC.scoring, evidence).total)[0] == "IQL"


def test_product_signal_makes_pql() -> None:
    evidence = {"product:trial_started": ev("product:trial_started", True)}
    assert stage(SPEC.stages, evidence, 0)[0] == "PQL"


@pytest.mark.parametrize(
    ("slot", "value", "words"),
    [
        ("budget", {"amount": 60000, "currency": "USD", "period": "year"}, "$60,000 a year"),
        ("budget", {"amount": None, "min": 20000, "max": 30000, "currency": "EUR"},
         "€20,000–€30,000"),
        ("budget", {"amount": 0}, "no budget yet"),
        ("timeline", {"start": "2027-07-01T00:00:00+00:00", "end": "2027-10-01T00:00:00+00:00",
                      "grain": "quarter", "urgency": "later"}, "Q3 2027"),
        ("timeline", {"start": "2026-11-22T00:00:00+00:00", "end": "2027-04-01T00:00:00+00:00",
                      "grain": "quarter", "urgency": "later"}, "by 31 March 2027"),
        ("timeline", {"start": None, "end": None, "grain": None, "urgency": "none"},
         "no fixed timeline"),
        ("authority", {"level": "decision_maker", "title": "CTO"}, "CTO (decision maker)"),
        ("company_size", {"min": 50, "max": 200}, "50–200 people"),
        ("email", "jane@acme.com", "jane@acme.com"),
    ],
)
def test_values_are_described_in_plain_words(slot: str, value: Any, words: str) -> None:
    from bot.describe import describe

    assert describe(slot, value) == words
