"""Frozen slotted records built at the cost of plain ones: fill a twin, then turn it into one.

A frozen dataclass's ``__init__`` sets each field with ``object.__setattr__`` (its own
``__setattr__`` refuses): building the turn's ``Decision`` took about 3 µs of a 35 µs turn.
A twin is a plain class with the record's very layout (the same base, the same own slots): a
builder sets its fields by ordinary attribute stores, then assigns the record's class to it,
which Python allows between classes of one layout. The result is a real record (equal, hashed,
frozen and printed like one built by its constructor); tests check every builder against the
constructor.
"""

from __future__ import annotations


def twin(record: type) -> type:
    """A plain class with the layout of ``record``, a ``slots=True`` dataclass.

    Its base is the record's base, so the slots the base declares (an event's ``key`` and
    ``at``) are set the same way. The base's ``__init__``, and its frozen ``__setattr__`` and
    ``__delattr__``, are set aside (all three: then attribute stores are plain ones).
    A builder fills every slot of an instance, then sets its ``__class__`` to ``record``.
    """
    slots: tuple[str, ...] | None = record.__dict__.get("__slots__")
    base = record.__base__
    if slots is None or base is None or not hasattr(record, "__dataclass_fields__"):
        raise TypeError(f"{record.__name__} is not a slotted dataclass")
    plain = {
        "__slots__": slots,
        "__init__": object.__init__,
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
    }
    made = type(f"{record.__name__}Twin", (base,), plain)
    if hasattr(made(), "__dict__"):
        raise TypeError(f"{record.__name__} has a base without slots")
    return made
