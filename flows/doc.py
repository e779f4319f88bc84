"""The flow's stage definitions and scoring rules as Markdown, for the people who agree them."""

from __future__ import annotations

from flows.schema import Condition, FlowSpec


def render(spec: FlowSpec) -> str:
    """Markdown for marketing and sales: stages, scoring, hand-off, questions."""
    out = [f"# {spec.name}: qualification agreement", ""]
    if spec.description:
        out += [spec.description.strip(), ""]
    out += [
        "## Stages",
        "",
        "A lead is at the highest stage whose conditions it meets.",
        "",
        "| Stage | Meaning | Minimum score | Required answers |",
        "|---|---|---|---|",
    ]
    for stage in spec.stages:
        needs = [", ".join(stage.requires)] if stage.requires else []
        if stage.requires_any:
            needs.append("one of " + ", ".join(stage.requires_any))
        if stage.requires_signals:
            needs.append("signal " + ", ".join(stage.requires_signals))
        out.append(
            f"| {stage.name} | {_cell(stage.meaning)} | {stage.min_score} | "
            f"{'; '.join(needs) or '-'} |"
        )
    out += ["", "## Scoring", "", "| Rule | When | Points |", "|---|---|---|"]
    for rule in spec.scoring:
        out.append(
            f"| {_cell(rule.name)} | {_cell(condition_text(rule.when))} | {rule.points:+d} |"
        )
    handoff = spec.handoff
    out += [
        "",
        "## Hand-off",
        "",
        f"- The bot hands the conversation to sales when the lead reaches **{handoff.at_stage}**.",
        "- Asking for a person hands off at any point: "
        f"**{'yes' if handoff.on_request else 'no'}**.",
        "",
        "## Routing",
        "",
        f"- An unclaimed hand-off gets the fallback after **{spec.routing.sla_seconds} seconds**"
        + (f" (meeting link: {spec.routing.meeting_link})." if spec.routing.meeting_link else "."),
        *_routing_lines(spec),
        "",
        "## Questions",
        "",
        "Asked in this order, only while the answer is unknown.",
        "",
    ]
    for number, question in enumerate(spec.questions, start=1):
        buttons = ", ".join(b.label for b in question.quick_replies)
        out.append(
            f"{number}. **{question.slot}**: {question.ask}"
            + (f" _(buttons: {buttons})_" if buttons else "")
            + f" (up to {question.attempts} attempts)"
        )
    return "\n".join(out) + "\n"


def _routing_lines(spec: FlowSpec) -> list[str]:
    lines = [f"- {rule.name}: {condition_text(rule.when)} → team **{rule.team}**"
             for rule in spec.routing.rules]
    lines.append(f"- Otherwise: team **{spec.routing.default_team}**.")
    for name, team in spec.routing.teams.items():
        hours = team.office_hours
        when = (f"{', '.join(hours.days)} {hours.start}–{hours.end} ({hours.timezone})"
                if hours else "around the clock")
        lines.append(f"- Team {name} answers {when}.")
    return lines


def condition_text(when: Condition) -> str:
    """A condition in words."""
    subject = when.slot or f"signal `{when.signal}`"
    if when.status != "answer":
        return f"{subject} is {when.status}"
    parts = [f"{subject} is known"]
    if when.at_least is not None:
        parts.append(
            f"at least {when.at_least:,.0f}" + (" a year" if when.slot == "budget" else "")
        )
    if when.below is not None:
        parts.append(f"below {when.below:,.0f}")
    for label, values in (
        ("level", when.level_in),
        ("urgency", when.urgency_in),
        ("category", when.category_in),
        ("country", when.country_in),
    ):
        if values:
            parts.append(f"{label} is {' or '.join(values)}")
    if when.no_need:
        parts = [f"{subject}: just browsing"]
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
