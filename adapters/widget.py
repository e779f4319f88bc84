"""The web widget channel: serves widget.js and the demo site, and checks each websocket handshake.

The protocol itself lives in widget_protocol (frames), widget_session (one connection) and
widget_wire (its writes); this module is the part that faces HTTP: origin checks, connection caps,
static files, and a graceful close of every socket with 1001 when the server stops.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import structlog
from aiohttp import WSCloseCode, web

from adapters.widget_guard import ConnectionCounter, RateLimiter, VisitorTokens, origin_allowed
from adapters.widget_protocol import error_frame
from adapters.widget_runtime import (
    Conversations,
    Fanout,
    Inflight,
    Proactive,
    Runtime,
    Transcripts,
)
from adapters.widget_session import Session
from adapters.widget_wire import Wire
from bot.clock import Clock
from bot.config import WidgetSettings
from bot.ports import Bus

log = structlog.stdlib.get_logger(__name__)

STATIC = Path(__file__).with_name("static")
DEMO_PAGES = {"/": "index.html", "/pricing": "pricing.html"}
DRAIN_TIMEOUT = 10.0  # seconds a stopping server waits for messages being processed


class WidgetChannel:
    """The widget: always mounted, the product's front door.

    Built in ``create_app`` (routes must exist before the app starts) and bound to the service
    and store once ``cleanup_ctx`` has opened them.
    """

    def __init__(
        self,
        settings: WidgetSettings,
        *,
        secret: str,
        allowed_origins: Sequence[str],
        proactive: Sequence[Proactive] = (),
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self._settings = settings
        self._origins = frozenset(allowed_origins)
        self._tokens = VisitorTokens(secret)
        self._limiter = RateLimiter(settings.rate_per_minute, settings.rate_burst)
        self._connections = ConnectionCounter(settings.connections_per_ip)
        self._proactive = tuple(proactive)
        self._labels = dict(labels or {})
        self._runtime: Runtime | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._inflight = Inflight()
        self._closing = False
        self._script = _Asset(STATIC / "widget.js", "application/javascript; charset=utf-8")

    def setup(self, app: web.Application) -> None:
        """Add the widget's routes and its shutdown hook to ``app``."""
        app.router.add_get("/widget.js", self._script.handle)
        app.router.add_get("/widget/ws", self._websocket)
        for path, name in DEMO_PAGES.items():
            page = _Asset(STATIC / name, "text/html; charset=utf-8", max_age=0)
            app.router.add_get(path, page.handle)
        app.router.add_static("/static/", STATIC, append_version=False)
        app.on_shutdown.append(self._on_shutdown)

    def bind(self, service: Conversations, store: Transcripts, bus: Bus, clock: Clock) -> None:
        """Connect to the running service; sockets opened before this get 503."""
        fanout = self._runtime.fanout if self._runtime is not None else None
        if fanout is None or fanout.bus is not bus:  # a rebinding (tests, bench stub) keeps it
            fanout = Fanout(bus)
        self._runtime = Runtime(
            service=service,
            store=store,
            bus=bus,
            fanout=fanout,
            clock=clock,
            tokens=self._tokens,
            limiter=self._limiter,
            max_chars=self._settings.max_chars,
            proactive=self._proactive,
            labels=self._labels,
            inflight=self._inflight,
            closing=lambda: self._closing,
            typing_after=self._settings.typing_after_ms / 1000,
        )

    async def close(self) -> None:
        """Stop taking frames, let messages being processed finish, then close with 1001."""
        self._closing = True
        try:
            async with asyncio.timeout(DRAIN_TIMEOUT):
                await self._inflight.idle.wait()
        except TimeoutError:
            log.warning("widget.drain_timeout", inflight=self._inflight.count)
        sockets = list(self._sockets)
        await asyncio.gather(
            *(ws.close(code=WSCloseCode.GOING_AWAY, message=b"going away") for ws in sockets),
            return_exceptions=True,
        )
        if sockets:
            log.info("widget.closed", sockets=len(sockets))
        if self._runtime is not None:
            await self._runtime.fanout.close()

    async def _on_shutdown(self, _: web.Application) -> None:
        await self.close()

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if not origin_allowed(origin, self._origins):
            # Refused before the upgrade: a page on another site must not drive conversations.
            log.warning(
                "widget.origin_refused", origin=(origin or "")[:200], address=request.remote
            )
            raise web.HTTPForbidden(text="origin not allowed")
        runtime = self._runtime
        if runtime is None or self._closing:
            raise web.HTTPServiceUnavailable(text="starting or stopping, retry shortly")
        ws = web.WebSocketResponse(
            heartbeat=self._settings.heartbeat_seconds,
            # No permessage-deflate: frames are small, and Wire writes them uncompressed.
            compress=False,
            # Room for the longest allowed message, 4 bytes per character, plus the envelope.
            max_msg_size=self._settings.max_chars * 4 + 4096,
        )
        if not ws.can_prepare(request).ok:
            raise web.HTTPBadRequest(text="expected a websocket upgrade")
        writer = await ws.prepare(request)
        address = request.remote or "unknown"
        if not self._connections.acquire(address):
            log.warning("widget.connection_cap", address=address)
            await ws.send_json(error_frame(
                "too_many_connections", "too many open chats from your network, retry later"
            ))
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too many connections")
            return ws
        self._sockets.add(ws)
        try:
            wire = Wire(lambda: ws.closed, request.transport, writer.drain)
            await Session(runtime, ws, wire, address).run()
        finally:
            self._sockets.discard(ws)
            self._connections.release(address)
            if not ws.closed:
                await ws.close()
        return ws


class _Asset:
    """A static file served from memory, gzipped once, with an ETag (widget.js, demo pages).

    Read at startup, so editing widget.js needs a restart; the payoff is one gzip per process
    instead of one per visitor.
    """

    def __init__(self, path: Path, content_type: str, *, max_age: int = 300) -> None:
        self._path = path
        self._type = content_type
        self._max_age = max_age
        self._body: bytes | None = None
        self._gzipped = b""
        self._etag = ""

    def _load(self) -> bytes:
        if self._body is None:
            self._body = self._path.read_bytes()
            self._gzipped = gzip.compress(self._body, compresslevel=9, mtime=0)
            self._etag = '"' + hashlib.sha256(self._body).hexdigest()[:20] + '"'
        return self._body

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = self._load()
        headers = {
            "Cache-Control": f"public, max-age={self._max_age}",
            "ETag": self._etag,
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("If-None-Match") == self._etag:
            return web.Response(status=304, headers=headers)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
            body = self._gzipped
        return web.Response(body=body, headers={**headers, "Content-Type": self._type})
