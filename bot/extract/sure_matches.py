r"""Sure matches: alternatives of a pattern whose presence in a message proves it matches.

The other way round from ``prefilter`` and ``word_gates``, which prove a pattern cannot match:
some alternatives of a pattern are plain strings ("\d|one|two|..." or "\b(?:week|month|...)"),
and finding one of them in the message proves a match without the scan.
"""

from __future__ import annotations

import re
from typing import Any

from bot.extract.prefilter import exact_strings
from bot.extract.regex_tree import PARSE_ERRORS, parse
from bot.extract.regex_tree import codes as _c
from bot.extract.word_gates import DIGIT_TOKEN, DIGITS, WORD_CHARS

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
        parsed = list(parse(pattern))
    except PARSE_ERRORS:
        return frozenset(), frozenset()
    for bounded, body in _alternatives(parsed, False):
        if not body or _has_zero_width(body):
            continue
        exact = exact_strings(body)
        if not exact or "" in exact:
            continue
        if not bounded:
            if exact <= DIGITS:
                heads.add(DIGIT_TOKEN.encode("ascii"))
            strings |= exact
        elif all(set(s) <= WORD_CHARS for s in exact):
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
