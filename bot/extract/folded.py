"""Case-insensitive patterns matched fast, over the message every extractor is reading.

Two halves of one job, kept in one module because they meet on the hot path: ``Folded`` (and
``Prefilter``, its tests for a pattern it cannot wrap) decides cheaply whether a pattern can
match, and ``Message`` is the text under way prepared once (lowered, ``word_heads``) for those
decisions. ``Folded`` reads the message under way from a module global about sixty times per
message; from another module it would be an attribute lookup each time.

The analyses of the patterns themselves live in ``prefilter`` (required literals),
``word_gates`` and ``sure_matches``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.extract.prefilter import MAX_LITERALS, required
from bot.extract.regex_tree import scan_pattern
from bot.extract.sure_matches import sure
from bot.extract.word_gates import Heads, message_tokens, word_gate

# Escapes whose meaning does not depend on case-folding, though written in capitals.
_CASE_NEUTRAL_ESCAPES = frozenset("SWDBAZ")
# Named groups ("(?P<mon>", "(?P=mon)") are syntax, not literals: they are skipped. Other
# characters matter only when upper-case or not ASCII: the scan steps over the rest in C (one
# step per character cost a fortieth of the start-up), reading escapes and named groups where
# a scan of every character would.
_ESCAPE_OR_CHAR = re.compile(r"\(\?P[<=]|\\(.)|([^\x00-@\[-\x7f])", re.DOTALL)


def _all_lowercase(pattern: str) -> bool:
    """Whether a pattern's literal letters are all lowercase (escapes such as S and W allowed).

    A cased non-ASCII letter is refused too: ``re`` matches "ſ" with "s" and "ı" with "i"
    case-insensitively, which a case-sensitive run over lowered text would miss.
    """
    for m in _ESCAPE_OR_CHAR.finditer(pattern):
        escaped, char = m.groups()
        if escaped is None and char is None:
            continue
        if escaped is not None and escaped.isupper() and escaped not in _CASE_NEUTRAL_ESCAPES:
            return False
        if char is not None and char.isupper():
            return False
        symbol = escaped or char
        if not symbol.isascii() and symbol.lower() != symbol.upper():
            return False  # "ſ" and "ı" match ASCII letters case-insensitively
    return "(?-i" not in pattern and "(?i" not in pattern


def foldable(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` can be wrapped in ``Folded`` (case-insensitive, lowercase literals)."""
    return bool(pattern.flags & re.IGNORECASE) and _all_lowercase(pattern.pattern)


class Folded:
    """A case-insensitive pattern with a fast path for ASCII text.

    Python's ``re`` matches case-insensitively several times slower than exactly. On ASCII
    text, the same all-lowercase pattern compiled without ``IGNORECASE`` and run over
    ``text.lower()`` finds exactly the same matches at the same offsets (lowering ASCII keeps
    length, letters and word boundaries), so yes/no tests and offsets can use it. Matched text
    comes from the exact pattern, and non-ASCII text (where case-folding is subtler: "ſ", the
    Kelvin sign) always takes the exact pattern.
    """

    __slots__ = (
        "_fast_search", "_literals", "_spaced", "_sure_heads", "_sure_strings", "exact", "fast",
        "gate", "needs",
    )  # fmt: skip

    def __init__(self, pattern: re.Pattern[str], most_literals: int = MAX_LITERALS) -> None:
        """Wrap ``pattern``, which must be IGNORECASE with only lowercase literals.

        ``most_literals`` bounds the literal test (see ``prefilter.required``).
        """
        if not foldable(pattern):
            raise ValueError(f"not a lowercase case-insensitive pattern: {pattern.pattern!r}")
        self.exact = pattern
        # Rewritten for speed (``scan_pattern``: a first-character look-ahead, alternatives
        # grouped by first letter) with the same matches, groups and spans, so callers that
        # take matches from ``fast`` (on lowered text) gain too.
        self.fast = scan_pattern(pattern, pattern.flags & ~re.IGNORECASE)
        # Literals every match contains: most messages lack them all, and testing them is a few
        # substring checks where the fast scan still tries the pattern at every character.
        self.needs = required(pattern, most_literals)
        # ``in_lowered`` runs about sixty times per message: the literal test is inlined and the
        # bound methods kept (one call instead of three, about 0.15 µs each time).
        self._literals = self.needs.search if self.needs is not None else None
        self._spaced = self.needs is not None and self.needs.spaced
        self._fast_search = self.fast.search
        # Word tokens one of which every match has (``word_gates.word_gate``): tested against
        # the message's ``word_heads`` when the caller has them.
        self.gate = word_gate(pattern)
        # Alternatives that are plain strings or words: finding one proves a match, no scan.
        self._sure_strings, sure_heads = sure(pattern)
        self._sure_heads = sure_heads or None

    def in_lowered(self, lowered: str, heads: Heads | None = None) -> bool:
        """``found`` for ASCII text the caller has already lowered (once per message).

        ``heads`` must be ``word_heads(lowered)`` of this very text (or None): a word of a
        longer text proves nothing about a part of it (see ``may_match`` for that), and a
        substring cut mid-word, or a text rewritten, has word starts the heads lack.
        """
        if heads is not None:
            sure_heads = self._sure_heads
            if sure_heads is not None and not heads.isdisjoint(sure_heads):
                return True  # a word (or a digit) that is a whole alternative
            gate = self.gate
            if gate is not None and heads.isdisjoint(gate):
                return False  # no word of the text starts as every match must
        literals = self._literals
        if literals is not None and (not self._spaced or _printable(lowered)):
            found = literals(lowered)
            if found is None:
                return False  # none of the literals every match contains
            if self._sure_strings and found.group() in self._sure_strings:
                return True  # a whole alternative with no assertion
        return self._fast_search(lowered) is not None

    def may_match(self, heads: Heads) -> bool:
        """False when no part of the text ``heads`` were made from can match (word gate).

        Sound for any part of that text cut at word starts (a sentence of a message), unlike
        the sure matches ``in_lowered`` takes from heads.
        """
        return self.gate is None or not heads.isdisjoint(self.gate)

    def found(self, text: str) -> bool:
        """Whether the pattern occurs in ``text`` (``exact.search(text) is not None``)."""
        message = _current
        if message is not None and message.text == text:
            return self.in_lowered(message.lowered, message.heads)
        if text.isascii():
            return self.in_lowered(text.lower())
        return self.exact.search(text) is not None

    def _start(self, lowered: str, heads: Heads | None) -> int:
        r"""``in_lowered`` and where to start the exact scan: -1 when nothing can match.

        Otherwise a position no match starts before: the first fast match's, when the fast scan
        ran, else 0. The exact pattern matches where the fast one does (see the class), so
        scanning from there finds the same first match without scanning the text before it
        twice; ``search(text, pos)`` does not cut the text, so ``\b``, "^" and look-behinds
        still see what precedes ``pos``.
        """
        if heads is not None:
            sure_heads = self._sure_heads
            if sure_heads is not None and not heads.isdisjoint(sure_heads):
                return 0
            gate = self.gate
            if gate is not None and heads.isdisjoint(gate):
                return -1
        literals = self._literals
        if literals is not None and (not self._spaced or _printable(lowered)):
            found = literals(lowered)
            if found is None:
                return -1
            if self._sure_strings and found.group() in self._sure_strings:
                return 0
        m = self._fast_search(lowered)
        return -1 if m is None else m.start()

    def _start_opened(self, lowered: str, heads: Heads) -> int:
        # ``_start`` for a caller that has already found a token of ``gate`` in ``heads``
        # (``Branches``): the same answer without testing the gate again.
        sure_heads = self._sure_heads
        if sure_heads is not None and not heads.isdisjoint(sure_heads):
            return 0
        literals = self._literals
        if literals is not None and (not self._spaced or _printable(lowered)):
            found = literals(lowered)
            if found is None:
                return -1
            if self._sure_strings and found.group() in self._sure_strings:
                return 0
        m = self._fast_search(lowered)
        return -1 if m is None else m.start()

    # search and finditer repeat their first lines on purpose: they run about sixty times per
    # message, and a shared helper method measured 2-7% slower on decide().
    def search(self, text: str) -> re.Match[str] | None:
        """``exact.search(text)``, skipped when the fast test finds nothing."""
        message = _current
        if message is not None and message.text == text:
            # ``_start(message.lowered, message.heads)`` inline: ``search`` is the commonest
            # call, four or five a message, and the call cost a hundredth of the extractors.
            lowered, heads = message.lowered, message.heads
            sure_heads = self._sure_heads
            if sure_heads is not None and not heads.isdisjoint(sure_heads):
                return self.exact.search(text)
            gate = self.gate
            if gate is not None and heads.isdisjoint(gate):
                return None
            literals = self._literals
            if literals is not None and (message.printable or not self._spaced):
                found = literals(lowered)
                if found is None:
                    return None
                if self._sure_strings and found.group() in self._sure_strings:
                    return self.exact.search(text)
            m = self._fast_search(lowered)
            return None if m is None else self.exact.search(text, m.start())
        if text.isascii():
            start = self._start(text.lower(), None)
        else:
            return self.exact.search(text)
        return None if start < 0 else self.exact.search(text, start)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """``exact.finditer(text)``, skipped when the fast test finds nothing."""
        message = _current
        if message is not None and message.text == text:
            start = self._start(message.lowered, message.heads)
        elif text.isascii():
            start = self._start(text.lower(), None)
        else:
            return self.exact.finditer(text)
        return iter(()) if start < 0 else self.exact.finditer(text, start)


class Prefilter:
    """The cheap "cannot match" tests of ``Folded``, for a pattern it cannot wrap.

    For a pattern without IGNORECASE, say: word gate and required literals, on ASCII text
    lowered, never a scan. Lowering keeps both sound for any pattern: a match's literals,
    lowered, are in the lowered text, and lowering ASCII moves no word boundary.
    """

    __slots__ = ("gate", "needs")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        """Read the tests from ``pattern``."""
        self.gate = word_gate(pattern)
        self.needs = required(pattern)

    def in_lowered(self, lowered: str, heads: Heads | None = None) -> bool:
        """False when ``pattern`` cannot match the ASCII text ``lowered``; True if it may."""
        if heads is not None and self.gate is not None and heads.isdisjoint(self.gate):
            return False
        return self.needs is None or self.needs.present(lowered)

    # ``Folded._start`` without a scan (0: may match, -1: cannot), for callers that hold either
    # and scan with the exact pattern from there (timeline's rules). Private, without a
    # docstring: a new string constant would change the texts the correctness guard reads.
    def _start(self, lowered: str, heads: Heads | None = None) -> int:
        return 0 if self.in_lowered(lowered, heads) else -1


class Message:
    """The message ``read_text`` is reading, prepared once for all extractors of that call.

    ``lowered`` is the cleaned text lowered (ASCII only), ``heads`` its ``word_heads`` and
    ``words`` its whole words (``word_gates.message_tokens``).
    """

    __slots__ = ("heads", "lowered", "printable", "spelled", "text", "words")

    def __init__(self, cleaned: str) -> None:
        """Prepare ``cleaned`` (ASCII)."""
        self.text = cleaned
        self.lowered = lowered = cleaned.lower()
        # ``printable`` is ``lowered.isprintable()``, which a spaced literal test asks of it a
        # few times per extractor (see ``_printable``).
        self.heads, self.words, self.printable = message_tokens(lowered)
        # ``numbers.spell_out_digits(text)``, made by its first caller (a ``Rewritten``; typed
        # loosely here, as numbers imports this module).
        self.spelled: object | None = None


# The message of the ``read_text`` call under way, or None: set for the length of one call and
# cleared after it, never reused across calls. Read with an equality test on the lowered text,
# so a stale or foreign value can only mean "no heads" (one reference read: thread-safe).
_current: Message | None = None


def _printable(lowered: str) -> bool:
    """``lowered.isprintable()``, read from the message under way when it is its lowered text."""
    message = _current
    if message is not None and message.lowered is lowered:
        return message.printable
    return lowered.isprintable()


def begin_message(cleaned: str) -> Message | None:
    """Prepare ``cleaned`` for the extractors about to read it (ASCII text only)."""
    global _current
    _current = Message(cleaned) if cleaned.isascii() else None
    return _current


def end_message() -> None:
    """Forget the message: the next call prepares its own."""
    global _current
    _current = None


def current_message(text: str) -> Message | None:
    """The message under way when ``text`` is its cleaned text, else None."""
    message = _current
    if message is not None and message.text == text:
        return message
    return None


def heads_of_text(text: str) -> Heads | None:
    """``word_heads(text.lower())`` when ``text`` is the cleaned message under way, else None."""
    message = _current
    if message is not None and message.text == text:
        return message.heads
    return None


def heads_of(lowered: str) -> Heads | None:
    """``word_heads(lowered)`` when ``lowered`` is the message under way, else None."""
    message = _current
    if message is not None and message.lowered == lowered:
        return message.heads
    return None
