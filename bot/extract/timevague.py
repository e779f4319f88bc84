"""Vague timing readings of the timeline extractor: "asap", "no rush", "not sure"."""

from __future__ import annotations

import re
from datetime import datetime

from bot.extract.folded import Folded, Message
from bot.extract.timedates import ONE_WEEK, start_of_day
from bot.extract.timewords import (
    ASAP,
    ASAP_ASKED,
    ASAP_HEADS,
    ASAP_SPELLED,
    LATER,
    LATER_ASKED,
    NONE,
    NONE_ASKED,
    SOON,
)
from bot.extract.types import Timeline, Urgency
from bot.extract.word_gates import Heads

# Searched in every message without a date: ``Folded`` gives them a fast path on ASCII text.
_VAGUE = {p: Folded(p) for p in (ASAP, LATER, SOON, NONE, ASAP_ASKED, LATER_ASKED, NONE_ASKED)}

# The vague readings, in order: pattern, urgency, confidence, and whether only when asked.
# Last, a test sharper than the derived gate: heads one of which, or strings one of which
# (lowered), every match holds.
_Sharp = tuple[frozenset[bytes], tuple[str, ...]]
_Check = tuple[Folded, Urgency, float, bool, _Sharp | None]
_VAGUE_CHECKS: tuple[_Check, ...] = (
    (_VAGUE[ASAP], "immediate", 0.9, False, (ASAP_HEADS, ASAP_SPELLED)),
    (_VAGUE[LATER], "later", 0.65, False, None),
    (_VAGUE[SOON], "soon", 0.65, False, None),
    (_VAGUE[NONE], "none", 0.85, False, None),
    (_VAGUE[ASAP_ASKED], "immediate", 0.7, True, None),
    (_VAGUE[LATER_ASKED], "later", 0.55, True, None),
    (_VAGUE[NONE_ASKED], "none", 0.6, True, None),
)


def _vague_tokens(checks: tuple[_Check, ...]) -> frozenset[bytes]:
    """Heads one of which the message needs for any of ``checks`` to match (one set test).

    ``Folded`` says yes at once for a sure head and no for heads disjoint from its gate: heads
    disjoint from every gate and sure head get no from each. A check without a gate is
    refused (at import), as it would make the shortcut unsound.
    """
    tokens: set[bytes] = set()
    for folded, *_ in checks:
        if folded.gate is None:
            raise ValueError("a vague reading without a word gate: the shortcut is unsound")
        tokens |= folded.gate | (folded._sure_heads or frozenset())
    return frozenset(tokens)


# Each check with its own tokens (``_vague_tokens`` of it alone): a check whose tokens the
# heads lack is skipped without the call. One set per check, not their union: the ASAP gate
# holds "s", so the union rarely says no, and most checks are then refused one by one.
_GATED_CHECKS = tuple((*check, _vague_tokens((check,))) for check in _VAGUE_CHECKS)
# A check as ``vague`` reads it: its gate's bit in ``gate_bits``, its sharper heads' bit (0:
# none) and strings, then the check's pattern, urgency, confidence and whether only asked.
_BitCheck = tuple[int, int, tuple[str, ...], Folded, Urgency, float, bool]


def _bit_checks() -> tuple[tuple[frozenset[bytes], ...], tuple[_BitCheck, ...]]:
    """The token sets ``gate_bits`` tests (the gates, then the sharper heads), and the checks."""
    tokens = [check[5] for check in _GATED_CHECKS]
    checks: list[_BitCheck] = []
    strings: tuple[str, ...]
    for k, (folded, urgency, conf, only_asked, sharper, _) in enumerate(_GATED_CHECKS):
        sharp, strings = 0, ()
        if sharper is not None:
            sharp, strings = 1 << len(tokens), sharper[1]
            tokens.append(sharper[0])
        checks.append((1 << k, sharp, strings, folded, urgency, conf, only_asked))
    return tuple(tokens), tuple(checks)


# ``gate_bits`` and ``timegates.head_flags`` test all these sets in one pass and give bit k
# for ``CHECK_TOKENS[k]``, which ``vague`` reads instead of the sets.
CHECK_TOKENS, _BIT_CHECKS = _bit_checks()
_ASKED_CHECKS = (1 << len(_GATED_CHECKS)) - 1
_UNASKED_CHECKS = sum(1 << k for k, check in enumerate(_GATED_CHECKS) if not check[3])


def _holds_any(lowered: str, strings: tuple[str, ...]) -> bool:
    for string in strings:  # noqa: SIM110 (a plain loop: half the cost of ``any()``)
        if string in lowered:
            return True
    return False


def gate_bits(heads: Heads) -> int:
    """Bit k set when the heads share a token with ``CHECK_TOKENS[k]`` (its gate may pass)."""
    bits = 0
    for k, tokens in enumerate(CHECK_TOKENS):
        if not heads.isdisjoint(tokens):
            bits |= 1 << k
    return bits


def vague(
    work: str,
    now: datetime,
    asked: bool,
    message: Message | None,
    gated: int | None = None,
) -> tuple[Timeline, float, re.Match[str]] | None:
    """The first vague reading of ``work`` (the loose ones only when ``asked``), or None.

    ``message`` is ``work`` prepared (``folded.Message``), or None; ``gated`` is
    ``gate_bits(message.heads)`` when the caller has it (``timegates.head_flags`` holds it).

    Returns:
        The timeline (a week from today when immediate), its confidence, and the match.
    """
    lowered = None
    if message is not None:
        lowered = message.lowered
        if gated is None:
            gated = gate_bits(message.heads)
        if not gated & (_ASKED_CHECKS if asked else _UNASKED_CHECKS):
            return None  # every test below would say no at its word gate
    else:
        gated = _ASKED_CHECKS  # no heads: every gate may pass (and no sharper test runs)
    for bit, sharp, strings, folded, urgency, conf, only_asked in _BIT_CHECKS:
        if not gated & bit:
            continue  # ``folded.search`` would say no at its word gate (or not asked)
        if only_asked and not asked:
            continue
        if sharp and lowered is not None and not gated & sharp and not _holds_any(lowered, strings):
            continue  # no sharper head and none of the strings
        if m := folded.search(work):
            if urgency == "immediate":
                today = start_of_day(now)
                week = Timeline(today, today + ONE_WEEK, "week", "immediate")
                return week, conf, m
            return Timeline(None, None, None, urgency), conf, m
    return None
