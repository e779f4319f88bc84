"""Known.record and after_turn skip the JSON round trip only where it would change nothing."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.jsontext import dumps, loads
from bot.messages import ConversationKey
from bot.state import Evidence, Snapshot, Turn
from storage.codec import evidence_from_json, evidence_to_json, lead_changes, utc
from storage.snapshots import Known, after_turn, json_exact

AT = datetime(2026, 3, 1, 12, 30, 15, 250, tzinfo=UTC)
EXACT: list[Any] = [
    "x", "", "\ud800", 0, -(2**63), 2**64 - 1, 1.5, -0.0, True, None, [1, "a", [None]],
    {"a": {"b": [1.25, False]}},
]  # fmt: skip
NOT_EXACT: list[Any] = [
    (1, 2), [(1,)], {1: "a"}, {"a": (1,)}, math.nan, math.inf, 2**64, -(2**63) - 1,
    type("S", (str,), {})("x"), datetime(2026, 1, 1, tzinfo=UTC),
]  # fmt: skip


def _round_trip(value: Any) -> Any:
    return loads(dumps(value))


@pytest.mark.parametrize("value", EXACT)
def test_exact_values_come_back_equal_and_of_the_same_types(value: Any) -> None:
    assert json_exact(value)
    back = _round_trip(value)
    assert json.dumps(back) == json.dumps(value)  # same types: an int stays an int, and so on
    assert back == value


@pytest.mark.parametrize("value", NOT_EXACT)
def test_other_values_are_not_exact(value: Any) -> None:
    assert not json_exact(value)


def _evidence(slot: str, value: Any, at: datetime = AT, confidence: Any = 0.9) -> Evidence:
    return Evidence(slot, "confirmed", value, "raw", "x", confidence, "m1", at)


@pytest.mark.parametrize(
    "e",
    [
        _evidence("budget", {"amount": 5000, "currency": "EUR"}),
        _evidence("budget", (5000, "EUR")),  # a tuple comes back a list
        _evidence("timeline", "soon", at=AT.astimezone(timezone(timedelta(hours=2)))),
        _evidence("need", "crm", confidence=math.nan),  # NaN comes back None
    ],
)
def test_record_gives_what_a_read_gives(e: Evidence) -> None:
    known = Known(1, 2, "widget", 0, {})
    read = known.record([e])
    from_database = evidence_from_json(loads(dumps(evidence_to_json(e))))
    assert repr(read[e.slot]) == repr(from_database)
    assert known.evidence[e.slot] == loads(dumps(evidence_to_json(e)))


def test_evidence_text_keeps_the_read_order_and_replaces_in_place() -> None:
    stored = {"a": {"v": 1}, "b": {"v": 2}}
    known = Known(1, 2, "widget", 0, dict(stored))
    known.record([_evidence("c", "new"), _evidence("a", "newer")])
    text = known.evidence_text()
    assert list(loads(text)) == ["a", "b", "c"]
    assert loads(text) == known.evidence
    assert loads(known.copy().evidence_text()) == known.evidence


@pytest.mark.parametrize("context", [{"answered": ["need"], "n": 2}, {"asked": ("need",)}])
def test_after_turn_context_is_what_a_read_gives(context: dict[str, Any]) -> None:
    key = ConversationKey("widget", "v")
    snapshot = Snapshot(1, key, "start", "bot", None, 0, {}, {}, False, 0)
    turn = Turn(1, "start", "bot", None, 0, context, False, None, None)
    text = dumps(context)
    after = after_turn(snapshot, turn, 1, text, {})
    assert json.dumps(after.context) == json.dumps(loads(text))
    assert after.context == loads(text)


def _after_turn_by_keywords(
    snapshot: Snapshot, turn: Turn, seq: int, context: str, evidence_read: dict[str, Evidence]
) -> Snapshot:
    """``after_turn`` as it was written before: every field by keyword, fresh mappings."""
    changes = lead_changes(turn.lead)
    return Snapshot(
        conversation_id=snapshot.conversation_id,
        key=snapshot.key,
        state=turn.state,
        owner=turn.owner,
        stage=turn.stage,
        score=turn.score,
        evidence={**snapshot.evidence, **evidence_read},
        context=loads(context),
        opted_out=turn.opted_out,
        seq=seq,
        last_inbound_at=None if turn.last_inbound_at is None else utc(turn.last_inbound_at),
        lead={**snapshot.lead, **(loads(dumps(changes)) if changes else {})},
    )


@pytest.mark.parametrize("recorded", [False, True])
@pytest.mark.parametrize("lead", [{}, {"name": "Ann", "company_size": (10, 50)}])
@pytest.mark.parametrize("at", [None, AT, AT.astimezone(timezone(timedelta(hours=2)))])
def test_after_turn_passes_every_field_where_it_belongs(
    recorded: bool, lead: dict[str, Any], at: datetime | None
) -> None:
    # Every field differs from every other one and from its default: a field passed in the
    # wrong place, or one Snapshot gains, fails this.
    values: dict[str, Any] = {
        "conversation_id": 7, "key": ConversationKey("widget", "v"), "state": "asking",
        "owner": "queued", "stage": "mql", "score": 42,
        "evidence": {"need": _evidence("need", "crm")}, "context": {"greeted": True},
        "opted_out": False, "seq": 3, "last_inbound_at": AT, "lead": {"email": "a@b.c"},
    }  # fmt: skip
    assert set(values) == {f.name for f in dataclasses.fields(Snapshot)}
    before = Snapshot(**values)
    turn = Turn(7, "closing", "bot", "sql", 55, {"answered": ["need"]}, True, None, at,
                lead=lead)  # fmt: skip
    read = {"budget": _evidence("budget", 5000)} if recorded else {}
    context = dumps(dict(turn.context))
    after = after_turn(before, turn, 4, context, read)
    expected = _after_turn_by_keywords(before, turn, 4, context, read)
    assert repr(after) == repr(expected)
    assert json.dumps(after.lead) == json.dumps(expected.lead)  # a tuple came back a list
    if not recorded:  # unchanged mappings are the previous snapshot's own
        assert after.evidence is before.evidence
    if not lead:
        assert after.lead is before.lead
