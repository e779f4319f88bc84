"""The flow's one state machine: next open question, hand-off first, diagrams."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from itertools import product

import pytest

from bot.machine import TRIGGERS, Position, Table, build_machine, fire, mermaid
from bot.state import Evidence, EvidenceStatus

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


def _positions(slots: list[str]) -> list[Position]:
    """Every state with every outcome of every condition.

    Each slot absent, answered, refused or retracted; the hand-off due or not.
    """
    machine = build_machine(slots)
    statuses: tuple[EvidenceStatus | None, ...] = (None, "answer", "refused", "retracted")
    positions = []
    for state in machine.states:
        for due in (False, True):
            for combo in product(statuses, repeat=len(slots)):
                evidence = {
                    s: Evidence(s, status, {}, "", "t", 1, "m", AT)
                    for s, status in zip(slots, combo, strict=True)
                    if status is not None
                }
                positions.append(Position(state, evidence, due))
    return positions


def test_table_agrees_with_the_machine_for_every_state_trigger_and_outcome() -> None:
    slots = ["need", "timeline", "budget"]
    machine, table = build_machine(slots), Table(build_machine(slots))
    for position in _positions(slots):
        for trigger in TRIGGERS:
            expected = fire(machine, trigger, replace(position))
            assert table.fire(trigger, position) == expected, (position, trigger)


def test_table_refuses_a_machine_with_callbacks() -> None:
    machine = build_machine(SLOTS)
    machine.events["advance"].transitions["start"][0].after.append(lambda event: None)
    with pytest.raises(ValueError, match="callbacks"):
        Table(machine)
