"""The stdlib's parse trees of regexes, shared by the analyses that read patterns at import.

``prefilter`` (required literals), ``word_gates`` (word heads a match starts with) and
``sure_matches`` (alternatives whose presence proves a match) all walk the tree ``re`` itself
builds. This module loads the private parser once and names the errors that mean "a construct
the walk does not know": each analysis then answers "no prefilter", which is always correct.
It also holds the smallest analysis, the characters a match starts with (``first_chars``), and
the scan ``Folded`` builds from it (``scan_pattern``).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import re
from typing import Any

# The stdlib's own regex parser (``re._parser``; the public ``sre_parse`` alias warns). Loaded
# by name: typeshed has no stub for the private module.
_parser: Any = importlib.import_module("re._parser")
# Opcodes of the parsed tree (``LITERAL``, ``BRANCH``, ``AT_BOUNDARY``, ...).
codes: Any = importlib.import_module("re._constants")

# What parsing or walking a pattern may raise on a construct the walks do not know (flows bring
# their own intent patterns).
PARSE_ERRORS = (RecursionError, TypeError, ValueError, IndexError)


def parse(pattern: re.Pattern[str]) -> Tree:
    """The parsed tree of ``pattern`` (a sequence of ``(opcode, argument)`` pairs), shared.

    Each of the three analyses asks for the same patterns, and the patterns repeat one another's
    parts (a title list inside four title patterns, a pattern's alternatives compiled alone as
    ``Branches``): parsed once per pattern, with equal sub-trees made one ``Tree`` object, the
    analyses compute each part once (they memoize by ``Tree``) and read tuples, not the
    parser's ``SubPattern`` with its ``__getitem__`` in Python. The walks only read the trees.
    """
    return _parsed(pattern.pattern, pattern.flags)


@functools.lru_cache(maxsize=1024)
def _parsed(source: str, flags: int) -> Tree:
    return _share(_parser.parse(source, flags))


class Tree(tuple[Any, ...]):
    """A parsed sequence of ``(opcode, argument)`` pairs, one object per distinct sub-tree.

    ``parse`` builds each distinct sequence once, so identity is equality here: hashed and
    compared by identity, a ``Tree`` is a cheap memo key, and a node holding one hashes in
    time independent of the sub-tree's size.
    """

    __slots__ = ()
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other


# Every distinct sequence parsed so far, by its nodes (which hold their sub-trees as ``Tree``):
# the patterns' parts, a few thousand, kept for the process (flows add their intent patterns).
_SHARED: dict[tuple[Any, ...], Tree] = {}
_SubPattern: Any = _parser.SubPattern
# Nodes whose argument holds no sub-tree and no list: kept as the parser made them.
_LEAVES = frozenset(
    {codes.LITERAL, codes.NOT_LITERAL, codes.AT, codes.ANY, codes.GROUPREF, codes.CATEGORY}
)


def _share(sequence: Any) -> Tree:
    """``sequence`` (the parser's ``SubPattern``) as nested tuples, equal parts one object."""
    nodes = tuple([_share_node(node) for node in sequence.data])
    shared = _SHARED.get(nodes)
    if shared is None:
        shared = _SHARED[nodes] = Tree(nodes)
    return shared


def _share_node(node: tuple[Any, Any]) -> tuple[Any, Any]:
    op, av = node
    if op in _LEAVES:
        return node
    if op is codes.IN:
        return op, tuple(av)  # items are (opcode, code) and (RANGE, (low, high)) pairs
    if op is codes.BRANCH:
        return op, (av[0], tuple([_share(branch) for branch in av[1]]))
    return op, _share_argument(av)


def _share_argument(av: Any) -> Any:
    # A group, a repeat, a look-around, a conditional: sub-trees shared, lists as tuples.
    if isinstance(av, _SubPattern):
        return _share(av)
    if isinstance(av, (tuple, list)):
        return tuple([_share_argument(item) for item in av])
    return av


# Every ASCII character, and the classes ``\d``, ``\s``, ``\w`` and their negations over it.
_ASCII = frozenset(map(chr, range(128)))
_CATEGORY_CHARS = {
    getattr(codes, name): frozenset(c for c in _ASCII if re.fullmatch(escape, c))
    for name, escape in (
        ("CATEGORY_DIGIT", r"\d"), ("CATEGORY_NOT_DIGIT", r"\D"),
        ("CATEGORY_SPACE", r"\s"), ("CATEGORY_NOT_SPACE", r"\S"),
        ("CATEGORY_WORD", r"\w"), ("CATEGORY_NOT_WORD", r"\W"),
    )
}  # fmt: skip
_REPEATS = frozenset({codes.MAX_REPEAT, codes.MIN_REPEAT, codes.POSSESSIVE_REPEAT})
_ZERO_WIDTH = frozenset({codes.AT, codes.ASSERT, codes.ASSERT_NOT})


def first_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The ASCII characters a match of ``pattern`` can start with; None when unsure.

    None too when a match may be empty (it consumes no first character). A superset is always
    sound: a match starting at an ASCII character outside the set is impossible. Non-ASCII
    characters are not described (callers must let them through).
    """
    try:
        chars, may_be_empty = _first(parse(pattern))
    except PARSE_ERRORS:
        return None
    return None if may_be_empty else chars


def first_char_class(source: str) -> str:
    """A class ("[aeo']") of the characters every match of ``source`` starts with.

    For a look-ahead written in front of a hand-made alternation, ``(?=[...])``. Raises
    ValueError when unsure, or when a match may start with a character other than a lowercase
    ASCII letter or "'" (the class would then need the care ``scan_pattern`` takes).
    """
    chars = first_chars(re.compile(source))
    if not chars or any(not c.isascii() or not (c.islower() or c == "'") for c in chars):
        raise ValueError(source)
    return "[" + "".join(sorted(chars)) + "]"


def _first(sequence: Any) -> tuple[frozenset[str], bool]:
    # (the ASCII first characters of the parsed sequence, whether it can match empty text); an
    # unknown construct raises ValueError, which ``first_chars`` reads as "unsure".
    chars: frozenset[str] = frozenset()
    for op, av in sequence:
        if op in _ZERO_WIDTH:
            continue  # consumes nothing: the next item's first character is the match's
        if op is codes.LITERAL:
            return chars | {chr(av)}, False
        if op is codes.NOT_LITERAL or op is codes.ANY:
            return _ASCII, False
        if op is codes.IN:
            return chars | _class_chars(av), False
        if op is codes.BRANCH:
            parts = [_first(branch) for branch in av[1]]
            empty = any(e for _, e in parts)
            chars = chars.union(*(c for c, _ in parts))
        elif op is codes.SUBPATTERN:
            part, empty = _first(av[-1])
            chars |= part
        elif op is codes.ATOMIC_GROUP:
            part, empty = _first(av)
            chars |= part
        elif op in _REPEATS:
            part, empty = _first(av[2])
            chars |= part
            empty = empty or av[0] == 0
        else:
            raise ValueError(op)  # a back-reference, a conditional group: unsure
        if not empty:
            return chars, False
    return chars, True


def _class_chars(items: Any) -> frozenset[str]:
    # The ASCII characters of a parsed character class ("[a-z\d']", "[^,]").
    chars: frozenset[str] = frozenset()
    negate = False
    for op, av in items:
        if op is codes.NEGATE:
            negate = True
        elif op is codes.LITERAL:
            chars |= {chr(av)}
        elif op is codes.RANGE:
            chars |= {chr(c) for c in range(av[0], min(av[1], 127) + 1)}
        elif op is codes.CATEGORY and av in _CATEGORY_CHARS:
            chars |= _CATEGORY_CHARS[av]
        else:
            raise ValueError(op)
    return _ASCII - chars if negate else chars & _ASCII


def scan_pattern(pattern: re.Pattern[str], flags: int) -> re.Pattern[str]:
    r"""``pattern`` compiled with ``flags``, behind a look-ahead for its matches' first characters.

    Its alternatives are grouped by first letter too (``by_first_letter``).

    ``re`` tries a pattern that starts with ``\b`` or a look-behind at every character, each
    alternative in turn; the look-ahead turns most places (spaces, other letters) away in one
    class test. Same matches (spans and groups): every match starts with a character of the
    set (``first_chars``), non-ASCII characters are all let through, and the grouping keeps
    each group's order of preference and adds no capturing group. No look-ahead when ``re``
    already skips ahead by itself (a leading literal or class) or when the set holds a space
    (most places pass anyway); verbose patterns (comments) are kept as written.

    The look-ahead's class is written negated, as the ASCII characters no match starts with
    ("[^\x00-\x60]"): the same class written as the set plus "\x80-\U0010ffff" made ``re``'s
    compiler loop over every BMP character, 5 ms per pattern, a fifth of the start-up.

    ``Folded`` passes its exact pattern and flags without IGNORECASE: the parsed tree does not
    depend on that flag (``re``'s compiler applies it), so the tree the other analyses already
    parsed serves, and the pattern as written is compiled only when the rewrite changes nothing.
    """
    if flags & re.VERBOSE:
        return re.compile(pattern.pattern, flags)
    source = pattern.pattern
    # A construct ``by_first_letter`` does not read (ValueError): the pattern as written.
    with contextlib.suppress(ValueError):
        source = by_first_letter(source)
    chars = None if _has_prefix(pattern) else first_chars(pattern)
    if chars is not None and " " not in chars:
        source = f"(?=[^{_ranges(_ASCII - chars)}])(?:{source})"
    if source != pattern.pattern:
        try:
            scan = re.compile(source, flags)
        except re.error:
            pass  # a global inline flag ("(?s)") must open the pattern
        else:
            # The rewrite adds no capturing group; were one misread, the pattern as written.
            if scan.groupindex == pattern.groupindex and scan.groups == pattern.groups:
                return scan
    return re.compile(pattern.pattern, flags)


def _ranges(chars: frozenset[str]) -> str:
    r"""The body of a class of ``chars`` (not empty), as runs of escaped codes: "\x00-\x1f\x7f"."""
    ordered = sorted(map(ord, chars))
    runs: list[list[int]] = [[ordered[0], ordered[0]]]
    for code in ordered[1:]:
        if code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(
        f"\\x{low:02x}" if low == high else f"\\x{low:02x}-\\x{high:02x}" for low, high in runs
    )


def _has_prefix(pattern: re.Pattern[str]) -> bool:
    # Whether ``re`` finds the pattern's first character by itself (a literal, a class, or
    # alternatives that each open with a literal), skipping places faster than a look-ahead,
    # or the pattern opens with a look-ahead of its own (a second one only adds a test).
    try:
        items = parse(pattern)
        while len(items) and items[0][0] is codes.SUBPATTERN:
            items = items[0][1][-1]
    except PARSE_ERRORS:
        return True
    if not len(items):
        return True
    op, av = items[0]
    if op is codes.BRANCH:
        return all(len(b) and b[0][0] is codes.LITERAL for b in av[1])
    return op is codes.LITERAL or op is codes.IN or (op is codes.ASSERT and av[0] == 1)


def by_first_letter(source: str) -> str:
    r"""``source`` with the alternatives of each group that open with a letter grouped by it.

    "jan|jun|week" becomes "j(?:an|un)|week": ``re`` tries each alternative at every place, and
    one letter test now turns a whole group away. Same matches, in the same order of preference:
    alternatives that open with different letters never match at the same place, a group keeps
    its alternatives' order, and one that does not open with a plain letter ("\d", "(?:x)",
    "a?b") closes the run (order across it kept). ValueError on a construct not read here.
    """
    rewritten, end = _regroup(source, 0)
    if end != len(source):
        raise ValueError(source)  # an unbalanced ")"
    return rewritten


def _regroup(source: str, index: int) -> tuple[str, int]:
    # The alternation from ``index`` to its group's ")" (or the end), regrouped, and where it
    # stopped.
    alternatives: list[str] = []
    current: list[str] = []
    while index < len(source) and source[index] != ")":
        char = source[index]
        if char == "\\":
            current.append(source[index : index + 2])
            index += 2
        elif char == "[":
            end = index + 1 + (source[index + 1 : index + 2] == "^")
            end += source[end : end + 1] == "]"  # a "]" first in a class is a literal
            while source[end : end + 1] != "]":
                end += 1 + (source[end : end + 1] == "\\")
                if end >= len(source):
                    raise ValueError(source)
            current.append(source[index : end + 1])
            index = end + 1
        elif char == "(":
            opener = _OPENER.match(source, index)
            if opener is None:
                raise ValueError(source)  # a conditional group, a comment: not read here
            if opener.group().startswith("(?P="):
                current.append(opener.group())  # a back-reference: no group body
                index = opener.end()
                continue
            inner, close = _regroup(source, opener.end())
            if close >= len(source):
                raise ValueError(source)
            current.append(opener.group() + inner + ")")
            index = close + 1
        elif char == "|":
            alternatives.append("".join(current))
            current = []
            index += 1
        else:
            # Plain characters up to the next one read above, in one step (one at a time, the
            # rewrite cost a twentieth of the start-up).
            plain = _PLAIN_CHARS.match(source, index)
            if plain is None:  # never: ``char`` is one of them
                raise ValueError(source)
            current.append(plain.group())
            index = plain.end()
    alternatives.append("".join(current))
    return _grouped(alternatives), index


# Characters ``_regroup`` copies as they are.
_PLAIN_CHARS = re.compile(r"[^\\\[()|]+")
# What opens a group: plain, non-capturing, named, look-around, atomic; or a back-reference.
_OPENER = re.compile(r"\((?:\?(?::|P<\w+>|P=\w+\)|=|!|<=|<!|>))?")


def _grouped(alternatives: list[str]) -> str:
    # "|".join(alternatives), runs of letter-first alternatives grouped by their first letter.
    # The letter may follow a "\b" ("\bfrom|\bfor" -> "\bf(?:rom|or)"); "\bin" and "in" both
    # open with "i" and may match at one place, so they never share a run (order kept).
    pieces: list[str] = []
    run: dict[str, tuple[str, list[str]]] = {}

    def close_run() -> None:
        for head, rests in run.values():
            alone = len(rests) == 1
            pieces.append(head + rests[0] if alone else f"{head}(?:{'|'.join(rests)})")
        run.clear()

    for alternative in alternatives:
        opening = _LETTER_FIRST.match(alternative)
        if opening is None:
            close_run()
            pieces.append(alternative)
            continue
        head, letter = opening.group(1), opening.group(2)
        if letter in run and run[letter][0] != head:
            close_run()
        run.setdefault(letter, (head, []))[1].append(alternative[opening.end(1) :])
    close_run()
    return "|".join(pieces)


# A first letter, after an optional "\b", not made optional or repeated by a quantifier ("s?x").
_LETTER_FIRST = re.compile(r"((?:\\b)?([a-z]))(?![?*+{])")
