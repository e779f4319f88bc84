"""Vague timing readings of the timeline extractor: "asap", "no rush", "not sure"."""

from __future__ import annotations

import re
from datetime import datetime

from bot.extract.folded import Folded, Message
from bot.extract.timedates import ONE_WEEK, start_of_day
from bot.extract.timewords import (
    ASAP,
    ASAP_ASKED,
    ASAP_STRINGS,
    LATER,
    LATER_ASKED,
    NONE,
    NONE_ASKED,
    SOON,
)
from bot.extract.types import Timeline, Urgency

# Searched in every message without a date: ``Folded`` gives them a fast path on ASCII text.
_VAGUE = {p: Folded(p) for p in (ASAP, LATER, SOON, NONE, ASAP_ASKED, LATER_ASKED, NONE_ASKED)}

# The vague readings, in order: pattern, urgency, confidence, and whether only when asked.
# Last, strings one of which every match holds (lowered), sharper than the derived literals.
_Check = tuple[Folded, Urgency, float, bool, tuple[str, ...] | None]
_VAGUE_CHECKS: tuple[_Check, ...] = (
    (_VAGUE[ASAP], "immediate", 0.9, False, ASAP_STRINGS),
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


_VAGUE_TOKENS_ASKED = _vague_tokens(_VAGUE_CHECKS)
# Each check with its own tokens (``_vague_tokens`` of it alone): tested inline, a check whose
# tokens the heads lack is skipped without the call (the ASAP gate holds "s", so the union
# above rarely says no, and most checks are then refused by their gates one call each).
_GATED_CHECKS = tuple((*check, _vague_tokens((check,))) for check in _VAGUE_CHECKS)
_VAGUE_TOKENS = _vague_tokens(tuple(check for check in _VAGUE_CHECKS if not check[3]))


def _holds_any(lowered: str, strings: tuple[str, ...]) -> bool:
    for string in strings:  # noqa: SIM110 (a plain loop: half the cost of ``any()``)
        if string in lowered:
            return True
    return False


def vague(
    work: str, now: datetime, asked: bool, message: Message | None
) -> tuple[Timeline, float, re.Match[str]] | None:
    """The first vague reading of ``work`` (the loose ones only when ``asked``), or None.

    ``message`` is ``work`` prepared (``folded.Message``), or None.

    Returns:
        The timeline (a week from today when immediate), its confidence, and the match.
    """
    lowered = None if message is None else message.lowered
    if message is not None and message.heads.isdisjoint(
        _VAGUE_TOKENS_ASKED if asked else _VAGUE_TOKENS
    ):
        return None  # every test below would say no at its word gate
    heads = None if message is None else message.heads
    for folded, urgency, conf, only_asked, strings, tokens in _GATED_CHECKS:
        if only_asked and not asked:
            continue
        if heads is not None and heads.isdisjoint(tokens):
            continue  # ``folded.search`` would say no at its word gate
        if strings is not None and lowered is not None and not _holds_any(lowered, strings):
            continue
        if m := folded.search(work):
            if urgency == "immediate":
                today = start_of_day(now)
                week = Timeline(today, today + ONE_WEEK, "week", "immediate")
                return week, conf, m
            return Timeline(None, None, None, urgency), conf, m
    return None
