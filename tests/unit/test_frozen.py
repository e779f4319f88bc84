"""``fast_init``: a frozen slots dataclass built faster must be the very same value."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime

import pytest

from bot.events import EvidenceRecorded
from bot.frozen import fast_init
from bot.messages import ConversationKey


def _declare(fast: bool) -> type:
    @dataclass(frozen=True, slots=True)
    class Row:
        slot: str
        tags: list[str] = field(default_factory=list)
        note: str = "none"
        seen: int = field(default=0, init=False)
        unset: int = field(init=False)

    return fast_init(Row) if fast else Row


def _fields(row: object) -> dict[str, object]:
    return {f.name: getattr(row, f.name, "<unset>") for f in dataclasses.fields(row)}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args", [("budget",), ("budget", ["a"]), ("budget", ["a"], "x")], ids=["1", "2", "3"]
)
def test_fields_defaults_and_factories_match_the_dataclass_own_init(args: tuple) -> None:
    fast, plain = _declare(fast=True), _declare(fast=False)
    assert _fields(fast(*args)) == _fields(plain(*args))
    assert _fields(fast(*args))["unset"] == "<unset>"  # init=False, no default: left empty


def test_each_instance_gets_its_own_default_list() -> None:
    row = _declare(fast=True)
    assert row("a").tags is not row("b").tags


def test_the_value_stays_frozen_hashable_replaceable_and_picklable() -> None:
    key = ConversationKey("widget", "v1")
    event = EvidenceRecorded(key, datetime(2026, 1, 1, tzinfo=UTC), "budget", "answer", 40000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.slot = "need"  # type: ignore[misc]
    assert event == EvidenceRecorded(key, event.at, "budget", "answer", 40000)
    assert hash(key) == hash(ConversationKey("widget", "v1"))
    assert dataclasses.replace(event, slot="need").slot == "need"
    assert pickle.loads(pickle.dumps(event)) == event


def test_arguments_are_checked_as_before() -> None:
    with pytest.raises(TypeError):
        ConversationKey("widget")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ConversationKey("widget", "v1", "extra")  # type: ignore[call-arg]


def test_classes_whose_init_does_more_are_refused() -> None:
    @dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    @dataclass(frozen=True, slots=True)
    class WithInitVar:
        value: int
        scale: InitVar[int] = 1

    @dataclass(slots=True)
    class Mutable:
        value: int

    for cls in (Checked, WithInitVar, Mutable):
        with pytest.raises(TypeError):
            fast_init(cls)
