"""A message's word heads built from kept per-word heads equal the heads cut from the text."""

from __future__ import annotations

import pytest

from bot.extract import word_gates
from bot.extract.word_gates import HEAD_WIDTH, message_tokens
from tests.unit.extract.pieces import joined_texts

PIECES = [
    "we", "need", "it", "by", "q3", "2027", "$40k", "about", "x", "a_b", "i'm", "the", "vp",
    "sales", "mid-march", "e-mail:", "tom@acme.io", "50,000", "co-founder", "\t", "\x07", "..",
    "a1", "1a", "_", "zzzzzzzzzzzz", "décembre", "ok!", "(555) 010-0199", "",
]  # fmt: skip


def reference_tokens(lowered: str) -> tuple[set[bytes], list[bytes], bool]:
    """The heads cut from the whole text, as before words' heads were kept."""
    words = [
        word.encode("ascii")
        for word in "".join(c if c in word_gates.WORD_CHARS else " " for c in lowered).split()
    ]
    heads = set(words)
    for width in range(1, HEAD_WIDTH + 1):
        heads.update(word[:width] for word in words)
    if any(c in word_gates.DIGITS for c in lowered):
        heads.add(b"#")
    return heads, words, lowered.isprintable()


@pytest.mark.parametrize("seed", range(3))
def test_kept_heads_equal_the_heads_cut_from_the_text(seed: int) -> None:
    texts = joined_texts(PIECES, seed, 3000, 9)
    ascii_texts = [t.lower() for t in texts if t.isascii()]
    assert len(ascii_texts) > 2000
    for lowered in ascii_texts:
        heads, words, printable = message_tokens(lowered)
        assert (set(heads), words, printable) == reference_tokens(lowered), lowered


def test_a_full_store_of_kept_heads_starts_again_and_answers_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = word_gates._WORD_HEADS
    monkeypatch.setattr(type(kept), "limit", 8)
    kept.clear()
    texts = [t.lower() for t in joined_texts(PIECES, 7, 400, 6) if t.isascii()]
    sizes = []
    for lowered in texts:
        heads, _, _ = message_tokens(lowered)
        sizes.append(len(kept))
        assert set(heads) == reference_tokens(lowered)[0], lowered
    assert max(sizes) <= 8  # emptied before a word past the limit
    assert min(sizes[10:]) < max(sizes)  # it did empty


def test_heads_of_a_message_are_its_own_set() -> None:
    first, _, _ = message_tokens("we need it")
    assert isinstance(first, set)
    first.add(b"changed")  # a caller's set: changing it changes no kept word's heads
    second, _, _ = message_tokens("we need it")
    assert b"changed" not in second
