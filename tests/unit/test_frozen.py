"""The records built through twins (``bot.frozen``) are the records their constructors build."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.decision import Decision, Line, new_decision, new_line
from bot.events import (
    EvidenceRecorded,
    ScoreChanged,
    StageChanged,
    evidence_recorded,
    score_changed,
    stage_changed,
)
from bot.frozen import twin
from bot.messages import ConversationKey
from bot.state import Evidence, HandoffRequest, StageChange, new_evidence, new_stage_change

AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
KEY = ConversationKey("widget", "v1")
EVIDENCE = ("budget", "answer", {"amount": 5000}, "5k a month", "budget", 0.9, "m1", AT)


def decision_fields() -> tuple[Any, ...]:
    return (
        "ask_need", "queued", "SQL", 70, {"greeted": True}, False, AT, AT,
        (Line("Hi"),), (Evidence(*EVIDENCE),), StageChange(None, "SQL", 70, "why", AT),
        HandoffRequest("r", "SQL", 70, AT), (ScoreChanged(KEY, AT, 70, 0),), {"name": "Ann"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("record", "build", "fields"),
    [
        (Evidence, new_evidence, EVIDENCE),
        (Decision, new_decision, decision_fields()),
        (EvidenceRecorded, evidence_recorded, (KEY, AT, "budget", "answer", {"amount": 5})),
        (ScoreChanged, score_changed, (KEY, AT, 45, 20)),
        (Line, new_line, ("Hi", (), "system")),
        (StageChange, new_stage_change, (None, "SQL", 70, "why", AT)),
        (StageChanged, stage_changed, (KEY, AT, None, "SQL", 70, "SQL: score 70 >= 60")),
    ],
)
def test_builder_makes_the_constructors_record(record: type, build: Any, fields: Any) -> None:
    made, expected = build(*fields), record(*fields)
    assert type(made) is record
    assert made == expected
    assert repr(made) == repr(expected)
    assert dataclasses.astuple(made) == dataclasses.astuple(expected)
    assert dataclasses.replace(made) == expected
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, dataclasses.fields(record)[0].name, None)


def test_evidence_hashes_like_the_constructors() -> None:
    fields = ("email", "answer", "a@b.co", "a@b.co", "email", 1.0, "m1", AT)
    assert hash(new_evidence(*fields)) == hash(Evidence(*fields))  # type: ignore[arg-type]


def test_events_built_by_twins_serialize_alike() -> None:
    made = evidence_recorded(KEY, AT, "need", "answer", ("a", "b"))
    assert made.to_json() == EvidenceRecorded(KEY, AT, "need", "answer", ("a", "b")).to_json()


def test_twin_refuses_records_it_cannot_mirror() -> None:
    class Plain:
        __slots__ = ("a",)

    with pytest.raises(TypeError):
        twin(Plain)

    @dataclasses.dataclass(frozen=True)
    class WithDict:
        a: int

    with pytest.raises(TypeError):
        twin(WithDict)
