r"""Literals every match of a pattern must contain: a substring test before the regex scan.

Python's ``re`` has no literal prefilter: an alternation of words is tried at every character,
and a message where none of them occurs still costs the full scan. ``required(pattern)`` walks
the parsed pattern once (at import) and returns strings of which every match contains at least
one, lowered; ``Literals.present(lowered)`` is a few ``str.__contains__`` calls. Absent literals
prove the pattern cannot match, so the scan is skipped with the same answer.

Sound only on ASCII text, lowered: there ``\d`` is ``[0-9]`` and case-insensitive matching is
plain lowering. Callers test ASCII text only (as ``Folded`` does) and run the regex otherwise.

The other analyses of parsed patterns live beside this one: ``word_gates`` (word heads every
match starts with) and ``sure_matches`` (alternatives whose presence proves a match).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from itertools import product
from typing import Any

from bot.extract.regex_tree import PARSE_ERRORS, Tree, by_first_letter, parse
from bot.extract.regex_tree import codes as _c

# Bounds on the sets carried while walking: past them the walk gives up on that part (still
# sound, only less selective).
_MAX_EXACT = 256
_MAX_CLASS = 26
MAX_LITERALS = 24

Strings = frozenset[str]


class Literals:
    """A set of strings one of which every match contains; ``present`` tests lowered text."""

    __slots__ = ("search", "spaced", "strings")

    def __init__(self, strings: Strings) -> None:
        """Longest first: the rarest strings are tried first."""
        self.strings = tuple(sorted(strings, key=lambda s: (-len(s), s)))
        # A space in a string may stand for any whitespace (\s): exact on printable text only.
        self.spaced = any(" " in s for s in strings)
        # All the strings in one scan, a match where one of them occurs: ``re`` skips to their
        # first characters in C, where ``in`` tests read the text once per string (a sixth of
        # the extractors' substring time went to those loops).
        # With no strings nothing is present: "(?!)" never matches (an empty pattern always would).
        source = by_first_letter("|".join(map(re.escape, self.strings))) if strings else "(?!)"
        self.search = re.compile(source).search

    def present(self, lowered: str) -> bool:
        """Whether one of the strings occurs in ``lowered`` (ASCII text, lowered).

        True (cannot tell) for text with tabs or newlines when a string holds a space.
        """
        if self.spaced and not lowered.isprintable():
            return True
        return self.search(lowered) is not None

    def __repr__(self) -> str:
        return f"Literals({self.strings!r})"


def required(pattern: re.Pattern[str], most: int = MAX_LITERALS) -> Literals | None:
    """The literals every match of ``pattern`` contains, or None when no set of ``most`` is known.

    Each string costs a substring test (about 40 ns): a bigger ``most`` pays only for a pattern
    whose scan costs more than that many tests.
    """
    try:
        _, needed = _walk(parse(pattern))
    except PARSE_ERRORS:
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


# The walk asks again for the sets it already holds (each step compares the best so far with
# the part's): cached. A set with nothing to drop comes back as itself, so asking again with
# the answer is a cache hit.
@functools.lru_cache(maxsize=8192)
def _minimal(strings: Strings) -> Strings:
    """Drop strings containing another of the set: the shorter is present whenever they are."""
    if len(strings) < 2:
        return strings
    if "" in strings:
        return frozenset({""})  # in every string
    # All the strings in one text, longest first and apart: a string inside a longer one occurs
    # in the text before the first string of its own length, which ``str.find`` finds in C.
    # Testing every pair cost quadratic time on the big alternations (a third of the start-up).
    ordered = sorted(strings, key=len, reverse=True)
    text = _APART.join(ordered)
    if text.count(_APART) != len(ordered) - 1:
        return _minimal_pairwise(strings)  # a string holds the separator
    starts = list(itertools.accumulate((len(s) + 1 for s in ordered[:-1]), initial=0))
    dropped: set[str] = set()
    longer = 0  # where the strings no longer than ``inner`` start
    for index, inner in enumerate(ordered):
        if len(inner) != len(ordered[index - 1]):
            longer = starts[index]
        at = text.find(inner, 0, longer)
        while at >= 0:
            dropped.add(ordered[bisect.bisect_right(starts, at) - 1])
            at = text.find(inner, at + 1, longer)
    return strings - dropped if dropped else strings


# The separator: a character no pattern string holds (checked), spelled as a call so that this
# module adds no short string constant to the texts the correctness guard reads.
_APART = chr(0)


def _minimal_pairwise(strings: Strings) -> Strings:
    kept: list[str] = []
    for s in sorted(strings, key=len):
        if not any(t in s for t in kept):
            kept.append(s)
    return frozenset(kept)


@functools.lru_cache(maxsize=8192)
def _selectivity(strings: Strings) -> tuple[int, int]:
    """Longer shortest string first, then fewer strings (``_better``'s order)."""
    return min(map(len, strings)), -len(strings)


# ``_walk`` returns (exact, needed) for a parsed sequence:
#   exact  — every string the part can match (a superset), or None when unbounded or too many;
#   needed — strings one of which every match of the part contains (or, for a look-around,
#            the text it looks at), or None when unknown.


def _better(a: Strings | None, b: Strings | None) -> Strings | None:
    """The more selective of two sound choices: longer shortest string, then fewer strings.

    ``a`` on a tie. Empty sets, and sets holding "" (always present), are no choice.
    """
    best: Strings | None = None
    best_score = (0, 0)
    for strings in (a, b):
        if not strings or "" in strings:
            continue
        strings = _minimal(strings)
        score = _selectivity(strings)
        if best is None or score > best_score:
            best, best_score = strings, score
    return best


def exact_strings(sequence: Any) -> Strings | None:
    """Every string a parsed sequence can match (a superset), or None when unbounded or many."""
    exact, _ = _walk(sequence)
    return exact


Walked = tuple[Strings | None, Strings | None]
# ``_walk`` of every shared sub-tree seen (``regex_tree.Tree``): patterns repeat one another's
# parts (the title lists, a pattern and its ``Branches``), each walked once for the process.
_WALKED: dict[Tree, Walked] = {}


def _walk(sequence: Any) -> Walked:
    if type(sequence) is not Tree:
        return _walk_new(sequence)
    walked = _WALKED.get(sequence)
    if walked is None:
        walked = _WALKED[sequence] = _walk_new(sequence)
    return walked


def _walk_new(sequence: Any) -> Walked:
    # ``run``: the strings the nodes since the last unknown one can match (all of them while
    # ``whole``, which makes it the sequence's exact set).
    run: Strings = _NOTHING
    whole = True
    needed: Strings | None = None
    for op, av in sequence:
        if op is _LITERAL and len(run) <= _MAX_EXACT:
            # ``_node`` and ``_better`` for the commonest node, inline: a character is one
            # string of length one, which a needed set beats unless it has more of that length.
            char = _char(av)
            if char is not None:
                if needed is None or _selectivity(needed) < _ONE_CHAR:
                    needed = char
                run = _concat(run, char)
                continue
        part_exact, part_needed = _node(op, av)
        needed = _better(needed, part_needed)
        if part_exact is not None and len(run) * len(part_exact) <= _MAX_EXACT:
            run = _concat(run, part_exact)
        else:
            needed = _better(needed, run)
            run = part_exact if part_exact is not None else _NOTHING
            whole = False
    return (run if whole else None), _better(needed, run)


_NOTHING: Strings = frozenset({""})
_LITERAL = _c.LITERAL
_ONE_CHAR = (1, -1)  # ``_selectivity`` of one character


def _concat(left: Strings, right: Strings) -> Strings:
    """Every string of ``left`` followed by one of ``right``."""
    if len(left) == 1:
        (prefix,) = left
        return right if not prefix else frozenset([prefix + s for s in right])
    return frozenset([a + b for a, b in product(left, right)])


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
    if op is _c.ASSERT:
        # Zero-width, but what a look-ahead or look-behind sees is in the searched text too
        # (``search(text, pos)`` looks behind ``pos`` only within ``text``): the literals are
        # tested on the whole text, so its needed strings count ("(?<=fy)\d\d" needs "fy").
        return frozenset({""}), _walk(av[1])[1]
    if op in (_c.AT, _c.ASSERT_NOT):
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


@functools.lru_cache(maxsize=1024)
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
