"""Which date rules of the timeline extractor may match a message: cheap tests before scans.

Most messages hold no date, and most rules find nothing in a message that does: a rule whose
tests say no is skipped without its regex scan (the tests are sound: no means no match).
"""

from __future__ import annotations

import re

from bot.extract.folded import Folded, Message, Prefilter, foldable
from bot.extract.timerules import RULES, Rule
from bot.extract.timevague import CHECK_TOKENS
from bot.extract.timewords import CUE, CUE_WORDS
from bot.extract.word_gates import HEAD_WIDTH, WORD_CHARS, Heads

# A message without a cue (a digit or a ``CUE_WORDS`` entry from a word start) has no timing.
_CUE = Folded(CUE)
# On the lowered ASCII message, with its word heads (prefixes of 1 to HEAD_WIDTH characters of
# each word, and each whole word):
# - a cue of word characters is a head exactly when a word starts with it, or, longer than
#   HEAD_WIDTH, when it is a whole word: a match either way (as is a digit, head "#");
# - a longer cue from a word start puts its first HEAD_WIDTH characters among the heads;
# - a cue with other characters ("n/a", "end of") is a substring of the text, and its first
#   word ("n", "end") starts a word of the text.
# Failing all three, ``CUE`` cannot match; passing only the last two, the scan decides.
_WORDLIKE = tuple(w for w in CUE_WORDS if set(w) <= WORD_CHARS)
_CUE_SURE = frozenset(w.encode("ascii") for w in _WORDLIKE) | {b"#"}
_CUE_HEADS = frozenset(w[:HEAD_WIDTH].encode("ascii") for w in _WORDLIKE)
_CUE_STRINGS = tuple(w for w in CUE_WORDS if not set(w) <= WORD_CHARS)
_FIRST_WORD = re.compile(r"[a-z0-9_]+")  # every cue starts with a word character
_CUE_MAYBE = _CUE_HEADS | {
    _FIRST_WORD.match(w)[0][:HEAD_WIDTH].encode("ascii")  # type: ignore[index]
    for w in _CUE_STRINGS
}

# A fast yes/no test per rule, and where its exact scan may start (``_start``). The
# case-sensitive ones (figures: "2026-05-01", "1/6") still get the tests without the scan.
RULE_TESTS = tuple(
    Folded(rule.pattern) if foldable(rule.pattern) else Prefilter(rule.pattern) for rule in RULES
)
Plan = tuple[tuple[Rule, Folded | Prefilter], ...]

# Keyword dispatch over the rules' word gates, as bit sets of rule indexes: a rule whose gate
# shares no token with the message's heads cannot match (its test would say so).
_ALL_RULES = (1 << len(RULES)) - 1
_UNGATED_RULES = sum(1 << i for i, test in enumerate(RULE_TESTS) if test.gate is None)
_RULES_OF_TOKEN: dict[bytes, int] = {}
for _index, _test in enumerate(RULE_TESTS):
    for _token in _test.gate or ():
        _RULES_OF_TOKEN[_token] = _RULES_OF_TOKEN.get(_token, 0) | 1 << _index
_RULE_TOKENS = frozenset(_RULES_OF_TOKEN)
# The rules' own cheaper tests (``Rule.words``, ``Rule.near``), by bit.
_WORD_TESTS = tuple((1 << i, rule.words) for i, rule in enumerate(RULES) if rule.words)
_NEAR_TESTS = tuple((1 << i, rule.near) for i, rule in enumerate(RULES) if rule.near)
_WORDED_RULES = sum(bit for bit, _ in _WORD_TESTS)
_NEAR_RULES = sum(bit for bit, _ in _NEAR_TESTS)
_HEAD_TESTS = tuple((1 << i, rule.heads) for i, rule in enumerate(RULES) if rule.heads)
_VOUCH_TESTS = tuple((1 << i, rule.vouch) for i, rule in enumerate(RULES) if rule.vouch)
# Every byte but a word character (``\w`` on ASCII: letters, digits, "_") becomes a space:
# ``split`` then gives the text's whole words (maximal runs of word characters).
_TO_WORDS = bytes(c if c < 128 and (chr(c).isalnum() or chr(c) == "_") else 32 for c in range(256))
# The rules of each bit set, in order (the order decides overlaps), made once per set: at most
# 2**15 sets, and a handful occur.
_PLANS: dict[int, Plan] = {}


def _plan(rules: int) -> Plan:
    plan = _PLANS.get(rules)
    if plan is None:
        pairs = zip(RULES, RULE_TESTS, strict=True)
        plan = _PLANS[rules] = tuple(pair for i, pair in enumerate(pairs) if rules >> i & 1)
    return plan


def rules_for(lower: str | None, heads: Heads | None, asked: bool) -> Plan:
    """The rules that may match a text, with their tests.

    ``lower`` is the text lowered, None when it is not ASCII (then every rule may match), and
    ``heads`` its ``word_heads`` (None: unknown). Without ``asked``, a rule whose matches could
    not count is left out too.
    """
    if lower is None:
        return _plan(_ALL_RULES)
    rules = _ALL_RULES
    if heads is not None:
        rules = _UNGATED_RULES
        for token in _RULE_TOKENS.intersection(heads):
            rules |= _RULES_OF_TOKEN[token]
        for bit, needed in _HEAD_TESTS:
            if rules & bit and needed.isdisjoint(heads):
                rules &= ~bit
        if not asked:
            for bit, needed in _VOUCH_TESTS:
                if rules & bit and needed.isdisjoint(heads):
                    rules &= ~bit
    return _narrowed(rules, lower)


def rules_of_flags(lower: str, flags: int, asked: bool, words: list[bytes] | None = None) -> Plan:
    """``rules_for(lower, heads, asked)`` given ``head_flags(heads)`` instead of the heads.

    ``words`` is ``Message.words`` of ``lower`` when the caller has them (see ``_narrowed``).
    """
    # Positive masks throughout: ``~mask`` on a Python int is a negative number, and each
    # operation with one converts it (about a fifth of this function's cost).
    rules = (_UNGATED_RULES | flags) & (flags >> _HEAD_SHIFT | _UNHEADED_RULES) & _ALL_RULES
    if not asked:
        rules &= flags >> _VOUCH_SHIFT | _UNVOUCHED_RULES
    if rules & _TESTED_RULES:
        return _narrowed(rules, lower, words)
    plan = _PLANS.get(rules)
    return _plan(rules) if plan is None else plan


# The whole-word tests (``Rule.words``) answered by one pass over the message's words, as
# ``head_flags`` does for the heads: a rule with a word test keeps its bit when one of its
# words is there. Seven ``isdisjoint`` calls, each a pass over the words, cost about 9,000
# instructions a dated message; the one intersection and its few hits, a fraction of that.
_RULES_OF_WORD: dict[bytes, int] = {}
for _bit, _needed in _WORD_TESTS:
    for _word in _needed:
        _RULES_OF_WORD[_word] = _RULES_OF_WORD.get(_word, 0) | _bit
_WORDS_TESTED = frozenset(_RULES_OF_WORD)
_UNWORDED_RULES = _ALL_RULES - _WORDED_RULES


def word_rules(words: list[bytes]) -> int:
    """The rules whose whole-word test (``Rule.words``) ``words`` pass, or that have none."""
    rules = _UNWORDED_RULES
    for word in _WORDS_TESTED.intersection(words):
        rules |= _RULES_OF_WORD[word]
    return rules


def _narrowed(rules: int, lower: str, words: list[bytes] | None = None) -> Plan:
    """The plan of ``rules`` less those the whole-word and ``near`` tests refuse on ``lower``."""
    if rules & _WORDED_RULES:
        # ``Message.words`` (``word_gates.message_tokens``) are these very words on lowered
        # ASCII text: its table differs only on upper case and controls (a tab, also a
        # separator). Reusing them saves the split, about 4,500 instructions a dated message.
        if words is None:
            words = lower.encode("ascii").translate(_TO_WORDS).split()
        rules &= word_rules(words)
    if rules & _NEAR_RULES:
        for bit, near in _NEAR_TESTS:
            if rules & bit and near.search(lower) is None:
                rules &= ~bit
    return _plan(rules)


def has_cue(text: str, message: Message | None) -> bool:
    """``CUE.search(text) is not None``, mostly without a scan given ``message`` (``text``)."""
    if message is None:
        return _CUE.found(text)
    heads, lowered = message.heads, message.lowered
    if not heads.isdisjoint(_CUE_SURE):
        return True
    if heads.isdisjoint(_CUE_MAYBE):
        return False
    if heads.isdisjoint(_CUE_HEADS):
        for string in _CUE_STRINGS:
            if string in lowered:
                break
        else:
            return False
    return _CUE.fast.search(lowered) is not None  # ``Folded``: the same answer on ASCII text


# The set tests of ``rules_for`` and ``timevague.vague`` against a message's heads, answered
# by one pass over them: each token of any of those sets maps to the bits of the sets holding
# it (``head_flags``). The fields: rule gates (bit i: rule i), the rules' ``heads`` and
# ``vouch`` tests, and the vague readings' gates (``timevague.CHECK_TOKENS``). A miss ran up
# to a dozen ``isdisjoint`` calls, each a hash lookup per head of the message (about 2,000
# instructions on a ten-word message); the intersection makes one such pass, and its few
# tokens a short loop. ``has_cue`` keeps its own early-exiting tests: most messages stop
# there, and a pass over every token set first cost those 2,000-5,000 instructions more.
_HEAD_SHIFT = len(RULES)
_VOUCH_SHIFT = 2 * len(RULES)
VAGUE_SHIFT = 3 * len(RULES)  # the bit of ``CHECK_TOKENS[k]`` is ``1 << VAGUE_SHIFT + k``
_UNHEADED_RULES = _ALL_RULES - sum(bit for bit, _ in _HEAD_TESTS)
_UNVOUCHED_RULES = _ALL_RULES - sum(bit for bit, _ in _VOUCH_TESTS)
_TESTED_RULES = _WORDED_RULES | _NEAR_RULES  # the rules ``_narrowed`` may leave out


def _flag_table() -> dict[bytes, int]:
    table: dict[bytes, int] = {}

    def mark(tokens: frozenset[bytes], flag: int) -> None:
        for token in tokens:
            table[token] = table.get(token, 0) | flag

    for token, rules in _RULES_OF_TOKEN.items():
        mark(frozenset({token}), rules)
    for bit, needed in _HEAD_TESTS:
        mark(needed, bit << _HEAD_SHIFT)
    for bit, needed in _VOUCH_TESTS:
        mark(needed, bit << _VOUCH_SHIFT)
    for k, tokens in enumerate(CHECK_TOKENS):
        mark(tokens, 1 << VAGUE_SHIFT + k)
    return table


_FLAGS_OF_TOKEN = _flag_table()
_FLAGGED = frozenset(_FLAGS_OF_TOKEN)


def head_flags(heads: Heads) -> int:
    """The bits (see ``_FLAGS_OF_TOKEN``) of every set above that shares a token with ``heads``."""
    flags = 0
    for token in _FLAGGED.intersection(heads):
        flags |= _FLAGS_OF_TOKEN[token]
    return flags
