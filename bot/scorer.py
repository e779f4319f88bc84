"""The flow's scoring rules compiled once: the same answers as bot/scoring.py, with less work.

``score``, ``stage`` and ``holds`` re-read the rules on every call; a turn rescored them several
times. ``Scorer`` groups the rules by subject and turns conditions into closures once per flow,
and tests check it agrees with the plain functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.scoring import reason, stage_reason
from bot.state import Evidence
from flows.schema import Condition, ScoringRule, StageSpec

Check = Callable[[Mapping[str, Any]], bool]


def compile_condition(condition: Condition) -> Callable[[Evidence], bool]:
    """``holds(condition, item)`` as one closure that runs only the tests the condition gives.

    ``holds`` builds and evaluates all seven tests for every rule on every rescoring; the
    closure evaluates the one or two a rule has (every one of them, in the same order, so the
    same values raise the same errors).
    """
    checks, browsing_fails = _value_checks(condition)
    status = condition.status

    def check(item: Evidence) -> bool:
        if item.status != status:
            return False
        if status != "answer":
            return True
        value: Mapping[str, Any] = _mapping(item.value)
        ok = True
        for test in checks:
            if not test(value):
                ok = False
        if browsing_fails and value.get("none"):
            return False
        return ok

    return check


def _member(key: str, allowed: list[Any]) -> Check:
    return lambda value: value.get(key) in allowed


_EMPTY: Mapping[str, Any] = {}
_NONE: frozenset[Any] = frozenset()


def _mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one.

    Values are JSON dicts: the exact type test skips ``isinstance(..., Mapping)``, an ABC check
    that was 2% of decide().
    """
    if type(value) is dict or isinstance(value, Mapping):
        return value
    return _EMPTY


def _has_meaning(evidence: Mapping[str, Evidence], slot: str) -> bool:
    """``_meaningful``: answered, and not a "none" answer (just browsing)."""
    item = evidence.get(slot)
    return item is not None and item.status == "answer" and not _mapping(item.value).get("none")


# One rule that tests an answer: its points, the value tests it has, and whether a "none" need
# (just browsing) fails it.
AnswerRule = tuple[int, tuple[Check, ...], bool]
# A run of consecutive rules about one subject: the rules that test an answer (in flow order),
# the points the other statuses (refused, unknown, retracted) earn outright, and when every
# answer rule tests one key's membership, that key and the points each value earns (``_table``).
Table = tuple[str, dict[Any, int]]
# When every answer rule tests at most one of an amount bound, the categories or "no need"
# (``_shared``): what those tests read from the value (the amount figure either way, "none",
# the categories) is read once per group, and each rule is (points, test, its argument,
# whether "just browsing" fails it), the test one of the codes below.
SharedRule = tuple[int, int, Any, bool]
Shared = tuple[bool, bool, bool, bool, tuple[SharedRule, ...]]
_ANY, _AT_LEAST, _BELOW, _CATEGORY, _NO_NEED = range(5)
Group = tuple[str, tuple[AnswerRule, ...], dict[str, int], Table | None, Shared | None]
# A stage as ``reached`` tests it: min score, requires, requires_any, signals, the spec.
Stage = tuple[int, tuple[str, ...], tuple[str, ...], tuple[str, ...], StageSpec]


def _value_checks(condition: Condition) -> tuple[tuple[Check, ...], bool]:
    """The value tests of an answer condition (as ``compile_condition`` runs them), in order."""
    checks: list[Check] = []
    if condition.at_least is not None:
        checks.append(_at_least_check(condition.at_least))
    if condition.below is not None:
        checks.append(_below_check(condition.below))
    if condition.level_in is not None:
        checks.append(_member("level", list(condition.level_in)))
    if condition.urgency_in is not None:
        checks.append(_member("urgency", list(condition.urgency_in)))
    if condition.category_in is not None:
        wanted = set(condition.category_in)
        checks.append(lambda v: bool(set(v.get("categories") or ()) & wanted))
    if condition.no_need is not None:
        no_need = condition.no_need
        checks.append(lambda v: bool(v.get("none")) == no_need)
    if condition.country_in is not None:
        checks.append(_member("code", list(condition.country_in)))
    return tuple(checks), condition.slot == "need" and condition.no_need is None


def _at_least_check(threshold: float) -> Check:
    """``_at_least(value, threshold)`` with ``amount_figure(value, "min", "max")`` inlined."""

    def check(value: Mapping[str, Any]) -> bool:
        raw = value.get("amount")  # the same lookups, in the same order, as ``amount_figure``
        if raw is None:
            raw = value.get("min")
        if raw is None:
            raw = value.get("max")
        if not isinstance(raw, (int, float)):  # (a tuple: faster than a union)
            return False
        return float(raw) * (12 if value.get("period") == "month" else 1) >= threshold

    return check


def _figure(value: Mapping[str, Any], first: str, second: str) -> float | None:
    """``amount_figure(value, first, second)``, as the checks above inline it."""
    raw = value.get("amount")
    if raw is None:
        raw = value.get(first)
    if raw is None:
        raw = value.get(second)
    if not isinstance(raw, (int, float)):
        return None
    return float(raw) * (12 if value.get("period") == "month" else 1)


def _below_check(threshold: float) -> Check:
    """``_below(value, threshold)`` with ``amount_figure(value, "max", "min")`` inlined."""

    def check(value: Mapping[str, Any]) -> bool:
        raw = value.get("amount")
        if raw is None:
            raw = value.get("max")
        if raw is None:
            raw = value.get("min")
        if not isinstance(raw, (int, float)):
            return False
        return float(raw) * (12 if value.get("period") == "month" else 1) < threshold

    return check


def _groups(rules: Sequence[ScoringRule]) -> tuple[Group, ...]:
    """The rules in runs of one subject, in flow order (so errors, if any, come in that order)."""
    runs: list[tuple[str, list[ScoringRule]]] = []
    for rule in rules:
        subject = rule.when.slot or rule.when.signal or ""
        if not runs or runs[-1][0] != subject:
            runs.append((subject, []))
        runs[-1][1].append(rule)
    groups: list[Group] = []
    for subject, run in runs:
        answers: list[AnswerRule] = []
        others: dict[str, int] = {}
        for rule in run:
            if rule.when.status == "answer":
                checks, browsing_fails = _value_checks(rule.when)
                answers.append((rule.points, checks, browsing_fails))
            else:
                others[rule.when.status] = others.get(rule.when.status, 0) + rule.points
        answering = [rule for rule in run if rule.when.status == "answer"]
        groups.append((subject, tuple(answers), others, _table(answering), _shared(answering)))
    return tuple(groups)


def _shared(rules: Sequence[ScoringRule]) -> Shared | None:
    """The rules as ``Shared`` when each tests at most one of the values it knows, else None."""
    shared: list[SharedRule] = []
    for rule in rules:
        when = rule.when
        given = {name for name, v in when.model_dump().items() if v is not None}
        tests = given - {"slot", "signal", "status"}
        browsing_fails = when.slot == "need" and when.no_need is None
        if not tests:
            shared.append((rule.points, _ANY, None, browsing_fails))
        elif tests == {"at_least"}:
            shared.append((rule.points, _AT_LEAST, when.at_least, browsing_fails))
        elif tests == {"below"}:
            shared.append((rule.points, _BELOW, when.below, browsing_fails))
        elif tests == {"category_in"}:
            shared.append((rule.points, _CATEGORY, frozenset(when.category_in or ()),
                           browsing_fails))  # fmt: skip
        elif tests == {"no_need"}:
            shared.append((rule.points, _NO_NEED, when.no_need, browsing_fails))
        else:
            return None
    kinds = {kind for _, kind, _, _ in shared}
    browsing = any(fails for _, _, _, fails in shared)
    return (_AT_LEAST in kinds, _BELOW in kinds, browsing or _NO_NEED in kinds,
            _CATEGORY in kinds, tuple(shared))  # fmt: skip


_MEMBER_KEYS = {"level_in": "level", "urgency_in": "urgency", "country_in": "code"}


def _table(rules: Sequence[ScoringRule]) -> Table | None:
    """The points each value of one key earns, when every rule only tests that key's membership.

    ``value.get(key) in allowed`` for each rule, summed, is then one lookup (a value that
    cannot be a dict key takes the rules' own tests). None for any other run of rules.
    """
    keys = set()
    points: dict[Any, int] = {}
    for rule in rules:
        given = {name for name, v in rule.when.model_dump().items() if v is not None}
        tests = given - {"slot", "signal", "status"}
        if len(tests) != 1 or not tests <= set(_MEMBER_KEYS) or rule.when.slot == "need":
            return None  # (a "need" rule also fails on "just browsing")
        (test,) = tests
        keys.add(_MEMBER_KEYS[test])
        for allowed in set(getattr(rule.when, test)):
            points[allowed] = points.get(allowed, 0) + rule.points
    if len(keys) != 1:
        return None
    return keys.pop(), points


class Scorer:
    """A flow's scoring rules and stages, compiled once: the total and stage of some evidence.

    The rules are grouped by subject: each piece of evidence is looked up, its status tested and
    its value unwrapped once per subject rather than once per rule (rescoring was 7% of decide).
    """

    def __init__(self, rules: Sequence[ScoringRule], stages: Sequence[StageSpec]) -> None:
        """Group the rules by subject with their value tests; index the stages by name."""
        self._groups = _groups(rules)
        self._stages: tuple[Stage, ...] = tuple(
            (spec.min_score, tuple(spec.requires), tuple(spec.requires_any),
             tuple(spec.requires_signals), spec)
            for spec in reversed(stages)
        )  # fmt: skip
        self.ranks: dict[str | None, int] = {None: -1}
        for index, spec in enumerate(stages):
            self.ranks.setdefault(spec.name, index)
        # ``stage_reason`` of each stage cut around the total (only the min-score part names it)
        self._why: dict[int, tuple[str, str]] = {}
        for spec in stages:
            rest = stage_reason(spec.model_copy(update={"min_score": 0}), 0).removeprefix(
                f"{spec.name}: "
            )
            if spec.min_score:
                tail = f" >= {spec.min_score}" + ("" if rest == "reached" else f"; {rest}")
                self._why[id(spec)] = (f"{spec.name}: score ", tail)
            else:
                self._why[id(spec)] = (f"{spec.name}: {rest}", "")
        self._specs = tuple(stages)  # the specs ``_why`` is keyed by, kept alive

    def total(self, evidence: Mapping[str, Evidence]) -> int:
        """``score(rules, evidence).total``."""
        total = 0
        get = evidence.get
        for subject, answers, others, table, shared in self._groups:
            item = get(subject)
            if item is None:
                continue
            if item.status != "answer":
                total += others.get(item.status, 0)
                continue
            value = item.value  # ``_mapping``, inlined
            if type(value) is not dict and not isinstance(value, Mapping):
                value = _EMPTY
            if shared is not None:
                lows, highs, nones, categories, rules = shared
                # ``_at_least_check`` and ``_below_check``'s figures, "none", the categories:
                # each read once for the group (pure reads of a JSON value)
                low = _figure(value, "min", "max") if lows else None
                high = _figure(value, "max", "min") if highs else None
                none = bool(value.get("none")) if nones else False
                found_categories = set(value.get("categories") or ()) if categories else _NONE
                for points, kind, argument, browsing_fails in rules:
                    if kind == _AT_LEAST:
                        ok = low is not None and low >= argument
                    elif kind == _BELOW:
                        ok = high is not None and high < argument
                    elif kind == _CATEGORY:
                        ok = not argument.isdisjoint(found_categories)
                    elif kind == _NO_NEED:
                        ok = none == argument
                    else:
                        ok = True
                    if ok and not (browsing_fails and none):
                        total += points
                continue
            if table is not None:
                found = value.get(table[0])
                if found is None or type(found) is str:  # (hashable: one lookup does)
                    total += table[1].get(found, 0)
                    continue
            for points, checks, browsing_fails in answers:
                ok = True
                for test in checks:  # every test runs, as in ``compile_condition``
                    if not test(value):
                        ok = False
                if ok and not (browsing_fails and value.get("none")):
                    total += points
        return total

    def reached(self, evidence: Mapping[str, Evidence], total: int) -> StageSpec | None:
        """The stage ``stage()`` names: the last one in flow order the lead reaches."""
        get = evidence.get
        for min_score, requires, requires_any, signals, spec in self._stages:
            if total < min_score:  # ``_reaches``, with the cheaper ``_has_meaning`` inlined
                continue
            # ``all``/``any`` over generators, unrolled: a generator per stage per rescoring
            # (``_mapping`` inlined for the dicts answers are: a call per slot per stage)
            missing = False
            for slot in requires:
                item = get(slot)
                if item is None or item.status != "answer":
                    missing = True
                    break
                value = item.value
                if (value if type(value) is dict else _mapping(value)).get("none"):
                    missing = True
                    break
            if missing:
                continue
            if requires_any:
                for slot in requires_any:
                    item = get(slot)
                    if item is None or item.status != "answer":
                        continue
                    value = item.value
                    if not (value if type(value) is dict else _mapping(value)).get("none"):
                        break
                else:
                    continue
            for signal in signals:
                if signal not in evidence:
                    break
            else:
                return spec
        return None

    def rank(self, name: str | None) -> int:
        """``rank(stages, name)``: a stage's position in the flow's order; -1 for none."""
        return self.ranks.get(name, -1)

    def reason(self, spec: StageSpec | None, total: int) -> str:
        """``reason(spec, total)`` for this scorer's stages, from the parts built once."""
        parts = None if spec is None else self._why.get(id(spec))
        if parts is None:
            return reason(spec, total)
        head, tail = parts
        return f"{head}{total}{tail}" if tail else head
