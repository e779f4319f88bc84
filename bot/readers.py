"""A flow's slot readers, built once: what ``read_text`` runs per message, without per-call glue.

Every public extractor is wrapped by ``guarded`` (type checks, cleaning, the never-raise guard).
``read_text`` runs ten of them on every typed message: it does the checks and the cleaning once
and calls the raw functions behind the wrappers, each still under its own never-raise guard.
Cheap gates skip extractors that cannot find anything (no "@", no digit).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple, cast

from bot.extract import EXTRACTORS, NeedExtractor
from bot.extract.common import RAW_ATTRIBUTE
from bot.extract.types import Extracted, Extractor
from flows.schema import SlotSpec

Raw = Callable[[str, datetime, bool], Extracted[Any] | None]
# A gate says whether an extractor can find anything in a cleaned message; False proves None.
Gate = Callable[[str], bool]

_DIGIT = re.compile(r"\d")
_ASCII_DIGIT = re.compile(r"[0-9]")  # ``_DIGIT`` on ASCII text: a class skipped to in C


def _has_at(text: str) -> bool:
    return "@" in text  # find_email returns None without one


def _has_digit(text: str) -> bool:
    # find_phone needs seven digits
    return (_ASCII_DIGIT if text.isascii() else _DIGIT).search(text) is not None


# Gates by extractor name: only where the extractor's own first test is this one.
GATES: dict[str, Gate] = {"email": _has_at, "phone": _has_digit}


# A named tuple (a frozen dataclass before): ``read_text`` unpacks each reader in its loop
# header, one step where six attribute reads per extractor were.
class SlotReader(NamedTuple):
    """One slot's extractor as ``read_text`` runs it."""

    slot: str
    extractor: str  # the extractor's name in the flow (what evidence records)
    # The function behind ``guarded`` (takes cleaned text), or for an extractor not made by
    # ``guarded`` the extractor itself (takes the text as given, and may raise).
    raw: Raw
    guarded: bool
    min_confidence: float
    gate: Gate | None


def build_readers(
    extractors: Mapping[str, Extractor], slots: Mapping[str, SlotSpec]
) -> tuple[SlotReader, ...]:
    """One reader per slot, in the flow's slot order (the order ``read_text`` fills them)."""
    readers = []
    for slot, extractor in extractors.items():
        spec = slots[slot]
        raw = raw_of(extractor)
        builtin = EXTRACTORS.get(spec.extractor) is extractor  # gates hold for these only
        readers.append(
            SlotReader(slot, spec.extractor, raw or extractor, raw is not None,
                       spec.min_confidence, GATES.get(spec.extractor) if builtin else None)
        )  # fmt: skip
    return tuple(readers)


def raw_of(extractor: Extractor) -> Raw | None:
    """The function ``guarded`` wraps, or None for an extractor ``guarded`` did not make."""
    target: Any = extractor._run if isinstance(extractor, NeedExtractor) else extractor
    return cast(Raw | None, getattr(target, RAW_ATTRIBUTE, None))
