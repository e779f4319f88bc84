"""Channel-neutral message values that adapters translate platform payloads to and from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.frozen import fast_init

ChannelName = Literal["widget", "slack", "telegram", "terminal", "console", "simulate"]
Author = Literal["visitor", "bot", "rep", "system"]
InboundKind = Literal["text", "click", "page_view", "product_event"]


@fast_init
@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Identifies one conversation: the channel plus the channel's own address for it.

    The address is whatever the channel needs to reply (widget visitor id, Telegram chat id,
    Slack ``team:channel:thread``), so a key alone is enough to route an outbound message.
    """

    channel: ChannelName
    address: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"

    @classmethod
    def parse(cls, text: str) -> ConversationKey:
        """Inverse of ``str(key)``."""
        channel, _, address = text.partition(":")
        return cls(channel, address)  # type: ignore[arg-type]


@fast_init
@dataclass(frozen=True, slots=True)
class QuickReply:
    """A button the prospect can click instead of typing; ``value`` is the canonical answer."""

    label: str
    value: str


@fast_init
@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing the prospect did: a message, a quick-reply click, a page view.

    ``external_id`` is the platform's own id (Slack event_id, Telegram update_id, widget client
    message id); storing it under a unique index makes re-deliveries no-ops.
    """

    key: ConversationKey
    external_id: str
    text: str
    received_at: datetime
    kind: InboundKind = "text"
    sender_name: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class Outbound:
    """One thing said to the prospect, by the bot, a rep, or the system (notices)."""

    key: ConversationKey
    text: str
    author: Author = "bot"
    quick_replies: tuple[QuickReply, ...] = field(default=())
    author_name: str | None = None
