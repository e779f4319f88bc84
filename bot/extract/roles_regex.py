r"""Rewrites of a big alternation's source that keep its matches and make ``re`` scan it faster.

``re`` tries the alternatives of a group one after another at every place it scans, and a
pattern that starts with an assertion ("\b") gets no first-character test to skip places.
Used for the role vocabulary (bot/extract/roles.py) and the need cues (bot/extract/need.py).
"""

from __future__ import annotations

import re
from typing import Any

from bot.extract.branches import top_level_branches
from bot.extract.regex_tree import codes as _c
from bot.extract.regex_tree import parse


def by_first_letter(alternation: str) -> str:
    """``alternation`` ("sales|support|marketing") as "(?:s(?:ales|upport)|m(?:arketing))".

    Alternatives that start with different letters never match at the same place, and a group
    keeps its alternatives' order, so the matches are the same (on lowered text as with
    IGNORECASE). An alternative that does not start with a letter ("(?:is|are) bad", "'d like")
    stays where it is: only the runs of letter-first alternatives between such are grouped.
    """
    pieces: list[str] = []
    run: dict[str, list[str]] = {}

    def close_run() -> None:
        pieces.extend(f"{letter}(?:{'|'.join(rests)})" for letter, rests in run.items())
        run.clear()

    for alternative in top_level_branches(alternation):
        if "a" <= alternative[:1] <= "z":
            run.setdefault(alternative[0], []).append(alternative[1:])
        else:
            close_run()
            pieces.append(alternative)
    close_run()
    return "(?:" + "|".join(pieces) + ")"


def first_chars(source: str) -> str:
    """A class ("[aeo']") of the characters every match of ``source`` starts with.

    For a look-ahead in front of an alternation, ``(?=[...])``: it rejects the places where no
    alternative can start (spaces, punctuation) before ``re`` tries each alternative there.
    Raises ValueError when a match may start otherwise (an optional or non-literal start).
    """
    chars = _first(parse(re.compile(source)))
    if not chars or any(not c.isascii() or not (c.islower() or c == "'") for c in chars):
        raise ValueError(source)
    return "[" + "".join(sorted(chars)) + "]"


def _first(items: Any) -> set[str]:
    """The first characters of the parsed sequence ``items``; ValueError when unsure."""
    if not len(items):
        raise ValueError("empty")
    op, av = items[0]
    if op is _c.LITERAL:
        return {chr(av)}
    if op is _c.IN and all(kind is _c.LITERAL for kind, _ in av):
        return {chr(code) for _, code in av}
    if op is _c.BRANCH:
        return set().union(*(_first(branch) for branch in av[1]))
    if op is _c.SUBPATTERN:
        return _first(av[-1])
    if op is _c.AT and av is _c.AT_BOUNDARY:
        return _first(items[1:])  # "\b" consumes nothing: what follows starts the match
    raise ValueError(op)
