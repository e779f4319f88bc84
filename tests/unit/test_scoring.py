"""Scoring: rule -> points -> explanation quoting the prospect; stages from score and evidence."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.scorer import Scorer, compile_condition
from bot.scoring import holds, rank, reason, score, stage
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


# -- the compiled scorer agrees with score(), stage() and rank() --------------------------------

VALUES: dict[str, list[Any]] = {
    "need": [NEED.value, {"text": "x", "categories": [], "none": True},
             {"text": "y", "categories": ["support"], "none": False}, "not a mapping"],
    "budget": [BUDGET_75K.value, {"amount": 0}, {"min": 500, "period": "month"},
               {"max": 9000, "period": "year"}, {"amount": "lots"}, {}],
    "authority": [CTO.value, {"level": "influencer"}, {"level": "end_user", "title": None},
                  {"level": ["influencer"]}, {"level": None}, {}, "not a mapping"],
    "timeline": [SOON.value, {"urgency": "later"}, {"urgency": "none"}, {"urgency": "immediate"},
                 {"urgency": 1}, {"urgency": ("soon",)}],
    "company_size": [{"min": 60, "max": 60}, {"min": None, "max": 10}, {"min": 1, "max": None}],
    "email": ["a@b.co"],
    "page:pricing": [True],
    "product:trial_started": [True],
}  # fmt: skip
STATUSES: tuple[EvidenceStatus, ...] = ("answer", "refused", "unknown", "retracted")


def _evidence_sets() -> list[dict[str, Evidence]]:
    """Seeded random mixes of every slot's values and statuses, and the empty set."""
    rng = random.Random(7)
    sets: list[dict[str, Evidence]] = [{}]
    for _ in range(3000):
        chosen = rng.sample(sorted(VALUES), rng.randint(1, len(VALUES)))
        sets.append(
            {s: ev(s, rng.choice(VALUES[s]), status=rng.choice(STATUSES)) for s in chosen}
        )
    return sets


def test_scorer_agrees_with_score_stage_and_rank() -> None:
    scorer = Scorer(SPEC.scoring, SPEC.stages)
    for evidence in _evidence_sets():
        total = score(SPEC.scoring, evidence).total
        assert scorer.total(evidence) == total
        spec = scorer.reached(evidence, total)
        assert ((spec.name if spec else None), reason(spec, total)) == stage(
            SPEC.stages, evidence, total
        )
    for name in [None, "nope", *(s.name for s in SPEC.stages)]:
        assert scorer.rank(name) == rank(SPEC.stages, name)


def test_membership_rules_are_one_lookup() -> None:
    """Authority and timeline rules only test a key's membership: their points are a table."""
    groups = Scorer(SPEC.scoring, SPEC.stages)._groups
    tables = {subject: table for subject, _, _, table, _ in groups}
    assert tables["authority"] == ("level", {"decision_maker": 25, "influencer": 10})
    assert tables["timeline"] is not None
    assert tables["timeline"][0] == "urgency"
    assert tables["need"] is None
    assert tables["budget"] is None


def test_compiled_conditions_agree_with_holds() -> None:
    for rule in SPEC.scoring:
        check = compile_condition(rule.when)
        for slot, values in VALUES.items():
            for value in values:
                for status in STATUSES:
                    item = ev(slot, value, status=status)
                    assert check(item) == holds(rule.when, item), (rule.name, item)


def test_scorer_reason_agrees_with_reason() -> None:
    scorer = Scorer(SPEC.scoring, SPEC.stages)
    for spec in [None, *SPEC.stages]:
        for total in range(-60, 200):
            assert scorer.reason(spec, total) == reason(spec, total)


def test_need_and_budget_rules_read_the_value_once() -> None:
    """Need and budget rules test one thing each: the group reads the figure and "none" once."""
    groups = Scorer(SPEC.scoring, SPEC.stages)._groups
    shared = {subject: form for subject, _, _, _, form in groups}
    need, budget = shared["need"], shared["budget"]
    assert need is not None
    assert need[:4] == (False, False, True, True)
    assert budget is not None
    assert budget[:4] == (True, True, False, False)
    assert shared["authority"] is None  # (a table)
