"""``NeedExtractor.categories`` cuts ASCII words with a split that finds what the scan does."""

from __future__ import annotations

import random

from bot.extract import need


def test_split_finds_the_scans_tokens() -> None:
    rng = random.Random(3)
    alphabet = "aZ9 _-'.,\t\n\x1c\x7fs!?/é"[:-1] + "~"
    samples = ["", " ", "a", "Leads, leads & more LEADS!", "x\x1cy", "sign-ups_2", "  a  b  "]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(20))) for _ in range(500)]
    for text in samples:
        lowered = text.lower()
        assert lowered.translate(need._TO_TOKENS).split() == need._ASCII_TOKEN.findall(lowered)


def test_categories_unchanged_on_ascii_and_not() -> None:
    extractor = need.NeedExtractor(need.DEFAULT_NEED_CATEGORIES)
    assert extractor.categories("We need more LEADS and a CRM sync") == (
        "lead_generation",
        "sales",
        "integration",
    )
    assert extractor.categories("Tickets pile up; reportng is manual") == (
        "customer_support",
        "analytics",
        "automation",
    )
    assert extractor.categories("Café leads, trop de tickets") == (
        "lead_generation",
        "customer_support",
    )
