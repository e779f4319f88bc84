"""The message-only shortcuts of the authority extractor answer as the plain scans do.

On the message under way, ``extract_authority`` cuts its hint words in C (``_hint_words``),
skips the title patterns when no role word can end a title (``_TITLE_WORDS``), and takes its
matches from the fast patterns. Without the message none of that runs: the answers must agree.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from bot.extract import authority
from bot.extract.authority import extract_authority, normalize_title
from tests.unit.extract.pieces import alone_and_prepared

NOW = datetime(2026, 1, 15, tzinfo=UTC)

TEXTS = [
    "I'm the VP of Sales, I sign off on tools like this",
    "I recommend tools to my boss, she decides",
    "I'm the head of marketing and I make the call",
    "We need to qualify website leads automatically",
    "our reps are slow to follow up on inbound demo requests",
    "I'm the COO, we have $75k and need it before March",
    # A role glued to the end of an intro, where the title pattern's "\s*" is empty.
    "imceo here, I sign",
    "I'mceo and I decide",
    "I amcto and I decide",
    "asceo, I sign",
    "my role isvp of sales",
    "i've beenowner for years, I decide",
    "I'm currentlyfounder and I approve",
    "i work asmanager",
    "I'mchairwoman, I sign",
    "imcofounder, I sign",
    "I was hired asrep, I use it daily",
    # Roles whose last word stands alone, plural roles, and titles at the start.
    "I'm one of the co-founders",
    "one of our managing partners here",
    "I am the chief revenue officer",
    "ex-ceo, now the vice-president",
    "Im the board member for this",
    "VP sales",
    "VP sales here",
    "marketing manager",
    "Scrum Master, I influence the choice",
    "assistant to the head of ops",
    "I'm the assistant to the CEO",
    "I run the sales team",
    "I'm running marketing, happy to talk",
    "I am heading sales at Acme",
    "i'm leading the ops team and need help",
    "We need help; I manage support",
    "I'm an intern",
    "no role words at all, just a long sentence",
]


@pytest.mark.parametrize("asked", [False, True])
@pytest.mark.parametrize("text", TEXTS)
def test_same_answer_with_and_without_message(text: str, asked: bool) -> None:
    alone, prepared = alone_and_prepared(extract_authority, text, NOW, asked)
    assert prepared == alone


def test_hint_words_match_the_scan() -> None:
    rng = random.Random(5)
    alphabet = "ab'- -_1.,x'CEO's--"
    samples = ["", "'", "-", "--", "'s", "a'-", "-ceo", "x-'y", "don't", "co-founder's", " -'a"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(12))) for _ in range(500)]
    for text in samples:
        lowered = text.lower()
        expected = [w.encode() for w in authority._HINT_WORD.findall(lowered)]
        assert authority._hint_words(lowered) == expected, text


@pytest.mark.parametrize(
    "raw",
    ["VP sales", "vp  Sales", "head marketing", "Director of Sales", "co-founder/ceo", "SVP ops",
     "director   product", "sales-ops lead", "Head Of Sales", "ſvp sales", "vp"],
)  # fmt: skip
def test_normalize_title_as_before(raw: str) -> None:
    # The reference: the function as it was, with its case-insensitive match on every title.
    title = " ".join(raw.split()).strip(" ,.-")
    if m := authority._NEEDS_OF.match(title):
        title = f"{m.group(1)} of {m.group(2)}"
    words = []
    for i, w in enumerate(title.replace("/", " / ").split(" ")):
        low = w.lower()
        if low in authority._ACRONYMS:
            words.append(authority._MIXED_CASE.get(low, w.upper()))
        elif low in authority._SMALL and i > 0:
            words.append(low)
        else:
            words.append("-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")))
    assert normalize_title(raw) == " ".join(words).replace(" / ", "/")


@pytest.mark.parametrize(
    "title",
    ["VP of Sales", "Principal Engineer", "Staff Designer", "Intern", "Marketing Intern",
     "Product Owner", "Owner", "Assistant to the CEO", "Associate of Sales", "Sales Associate",
     "CTO", "Engineer", "Team Lead", "ſtudent", "Principal", "Student Ambassador", "Apprentice",
     "Business Process Owner", "Executive Assistant", "Ｏwner"],
)  # fmt: skip
def test_level_of_title_as_before(title: str) -> None:
    # The reference: every pattern of ``_LEVEL`` tried on every title, as before.
    low = title.lower()
    senior, student, not_dm, assistant, dm, end = (
        authority._LEVEL_ASCII if low.isascii() else authority._LEVEL
    )
    low = senior.sub("", low)
    if student.search(low):
        expected = "end_user"
    elif not_dm.search(low) or assistant.search(low):
        expected = "influencer"
    elif dm.search(low):
        expected = "decision_maker"
    elif end.search(low):
        expected = "end_user"
    else:
        expected = "influencer"
    assert authority.level_of_title(title) == expected
