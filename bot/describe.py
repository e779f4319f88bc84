"""Evidence values in plain words, for replies ("I've updated that: $100,000 a year") and reps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
LEVELS = {"decision_maker": "decision maker", "influencer": "influencer", "end_user": "end user"}


def describe(slot: str, value: Any) -> str:
    """A short human description of a slot's value (any shape an extractor returns)."""
    if not isinstance(value, Mapping):
        return "" if value is None else str(value)
    describer = _DESCRIBERS.get(slot) or _describer_for(value)
    return describer(value) if describer else ", ".join(f"{k}: {v}" for k, v in value.items() if v)


def _money(figure: float, currency: str | None) -> str:
    text = f"{figure:,.0f}" if figure == int(figure) else f"{figure:,.2f}"
    if currency in SYMBOLS:
        return f"{SYMBOLS[currency]}{text}"
    return f"{text} {currency}" if currency else text


def _budget(value: Mapping[str, Any]) -> str:
    currency, period = value.get("currency"), value.get("period")
    amount, low, high = value.get("amount"), value.get("min"), value.get("max")
    if amount == 0:
        return "no budget yet"
    if amount is not None:
        text = _money(amount, currency)
    elif low is not None and high is not None:
        text = f"{_money(low, currency)}–{_money(high, currency)}"
    elif low is not None:
        text = f"at least {_money(low, currency)}"
    elif high is not None:
        text = f"up to {_money(high, currency)}"
    else:
        return "unknown budget"
    return f"{text} a {period}" if period else text


def _timeline(value: Mapping[str, Any]) -> str:
    if value.get("urgency") == "none" or (not value.get("start") and not value.get("end")):
        return "no fixed timeline"
    start = _parse(value.get("start"))
    end = _parse(value.get("end"))
    grain = value.get("grain")
    if start and end and grain == "quarter" and 88 <= (end - start).days <= 92:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if start and end and grain == "month" and (end - start).days <= 31:
        return start.strftime("%B %Y")
    if start and end and grain == "year" and (end - start).days > 360:
        return str(start.year)
    if end:
        return "by " + (end - timedelta(days=1)).strftime("%-d %B %Y")
    return "from " + start.strftime("%-d %B %Y") if start else "unknown timeline"


def _parse(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _authority(value: Mapping[str, Any]) -> str:
    level = LEVELS.get(str(value.get("level")), str(value.get("level")))
    title = value.get("title")
    return f"{title} ({level})" if title else level


def _need(value: Mapping[str, Any]) -> str:
    if value.get("none"):
        return "just browsing"
    text = str(value.get("text") or "")
    return text if len(text) <= 120 else text[:117] + "..."


def _size(value: Mapping[str, Any]) -> str:
    low, high = value.get("min"), value.get("max")
    if low is not None and low == high:
        return f"{low} {'person' if low == 1 else 'people'}"
    if low is not None and high is not None:
        return f"{low}–{high} people"
    if low is not None:
        return f"{low}+ people"
    return f"up to {high} people" if high is not None else "unknown size"


def _describer_for(value: Mapping[str, Any]) -> Any:
    """Guess by shape for slots named freely in a custom flow."""
    if "currency" in value:
        return _budget
    if "urgency" in value:
        return _timeline
    if "level" in value:
        return _authority
    if "categories" in value:
        return _need
    if set(value) == {"min", "max"}:
        return _size
    return None


_DESCRIBERS: dict[str, Any] = {
    "budget": _budget,
    "timeline": _timeline,
    "authority": _authority,
    "need": _need,
    "company_size": _size,
}
