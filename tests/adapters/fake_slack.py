"""A local stand-in for the Slack Web API: records every call, answers like Slack, fails on cue.

The real ``AsyncWebClient`` talks to it over HTTP (``base_url``), as bolt's own tests do with
their mock server, so the code under test is the code that runs in production.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from tests.adapters.fake_slack_socket import SlackSocket

if TYPE_CHECKING:
    from tests.adapters.fake_telegram import FakeTelegram

TEAM, BOT_USER, BOT_ID = "T0001", "UQUALIBOT", "BQUALIBOT"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = 0.0  # on the test's clock, when one is given
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeSlack:
    """Slack's Web API as far as Qualibot uses it; ``emails`` is users.info's directory.

    ``socket`` is Socket Mode's side (apps.connections.open and the websocket it hands out).
    """

    calls: list[Call] = field(default_factory=list)
    clock: Callable[[], float] = field(default=lambda: 0.0)
    emails: dict[str, str] = field(default_factory=dict)
    failures: dict[str, list[tuple[int, int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    socket: SlackSocket = field(default_factory=SlackSocket)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _recorded: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        self.socket.mount(app)
        return app

    async def wait_for(self, method: str, count: int = 1, **match: Any) -> list[dict[str, Any]]:
        """Wait (at most 10 s) for ``count`` calls of ``method`` like ``match``; return them."""
        async with asyncio.timeout(10):
            while len(self.of(method, **match)) < count:
                self._recorded.clear()
                await self._recorded.wait()
        return self.of(method, **match)

    def fail_once(
        self, method: str, *, status: int = 429, retry_after: int = 2, error: str = "ratelimited"
    ) -> None:
        """The next call of ``method`` is refused (429 with Retry-After by default)."""
        self.fail(method, status=status, retry_after=retry_after, error=error)

    def fail(
        self, method: str, times: int = 1, *, status: int = 500, retry_after: int = 2,
        error: str = "internal_error", drop: bool = False,
    ) -> None:
        """The next ``times`` calls of ``method`` answer ``status`` with ``ok: false, error``.

        With ``drop`` the connection is closed instead, with no answer (recorded as status 0).
        """
        self.failures[method].extend([(0 if drop else status, retry_after, error)] * times)

    def of(self, method: str, **match: Any) -> list[dict[str, Any]]:
        """Parameters of the recorded calls of ``method`` whose params include ``match``."""
        return [
            c.params for c in self.calls
            if c.method == method and all(c.params.get(k) == v for k, v in match.items())
        ]

    def texts(self, channel: str, **match: Any) -> list[str]:
        """Texts posted to ``channel`` (chat.postMessage), in order."""
        return [p["text"] for p in self.of("chat.postMessage", channel=channel, **match)]

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        if self.failures[method]:
            status, retry_after, error = self.failures[method].pop(0)
            self.calls.append(Call(f"{method}!{status or 'drop'}", params, self.clock()))
            if not status and request.transport is not None:
                request.transport.close()  # the client sees the connection go, no answer
            headers = {"Retry-After": str(retry_after)} if status == 429 else {}
            return web.json_response(
                {"ok": False, "error": error}, status=status or 500, headers=headers
            )
        if method == "apps.connections.open":  # the app-level token comes as the bearer
            params["token"] = request.headers.get("Authorization", "").removeprefix("Bearer ")
            result = self.socket.open(request, params["token"])
        else:
            result = self._answer(method, params)
        self.calls.append(Call(method, params, self.clock(), result))
        self._recorded.set()
        return web.json_response(result)

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID,
                    "team": "Acme", "user": "qualibot", "url": "https://acme.slack.com/"}
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": params.get("channel"), "ts": ts,
                    "message": {"text": params.get("text"), "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "users.info":
            user = str(params.get("user"))
            profile = {"email": self.emails[user]} if user in self.emails else {}
            return {"ok": True, "user": {"id": user, "profile": profile}}
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}


def blocks_of(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The blocks of a recorded call, whether they came as JSON or as a form field."""
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


# -- requests as Slack signs them ------------------------------------------------------------

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PAYLOADS = Path(__file__).with_name("payloads")


def payload(name: str, **event: Any) -> dict[str, Any]:
    """A recorded payload (payloads/slack or telegram/NAME.json) with ``event`` fields changed.

    For Slack event callbacks the overrides go into ``event``; ``event_id=`` sets the envelope's.
    """
    platform = "telegram" if (PAYLOADS / "telegram" / f"{name}.json").exists() else "slack"
    data: dict[str, Any] = json.loads((PAYLOADS / platform / f"{name}.json").read_text())
    if "event_id" in event:
        data["event_id"] = event.pop("event_id")
    if event:
        data["event"] = {**data["event"], **event}
    return data


def sign(body: str, *, secret: str = SIGNING_SECRET, at: float | None = None) -> dict[str, str]:
    """Slack's v0 signature headers: HMAC-SHA256 of ``v0:timestamp:body`` with the secret."""
    timestamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def event_body(data: dict[str, Any]) -> tuple[str, str]:
    """(body, content type): events are JSON, interactions a form field ``payload``."""
    if data.get("type") == "block_actions":
        return urlencode({"payload": json.dumps(data)}), "application/x-www-form-urlencoded"
    return json.dumps(data), "application/json"


class FakeTime:
    """Monotonic time that only moves when the code under test sleeps: no real waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        # Time jumps only if nothing else happens for a moment: a send in flight (which the
        # pacer's sleep races against) finishes first, as it would in real time.
        await asyncio.sleep(0.02)
        self.now += max(seconds, 0.0)


# -- the whole app with both channels, against both stand-ins ---------------------------------

TELEGRAM_SECRET = "tg-webhook-secret_0123456789"
SALES = "C0SALES"


@dataclass
class Stack:
    """The real app (real Service, default flow, SQLite) wired to the fake Slack and Telegram."""

    client: TestClient[Any, Any]
    slack: FakeSlack
    telegram: FakeTelegram
    time: FakeTime
    env: dict[str, str] = field(default_factory=dict)  # the QUALIBOT_* variables it runs with

    @property
    def app(self) -> web.Application:
        return self.client.app  # type: ignore[return-value]

    async def slack_event(
        self, data: dict[str, Any], *, retry: int | None = None, at: float | None = None
    ) -> ClientResponse:
        body, content_type = event_body(data)
        headers = {**sign(body, at=at), "Content-Type": content_type}
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.client.post("/slack/events", data=body, headers=headers)

    async def telegram_update(
        self, data: dict[str, Any], *, secret: str | None = TELEGRAM_SECRET
    ) -> ClientResponse:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.client.post("/telegram/webhook", json=data, headers=headers)

    async def settle(self) -> None:
        """Wait until both channels are idle and no call reached a stand-in for a moment."""
        from bot.app import SLACK, TELEGRAM

        quiet = 0
        while quiet < 3:
            before = len(self.slack.calls) + len(self.telegram.calls)
            for channel in (self.app.get(TELEGRAM), self.app.get(SLACK)):
                if channel is not None:
                    await channel.idle()
            await asyncio.sleep(0.02)
            quiet = quiet + 1 if before == len(self.slack.calls) + len(self.telegram.calls) else 0

    async def transcript(self, key: str) -> list[str]:
        from bot.app import STORE
        from bot.messages import ConversationKey

        lines = await self.app[STORE].transcript(ConversationKey.parse(key))
        return [f"{m.author}: {m.text}" for m in lines]


async def start_stack(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    tmp_path: Path,
    *,
    beside: Stack | None = None,
    **env: str,
) -> Stack:
    """Start both stand-ins and the app; ``env`` adds or overrides QUALIBOT_* variables.

    With ``beside``, no new stand-ins: a second app (another server process, or the same one
    restarted) on ``beside``'s stand-ins, settings and database.
    """
    from adapters.outbound import Pacer
    from adapters.slack import SLACK_PACE
    from adapters.slack_errors import classify as slack_classify
    from adapters.telegram import TELEGRAM_PACE
    from adapters.telegram import classify as telegram_classify
    from bot.app import SLACK, TELEGRAM, create_app
    from bot.clock import FixedClock
    from bot.config import Settings
    from tests.adapters.fake_telegram import TOKEN, FakeTelegram
    from tests.conftest import NOW

    if beside is not None:
        fake_time, slack, telegram = beside.time, beside.slack, beside.telegram
        base = {**beside.env}
    else:
        fake_time = FakeTime()
        slack, telegram = FakeSlack(clock=fake_time.clock), FakeTelegram(clock=fake_time.clock)
        slack_server = await aiohttp_server(slack.app())
        telegram_server = await aiohttp_server(telegram.app())
        base = {
            "QUALIBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'channels.db'}",
            "QUALIBOT_SECRET": "test-secret-0123456789abcdef",
            "QUALIBOT_SLACK_BOT_TOKEN": "xoxb-test-token",
            "QUALIBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "QUALIBOT_SLACK_SALES_CHANNEL": SALES,
            "QUALIBOT_SLACK_API_URL": str(slack_server.make_url("/api/")),
            "QUALIBOT_TELEGRAM_TOKEN": TOKEN,
            "QUALIBOT_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
            "QUALIBOT_TELEGRAM_API_URL": str(telegram_server.make_url("")),
        }
    env = {**base, **env}
    settings = Settings.from_env(env, workdir=tmp_path)
    app = create_app(settings, clock=FixedClock(NOW))
    # Pacers on fake time: rate limits, retry-after and backoff cost the tests no real seconds.
    if SLACK in app:
        app[SLACK].pacer = Pacer(
            SLACK_PACE, slack_classify, clock=fake_time.clock, sleep=fake_time.sleep
        )
    if TELEGRAM in app:
        app[TELEGRAM].pacer = Pacer(
            TELEGRAM_PACE, telegram_classify, clock=fake_time.clock, sleep=fake_time.sleep
        )
    client = await aiohttp_client(app)
    return Stack(client, slack, telegram, fake_time, env)
