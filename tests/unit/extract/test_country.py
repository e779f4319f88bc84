"""Country: names after a location cue, capital codes, demonyms, phone prefixes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.extract import EXTRACTORS

NOW = datetime(2026, 11, 22, tzinfo=UTC)
country = EXTRACTORS["country"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("we're based in Germany", "DE"),
        ("HQ in the Netherlands, team in Lisbon", "NL"),
        ("a UK company with 40 staff", "GB"),
        ("We're a US startup", "US"),
        ("we are a German company", "DE"),
        ("Netherlands-based agency", "NL"),
        ("Operating out of Ireland mostly", "IE"),
        ("call me on +44 20 7946 0958", "GB"),
        ("+49 30 901820", "DE"),
        ("from India, Bangalore office", "IN"),
    ],
)
def test_reads_where_the_company_is(text: str, code: str) -> None:
    found = country(text, NOW)
    assert found is not None
    assert found.value["code"] == code


@pytest.mark.parametrize(
    "text",
    [
        "let us know",
        "Jordan here from Acme",
        "Chad from sales",
        "we want to scale in March",
        "turkey sandwiches",
        "talk to us",
        "<script>alert(1)</script>",
        "🙂",
    ],
)
def test_names_that_are_also_words_need_a_cue(text: str) -> None:
    assert country(text, NOW) is None


def test_a_bare_name_counts_when_asked() -> None:
    found = country("Canada", NOW, True)
    assert found is not None
    assert found.value == {"code": "CA", "name": "Canada"}
