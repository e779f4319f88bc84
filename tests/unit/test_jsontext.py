"""What is stored and sent as JSON reads back as the standard library would have read it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.jsontext import dumps, dumps_bytes, loads

VALUES = [
    {"slot": "budget", "value": {"amount": 40000, "currency": "USD", "period": "year"}},
    {"text": "Qualité, 東京, emoji 🚀", "quick_replies": [{"label": "Yes", "value": "yes"}]},
    [1, 2.5, -0.0, 1e-7, 1e16, True, False, None, "", [], {}],
    {"big": 2**70, "negative": -(2**64)},  # past orjson's 64 bits: the standard library writes it
    {"lone surrogate": "\ud800 typed"},  # invalid UTF-8: escaped as the standard library does
    ("a", "tuple"),
    {1: "int key", "nested": {"deep": [[[[["x"]]]]]}},
    "<script>alert(1)</script>'; DROP TABLE leads;--\x00\x1f",
]


@pytest.mark.parametrize("value", VALUES)
def test_text_reads_back_as_the_standard_librarys_text_does(value: object) -> None:
    assert loads(dumps(value)) == json.loads(json.dumps(value))
    assert loads(dumps_bytes(value)) == json.loads(json.dumps(value))


def test_control_characters_and_markup_stay_inside_the_string() -> None:
    text = dumps({"text": "</script><b>\x00\n"})
    assert "\x00" not in text
    assert "\n" not in text
    assert loads(text) == {"text": "</script><b>\x00\n"}


def test_a_float_that_is_not_a_number_is_stored_as_null() -> None:
    # json.dumps writes NaN, which is not JSON: PostgreSQL refuses it, other readers choke.
    assert loads(dumps({"confidence": math.nan, "x": math.inf})) == {"confidence": None, "x": None}


@dataclass
class _Record:
    name: str


@pytest.mark.parametrize("value", [datetime(2026, 1, 1, tzinfo=UTC), _Record("x"), object()])
def test_values_json_cannot_encode_are_still_refused(value: object) -> None:
    # orjson would encode datetimes and dataclasses itself; a payload carrying one is a bug,
    # and it fails as loudly as it did with the standard library.
    with pytest.raises(TypeError):
        dumps({"at": value})
    with pytest.raises(TypeError):
        dumps_bytes([value])


def test_text_is_compact_and_frames_are_utf8() -> None:
    assert dumps({"a": [1, 2]}) == '{"a":[1,2]}'
    assert dumps_bytes({"t": "é"}).decode("utf-8") == '{"t":"é"}'
