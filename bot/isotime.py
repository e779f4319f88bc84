"""``datetime.isoformat`` for UTC times, written here: every turn writes several.

``datetime.isoformat`` costs about 10 thousand instructions on an aware time (it asks the tzinfo
for its offset and formats with ``PyUnicode_FromFormat``); this path about 5. The extractors'
timelines, the events of every turn and the stored evidence all take their times from here.
"""

from __future__ import annotations

from datetime import UTC, datetime

# "00" to "99", the two-digit fields.
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))


def isoformat(moment: datetime) -> str:
    """``moment.isoformat()``, written here for a UTC time from the year 1000 on (the usual).

    Anything else (another offset, a naive time, a year before 1000, a subclass) is left to
    ``isoformat`` itself.
    """
    if type(moment) is datetime and moment.tzinfo is UTC:
        year, two = moment.year, _TWO_DIGITS
        if year >= 1000:
            # One f-string each, not the date and time first and the rest appended: a third
            # fewer instructions (timeit: 0.92 against 1.41 µs a call on the shared machine).
            micro = moment.microsecond
            if micro:
                return (
                    f"{year}-{two[moment.month]}-{two[moment.day]}T{two[moment.hour]}:"
                    f"{two[moment.minute]}:{two[moment.second]}."
                    f"{str(1_000_000 + micro)[1:]}+00:00"
                )
            return (
                f"{year}-{two[moment.month]}-{two[moment.day]}T{two[moment.hour]}:"
                f"{two[moment.minute]}:{two[moment.second]}+00:00"
            )
    return moment.isoformat()
