"""A big case-insensitive alternation searched branch by branch, each behind its own gates.

A pattern such as ``OTHER_DECIDES`` is some thirty alternatives, and its word gate is the union
of theirs: one common word ("up", "say", "need") opens it, and its fast scan then tries every
alternative at every character (about 29 µs on a 55-character miss). Split at the top level,
each alternative gets ``Folded``'s own gates, and only the few a message opens are joined again
and scanned once (scanned one by one, they cost 60-90k instructions on the bench's role lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.extract.folded import Folded, Message, current_message
from bot.extract.prefilter import Literals
from bot.extract.regex_tree import scan_pattern

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
    """``exact.search(text)`` for a top-level alternation, scanning only the branches opened.

    On the message under way, the branches whose word gates its heads open (the others match
    nowhere in it) are joined again into one fast pattern, kept per set of branches opened:
    one scan finds the leftmost match of the whole pattern, where ``re`` takes the first
    alternative in order that matches, and the first opened branch whose exact pattern matches
    there gives the match. The literals of every opened branch, in one test, skip the scan
    when none occurs. Only the whole match is kept (its span and text): the pattern must have
    no capturing groups.
    """

    # Sets of opened branches kept, with their joined patterns: a process meets a few dozen;
    # hostile text could churn more, at the cost of compiling them again.
    _MOST_PLANS = 512

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
        self._plans: dict[int, _Plan] = {}

    def search(self, text: str) -> re.Match[str] | None:
        """``exact.search(text)``'s match, found among the opened branches (see the class).

        The match comes from the alternative's own pattern: the same span and text as the
        whole pattern's, though ``m.re`` and ``m.pos`` differ. A text other than the message
        under way (non-ASCII text never is one) takes the whole pattern through ``Folded``:
        without word heads, one fast scan beats the branches' gates.
        """
        message = current_message(text)
        if message is None:
            return self._whole.search(text)
        return self._plan(message).search(text, message, 0)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """``exact.finditer(text)``'s matches (their spans and text), found as ``search`` does.

        Each next match is the first at or after the end of the last, as ``finditer`` scans
        on; an empty match (after which ``finditer`` has its own rule for where to go on)
        hands the rest of the scan to the whole pattern from where that search started, which
        is where ``finditer`` itself would be.
        """
        message = current_message(text)
        if message is None:
            yield from self._whole.finditer(text)
            return
        plan = self._plan(message)
        pos = 0
        while (m := plan.search(text, message, pos)) is not None:
            if m.end() == m.start():
                yield from self.exact.finditer(text, pos)
                return
            yield m
            pos = m.end()

    def _plan(self, message: Message) -> _Plan:
        # The branches the message's heads open, as bits in the branches' order, and their plan.
        mask = self._ungated
        of_token = self._of_token
        for token in self._tokens.intersection(message.heads):
            mask |= of_token[token]
        plan = self._plans.get(mask)
        if plan is None:
            if len(self._plans) >= self._MOST_PLANS:
                self._plans.clear()
            opened = [b for i, b in enumerate(self._branches) if mask >> i & 1]
            plan = self._plans[mask] = _Plan(opened)
        return plan


class _Plan:
    """The opened branches of a ``Branches``: their literals and their joined fast pattern."""

    __slots__ = ("anchored", "branches", "literals", "scan", "spaced")

    def __init__(self, branches: list[Folded]) -> None:
        self.branches = branches
        # Every match is one of an opened branch, and holds one of that branch's literals.
        needs = [b.needs for b in branches]
        literals: Literals | None = None
        if len(needs) == 1:
            literals = needs[0]
        elif needs and None not in needs:
            literals = Literals(frozenset(s for n in needs if n is not None for s in n.strings))
        self.literals = literals.search if literals is not None else None
        self.spaced = literals is not None and literals.spaced
        # A branch that starts with "^" matches at the start of the text only: it is tried there
        # alone, and the joined scan of the rest keeps the look-ahead ``scan_pattern`` puts in
        # front of it ("^\W*" lets a space start a match, which turns the look-ahead off).
        multiline = bool(branches) and branches[0].exact.flags & re.MULTILINE
        self.anchored = [b.fast for b in branches if b.exact.pattern[:1] == "^" and not multiline]
        rest = [b for b in branches if b.exact.pattern[:1] != "^" or multiline]
        self.scan: re.Pattern[str] | None = None
        if len(rest) == 1:
            self.scan = rest[0].fast
        elif rest:
            # All lowercase, as each branch is (``Folded``): matched on the lowered message.
            joined = re.compile("|".join(b.exact.pattern for b in rest), rest[0].exact.flags)
            self.scan = scan_pattern(joined, joined.flags & ~re.IGNORECASE)

    def search(self, text: str, message: Message, pos: int) -> re.Match[str] | None:
        """The whole pattern's first match in ``text`` (the message) at or after ``pos``."""
        lowered = message.lowered
        literals = self.literals
        if (
            literals is not None
            and (message.printable or not self.spaced)
            and literals(lowered, pos) is None
        ):
            return None  # none of the literals every match holds
        if pos == 0 and self.anchored and any(a.match(lowered) for a in self.anchored):
            start = 0
        elif self.scan is not None and (found := self.scan.search(lowered, pos)) is not None:
            start = found.start()
        else:
            return None
        for branch in self.branches:
            if (m := branch.exact.match(text, start)) is not None:
                return m
        raise AssertionError(text)  # the fast scan matched where no branch does
