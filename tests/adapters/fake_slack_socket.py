"""A local stand-in for Slack's Socket Mode: apps.connections.open and the websocket behind it.

slack_bolt's ``AsyncSocketModeHandler`` wraps slack_sdk's aiohttp ``SocketModeClient``: it asks
``apps.connections.open`` (app-level token as the bearer) for a one-time ``wss://…/link/?ticket=``
URL, connects with ``autoping=False`` and sends its own ``sdk-ping-pong:<time>`` pings (this
server's automatic pong answers them), reads a ``hello``, takes ``events_api`` and ``interactive``
envelopes, and answers each with ``{"envelope_id": …}``. On ``{"type": "disconnect"}`` it asks for
a new URL and reconnects; a CLOSE from the server makes it reconnect too. See slack_sdk's
``socket_mode/aiohttp/__init__.py`` and ``socket_mode/async_client.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

APP_TOKEN = "xapp-1-A0QUALIBOT-1234-abcdef"
APP_ID = "A0QUALIBOT"


@dataclass
class Link:
    """One websocket connection, as the server sees it."""

    ticket: str
    ws: web.WebSocketResponse
    close_code: int | None = None  # once closed, the code the close came with
    closed: bool = False


@dataclass
class SlackSocket:
    """Socket Mode's server side: issues tickets, says hello, pushes envelopes, records acks."""

    app_token: str = APP_TOKEN
    links: list[Link] = field(default_factory=list)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    stray: list[dict[str, Any]] = field(default_factory=list)  # frames that ack nothing
    _tickets: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/link/", self._link)

    def open(self, request: web.Request, token: str) -> dict[str, Any]:
        """apps.connections.open: a one-time URL for an app-level token, Slack's errors if not."""
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        ticket = f"ticket-{next(self._ids)}"
        self._tickets.add(ticket)
        url = request.url.with_scheme("ws").with_path("/link/")
        return {"ok": True, "url": str(url.with_query(ticket=ticket, app_id=APP_ID))}

    @property
    def live(self) -> list[Link]:
        """Connections still open."""
        return [link for link in self.links if not link.closed]

    async def until(self, ready: Callable[[], Any]) -> None:
        """Wait (10 s at most) until ``ready()``: a connection, an ack or a close has happened."""
        async with asyncio.timeout(10), self._changed:
            await self._changed.wait_for(ready)

    async def push(self, kind: str, payload: dict[str, Any], *, retry: int = 0) -> str:
        """Send an envelope on the newest live connection (waiting for one); returns its id."""
        await self.until(lambda: self.live)
        envelope_id = f"envelope-{next(self._ids)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id, "type": kind, "payload": payload,
            "accepts_response_payload": False,
        }
        if kind == "events_api":
            envelope |= {"retry_attempt": retry, "retry_reason": "timeout" if retry else ""}
        await self.live[-1].ws.send_str(json.dumps(envelope))
        return envelope_id

    async def ack(self, envelope_id: str) -> dict[str, Any]:
        """The client's answer to ``envelope_id``, once it has come."""
        await self.until(lambda: envelope_id in self.acks)
        return self.acks[envelope_id]

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to move to a new connection, as Slack does every few hours."""
        await self.until(lambda: self.live)
        frame = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        await self.live[-1].ws.send_str(json.dumps(frame))

    async def drop(self, code: int = WSCloseCode.GOING_AWAY) -> None:
        """Close the newest connection from Slack's side, unannounced (a server restarting)."""
        await self.until(lambda: self.live)
        await self.live[-1].ws.close(code=code, message=b"server going away")

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            raise web.HTTPUnauthorized(text="unknown or used ticket")
        self._tickets.discard(ticket)  # Slack's URLs are good for one connection
        ws = web.WebSocketResponse()  # autoping: answers the client's pings with pongs
        await ws.prepare(request)
        link = Link(ticket, ws)
        await self._note(lambda: self.links.append(link))
        await ws.send_str(json.dumps({
            "type": "hello", "num_connections": len(self.live),
            "debug_info": {"host": "applink-fake", "build_number": 1,
                           "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        }))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    frame = json.loads(message.data)
                    if "envelope_id" in frame:
                        await self._note(lambda f=frame: self.acks.__setitem__(f["envelope_id"], f))
                    else:
                        await self._note(lambda f=frame: self.stray.append(f))
        finally:
            link.close_code = ws.close_code

            def closed() -> None:
                link.closed = True

            await self._note(closed)
        return ws

    async def _note(self, change: Callable[[], object]) -> None:
        async with self._changed:
            change()
            self._changed.notify_all()
