"""The flow's one state machine: next open question, hand-off first, diagrams."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.machine import Position, build_machine, fire, mermaid
from bot.state import Evidence

SLOTS = ["need", "budget"]
AT = datetime(2026, 11, 22, tzinfo=UTC)


def known(*slots: str) -> dict[str, Evidence]:
    return {s: Evidence(s, "answer", {}, "", "t", 1, "m", AT) for s in slots}


def test_asks_the_first_missing_slot_in_order() -> None:
    machine = build_machine(SLOTS)
    assert fire(machine, "advance", Position("start", {}, False)) == "ask_need"
    assert fire(machine, "advance", Position("start", known("need"), False)) == "ask_budget"
    assert (
        fire(machine, "advance", Position("ask_need", known("need", "budget"), False)) == "nurture"
    )


def test_handoff_wins_over_open_questions() -> None:
    assert fire(build_machine(SLOTS), "advance", Position("ask_need", {}, True)) == "handoff"


def test_one_machine_serves_many_conversations_without_registering_them() -> None:
    machine = build_machine(SLOTS)
    for _ in range(50):
        fire(machine, "advance", Position("start", {}, False))
    assert machine.models == []


def test_trigger_that_does_not_apply_leaves_state() -> None:
    assert fire(build_machine(SLOTS), "hand_back", Position("ask_need", {}, False)) == "ask_need"


def test_mermaid_names_states_and_conditions() -> None:
    text = mermaid(SLOTS, "Demo")
    assert "stateDiagram-v2" in text
    assert "ask_budget" in text
    assert "budget_missing" in text
