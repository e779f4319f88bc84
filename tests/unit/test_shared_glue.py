"""The engine's glue shortcuts give what the slow paths they replace give."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from transitions import Machine

from bot.extract.common import clean as clean_for_extractors
from bot.extract.folded import begin_message, end_message
from bot.machine import TRIGGERS, Position, Table, _predicate, machine_config
from bot.messages import ConversationKey
from bot.state import Evidence, Snapshot
from bot.turn import TurnDraft
from bot.understand import Reading, clean, clean_pair, read_prepared, read_text
from flows import load_flow

FLOW = load_flow()
NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
CORPORA = Path(__file__).parent / "extract"


def _texts() -> list[str]:
    texts = ["", "   ", "\x00\x01", "a" * 3000, "é\u200bé", "Ünïcode budget 50k", "no\tthanks"]
    for path in sorted(CORPORA.glob("*/*.yaml")):
        texts += [str(case["text"]) for case in yaml.safe_load(path.read_text())["cases"]]
    return texts


def _prepared(text: str, now: Any, asked: str | None) -> dict[str, Any]:
    """``read_prepared`` as the engine calls it (prepared once), its answers as readings."""
    cleaned = clean_for_extractors(text)
    begin_message(cleaned)
    try:
        found = read_prepared(FLOW, text, cleaned, now, asked)
    finally:
        end_message()
    return {slot: Reading(*answer) for slot, answer in found.items()}


@pytest.mark.parametrize("asked", [None, "need", "budget", "email", "name"])
def test_read_prepared_equals_read_text(asked: str | None) -> None:
    for raw in _texts():
        for text in (raw, clean(raw)):  # (the engine's text is ``clean``'s)
            assert _prepared(text, NOW, asked) == read_text(FLOW, text, NOW, asked), text


def test_read_prepared_with_a_bad_time_equals_read_text() -> None:
    bad: Any = "yesterday"
    for text in ("we need leads", "", "sam@example.com budget 40k"):
        assert _prepared(text, bad, None) == read_text(FLOW, text, bad, None) == {}


def _evidence(slot: str, status: str, value: Any) -> Evidence:
    return Evidence(slot, status, value, "x", "test", 1.0, "m1", NOW)  # type: ignore[arg-type]


SNAPSHOT = Snapshot(
    conversation_id=1, key=ConversationKey("test", "c1"), state="start", owner="bot",
    stage=None, score=0, evidence={}, context={}, opted_out=False, seq=0,
)  # fmt: skip
EVIDENCE = [
    {},
    {"email": _evidence("email", "answer", "a@b.co"), "name": _evidence("name", "refused", None)},
    {f: _evidence(f, "answer", {"v": f}) for f in ("name", "email", "phone", "company")},
    {"company_size": _evidence("company_size", "unknown", None)},
]
CONTEXTS: list[dict[str, Any]] = [
    {},
    {"nudged": True, "nudged_at": "2026-11-22T09:00:00+00:00"},
    {"nudged": False, "nudged_at": "2026-11-22T09:00:00+00:00"},
    {"nudged": True, "nudged_at": ""},
    {"sla_due_at": "2026-11-22T12:00:00+00:00"},
    {"sla_due_at": "2026-11-22T12:00:00+00:00", "fallback_sent": True},
]


def test_without_a_hand_back_the_hand_off_floor_is_the_flows_rank() -> None:
    """``advance`` skips ``max(rank, int(-2) + 1)``: the rank is -1 at least."""
    for path in sorted((Path(__file__).parents[2] / "flows").glob("*.y*ml")):
        flow = load_flow(path)
        assert max(flow.handoff_rank, -2 + 1) == flow.handoff_rank


def test_clean_pair_is_clean_then_the_extractors_cleaning() -> None:
    for raw in [*_texts(), "a\tb", "x" * 2100 + "\x01", "\u00a0lead\u2028s", "ab\x85c"]:
        text = clean(raw)
        assert clean_pair(raw) == (text, clean_for_extractors(text)), raw


def test_fire_at_equals_fire_with_a_position() -> None:
    """``Table.fire_at`` reads the conditions inline: the same state as ``Table.fire``."""
    statuses = (None, "answer", "refused", "retracted")
    table = FLOW.table
    slots = list(FLOW.order)
    checked = 0
    for state in sorted(table.states):
        for due in (False, True):
            for index in range(len(slots) * len(statuses)):
                # each slot in turn takes each status, the others a status by their place
                evidence = {}
                for place, slot in enumerate(slots):
                    status = statuses[(index + place * (place == index % len(slots))) % 4]
                    if status is not None:
                        evidence[slot] = _evidence(slot, status, {})
                for trigger in TRIGGERS:
                    expected = table.fire(trigger, Position(state, evidence, due))
                    assert table.fire_at(trigger, state, evidence, due) == expected
                    checked += 1
    assert checked > 1000


def test_fire_at_runs_a_condition_it_cannot_read_inline() -> None:
    seen: list[Position] = []
    # A condition made by ``_predicate`` but read by neither inline test: run on a position.
    odd = _predicate("odd", lambda p: seen.append(p) is None and p.handoff_due)
    config = machine_config(["need"])
    config["transitions"].insert(
        0, {"trigger": "advance", "source": "start", "dest": "nurture", "conditions": [odd]}
    )
    table = Table(Machine(model=None, **config))
    assert table.fire_at("advance", "start", {}, True) == "nurture"
    assert seen == [Position("start", {}, True)]
    assert table.fire_at("advance", "start", {}, False) == table.fire(
        "advance", Position("start", {}, False)
    )


def test_record_answer_equals_record_of_a_reading() -> None:
    for confidence in (0.5, 0.123456, 1, 0.0):
        for before in ({}, {"budget": _evidence("budget", "answer", {"amount": 1})}):
            snapshot = dataclasses.replace(SNAPSHOT, evidence=before)
            one, two = TurnDraft(FLOW, snapshot, NOW), TurnDraft(FLOW, snapshot, NOW)
            for value in ({"amount": 1}, {"amount": 2}):
                reading = Reading("budget", value, confidence, "50k", "budget")
                one.record(reading, "m9", "about 50k " * 80)
                two.record_answer("budget", value, confidence, "budget", "m9", "about 50k " * 80)
            assert one.finish() == two.finish()
