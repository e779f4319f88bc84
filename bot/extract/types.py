"""Typed values the extractors return, and their JSON shapes (what `qualibot extract` prints)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

from bot.frozen import fast_init
from bot.isotime import isoformat

Period = Literal["month", "year"]
Grain = Literal["day", "week", "month", "quarter", "year"]
Urgency = Literal["immediate", "soon", "later", "none"]
AuthorityLevel = Literal["decision_maker", "influencer", "end_user"]

T_co = TypeVar("T_co", covariant=True)


@fast_init
@dataclass(frozen=True, slots=True)
class Budget:
    """Money the prospect can spend.

    A single figure is ``amount``; ranges and bounds use ``min``/``max``. "No budget yet" is
    ``amount=0``.
    """

    amount: float | None = None
    min: float | None = None
    max: float | None = None
    currency: str | None = None
    period: Period | None = None

    def to_json(self) -> dict[str, Any]:
        """Shape: {"amount", "min", "max", "currency", "period"}."""
        return {
            "amount": self.amount,
            "min": self.min,
            "max": self.max,
            "currency": self.currency,
            "period": self.period,
        }


@fast_init
@dataclass(frozen=True, slots=True)
class Timeline:
    """When the prospect wants to buy, as an interval ``[start, end)`` with a grain.

    "No rush" / "just researching" is ``Timeline(None, None, None, "none")``.
    """

    start: datetime | None
    end: datetime | None
    grain: Grain | None
    urgency: Urgency

    def to_json(self) -> dict[str, Any]:
        """Shape: {"start", "end", "grain", "urgency"}, ISO 8601 in the offset of ``now``."""
        return {
            "start": isoformat(self.start) if self.start else None,
            "end": isoformat(self.end) if self.end else None,
            "grain": self.grain,
            "urgency": self.urgency,
        }


@fast_init
@dataclass(frozen=True, slots=True)
class Authority:
    """The prospect's say in the purchase, keeping their title in their words."""

    level: AuthorityLevel
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Shape: {"level", "title"}."""
        return {"level": self.level, "title": self.title}


@fast_init
@dataclass(frozen=True, slots=True)
class Need:
    """The pain in the prospect's own words, with the flow's categories it matches.

    "Just browsing" is ``Need(text, (), none=True)``.
    """

    text: str
    categories: tuple[str, ...] = ()
    none: bool = False

    def to_json(self) -> dict[str, Any]:
        """Shape: {"text", "categories", "none"}."""
        return {"text": self.text, "categories": list(self.categories), "none": self.none}


@fast_init
@dataclass(frozen=True, slots=True)
class Contact:
    """Contact details found in one message; any field may be None."""

    email: str | None = None
    phone: str | None = None
    name: str | None = None
    company: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Shape: {"email", "phone", "name", "company"}."""
        return {
            "email": self.email, "phone": self.phone, "name": self.name, "company": self.company,
        }


@fast_init
@dataclass(frozen=True, slots=True)
class CompanySize:
    """Head count; an exact figure has ``min == max``, "50-200" a range, "over 1000" max None."""

    min: int | None
    max: int | None

    def to_json(self) -> dict[str, Any]:
        """Shape: {"min", "max"}."""
        return {"min": self.min, "max": self.max}


@fast_init
@dataclass(frozen=True, slots=True)
class Extracted(Generic[T_co]):
    """An extractor's answer: the value, how sure it is (0..1), and the part of the text it used."""

    value: T_co
    confidence: float
    span: str


class Extractor(Protocol):
    """Text in, typed value out. Never raises; returns None when it finds nothing.

    ``asked`` is True when the bot just asked for this slot, which licenses readings that would be
    too loose otherwise (a bare "50k" as a budget, a bare "Jane" as a name).
    """

    def __call__(self, text: str, now: datetime, asked: bool = False) -> Extracted[Any] | None:
        """Extract a value from ``text`` relative to ``now``."""
        ...
