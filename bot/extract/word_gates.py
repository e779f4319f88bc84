r"""Word gates: the word heads every match of a pattern starts with, tested per message.

Many patterns have no short set of required substrings (a big alternation of words, or a cue
such as "spend\w* ... hours"), but every match still starts a word with one of a known set of
prefixes. ``word_gate(pattern)`` finds such a set of tokens from the parse tree; a message's
``word_heads`` are the same tokens for its words, computed once per message, and a pattern
whose tokens are disjoint from them cannot match (one set test instead of a regex scan).

Tokens, on ASCII text lowered (where ``\w`` is ``[a-z0-9_]``), as bytes:
  b"abc"  a word starts with "abc" (every prefix of 1 to HEAD_WIDTH characters of every word
          is a head), or a word is exactly "abc" (every word is a head too);
  b"#"    the text has a digit.
``word_gate`` keeps exact words apart ("=abc") to rank choices: "=cant" is rarer than "can".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Set as AbstractSet
from typing import Any

from bot.extract.regex_tree import PARSE_ERRORS, Tree, parse
from bot.extract.regex_tree import codes as _c

HEAD_WIDTH = 4
_EXACT_WIDTH = 12  # longer exact words are tested by their head only
_MAX_LEADS = 512
WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
DIGITS = frozenset("0123456789")
# Every byte but a word character becomes a space, or a tab when it is an ASCII control
# character (not printable): ``split`` then gives the words either way, and a tab left in the
# text answers ``isprintable`` with one ``memchr`` (``message_tokens``).
_TAB = 9
_TO_WORDS = bytes(
    c if chr(c) in WORD_CHARS else _TAB if c < 32 or c == 127 else 32 for c in range(256)
)
# The digits of the translated text as "0", every other byte a space: ``0x30 in`` it is the
# digit test. A full table, no deletions: ``translate`` with deletions first builds a table of
# 256 entries (the deleting test cost 1.5 thousand instructions a message, this one 0.8).
_DIGIT_MARKS = bytes(48 if chr(c) in DIGITS else 32 for c in range(256))
DIGIT_TOKEN = "#"

Heads = AbstractSet[bytes]

# Status of a word prefix while reading a match from a word start.
_OPEN, _EXACT, _TRUNC = 0, 1, 2


def word_heads(lowered: str) -> Heads:
    """The tokens of ``lowered`` (ASCII text, lowered) that ``word_gate`` sets are tested with."""
    return message_tokens(lowered)[0]


def message_tokens(lowered: str) -> tuple[Heads, list[bytes], bool]:
    """``word_heads(lowered)``, the words it is made from, and ``lowered.isprintable()``.

    The words are ``lowered``'s runs of word characters, in order, as bytes: the whole words
    (a head may be a prefix) for a caller testing exact words. One pass for the three, as
    ``folded.Message`` prepares each message (a separate ``isprintable`` cost 0.9 thousand
    instructions on the bench's messages, the tab test 0.2). The heads are the union of each
    word's own (``_WORD_HEADS``): cutting and hashing four prefixes of every word, message after
    message, cost 27 thousand instructions on the bench's typed messages, the union of kept
    sets 14. The words of a conversation repeat ("the", "we", "our", "team"), whoever speaks.
    """
    spaced = lowered.encode("ascii").translate(_TO_WORDS)
    words = spaced.split()
    return set().union(*map(_WORD_HEADS.__getitem__, words)), words, _TAB not in spaced


def heads_of_word(word: bytes) -> frozenset[bytes]:
    """A word's heads: itself and its first 1 to ``HEAD_WIDTH`` bytes, and "#" if it has a digit.

    A text has a digit exactly when one of its words has (digits are word characters), so the
    union of its words' heads is ``word_heads`` of the text.
    """
    heads = {word, *(word[:width] for width in range(1, HEAD_WIDTH + 1))}
    # Ints, not b"0": ``in`` tries a bytes operand as an int first, and the error it raises
    # and clears costs more than the search.
    if 48 in word.translate(_DIGIT_MARKS):
        heads.add(b"#")
    return frozenset(heads)


class _KeptHeads(dict[bytes, frozenset[bytes]]):
    """``heads_of_word`` by word, kept for the next message.

    Emptied when full: hostile text of ever new words churns it, at the cost of building each
    word's heads once more.
    """

    limit = 4096  # about 400 bytes a word: some 1.6 MiB at most

    def __missing__(self, word: bytes) -> frozenset[bytes]:
        if len(self) >= self.limit:
            self.clear()
        heads = self[word] = heads_of_word(word)
        return heads


_WORD_HEADS = _KeptHeads()


def word_gate(pattern: re.Pattern[str]) -> frozenset[bytes] | None:
    """Tokens one of which ``word_heads`` of any ASCII text the pattern matches holds, or None.

    Sound only for text lowered and ASCII, and only with the heads of that very text: a
    substring cut mid-word has word starts the whole text lacks.
    """
    try:
        needed, _ = _gwalk(parse(pattern), False)
    except PARSE_ERRORS:
        return None
    if needed is None:
        return None
    return frozenset(token.removeprefix("=").encode("ascii") for token in needed)


def _char_kind(chars: frozenset[str] | None) -> str:
    """The kind of a set of characters: "word", "digit" (digits only), "nonword" or "mixed"."""
    if chars is None:
        return "mixed"
    if chars <= DIGITS:
        return "digit"
    if chars <= WORD_CHARS:
        return "word"
    if all(c.isascii() and c not in WORD_CHARS for c in chars):
        return "nonword"
    return "mixed"


def _node_chars(op: Any, av: Any) -> tuple[frozenset[str] | None, bool]:
    """(characters, all_nonword) a one-character node consumes; characters None when many."""
    if op is _c.LITERAL:
        char = chr(av)
        return (frozenset({char.lower()}) if char.isascii() else None), False
    # op is IN
    chars: set[str] = set()
    nonword = True
    small = True
    for item_op, item_av in av:
        if item_op is _c.NEGATE:
            return None, False
        if item_op is _c.LITERAL:
            char = chr(item_av)
            if not char.isascii():
                return None, False
            chars.add(char.lower())
        elif item_op is _c.RANGE:
            low, high = item_av
            if high > 127:
                return None, False
            chars.update(chr(code).lower() for code in range(low, high + 1))
        elif item_op is _c.CATEGORY and item_av is _c.CATEGORY_DIGIT:
            chars.update(DIGITS)
        elif item_op is _c.CATEGORY and item_av in (_c.CATEGORY_SPACE, _c.CATEGORY_NOT_WORD):
            small = False  # whitespace or \W: never a word character
        else:
            return None, False
    if any(c in WORD_CHARS for c in chars):
        nonword = False
    if not small:
        return None, nonword
    return frozenset(chars), nonword and bool(chars)


# Words in nearly every message: a gate holding one of them almost never closes.
_COMMON = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "for", "from", "have",
     "i", "if", "in", "is", "it", "me", "my", "no", "not", "of", "on", "or", "our", "so", "that",
     "the", "this", "to", "us", "we", "with", "you")
)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _score(tokens: frozenset[str]) -> tuple[float, int]:
    """How selective a token set is: its least selective token first, then fewer tokens."""

    def one(token: str) -> float:
        if token == DIGIT_TOKEN:
            return 1.5
        if token.startswith("="):
            return 1.0 if token[1:] in _COMMON else len(token) + 1
        return 1.0 if len(token) <= 2 else len(token)

    return min(map(one, tokens)), -len(tokens)


def _gbetter(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    usable = [s for s in (a, b) if s]
    if not usable:
        return None
    return max(usable, key=_score)


Walked = tuple[frozenset[str] | None, bool]
# ``_gwalk`` of every shared sub-tree seen, entered anchored or not (``regex_tree.Tree``):
# patterns repeat one another's parts, each walked once for the process.
_WALKED: dict[tuple[Tree, bool], Walked] = {}


def _gwalk(seq: Any, anchored: bool) -> Walked:
    r"""(needed tokens, anchored after) for a parsed sequence entered ``anchored``.

    ``anchored`` at a position means: if the next character consumed is a word character, a
    word starts there (after ``\b``, ``^`` or a non-word character).
    """
    if type(seq) is not Tree:
        return _gwalk_new(seq, anchored)
    walked = _WALKED.get((seq, anchored))
    if walked is None:
        walked = _WALKED[seq, anchored] = _gwalk_new(seq, anchored)
    return walked


def _gwalk_new(seq: Any, anchored: bool) -> Walked:
    needed: frozenset[str] | None = None
    for index, (op, av) in enumerate(seq):
        if op is _c.AT:
            anchored = av in (_c.AT_BOUNDARY, _c.AT_BEGINNING, _c.AT_BEGINNING_STRING)
            continue
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            continue
        if anchored:
            needed = _gbetter(needed, _lead_tokens(seq, index))
        if op is _c.LITERAL or op is _c.IN:
            chars, nonword = _node_chars(op, av)
            if _char_kind(chars) == "digit":
                needed = _gbetter(needed, frozenset({DIGIT_TOKEN}))
            anchored = nonword or _char_kind(chars) == "nonword"
        elif op is _c.BRANCH:
            walked = [_gwalk(alt, anchored) for alt in av[1]]
            if all(n is not None for n, _ in walked):
                needed = _gbetter(needed, frozenset().union(*(n for n, _ in walked if n)))
            anchored = all(a for _, a in walked)
        elif op is _c.SUBPATTERN or op is _c.ATOMIC_GROUP:
            body = av[3] if op is _c.SUBPATTERN else av
            part, anchored = _gwalk(body, anchored)
            needed = _gbetter(needed, part)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            low, _high, body = av
            part, _ = _gwalk(body, anchored)
            _, after_any = _gwalk(body, False)
            if low >= 1:
                needed = _gbetter(needed, part)
                anchored = after_any
            else:
                anchored = anchored and after_any
        else:
            anchored = False
    return needed, anchored


def _lead_tokens(seq: Any, start: int) -> frozenset[str] | None:
    """Tokens for the word that every match of ``seq[start:]`` starts with, from a word start."""
    leads = _lead(seq, start)
    if leads is None:
        return None
    tokens: set[str] = set()
    for text, status in leads:
        if not text:
            return None
        tokens.add("=" + text if status == _EXACT else text[:HEAD_WIDTH])
    return frozenset(tokens)


Lead = frozenset[tuple[str, int]]


# ``_lead`` of every shared sub-tree seen, from each start the walk asks for: the walk asks for
# the leads of a sequence from every word start in it, and patterns repeat one another's parts.
_LEADS: dict[tuple[Tree, int], Lead | None] = {}
# ``_lead_node_of`` by node: the leads from several starts of one sequence share their nodes.
_NODE_LEADS: dict[tuple[Any, Any], Lead | None] = {}


def _lead(seq: Any, start: int = 0) -> Lead | None:
    """The word-character prefixes a match of ``seq[start:]`` starts with, with their status."""
    if type(seq) is not Tree:
        return _lead_new(seq, start)
    key = (seq, start)
    if key not in _LEADS:
        _LEADS[key] = _lead_new(seq, start)
    return _LEADS[key]


def _lead_new(seq: Any, start: int) -> Lead | None:
    states: set[tuple[str, int]] = {("", _OPEN)}
    for index in range(start, len(seq)):
        op, av = seq[index]
        opens = [s for s, st in states if st == _OPEN]
        if not opens:
            break
        rest = {x for x in states if x[1] != _OPEN}
        if op is _c.AT:
            if av is _c.AT_BOUNDARY:
                # after word characters, \b means the word ends here
                states = rest | {(s, _EXACT if s else _OPEN) for s in opens}
            continue
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            continue
        part = _lead_node(op, av)
        if part is None:
            states = rest | {(s, _TRUNC) for s in opens}
            continue
        new: set[tuple[str, int]] = set()
        for prefix in opens:
            for text, status in part:
                joined = prefix + text
                if len(joined) > _EXACT_WIDTH:
                    new.add((joined[:HEAD_WIDTH], _TRUNC))
                else:
                    new.add((joined, status))
        states = rest | new
        if len(states) > _MAX_LEADS:
            return None
    return frozenset(states)


def _lead_node(op: Any, av: Any) -> Lead | None:
    key = (op, av)
    if key not in _NODE_LEADS:
        _NODE_LEADS[key] = _lead_node_of(op, av)
    return _NODE_LEADS[key]


def _lead_node_of(op: Any, av: Any) -> Lead | None:
    if op is _c.LITERAL or op is _c.IN:
        chars, nonword = _node_chars(op, av)
        kind = _char_kind(chars)
        if chars is not None and kind in ("word", "digit"):
            return frozenset((c, _OPEN) for c in chars)
        if nonword or kind == "nonword":
            return frozenset({("", _EXACT)})  # a word ends before a non-word character
        return None
    if op is _c.BRANCH:
        union: set[tuple[str, int]] = set()
        for alt in av[1]:
            part = _lead(alt)
            if part is None:
                return None
            union |= part
        return frozenset(union)
    if op is _c.SUBPATTERN:
        return _lead(av[3])
    if op is _c.ATOMIC_GROUP:
        return _lead(av)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, high, body = av
        part = _lead(body)
        if part is None:
            return None
        if high != 1:  # more than one pass: what follows the first is unknown
            part = frozenset((s, _TRUNC if st == _OPEN else st) for s, st in part)
        if low == 0:
            part = part | {("", _OPEN)}
        return part
    return None
