"""Past-tense facts the service publishes after a turn commits (rep console, notifiers, routing)."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from bot.frozen import fast_init
from bot.isotime import isoformat
from bot.messages import ConversationKey


@fast_init
@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event; ``name`` is stable and goes into the outbox and onto the bus."""

    name: ClassVar[str] = "event"
    key: ConversationKey
    at: datetime

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form for the outbox and cross-process buses.

        Runs for every event of every turn, so each class gets its own ``to_json``, written
        once from its fields (``_compile``) and put on the class by this first call: the fields
        typed ``str``, ``int`` or ``bool`` (or None) go in as they are, only the others take
        the type tests (``_plain``). The events of one turn share their key and time, whose
        text forms are kept from one event to the next (``_LAST``).
        """
        cls = type(self)
        compiled = _compile(cls, _plan(cls))
        cls.to_json = compiled  # type: ignore[method-assign,assignment]
        return compiled(self)


# The field types ``to_json`` passes through untested (a value of one of them is never a tuple,
# a datetime or a ConversationKey).
_AS_IS = frozenset({str, int, bool, float, str | None, int | None, bool | None, float | None})
# Per event class: its fields after ``key`` and ``at``, each with whether its type is not one
# of ``_AS_IS`` (see ``Event.to_json``).
Plan = tuple[tuple[str, bool], ...]
# The last key and time ``to_json`` wrote, with their text forms: the events of a turn share
# them (identity tests: both are immutable, and held here so their ids stay theirs). One tuple,
# swapped whole, so threads see a consistent one.
_LAST: list[tuple[object, object, str, str]] = [(None, None, "", "")]


def _plan(cls: type[Event]) -> Plan:
    """``to_json``'s plan for ``cls``, from its dataclass fields and their type hints."""
    hints = typing.get_type_hints(cls)
    names = tuple(f.name for f in dataclasses.fields(cls))[2:]
    return tuple((name, hints[name] not in _AS_IS) for name in names)


def _plain(value: Any) -> Any:
    """A field's JSON form: tuples as lists, datetimes in ISO form, keys as strings."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, ConversationKey):
        return str(value)
    return value


def _compile(cls: type[Event], plan: Plan) -> Callable[[Event], dict[str, Any]]:
    """``cls.to_json`` as one dict display, the fields named in it (as ``dataclasses`` does).

    A loop over the plan with ``getattr`` per field cost 40% more a call (measured with
    timeit on the service bench's events: 4.7 a message). An instance of a subclass that has
    not its own yet goes back to ``Event.to_json``, which compiles the subclass's.
    """
    fields = "".join(
        f"{name!r}: _plain(self.{name}), " if tested else f"{name!r}: self.{name}, "
        for name, tested in plan
    )
    source = (
        "def to_json(self):\n"
        "    if type(self) is not cls:\n"
        "        return first(self)\n"
        "    key, at = self.key, self.at\n"
        "    last = _LAST[0]\n"
        "    if last[0] is not key or last[1] is not at:\n"
        "        last = _LAST[0] = (key, at, str(key), isoformat(at))\n"
        f"    return {{'event': name, 'key': last[2], 'at': last[3], {fields}}}\n"
    )
    scope: dict[str, Any] = {
        "cls": cls, "first": Event.to_json, "name": cls.name, "_LAST": _LAST,
        "_plain": _plain, "isoformat": isoformat,
    }  # fmt: skip
    exec(source, scope)  # (as ``dataclasses`` itself builds its methods)
    compiled: Callable[[Event], dict[str, Any]] = scope["to_json"]
    compiled.__qualname__ = f"{cls.__qualname__}.to_json"
    compiled.__doc__ = Event.to_json.__doc__
    return compiled


@fast_init
@dataclass(frozen=True, slots=True)
class MessageAdded(Event):
    """A message was stored in the transcript (either direction); carries its sequence number."""

    name: ClassVar[str] = "message_added"
    seq: int
    author: str
    text: str
    author_name: str | None = None
    quick_replies: tuple[tuple[str, str], ...] = ()
    kind: str = "text"


@fast_init
@dataclass(frozen=True, slots=True)
class EvidenceRecorded(Event):
    """A slot got a new value (or a refusal / unknown)."""

    name: ClassVar[str] = "evidence_recorded"
    slot: str
    status: str
    value: Any


@fast_init
@dataclass(frozen=True, slots=True)
class ScoreChanged(Event):
    """The lead's score moved."""

    name: ClassVar[str] = "score_changed"
    score: int
    previous: int


@fast_init
@dataclass(frozen=True, slots=True)
class StageChanged(Event):
    """The lead moved between lifecycle stages; ``reason`` says which rule of the flow did it."""

    name: ClassVar[str] = "stage_changed"
    previous: str | None
    stage: str
    score: int
    reason: str


@fast_init
@dataclass(frozen=True, slots=True)
class HandoffRequested(Event):
    """The bot stopped and a human rep is wanted (SQL reached, or the prospect asked)."""

    name: ClassVar[str] = "handoff_requested"
    reason: str
    stage: str
    score: int


@fast_init
@dataclass(frozen=True, slots=True)
class HandoffRouted(Event):
    """Routing chose a team (and the rep offered the lead first); the SLA clock is running."""

    name: ClassVar[str] = "handoff_routed"
    team: str
    offered_rep_id: int | None
    route_reason: str
    sla_due_at: str | None
    open: bool


@fast_init
@dataclass(frozen=True, slots=True)
class HandoffClaimed(Event):
    """A rep took the conversation over; exactly one claim wins."""

    name: ClassVar[str] = "handoff_claimed"
    rep_id: int
    rep_name: str


@fast_init
@dataclass(frozen=True, slots=True)
class HandedBack(Event):
    """The rep gave the conversation back to the bot."""

    name: ClassVar[str] = "handed_back"
    rep_id: int
    rep_name: str


@fast_init
@dataclass(frozen=True, slots=True)
class SlaMissed(Event):
    """Nobody claimed the hand-off in time; the prospect got the fallback."""

    name: ClassVar[str] = "sla_missed"
    team: str | None


@fast_init
@dataclass(frozen=True, slots=True)
class OptedOut(Event):
    """The prospect asked the bot to stop; it stays quiet until they start again."""

    name: ClassVar[str] = "opted_out"


@fast_init
@dataclass(frozen=True, slots=True)
class ConversationClosed(Event):
    """The conversation ended (idle timeout, completion, or a rep closing it)."""

    name: ClassVar[str] = "conversation_closed"
    reason: str
    outcome: str | None = None

