"""Who gets a hand-off: the flow's routing rules, office hours, round robin, capacity. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.scoring import holds
from bot.state import Evidence, Presence
from flows.routing_schema import OfficeHours, RoutingSpec

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# An open console refreshes its rep's last_seen_at every PRESENCE_REFRESH (adapters/
# console_socket.py). Three missed refreshes mean the process holding it died without setting
# the rep offline: offering that rep a lead would leave the prospect waiting on nobody.
PRESENCE_REFRESH = timedelta(seconds=60)
PRESENCE_STALE = 3 * PRESENCE_REFRESH


@dataclass(frozen=True, slots=True)
class RepLoad:
    """A rep as routing sees them: who, where, and how busy."""

    id: int
    name: str
    team: str | None
    presence: Presence
    capacity: int
    active: int
    last_assigned_at: datetime | None = None
    last_seen_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """A routing decision and its reason, recorded with the hand-off."""

    team: str
    rep_id: int | None
    rep_name: str | None
    open: bool
    back_at: datetime | None
    reason: str
    passed_over: tuple[str, ...]


def route(
    spec: RoutingSpec, evidence: Mapping[str, Evidence], reps: Sequence[RepLoad], now: datetime
) -> Route:
    """Choose the team by the first matching rule, then a rep of that team, then anyone.

    The chosen rep is the one offered the lead first (round robin: longest since their last
    assignment); any rep may still claim it, and the first claim wins.
    """
    team, rule = spec.default_team, "no rule matched: default team"
    for candidate in spec.rules:
        subject = candidate.when.slot or candidate.when.signal or ""
        item = evidence.get(subject)
        if item is not None and holds(candidate.when, item):
            team, rule = candidate.team, f"rule {candidate.name!r}"
            break
    hours = spec.teams[team].office_hours
    is_open = hours is None or within_hours(hours, now)
    back_at = None if is_open or hours is None else next_opening(hours, now)
    passed: list[str] = []
    chosen = _pick([r for r in reps if r.team == team], passed, now)
    fallback = ""
    if chosen is None:
        chosen = _pick([r for r in reps if r.team != team], passed, now)
        fallback = "; nobody free in the team, so any available rep" if chosen else ""
    who = f"offered to {chosen.name}" if chosen else "nobody available: queued for the team"
    reason = f"team {team} by {rule}; {who}{fallback}" + (
        "" if is_open else "; outside office hours"
    )
    return Route(
        team,
        chosen.id if chosen else None,
        chosen.name if chosen else None,
        is_open,
        back_at,
        reason,
        tuple(passed),
    )


def _pick(reps: Sequence[RepLoad], passed: list[str], now: datetime) -> RepLoad | None:
    free: list[RepLoad] = []
    for rep in reps:
        if rep.presence != "online":
            passed.append(f"{rep.name}: {rep.presence}")
        elif rep.last_seen_at is not None and now - rep.last_seen_at > PRESENCE_STALE:
            seen = rep.last_seen_at.strftime("%Y-%m-%d %H:%M UTC")
            passed.append(f"{rep.name}: online, but no console seen since {seen}")
        elif rep.active >= rep.capacity:
            passed.append(f"{rep.name}: at capacity ({rep.active}/{rep.capacity})")
        else:
            free.append(rep)
    if not free:
        return None
    oldest = datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    chosen = min(free, key=lambda r: (r.last_assigned_at or oldest, r.active, r.id))
    passed += [f"{r.name}: not next in round robin" for r in free if r is not chosen]
    return chosen


def within_hours(hours: OfficeHours, now: datetime) -> bool:
    """Whether the team is at work at ``now`` (its local time)."""
    local = now.astimezone(ZoneInfo(hours.timezone))
    start, end = _clock(hours.start), _clock(hours.end)
    return DAYS[local.weekday()] in hours.days and start <= local.time() < end


def next_opening(hours: OfficeHours, now: datetime) -> datetime:
    """The next moment the team opens, in its own time zone."""
    zone = ZoneInfo(hours.timezone)
    local = now.astimezone(zone)
    start = _clock(hours.start)
    for days_ahead in range(8):
        day = (local + timedelta(days=days_ahead)).date()
        opening = datetime.combine(day, start, tzinfo=zone)
        if DAYS[day.weekday()] in hours.days and opening > local:
            return opening
    return local  # no working days configured: treat as always closed, retry now


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time.max if hours == 24 else time(hours, minutes)


def describe_opening(at: datetime, now: datetime) -> str:
    """'at 09:00 (Europe/London)' today, 'tomorrow at 09:00 ...', or 'on Monday at 09:00 ...'."""
    local_now = now.astimezone(at.tzinfo)
    clock = at.strftime("%H:%M")
    zone = str(at.tzinfo)
    if at.date() == local_now.date():
        return f"today at {clock} ({zone})"
    if at.date() == local_now.date() + timedelta(days=1):
        return f"tomorrow at {clock} ({zone})"
    return f"on {at.strftime('%A')} at {clock} ({zone})"
