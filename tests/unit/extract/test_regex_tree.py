"""The shared parse trees, the strings' minimal sets and the scans' look-ahead (start-up speed).

The analyses were made fast at start-up by sharing equal sub-trees, finding strings inside
others in one text, and writing the scans' look-ahead class negated: each must give the same
answers as the plain way.
"""

from __future__ import annotations

import random
import re

from bot.extract.prefilter import _minimal
from bot.extract.regex_tree import Tree, parse, scan_pattern


def test_equal_sub_trees_are_one_object() -> None:
    # The same alternation inside two patterns (as the title lists are): one tree, so each
    # analysis memoizes it once.
    words = "(?:sales|marketing|growth)"
    first = parse(re.compile(rf"\bhead of {words}\b", re.IGNORECASE))
    second = parse(re.compile(rf"\bvp {words}", re.IGNORECASE))
    branch_first = next(av[1] for op, av in first if str(op) == "BRANCH")
    branch_second = next(av[1] for op, av in second if str(op) == "BRANCH")
    assert all(isinstance(alternative, Tree) for alternative in branch_first)
    assert all(a is b for a, b in zip(branch_first, branch_second, strict=True))


def test_trees_hold_the_parsers_nodes() -> None:
    tree = parse(re.compile(r"a[bc]\d(?:x|y)+"))
    ops = [str(op) for op, _ in tree]
    assert ops == ["LITERAL", "IN", "IN", "MAX_REPEAT"]


def _pairwise(strings: frozenset[str]) -> frozenset[str]:
    kept: list[str] = []
    for s in sorted(strings, key=len):
        if not any(t in s for t in kept):
            kept.append(s)
    return frozenset(kept)


def test_minimal_drops_exactly_the_strings_containing_another() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        size = rng.randint(1, 12)
        strings = frozenset(
            "".join(rng.choice("ab ") for _ in range(rng.randint(1, 5))) for _ in range(size)
        )
        assert _minimal(strings) == _pairwise(strings), sorted(strings)


def test_minimal_of_strings_holding_the_separator() -> None:
    strings = frozenset({"a\x00b", "a", "c"})
    assert _minimal(strings) == frozenset({"a", "c"})


def test_scan_lookahead_lets_through_its_first_characters_and_all_non_ascii() -> None:
    pattern = re.compile(r"\b(?:jan|feb|mar)\b", re.IGNORECASE)
    scan = scan_pattern(pattern, pattern.flags & ~re.IGNORECASE)
    lookahead = re.match(r"\(\?=(\[[^\]]*\])\)", scan.pattern)
    assert lookahead is not None
    first = re.compile(lookahead.group(1))
    accepted = {c for c in map(chr, range(128)) if first.fullmatch(c)}
    assert accepted == {"j", "f", "m"}
    for code in (0x80, 0xE9, 0x17F, 0x212A, 0xFFFF, 0x10000, 0x10FFFF):
        assert first.fullmatch(chr(code))
    for text in ("in jan or feb", "MAR", "janvier", "é jan", ""):
        assert [m.span() for m in scan.finditer(text.lower())] == [
            m.span() for m in pattern.finditer(text.lower())
        ]
