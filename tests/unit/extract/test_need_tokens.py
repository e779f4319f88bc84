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
        if not lowered.isascii():
            continue
        spaced = lowered.encode("ascii").translate(need._TO_TOKENS).decode("ascii")
        assert spaced.split() == need._ASCII_TOKEN.findall(lowered)


def test_plural_subs_equal_singular_of_each_token() -> None:
    # ``categories`` singularizes an ASCII text's tokens with two substitutions on the spaced
    # text: the same words as ``_singular`` of each token, on words chosen to end in "s",
    # "ss", "ies" and "iess" at every length around the rules' bounds.
    rng = random.Random(5)
    alphabet = "abeisy09"
    words = ["s", "ss", "ies", "ties", "cies", "iess", "sss", "as", "ass", "bass", "busies"]
    for _ in range(3000):
        words.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 8))))
    for start in range(0, len(words), 7):
        chunk = words[start : start + 7]
        spaced = "  ".join(chunk) + " "
        if "ies" in spaced:
            spaced = need._PLURAL_IES.sub("y", spaced)
        assert need._PLURAL_S.sub("", spaced).split() == [need._singular(w) for w in chunk]


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
