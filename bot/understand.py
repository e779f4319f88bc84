"""Read one prospect message against a flow: intent, quick-reply click, and every slot's value."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bot.extract.common import clean as clean_for_extractors
from bot.extract.folded import begin_message, current_message, end_message
from bot.extract.types import Extracted
from bot.flow import Flow
from bot.frozen import fast_init
from bot.readers import SlotReader

# Extraction reads at most this much of a message: a 20,000-character paste costs no more than a
# long sentence, and no real answer to a BANT question is longer. The whole text is still stored.
MAX_SCAN = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
GLOBAL_INTENTS = ("opt_out", "human", "restart", "help")
T = TypeVar("T")
# A reading's fields in order (slot, value, confidence, span, extractor), as the engine's turn
# records them: a tuple is built in a tenth of the instructions of a ``Reading``.
Answer = tuple[str, Any, float, str, str]


@fast_init
@dataclass(frozen=True, slots=True)
class Reading:
    """A value found for a slot, before it becomes evidence."""

    slot: str
    value: Any
    confidence: float
    span: str
    extractor: str


def clean(text: str) -> str:
    """The text extractors see: bounded, control and invisible characters blanked."""
    text = text[:MAX_SCAN]
    if text.isascii() and text.isprintable():
        return " ".join(text.split())  # nothing to blank: skip the substitution scan
    return " ".join(_CONTROL.sub(" ", text).split())


def clean_pair(text: str) -> tuple[str, str]:
    """``clean(text)`` and that text as the extractors clean it, in one call per turn.

    Printable ASCII stays so through ``clean``, and the extractors' cleaning keeps it as is.
    """
    text = text[:MAX_SCAN]
    if text.isascii() and text.isprintable():
        text = " ".join(text.split())
        return text, text
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text, clean_for_extractors(text)


def intent_of(flow: Flow, text: str) -> str | None:
    """The global intent of a message (opt-out wins over everything), or None."""
    cues = flow.cues
    for name in GLOBAL_INTENTS:
        if cues[name](text):
            return name
    return None


def says(flow: Flow, cue: str, text: str) -> bool:
    """Whether ``text`` carries a cue of the flow (``refusal``, ``correction``)."""
    return flow.cues[cue](text)


def read_click(flow: Flow, value: str, now: datetime) -> Reading | None:
    """A quick-reply click as a reading of its slot, or None for an unknown button."""
    found = flow.buttons.get(value)
    if found is None:
        return None
    slot, button = found
    if button.means is not None:
        return Reading(slot, dict(button.means), 1.0, button.label, "quick_reply")
    result = flow.labels.read(value, now)  # ``read_label``, once per button and day
    if result is None:
        return None
    return Reading(slot, to_json(result.value), 1.0, button.label, "quick_reply")


def read_text(
    flow: Flow, text: str, now: datetime, asked: str | None, loose: Iterable[str] = ()
) -> dict[str, Reading]:
    """Run every slot's extractor over ``text``: three facts in one message fill three slots.

    ``asked`` (the slot just asked) and the ``loose`` slots get the extractors' looser reading;
    others must clear the slot's ``min_confidence``.

    The same as calling each ``flow.extractors[slot](text, now, loose)``: the checks and the
    cleaning their ``guarded`` wrappers repeat are done once here (see bot/readers.py).
    """
    relaxed = {asked, *loose}
    found: dict[str, Reading] = {}
    valid = isinstance(text, str) and isinstance(now, datetime)
    cleaned = clean_for_extractors(text) if valid else ""
    usable = valid and bool(cleaned.strip())
    # The engine prepares the message of a turn once, for its cue tests and every read of it
    # (``Message`` is a pure function of the text); otherwise this call prepares and forgets it.
    owned = usable and current_message(cleaned) is None
    if owned:
        begin_message(cleaned)
    try:
        _read(flow.readers, text, cleaned, usable, now, relaxed, found, Reading)
    finally:
        if owned:
            end_message()
    return found


def read_prepared(
    flow: Flow, text: str, cleaned: str, now: datetime, asked: str | None
) -> dict[str, Answer]:
    """``read_text(flow, text, now, asked)`` for a message the caller has already prepared.

    ``text`` is a str, ``cleaned`` its extractors' cleaning, already prepared with
    ``begin_message``. Each reading comes back as its fields (``Answer``): a tuple costs a
    tenth of a ``Reading`` to build, and the engine's turn records the fields at once.
    """
    found: dict[str, Answer] = {}
    usable = isinstance(now, datetime) and bool(cleaned.strip())
    _read(flow.readers, text, cleaned, usable, now, {asked}, found, _answer)
    return found


def _answer(slot: str, value: Any, confidence: float, span: str, extractor: str) -> Answer:
    return slot, value, confidence, span, extractor


def _read(
    readers: tuple[SlotReader, ...],
    text: str,
    cleaned: str,
    usable: bool,
    now: datetime,
    relaxed: set[str | None],
    found: dict[str, T],
    build: Callable[[str, Any, float, str, str], T],  # ``Reading`` or ``_answer``
) -> None:
    for slot, extractor, raw, guarded, min_confidence, gate in readers:
        is_loose = slot in relaxed
        result: Extracted[Any] | None
        if not guarded:
            result = raw(text, now, is_loose)
        elif not usable or (gate is not None and not gate(cleaned)):
            continue
        else:
            try:
                result = raw(cleaned, now, is_loose)
            except Exception:  # the extractor's own never-raise guard, as in ``guarded``
                continue
        if result is None:
            continue
        if not is_loose and result.confidence < min_confidence:
            continue
        found[slot] = build(slot, to_json(result.value), result.confidence, result.span,
                            extractor)  # fmt: skip


def to_json(value: Any) -> Any:
    """The JSON shape of an extracted value (what ``qualibot extract`` prints)."""
    converter = getattr(value, "to_json", None)
    return converter() if callable(converter) else value


def signal_of_page(flow: Flow, path: str) -> str | None:
    """Behaviour evidence for a page view: ``page:NAME`` when the path matches the flow."""
    for name, pattern in flow.pages:
        if pattern.match(path):
            return f"page:{name}"
    return None
