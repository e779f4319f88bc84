"""The Slack channel: prospects in DMs and channel threads, over bolt's AsyncApp at /slack/events.

A thin translator (style rule 1, after bolt's ``adapter/aiohttp``): bolt verifies each request's
signature and age (401 for forged, changed, unsigned or stale ones) and acknowledges Events API
requests *before* a listener runs (``process_before_response=False``: see bolt's
``AsyncioListenerRunner.run``, which calls ``ack()`` then ``asyncio.ensure_future``); button
listeners call ``ack()` first. The work runs afterwards in tasks this module tracks, so Slack has
its answer well inside three seconds however slow the database is, and shutdown can drain them.

Retries (``X-Slack-Retry-Num``) are handled like first deliveries: the store's unique
(channel, external id) index makes one that was already handled a no-op, while one whose first
delivery failed (rolled back) is handled now, once. Skipping retries wholesale would lose it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any, Protocol

import aiohttp
import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from adapters.jobs import Jobs
from adapters.outbound import Pace, Pacer
from adapters.retry import Wait
from adapters.slack_blocks import REPLY_ACTION, Message, answered, to_messages, unescape
from adapters.slack_desk import RepDirectory, SlackDesk
from adapters.slack_errors import classify
from bot.clock import Clock
from bot.config import SlackSettings
from bot.messages import ConversationKey, Inbound, InboundKind
from bot.ports import Bus, Store
from bot.rep_ports import Cards
from bot.service import Service
from bot.state import StoredMessage

log = structlog.stdlib.get_logger(__name__)

SLACK_PACE = Pace(per_chat=1.0, chat_burst=3, overall=None)  # chat.postMessage: ~1/s/channel
DRAIN_SECONDS = 10.0
# Start-up asks apps.connections.open at most this often when Slack says wait (429) or fails on
# its side, waiting at most OPEN_WAIT_LIMIT each time, before start-up gives up.
OPEN_ATTEMPTS = 3
OPEN_WAIT_LIMIT = 30.0


class Prospects(Protocol):
    """The service calls the Slack channel makes (bot.service.Service)."""

    async def receive(self, inbound: Inbound) -> Any: ...  # noqa: D102


class SlackChannel:
    """Slack for prospects (DMs, mentions in channel threads) and, via SlackDesk, for reps.

    Built in ``create_app`` (the route must exist before start-up), started once storage is
    open, closed before it closes.

    Args:
        settings: tokens, signing secret, sales channel, API URL.
        pacer: the paced queue for sends (tests pass one on a fake clock).
    """

    def __init__(self, settings: SlackSettings, *, pacer: Pacer | None = None) -> None:
        self.settings = settings
        base_url = settings.api_url or AsyncWebClient.BASE_URL
        self.client = AsyncWebClient(
            token=settings.bot_token.reveal(), base_url=base_url.rstrip("/") + "/"
        )
        self.pacer = pacer or Pacer(SLACK_PACE, classify)
        self.jobs = Jobs()
        self.desk: SlackDesk | None = None
        self._service: Service | None = None
        self._store: Store | None = None
        self._clock: Clock | None = None
        self._socket: Any = None
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=settings.signing_secret.reveal() or None,
            process_before_response=False,  # ack first, work after (see module docstring)
            request_verification_enabled=settings.app_token is None or bool(
                settings.signing_secret.reveal()
            ),
        )
        self.bolt.event("message")(self._on_message)
        self.bolt.event("app_mention")(self._on_mention)
        self.bolt.action(re.compile(f"^{REPLY_ACTION}_\\d+$"))(self._on_reply_click)

    def setup(self, app: web.Application) -> None:
        """Mount ``POST /slack/events`` (unless Socket Mode carries the events)."""
        if self.settings.app_token is None:
            app.router.add_post("/slack/events", self._events)

    async def start(
        self, service: Service, store: Store, bus: Bus, clock: Clock,
        reps: RepDirectory | None, cards: Cards,
    ) -> None:
        """Bind to the running service; start the reps' desk and, if configured, Socket Mode.

        ``bus`` carries the events of the turns this process commits (the desk acts on those
        only, so several processes do not each act on one event); ``cards`` keeps the desk's
        cards in the database.
        """
        self._service, self._store, self._clock = service, store, clock
        if self.settings.sales_channel:
            self.desk = SlackDesk(
                self, self.settings.sales_channel, service, store, reps, clock, cards
            )
            self.desk.register(self.bolt)
            await self.desk.start(bus)
        if self.settings.app_token is not None:
            await self._connect(self.settings.app_token.reveal())

    async def _connect(self, app_token: str) -> None:
        """Open Socket Mode, failing start-up if Slack refuses the app-level token.

        slack_sdk's ``SocketModeClient.connect`` retries every failure every ten seconds for
        ever, a refused token (``invalid_auth``; ``not_allowed_token_type`` for an ``xoxb-``
        token) included, so start-up would hang with the server never listening. The first
        URL is asked for here instead, where a refusal raises and stops the server as a bad
        Telegram token does; the client then connects to that URL (it asks for a new one on
        each reconnect). A rate limit (several processes restarting together) or a failure on
        Slack's side is waited out and asked again, a few times, rather than taken for a
        refused token.
        """
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        opened = await self._open_connection(app_token)
        self._socket = AsyncSocketModeHandler(self.bolt, app_token)
        self._socket.client.wss_uri = opened["url"]
        await self._socket.connect_async()
        log.info("slack.socket_mode")

    async def _open_connection(self, app_token: str) -> Any:
        """apps.connections.open, retried while Slack says wait; raises when it refuses."""
        from slack_sdk.errors import SlackApiError

        for attempt in range(1, OPEN_ATTEMPTS + 1):
            try:
                return await self.client.apps_connections_open(app_token=app_token)
            except (SlackApiError, TimeoutError, aiohttp.ClientError) as error:
                verdict = classify(error)
                wait = verdict.seconds if isinstance(verdict, Wait) else float(attempt)
                if verdict == "permanent" or attempt == OPEN_ATTEMPTS or wait > OPEN_WAIT_LIMIT:
                    if verdict == "permanent" and isinstance(error, SlackApiError):
                        log.error(
                            "slack.app_token_refused", error=error.response.get("error"),
                            hint="QUALIBOT_SLACK_APP_TOKEN needs an app-level xapp- token "
                            "with connections:write, and Socket Mode enabled in the app's "
                            "settings",
                        )
                    else:
                        log.error("slack.connections_open_failed", attempts=attempt,
                                  error=repr(error)[:200])  # fmt: skip
                    raise
                log.warning("slack.connections_open_retrying", attempt=attempt, wait=wait,
                            error=repr(error)[:200])  # fmt: skip
                await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def close(self) -> None:
        """Stop taking events, finish work in progress, flush the send queue."""
        if self._socket is not None:
            await self._socket.close_async()
        if self.desk is not None:
            await self.desk.close()
        await self.jobs.close(DRAIN_SECONDS)
        await self.pacer.close()
        self._service = None

    async def idle(self) -> None:
        """Wait until every event taken has been handled and every message sent (tests)."""
        while True:
            await self.jobs.join()
            if self.desk is not None:
                await self.desk.idle()
            await self.pacer.join()
            if not self.jobs.busy():
                return

    # -- the Channel port -------------------------------------------------------------------

    async def send(self, key: ConversationKey, messages: Sequence[StoredMessage]) -> None:
        """Queue ``messages`` to the prospect's DM or thread; the pacer delivers them in order."""
        _, channel, thread = _address(key)
        for message in messages:
            for piece in to_messages(message):
                self.post(channel, thread, piece)

    def post(self, channel: str, thread: str | None, message: Message) -> asyncio.Future[Any]:
        """Queue one chat.postMessage on ``channel``'s lane; the future holds Slack's answer."""
        return self.pacer.put(
            channel,
            lambda: self.client.chat_postMessage(channel=channel, thread_ts=thread, **message),
        )

    # -- inbound ------------------------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.Response:
        if self._service is None:
            raise web.HTTPServiceUnavailable(text="starting or stopping, retry shortly")
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _on_message(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        self.jobs.spawn(self._message(body, context))

    async def _on_mention(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        self.jobs.spawn(self._mention(body, context))

    async def _on_reply_click(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        self.jobs.spawn(self._click(body, context))

    async def _message(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = body["event"]
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, joins, bots (ourselves included): not a prospect speaking
        channel, thread = event["channel"], event.get("thread_ts")
        if channel == self.settings.sales_channel:
            if thread and self.desk is not None:
                await self.desk.rep_reply(body, context)
            return
        if event.get("channel_type") == "im":
            key = _key(context, body, channel, "")  # a DM is one conversation, threads or not
        elif thread and f"<@{context.bot_user_id}>" not in event.get("text", ""):
            # A reply in a thread that a mention started (mentions come as app_mention).
            key = _key(context, body, channel, thread)
            if self._store is None or not await self._store.transcript(key, 0, 1):
                return
        else:
            return
        await self._receive(key, body["event_id"], event.get("text", ""), "text")

    async def _mention(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = body["event"]
        if event.get("bot_id") or event["channel"] == self.settings.sales_channel:
            return
        thread = event.get("thread_ts") or event["ts"]  # a mention opens a thread
        key = _key(context, body, event["channel"], thread)
        text = re.sub(rf"<@{context.bot_user_id}>\s*", "", event.get("text", "")).strip()
        await self._receive(key, body["event_id"], text or "hi", "text")

    async def _click(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        action, message = body["actions"][0], body.get("message") or {}
        channel = body["channel"]["id"]
        thread = "" if channel.startswith("D") else message.get("thread_ts", "")
        key = _key(context, body, channel, thread)
        answered_here = await self._receive(
            key, f"click:{action['action_ts']}", action["value"], "click"
        )
        if answered_here and message.get("ts"):
            done = answered(message.get("text", ""), action["text"]["text"])
            self.pacer.put(
                channel,
                lambda: self.client.chat_update(channel=channel, ts=message["ts"], **done),
            )

    async def _receive(
        self, key: ConversationKey, external_id: str, text: str, kind: InboundKind
    ) -> bool:
        """Run the turn and queue the bot's replies; False for a re-delivery."""
        assert self._service is not None
        assert self._clock is not None
        inbound = Inbound(key, external_id, unescape(text), self._clock.now(), kind)
        reply = await self._service.receive(inbound)
        await self.send(key, reply.messages)
        return not reply.duplicate


def _key(
    context: AsyncBoltContext, body: dict[str, Any], channel: str, thread: str
) -> ConversationKey:
    """``slack:TEAM:CHANNEL:THREAD``, with the installation's team (same for events and clicks)."""
    result = context.authorize_result
    team = (result.team_id if result is not None else None) or body.get("team_id") or (
        body.get("team") or {}
    ).get("id", "")
    return ConversationKey("slack", f"{team}:{channel}:{thread}")


def _address(key: ConversationKey) -> tuple[str, str, str | None]:
    team, _, rest = key.address.partition(":")
    channel, _, thread = rest.partition(":")
    return team, channel, thread or None
