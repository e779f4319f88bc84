r"""Literals every match of a pattern must contain: a substring test before the regex scan.

Python's ``re`` has no literal prefilter: an alternation of words is tried at every character,
and a message where none of them occurs still costs the full scan. ``required(pattern)`` walks
the parsed pattern once (at import) and returns strings of which every match contains at least
one, lowered; ``Literals.present(lowered)`` is a few ``str.__contains__`` calls. Absent literals
prove the pattern cannot match, so the scan is skipped with the same answer.

Sound only on ASCII text, lowered: there ``\d`` is ``[0-9]`` and case-insensitive matching is
plain lowering. Callers test ASCII text only (as ``Folded`` does) and run the regex otherwise.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Set as AbstractSet
from itertools import product
from operator import itemgetter
from typing import Any

# The stdlib's own regex parser (``re._parser``; the public ``sre_parse`` alias warns). Loaded
# by name: typeshed has no stub for the private module.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

# Bounds on the sets carried while walking: past them the walk gives up on that part (still
# sound, only less selective).
_MAX_EXACT = 256
_MAX_CLASS = 26
MAX_LITERALS = 24

Strings = frozenset[str]


class Literals:
    """A set of strings one of which every match contains; ``present`` tests lowered text."""

    __slots__ = ("spaced", "strings")

    def __init__(self, strings: Strings) -> None:
        """Longest first: the rarest strings are tried first."""
        self.strings = tuple(sorted(strings, key=lambda s: (-len(s), s)))
        # A space in a string may stand for any whitespace (\s): exact on printable text only.
        self.spaced = any(" " in s for s in strings)

    def present(self, lowered: str) -> bool:
        """Whether one of the strings occurs in ``lowered`` (ASCII text, lowered).

        True (cannot tell) for text with tabs or newlines when a string holds a space.
        """
        if self.spaced and not lowered.isprintable():
            return True
        # A plain loop: half the cost of ``any()`` over a generator (0.4 vs 0.8 µs for 8).
        for string in self.strings:  # noqa: SIM110
            if string in lowered:
                return True
        return False

    def __repr__(self) -> str:
        return f"Literals({self.strings!r})"


def required(pattern: re.Pattern[str], most: int = MAX_LITERALS) -> Literals | None:
    """The literals every match of ``pattern`` contains, or None when no set of ``most`` is known.

    Each string costs a substring test (about 40 ns): a bigger ``most`` pays only for a pattern
    whose scan costs more than that many tests.
    """
    try:
        _, needed = _walk(_parser.parse(pattern.pattern, pattern.flags))
    except (RecursionError, TypeError, ValueError, IndexError):
        # A construct the walk does not know (flows bring their own intent patterns): no
        # prefilter is always a correct answer.
        return None
    if needed is None:
        return None
    # Too many to test one by one: their first few characters are required too, and fewer.
    for width in (None, 6, 5, 4, 3):
        short = _minimal(frozenset(s[:width] for s in needed))
        if len(short) <= most:
            return Literals(short)
    return None


def _minimal(strings: Strings) -> Strings:
    """Drop strings containing another of the set: the shorter is present whenever they are."""
    ordered = sorted(strings, key=len)
    kept: list[str] = []
    for s in ordered:
        if not any(t in s for t in kept):
            kept.append(s)
    return frozenset(kept)


# ``_walk`` returns (exact, needed) for a parsed sequence:
#   exact  — every string the part can match (a superset), or None when unbounded or too many;
#   needed — strings one of which every match of the part contains, or None when unknown.


def _better(a: Strings | None, b: Strings | None) -> Strings | None:
    """The more selective of two sound choices: longer shortest string, then fewer strings."""
    usable = [_minimal(s) for s in (a, b) if s is not None and s and "" not in s]
    if not usable:
        return None
    return max(usable, key=lambda s: (min(map(len, s)), -len(s)))


def _walk(sequence: Any) -> tuple[Strings | None, Strings | None]:
    exact: Strings | None = frozenset({""})
    run: Strings = frozenset({""})
    needed: Strings | None = None
    for op, av in sequence:
        part_exact, part_needed = _node(op, av)
        needed = _better(needed, part_needed)
        if part_exact is not None and len(run) * len(part_exact) <= _MAX_EXACT:
            run = frozenset(a + b for a, b in product(run, part_exact))
        else:
            needed = _better(needed, run)
            run = part_exact if part_exact is not None else frozenset({""})
        if exact is not None:
            exact = (
                frozenset(a + b for a, b in product(exact, part_exact))
                if part_exact is not None and len(exact) * len(part_exact) <= _MAX_EXACT
                else None
            )
    return exact, _better(needed, run)


def _node(op: Any, av: Any) -> tuple[Strings | None, Strings | None]:
    if op is _c.LITERAL:
        char = _char(av)
        return char, char
    if op is _c.IN:
        chars = _class(av)
        return chars, chars
    if op is _c.BRANCH:
        return _branch(av[1])
    if op is _c.SUBPATTERN:
        return _walk(av[3])
    if op is _c.ATOMIC_GROUP:
        return _walk(av)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        return _repeat(*av)
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return frozenset({""}), None  # zero-width: consumes nothing
    return None, None  # any character, a negated literal, a back-reference: unknown


def _class(items: Any) -> Strings | None:
    chars: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL or (op is _c.RANGE and av[1] - av[0] < _MAX_CLASS):
            codes = [av] if op is _c.LITERAL else range(av[0], av[1] + 1)
            for code in codes:
                char = _char(code)
                if char is None:
                    return None
                chars |= char
        elif op is _c.CATEGORY and av is _c.CATEGORY_DIGIT:
            chars.update("0123456789")  # on ASCII text \d is [0-9]
        elif op is _c.CATEGORY and av is _c.CATEGORY_SPACE:
            chars.add(" ")  # on printable ASCII text \s is " " (``Literals.spaced``)
        else:
            return None  # a negation, \w, \s, a wide range: too many characters
    return frozenset(chars) if len(chars) <= _MAX_CLASS else None


def _char(code: int) -> Strings | None:
    """A literal character as lowered text, or None when it is not safe to test.

    Some non-ASCII letters match ASCII ones case-insensitively (the Kelvin sign matches "k",
    "ſ" matches "s"): text without them could still match.
    """
    char = chr(code)
    if not char.isascii() and any(re.fullmatch(re.escape(char), a, re.I) for a in _ASCII_LETTERS):
        return None
    return frozenset({char.lower()})


_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _branch(alternatives: Any) -> tuple[Strings | None, Strings | None]:
    walked = [_walk(alternative) for alternative in alternatives]
    exacts = [e for e, _ in walked]
    needs = [n for _, n in walked]
    exact: Strings | None = None
    if all(e is not None for e in exacts):
        union = frozenset().union(*(e for e in exacts if e is not None))
        exact = union if len(union) <= _MAX_EXACT else None
    needed: Strings | None = None
    if all(n is not None for n in needs):
        needed = frozenset().union(*(n for n in needs if n is not None))
    # An alternative known exactly is also a sound choice for itself.
    options = [_better(n, e) for e, n in walked]
    if all(o is not None for o in options):
        needed = _better(needed, frozenset().union(*(o for o in options if o is not None)))
    return exact, needed


def _repeat(low: int, high: Any, body: Any) -> tuple[Strings | None, Strings | None]:
    body_exact, body_needed = _walk(body)
    if low == 0:
        if high == 1 and body_exact is not None:
            return body_exact | {""}, None
        return None, None
    exact: Strings | None = None
    if body_exact is not None and low == high and len(body_exact) ** low <= _MAX_EXACT:
        exact = frozenset("".join(p) for p in product(sorted(body_exact), repeat=low))
    return exact, _better(body_needed, body_exact)


# Whole-word gates ----------------------------------------------------------------------------
#
# Many patterns have no short set of required substrings (a big alternation of words, or a cue
# such as "spend\w* ... hours"), but every match still starts a word with one of a known set of
# prefixes. ``word_gate(pattern)`` finds such a set of tokens from the parse tree; a message's
# ``word_heads`` are the same tokens for its words, computed once per message, and a pattern
# whose tokens are disjoint from them cannot match (one set test instead of a regex scan).
#
# Tokens, on ASCII text lowered (where ``\w`` is ``[a-z0-9_]``), as bytes:
#   b"abc"  a word starts with "abc" (every prefix of 1 to HEAD_WIDTH characters of every word
#           is a head), or a word is exactly "abc" (every word is a head too);
#   b"#"    the text has a digit.
# The walk below keeps exact words apart ("=abc") to rank choices: "=cant" is rarer than "can".

HEAD_WIDTH = 4
_EXACT_WIDTH = 12  # longer exact words are tested by their head only
_MAX_LEADS = 512
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_DIGITS = frozenset("0123456789")
# Every byte but a word character becomes a space: ``split`` then gives the words.
_TO_WORDS = bytes(c if chr(c) in _WORD_CHARS else 32 for c in range(256))
_HEADS = tuple(itemgetter(slice(None, width)) for width in range(1, HEAD_WIDTH + 1))
DIGIT_TOKEN = "#"
_ANY_DIGIT = re.compile(r"[0-9]")

Heads = AbstractSet[bytes]

# Status of a word prefix while reading a match from a word start.
_OPEN, _EXACT, _TRUNC = 0, 1, 2


def word_heads(lowered: str) -> Heads:
    """The tokens of ``lowered`` (ASCII text, lowered) that ``word_gate`` sets are tested with."""
    words = lowered.encode("ascii").translate(_TO_WORDS).split()
    heads = set(words)
    heads.update(*(map(head, words) for head in _HEADS))
    if _ANY_DIGIT.search(lowered) is not None:
        heads.add(b"#")
    return heads


def word_gate(pattern: re.Pattern[str]) -> frozenset[bytes] | None:
    """Tokens one of which ``word_heads`` of any ASCII text the pattern matches holds, or None.

    Sound only for text lowered and ASCII, and only with the heads of that very text: a
    substring cut mid-word has word starts the whole text lacks.
    """
    try:
        needed, _ = _gwalk(list(_parser.parse(pattern.pattern, pattern.flags)), False)
    except (RecursionError, TypeError, ValueError, IndexError):
        return None
    if needed is None:
        return None
    return frozenset(token.removeprefix("=").encode("ascii") for token in needed)


def _char_kind(chars: frozenset[str] | None) -> str:
    """The kind of a set of characters: "word", "digit" (digits only), "nonword" or "mixed"."""
    if chars is None:
        return "mixed"
    if chars <= _DIGITS:
        return "digit"
    if chars <= _WORD_CHARS:
        return "word"
    if all(c.isascii() and c not in _WORD_CHARS for c in chars):
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
            chars.update(_DIGITS)
        elif item_op is _c.CATEGORY and item_av in (_c.CATEGORY_SPACE, _c.CATEGORY_NOT_WORD):
            small = False  # whitespace or \W: never a word character
        else:
            return None, False
    if any(c in _WORD_CHARS for c in chars):
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


def _gwalk(seq: list[Any], anchored: bool) -> tuple[frozenset[str] | None, bool]:
    r"""(needed tokens, anchored after) for a parsed sequence entered ``anchored``.

    ``anchored`` at a position means: if the next character consumed is a word character, a
    word starts there (after ``\b``, ``^`` or a non-word character).
    """
    needed: frozenset[str] | None = None
    for index, (op, av) in enumerate(seq):
        if op is _c.AT:
            anchored = av in (_c.AT_BOUNDARY, _c.AT_BEGINNING, _c.AT_BEGINNING_STRING)
            continue
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            continue
        if anchored:
            needed = _gbetter(needed, _lead_tokens(seq[index:]))
        if op is _c.LITERAL or op is _c.IN:
            chars, nonword = _node_chars(op, av)
            if _char_kind(chars) == "digit":
                needed = _gbetter(needed, frozenset({DIGIT_TOKEN}))
            anchored = nonword or _char_kind(chars) == "nonword"
        elif op is _c.BRANCH:
            walked = [_gwalk(list(alt), anchored) for alt in av[1]]
            if all(n is not None for n, _ in walked):
                needed = _gbetter(needed, frozenset().union(*(n for n, _ in walked if n)))
            anchored = all(a for _, a in walked)
        elif op is _c.SUBPATTERN or op is _c.ATOMIC_GROUP:
            body = av[3] if op is _c.SUBPATTERN else av
            part, anchored = _gwalk(list(body), anchored)
            needed = _gbetter(needed, part)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            low, _high, body = av
            part, _ = _gwalk(list(body), anchored)
            _, after_any = _gwalk(list(body), False)
            if low >= 1:
                needed = _gbetter(needed, part)
                anchored = after_any
            else:
                anchored = anchored and after_any
        else:
            anchored = False
    return needed, anchored


def _lead_tokens(seq: list[Any]) -> frozenset[str] | None:
    """Tokens for the word that every match of ``seq`` starts with, from a word start."""
    leads = _lead(seq)
    if leads is None:
        return None
    tokens: set[str] = set()
    for text, status in leads:
        if not text:
            return None
        tokens.add("=" + text if status == _EXACT else text[:HEAD_WIDTH])
    return frozenset(tokens)


Lead = frozenset[tuple[str, int]]


def _lead(seq: Any) -> Lead | None:
    """The word-character prefixes a match of ``seq`` starts with, with their status."""
    states: set[tuple[str, int]] = {("", _OPEN)}
    for op, av in seq:
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


# Sure matches ----------------------------------------------------------------------------------
#
# The other way round: some alternatives of a pattern are plain strings ("\d|one|two|..." or
# "\b(?:week|month|...)"), and finding one of them proves a match without the scan.

_ZERO_WIDTH_OR_UNKNOWN = ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF", "GROUPREF_EXISTS")


def sure(pattern: re.Pattern[str]) -> tuple[frozenset[str], frozenset[bytes]]:
    r"""(strings, heads) whose presence in a lowered ASCII text proves ``pattern`` matches it.

    ``strings`` are whole alternatives of the pattern with no assertion, tested as substrings;
    ``heads`` are tested against the text's ``word_heads``: words from alternatives ``\b`` +
    a word, and ``b"#"`` from an alternative that is one digit.
    """
    strings: set[str] = set()
    heads: set[bytes] = set()
    try:
        parsed = list(_parser.parse(pattern.pattern, pattern.flags))
    except (RecursionError, TypeError, ValueError, IndexError):
        return frozenset(), frozenset()
    for bounded, body in _alternatives(parsed, False):
        if not body or _has_zero_width(body):
            continue
        exact, _ = _walk(body)
        if not exact or "" in exact:
            continue
        if not bounded:
            if exact <= _DIGITS:
                heads.add(DIGIT_TOKEN.encode("ascii"))
            strings |= exact
        elif all(set(s) <= _WORD_CHARS for s in exact):
            # A word starting with s (s of HEAD_WIDTH characters or fewer), or being s: "\bs".
            heads |= {s.encode("ascii") for s in exact}
    return frozenset(strings), frozenset(heads)


def _alternatives(sequence: list[Any], bounded: bool) -> list[tuple[bool, list[Any]]]:
    r"""The top-level alternatives of a sequence, each with whether ``\b`` starts it.

    "\b(?:a|b)" gives (True, a) and (True, b).
    """
    if sequence and sequence[0] == (_c.AT, _c.AT_BOUNDARY):
        return _alternatives(sequence[1:], True)
    if len(sequence) == 1 and sequence[0][0] is _c.BRANCH:
        return [pair for alt in sequence[0][1][1] for pair in _alternatives(list(alt), bounded)]
    if len(sequence) == 1 and sequence[0][0] is _c.SUBPATTERN:
        return _alternatives(list(sequence[0][1][3]), bounded)
    return [(bounded, sequence)]


def _has_zero_width(sequence: Any) -> bool:
    for op, av in sequence:
        if str(op) in _ZERO_WIDTH_OR_UNKNOWN:
            return True
        if op is _c.BRANCH and any(_has_zero_width(alt) for alt in av[1]):
            return True
        if op is _c.SUBPATTERN and _has_zero_width(av[3]):
            return True
        if op is _c.ATOMIC_GROUP and _has_zero_width(av):
            return True
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and _has_zero_width(av[2]):
            return True
    return False
