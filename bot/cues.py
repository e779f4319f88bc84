"""A flow's intent cues tested together, once per message: which of them the message carries.

``Flow.cues`` tests one intent at a time, each over the whole alternation of its patterns: one
common word opens the alternation's word gate, and its scan then tries every pattern at every
character. A turn tests all seven cues (about a sixth of decide(), outside the extractors).
Here each pattern of each intent is gated alone, and one intersection of the message's word
heads with every pattern's gate tokens tells which few patterns can match at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from bot.extract.folded import Folded, current_message, foldable
from bot.extract.regex_tree import PARSE_ERRORS, codes, first_chars, parse

Cue = Callable[[str], bool]
Scan = Callable[[str], re.Match[str] | None]
# One pattern of an intent: its bit, the pattern, and for a pattern anchored at the start its
# fast scan (one try at the first character: cheaper than ``Folded``'s literal tests).
Part = tuple[int, Folded, Scan | None]

# A numbered back-reference or conditional refers to a group by its place in the alternation,
# which splitting renumbers: an intent with one is tested whole.
_GROUP_NUMBER = re.compile(r"\\[1-9]|\(\?\(")


class CueSet:
    """Which intents a message carries: the same answers as each of ``Flow.cues``, together.

    A search of ``(?:p1)|(?:p2)|...`` finds a match exactly when one of the patterns, searched
    alone with the same flags, does: so an intent holds when one of its patterns matches.
    """

    def __init__(self, patterns: Mapping[str, Sequence[str]], cues: Mapping[str, Cue]) -> None:
        """Split each intent of ``patterns`` into its patterns; ``cues`` test an intent whole.

        An intent whose patterns cannot all be wrapped in ``Folded`` (or split soundly) is
        tested whole, by its cue.
        """
        self._whole = dict(cues)
        split = {name: _parts(patterns[name]) for name in cues}
        self._whole_names = tuple(name for name, parts in split.items() if parts is None)
        # Patterns without a word gate, tried on every message (in flow order), with their
        # intent and, for one anchored at the start, the characters a match can start with
        # (``first_chars``: the text's first one must be one of them); the gated ones per
        # intent as (bit, Folded, scan), with the intent's bits.
        self._always: list[tuple[str, Folded, Scan | None, frozenset[str] | None]] = []
        self._gated: list[tuple[str, int, tuple[Part, ...]]] = []
        self._of_token: dict[bytes, int] = {}  # gate token -> the bits of the patterns it opens
        bit = 1
        for name, parts in split.items():
            own: list[Part] = []
            for part in parts or ():
                scan = part.fast.search if _anchored(part.exact) else None
                if part.gate is None:
                    firsts = None if scan is None else first_chars(part.exact)
                    self._always.append((name, part, scan, firsts))
                    continue
                own.append((bit, part, scan))
                for token in part.gate:
                    self._of_token[token] = self._of_token.get(token, 0) | bit
                bit <<= 1
            if own:
                self._gated.append((name, sum(b for b, _, _ in own), tuple(own)))
        self._tokens = frozenset(self._of_token)

    def found(self, text: str) -> set[str]:
        """The intents ``text`` carries: ``{name for name, cue in cues.items() if cue(text)}``.

        Gated per pattern when ``text`` is the message under way (``begin_message``); any other
        text (non-ASCII text is never one) takes each intent's whole cue.
        """
        message = current_message(text)
        if message is None:
            return {name for name, cue in self._whole.items() if cue(text)}
        lowered, heads = message.lowered, message.heads
        hits: set[str] = set()
        for name in self._whole_names:
            if self._whole[name](text):
                hits.add(name)
        # ``scan`` is ``Folded.fast.search``: over ASCII text lowered, the same as the pattern.
        # An anchored match starts at the text's first character ("" for an empty text: a
        # pattern with ``firsts`` matches no empty text).
        first = lowered[:1]
        for name, part, scan, firsts in self._always:
            if name in hits or (firsts is not None and first not in firsts):
                continue
            if part.in_lowered(lowered, heads) if scan is None else scan(lowered):
                hits.add(name)
        # A pattern whose gate the heads miss cannot match (``Folded.in_lowered``): most
        # messages open none, and only a few patterns are tried.
        opened = self._tokens.intersection(heads)
        if not opened:
            return hits
        mask = 0
        of_token = self._of_token
        for token in opened:
            mask |= of_token[token]
        for name, bits, parts in self._gated:
            if not mask & bits or name in hits:
                continue
            for bit, part, scan in parts:
                if mask & bit and (
                    part.in_lowered(lowered, heads) if scan is None else scan(lowered)
                ):
                    hits.add(name)
                    break
        return hits


def _parts(sources: Sequence[str]) -> tuple[Folded, ...] | None:
    """Each pattern of an intent as ``Folded`` (as ``compile_flow`` flags it), or None."""
    parts = []
    for source in sources:
        if _GROUP_NUMBER.search(source):
            return None
        try:
            pattern = re.compile(source, re.IGNORECASE)
        except re.error:
            return None  # valid only inside the alternation: tested whole
        if not foldable(pattern):
            return None
        parts.append(Folded(pattern))
    return tuple(parts)


def _anchored(pattern: re.Pattern[str]) -> bool:
    """Whether every match of ``pattern`` starts at the text's start (it begins with "^")."""
    try:
        tree = list(parse(pattern))
    except PARSE_ERRORS:
        return False
    return bool(tree) and tree[0] == (codes.AT, codes.AT_BEGINNING)
