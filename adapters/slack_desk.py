"""Reps in Slack: a card per hand-off in the sales channel, take-over, replies in its thread.

The card follows the events of the turns this process commits: posted on ``handoff_routed``,
updated on claims, hand-backs and closes wherever they happen (here or in the console), and its
thread mirrors what the prospect writes. Clicks and thread replies go through the same service
calls as the console (``claim``, ``rep_say``, ``hand_back``, ``close``), so the one-claim-wins
rule holds across both.

Which message is a hand-off's card is kept in the database (the ``Cards`` port), not here: a
restarted process, or any other one, updates the card and relays replies in its thread. Only
the process whose turn produced an event acts on it (it follows its own events, not the shared
bus), so with several processes a prospect's line is mirrored once; and the card is posted by
whoever wins ``claim_card``, so a re-published hand-off (the outbox relay after a crash) does
not post a second one. A post that fails gives its claim back and is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import timedelta
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
from bot.rep_ports import Cards
from bot.state import Card, Outcome, Rep

if TYPE_CHECKING:
    from adapters.slack import SlackChannel
    from bot.service import Service

log = structlog.stdlib.get_logger(__name__)

NOT_A_REP = (
    "You are not a Qualibot rep yet, so you cannot take leads over. "
    "Ask an admin: `qualibot reps add {email}`"
)
# A claim not posted after this long counts as abandoned (its process died mid-post): well
# beyond a post waiting its turn in the paced queue behind a burst of other cards.
CLAIM_ABANDONED_AFTER = timedelta(minutes=5)


class RepDirectory(Protocol):
    """The part of the Reps port the desk needs: who a Slack user is, by email."""

    async def find_rep(  # noqa: D102
        self, *, rep_id: int | None = None, email: str | None = None
    ) -> Rep | None: ...


class SlackDesk:
    """The sales channel's side of the Slack app."""

    def __init__(
        self, slack: SlackChannel, channel: str, service: Service, store: Store,
        reps: RepDirectory | None, clock: Clock, cards: Cards,
    ) -> None:
        self._slack, self._channel = slack, channel
        self._service, self._store, self._reps, self._clock = service, store, reps, clock
        self._cards = cards
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
        """Follow the ``events`` topic of ``bus``: the events of this process's turns."""
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
        if name not in _FOLLOWED or (
            name == "message_added" and payload.get("author") != "visitor"
        ):
            return  # the database is read only for what changes a card
        found = await self._cards.card_for(key, self._channel)
        if found is None:
            return
        if name == "message_added":
            who = escape(str(payload.get("author_name") or "Prospect"))
            text = f"*{who}:* {escape(str(payload.get('text', '')))}"
            self._slack.post(self._channel, found.message_id, {"text": text})
        elif name == "handoff_claimed":
            self._update(found, f":raising_hand: Taken over by *{payload['rep_name']}*", "claimed")
        elif name == "handed_back":
            self._update(found, f"Handed back to the bot by *{payload['rep_name']}*", "done")
        elif name == "sla_missed":
            self._update(found, ":hourglass: Nobody took it in time: the prospect got the "
                                "fallback. Still open to take over.", "queued")
        elif name == "conversation_closed":
            outcome = f" as *{payload['outcome']}*" if payload.get("outcome") else ""
            self._update(found, f"Closed{outcome}: {escape(str(payload.get('reason')))}", "done")

    async def _post_card(self, key: ConversationKey, reason: str) -> None:
        """Post the hand-off's card if this process wins the claim; a failed post gives it back."""
        handoff = await self._cards.claim_card(
            key, self._channel, self._clock.now(), CLAIM_ABANDONED_AFTER
        )
        if handoff is None:
            log.info("slack.card_skipped", key=str(key))  # posted (or being posted) already
            return
        try:
            async with self._store.unit() as unit:
                snapshot = await unit.load(key, self._clock.now())
            evidence = {s: e.value for s, e in snapshot.evidence.items() if e.status == "answer"}
            head = card_head(
                str(key), snapshot.lead, evidence, snapshot.score, snapshot.stage, reason
            )
            message = card(head, str(key), ":bell: Waiting for a rep to take it over", "queued")
            response = await self._slack.post(self._channel, None, message)
        except Exception as exc:
            # Given back, so the claim does not block a later attempt (a re-published event).
            await self._cards.release_card(handoff, self._channel)
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else repr(exc)
            log.error("slack.card_post_failed", key=str(key), handoff=handoff, error=error)
            return
        await self._cards.place_card(handoff, self._channel, str(response["ts"]), head)

    def _update(self, found: Card, status: str, phase: str) -> None:
        message = card([dict(block) for block in found.head], str(found.key), status, phase)
        client, channel, ts = self._slack.client, self._channel, found.message_id
        self._slack.pacer.put(
            channel, lambda: client.chat_update(channel=channel, ts=ts, **message)
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
        found = await self._cards.card_at(event.get("channel", ""), event.get("thread_ts", ""))
        if found is None:
            return
        key = found.key
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


# The events that can change a card (``handoff_routed`` posts one).
_FOLLOWED = frozenset(
    {"message_added", "handoff_claimed", "handed_back", "sla_missed", "conversation_closed"}
)


def _outcome(value: str) -> Outcome:
    outcomes: dict[str, Outcome] = {"won": "won", "lost": "lost", "spam": "spam"}
    return outcomes.get(value, "nurture")
