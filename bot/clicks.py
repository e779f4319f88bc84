"""The labels of a flow's buttons without ``means``, read once per button and day.

A click on such a button reads its fixed label with the slot's extractor, relative to ``now``
("Within 3 months": some 160 thousand instructions a click). Of the built-in extractors only
the timeline reads ``now``, and only through its calendar day in its own timezone: every date
it builds is midnight of a day taken from now's year, month and day, with now's tzinfo (and its
fold, which ``common``'s ``replace`` keeps); it compares them with now and with the start of
today in that same tzinfo, which compares wall clocks, where no time of day moves a midnight
to the other side. So one reading serves every click of that button on that day
(tests/unit/test_clicks.py reads labels at many times of many days against reading afresh).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from bot.extract.common import clean
from bot.extract.folded import begin_message, end_message
from bot.extract.types import Extracted, Extractor
from flows.schema import QuickReplySpec

# The part of ``now`` a label's reading depends on: (year, month, day, fold), and the tzinfo
# (kept apart and compared by identity: a tzinfo's ``==`` need not mean the same offsets).
Day = tuple[int, int, int, int]


def read_label(extractor: Extractor, label: str, now: datetime) -> Extracted[Any] | None:
    """``extractor(label, now, True)``, the label prepared as ``read_text`` prepares a message.

    The extractor cleans the label to the same text, so its patterns get the word heads (gates
    only: the same result, sooner).
    """
    begin_message(clean(label))
    try:
        return extractor(label, now, True)
    finally:
        end_message()


class LabelReadings:
    """Each button's reading of its label, kept for the day of ``now`` it was last read on.

    One reading per button (the latest day's): a service's clock moves on, and a day's reading
    is not asked again once the next day's is.
    """

    def __init__(
        self,
        extractors: Mapping[str, Extractor],
        buttons: Mapping[str, tuple[str, QuickReplySpec]],
    ) -> None:
        """Index the buttons without ``means`` (value -> (slot, button)) with their extractor."""
        self._labels = {
            value: (extractors[slot], button.label)
            for value, (slot, button) in buttons.items()
            if button.means is None
        }
        self._kept: dict[str, tuple[Day, tzinfo | None, Extracted[Any] | None]] = {}

    def read(self, value: str, now: datetime) -> Extracted[Any] | None:
        """``read_label`` of the button ``value`` (one without ``means``) at ``now``."""
        extractor, label = self._labels[value]
        if type(now) is not datetime:  # a subclass may do its own arithmetic
            return read_label(extractor, label, now)
        day = (now.year, now.month, now.day, now.fold)
        zone = now.tzinfo
        kept = self._kept.get(value)
        if kept is not None and kept[0] == day and kept[1] is zone:
            return kept[2]
        result = read_label(extractor, label, now)
        self._kept[value] = (day, zone, result)
        return result
