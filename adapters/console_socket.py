"""The console's live feed: one websocket per open console, bus events out, presence tracked."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from adapters.console_views import dumps
from bot.clock import Clock
from bot.ports import Bus
from bot.routing import PRESENCE_REFRESH
from bot.state import Presence, Rep

log = structlog.stdlib.get_logger(__name__)

NOTES_TOPIC = "console"  # console-only traffic (notes): never on "events", never to a channel


class PresenceStore(Protocol):
    """The call of bot.rep_ports.Reps that presence needs."""

    async def update_rep(  # noqa: D102
        self, rep_id: int, *, presence: Presence | None = None, disabled: bool | None = None,
        capacity: int | None = None, password_hash: str | None = None,
        seen_at: datetime | None = None,
    ) -> None: ...


class Presences:
    """Open consoles per rep: online with the first, offline when the last one closes.

    Counted per process; with several processes behind a balancer a rep whose last tab closes
    on one process while another stays open elsewhere shows offline until that tab reconnects.
    Each process also stamps ``last_seen_at`` for its open consoles every PRESENCE_REFRESH, so a
    process that dies without closing them cannot leave its reps "online" for routing.
    """

    def __init__(self, reps: PresenceStore, clock: Clock) -> None:
        self._reps = reps
        self._clock = clock
        self._open: dict[int, int] = {}

    async def opened(self, rep: Rep) -> None:
        """A console connected; a rep who chose "away" stays away."""
        self._open[rep.id] = self._open.get(rep.id, 0) + 1
        presence: Presence | None = "online" if rep.presence == "offline" else None
        await self._reps.update_rep(rep.id, presence=presence, seen_at=self._clock.now())

    async def refresh(self) -> None:
        """Stamp every rep with a console open here as seen now (one write per rep)."""
        now = self._clock.now()
        for rep_id in list(self._open):
            try:
                await self._reps.update_rep(rep_id, seen_at=now)
            except LookupError:  # deleted by hand meanwhile: nothing to keep fresh
                self._open.pop(rep_id, None)

    async def closed(self, rep: Rep) -> None:
        """A console disconnected; the last one sets the rep offline (routing skips them)."""
        left = self._open.get(rep.id, 1) - 1
        if left > 0:
            self._open[rep.id] = left
            return
        self._open.pop(rep.id, None)
        await self._reps.update_rep(rep.id, presence="offline", seen_at=self._clock.now())


class Feed:
    """All console sockets of this process, so shutdown can close them with 1001."""

    def __init__(self, bus: Bus, presences: Presences, heartbeat: float) -> None:
        self._bus = bus
        self._presences = presences
        self._heartbeat = heartbeat
        self._sockets: set[web.WebSocketResponse] = set()
        self._cleanups: set[asyncio.Task[None]] = set()
        self._refresher: asyncio.Task[None] | None = None

    async def serve(self, request: web.Request, rep: Rep) -> web.WebSocketResponse:
        """Forward every event to the browser until it goes away.

        Events are notifications: the browser re-reads the queue or the open conversation
        from the API, so a dropped event costs a refresh, never a wrong screen.
        """
        ws = web.WebSocketResponse(heartbeat=self._heartbeat, max_msg_size=4096)
        if not ws.can_prepare(request).ok:
            raise web.HTTPBadRequest(text="expected a websocket upgrade")
        sub = await self._bus.subscribe("events", NOTES_TOPIC)
        try:
            await ws.prepare(request)
        except BaseException:
            await sub.close()
            raise
        self._sockets.add(ws)
        await self._presences.opened(rep)
        if self._refresher is None:
            self._refresher = asyncio.create_task(self._refresh_presence())
        pump = asyncio.create_task(self._pump(sub, ws))
        try:
            await ws.send_str(dumps({"type": "hello", "rep_id": rep.id}))
            async for msg in ws:
                if msg.type == WSMsgType.TEXT and _is_ping(msg.data):
                    await ws.send_str(dumps({"type": "pong"}))
        finally:
            # aiohttp cancels the handler when the peer goes away; the clean-up (presence
            # above all: routing must stop offering this rep leads) must run regardless.
            cleanup = asyncio.create_task(self._release(ws, sub, pump, rep))
            self._cleanups.add(cleanup)
            cleanup.add_done_callback(self._cleanups.discard)
            await asyncio.shield(cleanup)
        return ws

    async def _release(
        self, ws: web.WebSocketResponse, sub: Any, pump: asyncio.Task[None], rep: Rep
    ) -> None:
        pump.cancel()
        await asyncio.gather(pump, return_exceptions=True)
        await sub.close()
        self._sockets.discard(ws)
        try:
            await self._presences.closed(rep)
        except Exception:
            log.exception("console.presence_failed", rep=rep.id)
        if not ws.closed:
            await ws.close()

    async def _pump(self, sub: Any, ws: web.WebSocketResponse) -> None:
        async for payload in sub:
            if ws.closed:
                return
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(dumps({"type": "event", **_plain(payload)}))

    async def _refresh_presence(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_REFRESH.total_seconds())
            try:
                await self._presences.refresh()
            except Exception:  # the database is down: try again next time
                log.exception("console.presence_refresh_failed")

    async def close(self) -> None:
        """Close every console socket with 1001 "going away"; the browser reconnects."""
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
            self._refresher = None
        sockets = list(self._sockets)
        await asyncio.gather(
            *(ws.close(code=WSCloseCode.GOING_AWAY, message=b"going away") for ws in sockets),
            return_exceptions=True,
        )


def _plain(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "type"}


def _is_ping(raw: str) -> bool:
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("type") == "ping"
