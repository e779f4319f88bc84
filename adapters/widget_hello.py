"""The widget's handshake: wait for ``hello``, then know the visitor (or issue a new one)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import WSMsgType, web

from adapters.widget_guard import VisitorTokens
from adapters.widget_protocol import FrameError, Hello, Ping, error_frame, parse
from adapters.widget_wire import PONG

log = structlog.stdlib.get_logger("adapters.widget_session")  # one logger for the session

HELLO_TIMEOUT = 15.0
Send = Callable[[dict[str, Any] | bytes], Awaitable[None]]


async def await_hello(ws: web.WebSocketResponse, max_chars: int, send: Send) -> Hello | None:
    """The client's ``hello``, answering pings and refusing other frames until it comes.

    None when the socket closes first, or after ``HELLO_TIMEOUT`` (the client is told why).
    """
    try:
        async with asyncio.timeout(HELLO_TIMEOUT):
            return await _read_hello(ws, max_chars, send)
    except TimeoutError:
        await send(error_frame("hello_required", "no hello received in time"))
        return None


async def _read_hello(ws: web.WebSocketResponse, max_chars: int, send: Send) -> Hello | None:
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        try:
            frame = parse(msg.data, max_chars=max_chars)
        except FrameError as exc:
            await send(error_frame(exc.code, exc.message, exc.frame_id))
            continue
        if isinstance(frame, Hello):
            return frame
        if isinstance(frame, Ping):
            await send(PONG)
        else:
            await send(error_frame("hello_required", "send hello first"))
    return None


def identify(tokens: VisitorTokens, hello: Hello, address: str) -> tuple[str, str, bool, bool]:
    """The visitor of a ``hello``: (visitor, token, reset, new); a new visitor gets a token."""
    visitor = tokens.verify(hello.token) if hello.token else None
    token = hello.token or ""
    new = visitor is None
    reset = new and (hello.last_seq > 0 or hello.token is not None)
    if visitor is None:
        if hello.token:
            # Forged, tampered, or signed with a rotated secret: a fresh start beats a
            # widget that can never connect again. Documented in docs/widget-protocol.md.
            log.warning("widget.token_rejected", address=address)
        visitor, token = tokens.issue()
    return visitor, token, reset, new
