"""read_text through the flow's readers (bot/readers.py) equals running each extractor."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.understand import Reading, read_text, to_json
from flows import load_flow

FLOW = load_flow()
NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
CORPORA = Path(__file__).parent / "extract"


def _texts() -> list[str]:
    texts: list[str] = ["", "   ", "\x00\x01", "a" * 3000, "ping me at +44 20 7946 0958"]
    for path in sorted(CORPORA.glob("*/*.yaml")):
        texts += [str(case["text"]) for case in yaml.safe_load(path.read_text())["cases"]]
    return texts


def _each_extractor(text: str, asked: str | None) -> dict[str, Reading]:
    """``read_text`` as it was: every extractor called through its public wrapper."""
    found: dict[str, Reading] = {}
    for slot, extractor in FLOW.extractors.items():
        spec = FLOW.spec.slots[slot]
        result = extractor(text, NOW, slot == asked)
        if result is None or (slot != asked and result.confidence < spec.min_confidence):
            continue
        found[slot] = Reading(
            slot, to_json(result.value), result.confidence, result.span, spec.extractor
        )
    return found


@pytest.mark.parametrize("asked", [None, "email", "budget"])
def test_read_text_equals_each_extractor_on_the_corpora(asked: str | None) -> None:
    for text in _texts():
        assert read_text(FLOW, text, NOW, asked) == _each_extractor(text, asked), text


def test_bad_input_reads_nothing() -> None:
    bad: Any = 42
    assert read_text(FLOW, bad, NOW, None) == {}
    assert read_text(FLOW, "we need leads", bad, None) == {}
