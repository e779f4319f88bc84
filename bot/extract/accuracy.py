"""Score extractors against a corpus directory of labelled answers: accuracy and speed per slot.

Corpus files are YAML, one per slot (any name ending in .yaml)::

    slot: budget                       # a key of EXTRACTORS, or "contact"
    now: 2026-05-14T10:00:00+02:00     # reference time for every case in the file
    cases:
      - {text: "about 40k a year", asked: true, expect: {a: 40000, p: year}}
      - {text: "I'm the CTO", expect: null}          # null: the extractor must find nothing

Expected shapes per slot (missing keys mean None):

* budget: ``{a: amount, lo: min, hi: max, c: currency, p: period}``
* timeline: ``[start date, end date, grain, urgency]`` (dates as YYYY-MM-DD or null)
* authority: ``[level]`` or ``[level, title]`` (title compared case-insensitively)
* need: ``browsing`` for ``none=True``, else the list of categories (order ignored)
* contact: ``{email, phone, name, company}``; only the keys given are compared
* company_size: ``[min, max]``
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.extract.types import Authority, Budget, CompanySize, Contact, Extracted, Need, Timeline

Check = Callable[[Any, Any], bool]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    return data


@dataclass(slots=True)
class SlotScore:
    """Accuracy and mean latency of one slot's extractor over its corpus."""

    slot: str
    total: int = 0
    correct: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of cases answered exactly as labelled."""
        return self.correct / self.total if self.total else 0.0

    @property
    def mean_us(self) -> float:
        """Mean microseconds per call."""
        return self.seconds / self.total * 1e6 if self.total else 0.0


def _num_eq(a: float | int | None, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-6 * max(1.0, abs(float(b)))


def _budget(got: Budget, exp: Mapping[str, Any]) -> bool:
    return (
        _num_eq(got.amount, exp.get("a"))
        and _num_eq(got.min, exp.get("lo"))
        and _num_eq(got.max, exp.get("hi"))
        and got.currency == exp.get("c")
        and got.period == exp.get("p")
    )


def _day(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else (str(value) if value else None)


def _timeline(got: Timeline, exp: list[Any]) -> bool:
    start, end, grain, urgency = exp
    return (_day(got.start), _day(got.end), got.grain, got.urgency) == (
        _iso(start),
        _iso(end),
        grain,
        urgency,
    )


def _authority(got: Authority, exp: list[Any]) -> bool:
    if got.level != exp[0]:
        return False
    if len(exp) < 2:
        return True
    want = exp[1].lower() if exp[1] else None
    return (got.title.lower() if got.title else None) == want


def _need(got: Need, exp: Any) -> bool:
    if exp == "browsing":
        return got.none
    return not got.none and set(got.categories) == set(exp or [])


def _contact(got: Contact, exp: Mapping[str, Any]) -> bool:
    return all(getattr(got, k) == v for k, v in exp.items())


def _size(got: CompanySize, exp: list[Any]) -> bool:
    return (got.min, got.max) == (exp[0], exp[1])


CHECKS: dict[str, Check] = {
    "budget": _budget,
    "timeline": _timeline,
    "authority": _authority,
    "need": _need,
    "contact": _contact,
    "company_size": _size,
}


def score_cases(
    slot: str,
    cases: list[Mapping[str, Any]],
    now: datetime,
    extractor: Callable[..., Extracted[Any] | None],
) -> SlotScore:
    """Run ``extractor`` over labelled cases and compare with ``CHECKS[slot]``.

    Args:
        slot: Slot name, selecting the comparison.
        cases: Mappings with ``text``, optional ``asked`` and ``expect``.
        now: Reference time.
        extractor: The callable under test.

    Returns:
        The slot's score, with a line per failure.
    """
    check = CHECKS[slot]
    score = SlotScore(slot)
    for case in cases:
        text, asked, expect = str(case["text"]), bool(case.get("asked")), case.get("expect")
        t0 = time.perf_counter()
        got = extractor(text, now, asked)
        score.seconds += time.perf_counter() - t0
        ok = got is None if expect is None else got is not None and check(got.value, expect)
        score.total += 1
        score.correct += ok
        if not ok:
            shown = got.value.to_json() if got is not None else None
            score.failures.append(f"{text!r} asked={asked}: expected {expect}, got {shown}")
    return score


def evaluate(
    corpus_dir: str | Path,
    extractors: Mapping[str, Callable[..., Extracted[Any] | None]] | None = None,
) -> dict[str, SlotScore]:
    """Score every slot with a corpus file in ``corpus_dir``.

    Args:
        corpus_dir: Directory of ``*.yaml`` corpus files.
        extractors: Slot → extractor; defaults to ``EXTRACTORS`` plus ``contact``.

    Returns:
        Slot → score, merged across files of the same slot.
    """
    if extractors is None:
        from bot.extract import EXTRACTORS, extract_contact

        extractors = {**EXTRACTORS, "contact": extract_contact}
    scores: dict[str, SlotScore] = {}
    for path in sorted(Path(corpus_dir).glob("*.yaml")):
        data = _load(path)
        slot, now = data["slot"], data["now"]
        now = now if isinstance(now, datetime) else datetime.fromisoformat(str(now))
        part = score_cases(slot, data["cases"], now, extractors[slot])
        total = scores.setdefault(slot, SlotScore(slot))
        total.total += part.total
        total.correct += part.correct
        total.seconds += part.seconds
        total.failures += part.failures
    return scores


def report(scores: Mapping[str, SlotScore]) -> str:
    """One line per slot: accuracy, counts and mean microseconds per call."""
    return "\n".join(
        f"{s.slot:13} {s.accuracy:6.1%}  {s.correct:4}/{s.total:<4}  {s.mean_us:7.1f} µs/call"
        for s in scores.values()
    )


def timings(
    corpus_dir: str | Path,
    extractors: Mapping[str, Callable[..., Extracted[Any] | None]] | None = None,
    rounds: int = 3,
) -> dict[str, float]:
    """Mean microseconds per call of each extractor over every text of every corpus file.

    Every extractor sees every message (as when a bot runs all of them on each answer), with
    ``asked`` as labelled. The best of ``rounds`` passes is kept, to discount machine noise.

    Args:
        corpus_dir: Directory of ``*.yaml`` corpus files.
        extractors: Name → extractor; defaults to ``EXTRACTORS``.
        rounds: Passes over the texts.

    Returns:
        Name → mean µs per call.
    """
    if extractors is None:
        from bot.extract import EXTRACTORS

        extractors = EXTRACTORS
    texts: list[tuple[str, bool, datetime]] = []
    for path in sorted(Path(corpus_dir).glob("*.yaml")):
        data = _load(path)
        now = datetime.fromisoformat(str(data["now"]))
        texts += [(str(c["text"]), bool(c.get("asked")), now) for c in data["cases"]]
    result: dict[str, float] = {}
    for name, extract in extractors.items():
        best = float("inf")
        for _ in range(rounds):
            t0 = time.perf_counter()
            for text, asked, now in texts:
                extract(text, now, asked)
            best = min(best, time.perf_counter() - t0)
        result[name] = best / max(1, len(texts)) * 1e6
    return result
