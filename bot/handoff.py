"""The hand-off lifecycle in the engine's terms: routed, SLA fallback, claimed, handed back, closed.

Pure like the engine: each function takes a snapshot or a decision and returns a decision.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.decision import Decision, Line
from bot.events import HandedBack, HandoffClaimed, HandoffRequested, HandoffRouted, SlaMissed
from bot.flow import Flow
from bot.routing import Route, describe_opening
from bot.scoring import rank
from bot.state import Outcome, Snapshot
from bot.turn import TurnDraft


def routed(flow: Flow, decision: Decision, route: Route, now: datetime) -> Decision:
    """Attach the routing decision to a hand-off request and start the SLA clock.

    Outside the team's office hours the prospect is told at once when the team is back, and
    asked for a way to follow up: nobody is left waiting for a reply that cannot come.
    """
    assert decision.handoff is not None
    spec = flow.spec.routing
    sla_due = now + timedelta(seconds=spec.sla_seconds) if route.open else None
    reason = route.reason + (
        f" (passed over: {'; '.join(route.passed_over)})" if route.passed_over else ""
    )
    handoff = replace(
        decision.handoff,
        team=route.team,
        offered_rep_id=route.rep_id,
        route_reason=reason,
        sla_due_at=sla_due,
    )
    context = {
        **decision.context,
        "team": route.team,
        "sla_due_at": sla_due.isoformat() if sla_due else None,
    }
    replies = decision.replies
    if not route.open and route.back_at is not None:
        context["fallback_sent"] = True
        replies += _fallback(
            flow, spec.say.after_hours.format(back=describe_opening(route.back_at, now))
        )
    requested = next(e for e in decision.events if isinstance(e, HandoffRequested))
    event = HandoffRouted(
        requested.key,
        now,
        route.team,
        route.rep_id,
        reason,
        sla_due.isoformat() if sla_due else None,
        route.open,
    )
    events = tuple(e for e in decision.events if not isinstance(e, HandoffRequested))
    return replace(
        decision,
        handoff=handoff,
        context=context,
        replies=replies,
        wake_at=sla_due,
        events=(*events, requested, event),
    )


def sla_expired(draft: TurnDraft) -> None:
    """Nobody claimed in time: say so, ask for an email, offer the meeting link.

    The hand-off stays queued, so a rep who claims later still joins the conversation.
    """
    draft.context["fallback_sent"] = True
    for line in _fallback(draft.flow, draft.flow.spec.routing.say.no_answer):
        draft.say(line.text)
    draft.events.append(SlaMissed(draft.snapshot.key, draft.now, draft.context.get("team")))


def _fallback(flow: Flow, first: str) -> tuple[Line, ...]:
    spec = flow.spec.routing
    lines = [Line(first.strip())]
    if spec.meeting_link:
        lines.append(Line(spec.say.meeting.format(link=spec.meeting_link)))
    return tuple(lines)


def claimed(flow: Flow, snapshot: Snapshot, rep_id: int, rep_name: str, now: datetime) -> Decision:
    """A rep won the claim: the bot goes quiet and the prospect sees who joined."""
    draft = TurnDraft(flow, snapshot, now)
    draft.owner = "rep"
    draft.context.update(rep_id=rep_id, rep_name=rep_name)
    draft.notice(flow.spec.routing.say.joined.format(name=rep_name))
    draft.events.append(HandoffClaimed(snapshot.key, now, rep_id, rep_name))
    return draft.finish(activity=False)


def handed_back(
    flow: Flow, snapshot: Snapshot, rep_id: int, rep_name: str, now: datetime
) -> Decision:
    """The rep gives the conversation back: the bot resumes the questions still open."""
    draft = TurnDraft(flow, snapshot, now)
    draft.notice(flow.spec.routing.say.left.format(name=rep_name))
    draft.owner = "bot"
    _forget_handoff(draft)
    # The rep decided the lead is back with the bot: no automatic hand-off again at this stage
    # (only a higher stage, or the prospect asking for a person, brings a rep back).
    draft.context["handed_back_at"] = rank(flow.spec.stages, snapshot.stage)
    draft.fire("hand_back")
    draft.said("resumed")
    draft.advance(handoff_allowed=False)
    draft.events.append(HandedBack(snapshot.key, now, rep_id, rep_name))
    return draft.finish(activity=False)


def closed_by_rep(
    flow: Flow, snapshot: Snapshot, rep_name: str, outcome: Outcome, now: datetime
) -> Decision:
    """The rep closes the conversation with an outcome (won, lost, nurture, spam)."""
    draft = TurnDraft(flow, snapshot, now)
    if snapshot.owner == "rep":
        draft.notice(flow.spec.routing.say.left.format(name=rep_name))
    draft.say(flow.spec.routing.say.closed)
    draft.owner = "bot"
    _forget_handoff(draft)
    draft.fire("finish")
    draft.closed(f"closed by {rep_name}", outcome)
    return draft.finish(activity=False)


def _forget_handoff(draft: TurnDraft) -> None:
    for key in ("rep_id", "rep_name", "sla_due_at", "fallback_sent", "team", "told_waiting"):
        draft.context.pop(key, None)
