"""The brief's own phrases read as documented (the held-out floors are in test_extract_corpus)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.extract import EXTRACTORS


def test_brief_phrases_read_as_documented() -> None:
    """The product brief's own example, every slot at once."""
    now = datetime(2026, 1, 20, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    text = "I'm the COO, we have $75k and need it before March"
    budget = EXTRACTORS["budget"](text, now)
    timeline = EXTRACTORS["timeline"](text, now)
    authority = EXTRACTORS["authority"](text, now)
    assert budget is not None
    assert timeline is not None
    assert authority is not None
    assert (budget.value.amount, budget.value.currency) == (75000, "USD")
    assert (authority.value.level, authority.value.title) == ("decision_maker", "COO")
    # "before March" is done by 1 March; "by March" includes March.
    assert timeline.value.end == datetime(2026, 3, 1, tzinfo=now.tzinfo)
    by_march = EXTRACTORS["timeline"]("by March", now)
    assert by_march is not None
    assert by_march.value.end == datetime(2026, 4, 1, tzinfo=now.tzinfo)
