"""Evidence in, score with its explanation and lifecycle stage out: pure functions of the flow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.state import Evidence
from flows.schema import Condition, ScoringRule, StageSpec


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """One rule that gave points, and the prospect's own words that earned them."""

    rule: str
    points: int
    subject: str
    quote: str
    explain: str | None = None


@dataclass(frozen=True, slots=True)
class Score:
    """The total and every line that makes it up, so a rep can read why a lead is hot."""

    total: int
    lines: tuple[ScoreLine, ...]


def score(rules: Sequence[ScoringRule], evidence: Mapping[str, Evidence]) -> Score:
    """Sum the rules that hold for the current evidence."""
    lines: list[ScoreLine] = []
    for rule in rules:
        subject = rule.when.slot or rule.when.signal or ""
        item = evidence.get(subject)
        if item is not None and holds(rule.when, item):
            lines.append(ScoreLine(rule.name, rule.points, subject, item.raw_text, rule.explain))
    return Score(sum(line.points for line in lines), tuple(lines))


def stage(
    stages: Sequence[StageSpec], evidence: Mapping[str, Evidence], total: int
) -> tuple[str | None, str]:
    """The highest stage (in flow order) the lead has reached, and why, or (None, reason)."""
    reached: tuple[str | None, str] = (None, "no stage reached yet")
    for spec in stages:
        if _reaches(spec, evidence, total):
            reached = (spec.name, stage_reason(spec, total))
    return reached


def rank(stages: Sequence[StageSpec], name: str | None) -> int:
    """Position of a stage in the flow's order; -1 for no stage."""
    for index, spec in enumerate(stages):
        if spec.name == name:
            return index
    return -1


def answered(evidence: Mapping[str, Evidence], slot: str) -> bool:
    """A slot counts as known when its current evidence is an answer (not a refusal)."""
    item = evidence.get(slot)
    return item is not None and item.status == "answer"


def holds(condition: Condition, item: Evidence) -> bool:
    """Whether one condition of the flow holds for one piece of evidence."""
    if item.status != condition.status:
        return False
    if condition.status != "answer":
        return True
    value: Mapping[str, Any] = item.value if isinstance(item.value, Mapping) else {}
    checks = (
        condition.at_least is None or _at_least(value, condition.at_least),
        condition.below is None or _below(value, condition.below),
        condition.level_in is None or value.get("level") in condition.level_in,
        condition.urgency_in is None or value.get("urgency") in condition.urgency_in,
        condition.category_in is None
        or bool(set(value.get("categories") or ()) & set(condition.category_in)),
        condition.no_need is None or bool(value.get("none")) == condition.no_need,
        condition.country_in is None or value.get("code") in condition.country_in,
    )
    if condition.slot == "need" and condition.no_need is None and value.get("none"):
        return False  # "just browsing" is recorded as evidence but is not a need
    return all(checks)


def amount_figure(value: Mapping[str, Any], first: str, second: str) -> float | None:
    """A single comparable number: ``amount`` if given, else the preferred bound, annualized."""
    raw = value.get("amount")
    for key in (first, second):
        if raw is None:
            raw = value.get(key)
    if not isinstance(raw, int | float):
        return None
    return float(raw) * (12 if value.get("period") == "month" else 1)


def _at_least(value: Mapping[str, Any], threshold: float) -> bool:
    figure = amount_figure(value, "min", "max")
    return figure is not None and figure >= threshold


def _below(value: Mapping[str, Any], threshold: float) -> bool:
    figure = amount_figure(value, "max", "min")
    return figure is not None and figure < threshold


def _reaches(spec: StageSpec, evidence: Mapping[str, Evidence], total: int) -> bool:
    if total < spec.min_score:
        return False
    if not all(_meaningful(evidence, slot) for slot in spec.requires):
        return False
    if spec.requires_any and not any(_meaningful(evidence, slot) for slot in spec.requires_any):
        return False
    return all(signal in evidence for signal in spec.requires_signals)


def _meaningful(evidence: Mapping[str, Evidence], slot: str) -> bool:
    if not answered(evidence, slot):
        return False
    value = evidence[slot].value
    return not (isinstance(value, Mapping) and value.get("none"))


def stage_reason(spec: StageSpec, total: int) -> str:
    """What reaching ``spec`` took, as the stage history records it ("SQL: score 70 >= 60")."""
    parts = [f"score {total} >= {spec.min_score}"] if spec.min_score else []
    if spec.requires:
        parts.append("has " + ", ".join(spec.requires))
    if spec.requires_any:
        parts.append("has one of " + ", ".join(spec.requires_any))
    if spec.requires_signals:
        parts.append("signals " + ", ".join(spec.requires_signals))
    return f"{spec.name}: " + ("; ".join(parts) or "reached")


def reason(spec: StageSpec | None, total: int) -> str:
    """Why the lead is at ``spec`` (the reason ``stage()`` gives)."""
    return "no stage reached yet" if spec is None else stage_reason(spec, total)
