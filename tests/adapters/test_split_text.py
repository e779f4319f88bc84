"""Cutting long messages at natural breaks, counted the way each platform counts."""

from __future__ import annotations

import pytest

from adapters.split_text import split, utf16_length


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, ["short"]),
        ("", 10, []),
        ("one two three four", 9, ["one two", "three", "four"]),
        ("para one\n\npara two", 12, ["para one", "para two"]),
        ("line one\nline two is long", 16, ["line one", "line two is long"]),
        ("x" * 25, 10, ["x" * 10, "x" * 10, "x" * 5]),
    ],
)
def test_split(text: str, limit: int, expected: list[str]) -> None:
    assert split(text, limit) == expected


def test_split_counts_utf16_units_for_telegram() -> None:
    text = "🚀" * 3000  # 6,000 UTF-16 units
    pieces = split(text, 4096, measure=utf16_length)
    assert [utf16_length(p) for p in pieces] == [4096, 6000 - 4096]
    assert "".join(pieces) == text
