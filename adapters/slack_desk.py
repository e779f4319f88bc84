"""Reps in Slack: a card per hand-off in the sales channel, take-over, replies in its thread.

The card follows the bus (``events``): posted on ``handoff_routed``, updated on claims, hand-backs
and closes wherever they happen (here or in the console), and its thread mirrors what the
prospect writes. Clicks and thread replies go through the same service calls as the console
(``claim``, ``rep_say``, ``hand_back``, ``close``), so the one-claim-wins rule holds across both.

Card timestamps are kept in this process's memory: after a restart, or in a second process, an
earlier card no longer updates or relays (docs/slack.md says so).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError

from adapters.slack_blocks import (
    CLOSE_ACTION,
    HAND_BACK_ACTION,
    TAKE_ACTION,
    card,
    card_head,
    escape,
    unescape,
)
from bot.clock import Clock
from bot.messages import ConversationKey
from bot.ports import Bus, Store, Subscription
from bot.state import Outcome, Rep

if TYPE_CHECKING:
    from adapters.slack import SlackChannel
    from bot.service import Service

log = structlog.stdlib.get_logger(__name__)

NOT_A_REP = (
    "You are not a Qualibot rep yet, so you cannot take leads over. "
    "Ask an admin: `qualibot reps add {email}`"
)


class RepDirectory(Protocol):
    """The part of the Reps port the desk needs: who a Slack user is, by email."""

    async def find_rep(  # noqa: D102
        self, *, rep_id: int | None = None, email: str | None = None
    ) -> Rep | None: ...


@dataclass(slots=True)
class _Card:
    ts: str
    head: list[dict[str, Any]]


class SlackDesk:
    """The sales channel's side of the Slack app."""

    def __init__(
        self, slack: SlackChannel, channel: str, service: Service, store: Store,
        reps: RepDirectory | None, clock: Clock,
    ) -> None:
        self._slack, self._channel = slack, channel
        self._service, self._store, self._reps, self._clock = service, store, reps, clock
        self._cards: dict[ConversationKey, _Card] = {}
        self._threads: dict[str, ConversationKey] = {}
        self._emails: dict[str, str | None] = {}
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[Mapping[str, Any]] = asyncio.Queue()

    def register(self, bolt: AsyncApp) -> None:
        """Add the card's button listeners to the bolt app."""
        bolt.action(TAKE_ACTION)(self._on_action)
        bolt.action(HAND_BACK_ACTION)(self._on_action)
        bolt.action(CLOSE_ACTION)(self._on_action)

    async def start(self, bus: Bus) -> None:
        """Follow the bus's ``events`` topic."""
        self._subscription = await bus.subscribe("events")
        self._task = asyncio.create_task(self._follow(self._subscription), name="slack-desk")

    async def close(self) -> None:
        """Stop following the bus."""
        if self._subscription is not None:
            await self._subscription.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def idle(self) -> None:
        """Wait until every bus event received so far has been handled (tests)."""
        await self._queue.join()

    async def _follow(self, subscription: Subscription) -> None:
        async for payload in subscription:
            self._queue.put_nowait(payload)
            try:
                await self._handle(payload)
            except Exception:
                log.exception("slack.desk_event_failed", kind=payload.get("event"))
            finally:
                self._queue.get_nowait()
                self._queue.task_done()

    async def _handle(self, payload: Mapping[str, Any]) -> None:
        key = ConversationKey.parse(str(payload["key"]))
        name = payload.get("event")
        if name == "handoff_routed":
            await self._post_card(key, str(payload.get("route_reason") or ""))
            return
        found = self._cards.get(key)
        if found is None:
            return
        if name == "message_added" and payload.get("author") == "visitor":
            who = escape(str(payload.get("author_name") or "Prospect"))
            text = f"*{who}:* {escape(str(payload.get('text', '')))}"
            self._slack.post(self._channel, found.ts, {"text": text})
        elif name == "handoff_claimed":
            self._update(key, f":raising_hand: Taken over by *{payload['rep_name']}*", "claimed")
        elif name == "handed_back":
            self._update(key, f"Handed back to the bot by *{payload['rep_name']}*", "done")
        elif name == "sla_missed":
            self._update(key, ":hourglass: Nobody took it in time: the prospect got the "
                              "fallback. Still open to take over.", "queued")
        elif name == "conversation_closed":
            outcome = f" as *{payload['outcome']}*" if payload.get("outcome") else ""
            self._update(key, f"Closed{outcome}: {escape(str(payload.get('reason')))}", "done")

    async def _post_card(self, key: ConversationKey, reason: str) -> None:
        async with self._store.unit() as unit:
            snapshot = await unit.load(key, self._clock.now())
        evidence = {s: e.value for s, e in snapshot.evidence.items() if e.status == "answer"}
        head = card_head(
            str(key), snapshot.lead, evidence, snapshot.score, snapshot.stage, reason
        )
        message = card(head, str(key), ":bell: Waiting for a rep to take it over", "queued")
        response = await self._slack.post(self._channel, None, message)
        ts = str(response["ts"])
        self._cards[key] = _Card(ts, head)
        self._threads[ts] = key

    def _update(self, key: ConversationKey, status: str, phase: str) -> None:
        found = self._cards[key]
        message = card(found.head, str(key), status, phase)
        client = self._slack.client
        self._slack.pacer.put(
            self._channel,
            lambda: client.chat_update(channel=self._channel, ts=found.ts, **message),
        )

    # -- reps acting in Slack ----------------------------------------------------------------

    async def _on_action(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        self._slack.jobs.spawn(self._act(body))

    async def _act(self, body: dict[str, Any]) -> None:
        action, user = body["actions"][0], body["user"]["id"]
        rep = await self._rep(user)
        if rep is None:
            return
        if action["action_id"] == CLOSE_ACTION:
            outcome, _, key_text = action["selected_option"]["value"].partition("|")
        else:
            outcome, key_text = "", action["value"]
        key = ConversationKey.parse(key_text)
        if action["action_id"] == TAKE_ACTION:
            if not await self._service.claim(key, rep):
                self._whisper(user, "Someone else has it already, or it is no longer waiting.")
            return
        if action["action_id"] == HAND_BACK_ACTION:
            reply = await self._service.hand_back(key, rep)
        else:
            reply = await self._service.close(key, rep, _outcome(outcome))
        if not reply.messages:
            self._whisper(user, "Only the rep who took it over can hand it back or close it.")

    async def rep_reply(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        """A message in a card's thread: the owning rep's words go to the prospect."""
        event = body["event"]
        key = self._threads.get(event.get("thread_ts", ""))
        if key is None:
            return
        rep = await self._rep(event["user"])
        if rep is None:
            return
        text = unescape(event.get("text", "")).strip()
        said = await self._service.rep_say(key, rep, text, body["event_id"])
        if said is None:
            self._whisper(
                event["user"],
                "Not sent to the prospect: only the rep who took it over can reply "
                "(press *Take over* first).",
            )

    async def _rep(self, user: str) -> Rep | None:
        """The rep behind a Slack user, by email; a non-rep is told how to become one."""
        email = await self._email(user)
        rep = None
        if email and self._reps is not None:
            rep = await self._reps.find_rep(email=email)
        if rep is None or rep.disabled:
            self._whisper(user, NOT_A_REP.format(email=email or "THEIR-EMAIL"))
            return None
        return rep

    async def _email(self, user: str) -> str | None:
        if user not in self._emails:
            try:
                response = await self._slack.client.users_info(user=user)
            except SlackApiError as exc:
                log.warning("slack.users_info_failed", error=exc.response.get("error"))
                return None
            profile = (response.get("user") or {}).get("profile") or {}
            self._emails[user] = profile.get("email")
        return self._emails[user]

    def _whisper(self, user: str, text: str) -> None:
        """An ephemeral message in the sales channel: only ``user`` sees it."""
        client, channel = self._slack.client, self._channel
        self._slack.pacer.put(
            channel, lambda: client.chat_postEphemeral(channel=channel, user=user, text=text)
        )


def _outcome(value: str) -> Outcome:
    outcomes: dict[str, Outcome] = {"won": "won", "lost": "lost", "spam": "spam"}
    return outcomes.get(value, "nurture")
