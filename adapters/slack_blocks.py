"""Block Kit for Qualibot: prospect messages with quick-reply buttons, and the reps' hand-off card.

Pure functions from our values to Slack's JSON, so the Slack modules that do I/O stay short and
the shapes can be tested without a network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.split_text import split
from bot.describe import describe
from bot.state import StoredMessage

# One piece of a long message fits one section block (3,000 characters; Slack truncates a
# message's text at 40,000). Escaping can lengthen a piece, so split below the limit.
SLACK_PIECE = 2800
REPLY_ACTION = "qualibot_reply"  # + "_<n>": action ids must differ within one actions block
TAKE_ACTION = "qualibot_take"
HAND_BACK_ACTION = "qualibot_hand_back"
CLOSE_ACTION = "qualibot_close"
OUTCOMES = ("won", "lost", "nurture", "spam")
BANT = (
    ("need", "Need"), ("timeline", "Timeline"), ("budget", "Budget"), ("authority", "Authority")
)
LEAD_FIELDS = (("name", "Name"), ("company", "Company"), ("email", "Email"), ("phone", "Phone"))
CHANNEL_NAMES = {"widget": "website chat", "slack": "Slack", "telegram": "Telegram"}

Message = dict[str, Any]  # keyword arguments for chat.postMessage / chat.update


def escape(text: str) -> str:
    """Slack's three control characters, so a prospect's ``<!channel>`` stays plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack's escaped text back to what was typed (``&lt;`` is ``<``), for other channels."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def shown(message: StoredMessage) -> str:
    """A transcript line as the prospect sees it on Slack: reps by name, notices in italics."""
    text = escape(message.text)
    if message.author == "rep":
        return f"*{escape(message.author_name or 'Sales')}:* {text}"
    if message.author == "system":
        return f"_{text}_"
    return text


def to_messages(message: StoredMessage) -> list[Message]:
    """One stored line as one or more Slack messages; buttons go on the last piece."""
    pieces = split(shown(message), SLACK_PIECE) or [" "]
    out: list[Message] = [{"text": piece} for piece in pieces]
    if message.quick_replies:
        out[-1]["blocks"] = [
            _section(pieces[-1]),
            {
                "type": "actions",
                "block_id": "qualibot_replies",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{REPLY_ACTION}_{i}",
                        "text": {"type": "plain_text", "text": qr.label[:75], "emoji": True},
                        "value": qr.value[:2000],
                    }
                    for i, qr in enumerate(message.quick_replies[:25])
                ],
            },
        ]
    return out


def answered(text: str, label: str) -> Message:
    """The button message after a click: the question stays, the buttons become the answer."""
    return {
        "text": text,
        "blocks": [
            _section(text),
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"▸ {escape(label)}"}]},
        ],
    }


def card_head(
    key: str, lead: Mapping[str, Any], evidence: Mapping[str, Any], score: int,
    stage: str | None, reason: str,
) -> list[dict[str, Any]]:
    """The lasting part of a hand-off card: who, why hot (BANT in words), score, routing reason.

    Args:
        key: the conversation key as text (``telegram:12345``).
        lead: lead-card fields (name, email, company, ...).
        evidence: slot -> current value (answers only).
        score: the lead's score.
        stage: the lead's stage (SQL for hot leads).
        reason: the routing reason ("team sales: enterprise rule; offered to Dana").
    """
    channel = CHANNEL_NAMES.get(key.partition(":")[0], key.partition(":")[0])
    who = " · ".join(
        f"*{label}:* {escape(str(lead[name]))}" for name, label in LEAD_FIELDS if lead.get(name)
    )
    facts = "\n".join(
        f"*{label}:* {escape(describe(slot, evidence[slot]))}"
        for slot, label in BANT
        if evidence.get(slot) is not None
    )
    summary = f":fire: *Hot lead on {channel}* — {escape(stage or 'unstaged')}, score *{score}*"
    blocks: list[dict[str, Any]] = [_section(summary)]
    if who:
        blocks.append(_section(who))
    blocks.append(_section(facts or "_No BANT answers yet._"))
    blocks.append(
        {"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"Routed: {escape(reason or 'default team')}"},
            {"type": "mrkdwn", "text": f"`{escape(key)}`"},
        ]}
    )
    return blocks


def card(head: list[dict[str, Any]], key: str, status: str, phase: str) -> Message:
    """The whole card for ``phase``: queued (Take over), claimed (Hand back, Close), or done."""
    blocks = [*head, _section(status)]
    if phase == "queued":
        blocks.append(_actions([_button("Take over", TAKE_ACTION, key, style="primary")]))
    elif phase == "claimed":
        blocks.append(_actions([
            _button("Hand back", HAND_BACK_ACTION, key),
            {
                "type": "static_select",
                "action_id": CLOSE_ACTION,
                "placeholder": {"type": "plain_text", "text": "Close as…"},
                "options": [
                    {"text": {"type": "plain_text", "text": o}, "value": f"{o}|{key}"}
                    for o in OUTCOMES
                ],
            },
        ]))
    channel = CHANNEL_NAMES.get(key.partition(":")[0], key.partition(":")[0])
    return {"text": f"Hot lead on {channel}: {status}", "blocks": blocks}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000] or " "}}


def _actions(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "actions", "block_id": "qualibot_card", "elements": elements}


def _button(text: str, action: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    return button
