"""Play transcript cases through the real service and check their expectations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.clock import FixedClock
from bot.messages import ConversationKey, Inbound
from bot.ports import Store
from bot.scoring import Score, score
from bot.service import Service
from bot.transcript import Case, Click

TURN_GAP = timedelta(seconds=5)


@dataclass(slots=True)
class CaseResult:
    """What happened in one case, and whether it met its expectations (None: nothing expected)."""

    name: str
    turns: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    score: int = 0
    explanation: Score | None = None
    stage: str | None = None
    handoff: bool = False
    opted_out: bool = False
    passed: bool | None = None
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `--json` line for this case."""
        return {
            "name": self.name,
            "turns": self.turns,
            "slots": self.slots,
            "score": self.score,
            "stage": self.stage,
            "handoff": self.handoff,
            "opted_out": self.opted_out,
            "passed": self.passed,
            "failures": self.failures,
        }


async def play(
    service: Service, store: Store, clock: FixedClock, case: Case, index: int
) -> CaseResult:
    """Run one case as a fresh conversation on the simulate channel."""
    key = ConversationKey("simulate", f"{index}")
    result = CaseResult(case.name)
    for number, turn in enumerate(case.turns, start=1):
        clock.advance(TURN_GAP)
        is_click = isinstance(turn, Click)
        text = turn.click if isinstance(turn, Click) else turn
        reply = await service.receive(
            Inbound(
                key,
                f"case{index}-turn{number}",
                text,
                clock.now(),
                "click" if is_click else "text",
            )
        )
        result.turns.append(
            {
                "visitor": f"[{text}]" if is_click else text,
                "bot": [m.text for m in reply.messages],
            }
        )
    await _read_outcome(service, store, key, result)
    if case.expect is not None:
        result.failures = _check(case, result)
        result.passed = not result.failures
    return result


async def _read_outcome(
    service: Service, store: Store, key: ConversationKey, result: CaseResult
) -> None:
    async with store.unit() as unit:
        snapshot = await unit.load(key, service.clock.now())
    evidence = snapshot.evidence
    result.slots = {
        slot: evidence[slot].value
        if slot in evidence and evidence[slot].status == "answer"
        else None
        for slot in service.flow.spec.slots
    }
    result.explanation = score(service.flow.spec.scoring, evidence)
    result.score, result.stage = snapshot.score, snapshot.stage
    result.handoff = snapshot.owner != "bot"
    result.opted_out = snapshot.opted_out


def _check(case: Case, result: CaseResult) -> list[str]:
    expect = case.expect
    assert expect is not None
    failures = []
    if "stage" in expect.model_fields_set and expect.stage != result.stage:
        failures.append(f"stage: expected {expect.stage}, got {result.stage}")
    if expect.handoff is not None and expect.handoff != result.handoff:
        failures.append(f"handoff: expected {expect.handoff}, got {result.handoff}")
    if expect.opted_out is not None and expect.opted_out != result.opted_out:
        failures.append(f"opted_out: expected {expect.opted_out}, got {result.opted_out}")
    for slot, wanted in expect.slots.items():
        got = result.slots.get(slot)
        if not matches(wanted, got):
            failures.append(f"slots.{slot}: expected {wanted!r}, got {got!r}")
    return failures


def matches(wanted: Any, got: Any) -> bool:
    """Subset match: every key given in ``wanted`` must equal the same key in ``got``."""
    if isinstance(wanted, Mapping):
        return isinstance(got, Mapping) and all(matches(v, got.get(k)) for k, v in wanted.items())
    if isinstance(wanted, list) and isinstance(got, list):
        return len(wanted) == len(got) and all(
            matches(w, g) for w, g in zip(wanted, got, strict=True)
        )
    if isinstance(wanted, int | float) and isinstance(got, int | float):
        return float(wanted) == float(got)
    return bool(wanted == got)
