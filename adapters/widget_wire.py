"""Frames out to one widget socket, written a burst at a time instead of a frame at a time.

aiohttp writes every ``send_str`` with its own ``transport.write``: one ``send()`` system call,
one TCP segment and one wake-up of the reader per frame, which on loopback costs more than
everything else the widget does for a message. What a message causes is a burst (the visitor's
stored line, the ack, the bot's lines), so the session queues the burst here and it leaves in one
write. Frames are built here as RFC 6455 server frames (final, text, unmasked); sockets are
opened without permessage-deflate, so aiohttp's own control frames (pings, pong, close) are the
only other writes, and a write is always whole frames, never interleaved with a partial one.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, cast

from bot.jsontext import dumps_bytes

_LEN1 = struct.Struct("!BB").pack
_LEN2 = struct.Struct("!BBH").pack
_LEN3 = struct.Struct("!BBQ").pack
_FIN_TEXT: Final = 0x81


def text_frame(payload: bytes) -> bytes:
    """One complete websocket text frame carrying ``payload`` (UTF-8 JSON)."""
    size = len(payload)
    if size < 126:
        return _LEN1(_FIN_TEXT, size) + payload
    if size < 65536:
        return _LEN2(_FIN_TEXT, 126, size) + payload
    return _LEN3(_FIN_TEXT, 127, size) + payload


def encode(frame: Mapping[str, Any]) -> bytes:
    """``frame`` as JSON in a websocket text frame, ready for the wire."""
    return text_frame(dumps_bytes(frame))


# Frames that never change, encoded once.
TYPING: Final = encode({"type": "typing", "author": "bot"})
PONG: Final = encode({"type": "pong"})


class Wire:
    """The write side of one socket: ``put`` frames, then ``flush`` them in one write.

    Callers hold the session's send lock from the first ``put`` to the ``flush``, so frames leave
    in the order they were put. A frame flushed after the socket closed is dropped, as aiohttp
    drops it: the client replays from its last seq when it reconnects.
    """

    def __init__(
        self,
        closed: Callable[[], bool],
        transport: asyncio.BaseTransport | None,
        drain: Callable[[], Awaitable[None]],
    ) -> None:
        self._closed = closed
        # Duck-typed, not ``isinstance(transport, asyncio.WriteTransport)``: uvloop's transports
        # write as asyncio's do without subclassing it, and that test dropped every frame.
        writes = transport is not None and callable(getattr(transport, "write", None))
        self._transport = cast(asyncio.WriteTransport, transport) if writes else None
        self._drain = drain
        self._out: list[bytes] = []

    def put(self, frame: Mapping[str, Any] | bytes) -> None:
        """Queue one frame (a dict to encode, or bytes from ``encode``)."""
        self._out.append(frame if isinstance(frame, bytes) else encode(frame))

    def write_now(self, frame: bytes) -> None:
        """Write one frame at once, from outside any burst (the send lock is free).

        For the ``typing`` frame a timer sends: nothing to wait for, and no caller to block.
        """
        transport = self._transport
        if self._out or transport is None or self._closed() or transport.is_closing():
            return  # a burst under way (or a closed socket) says more than "typing"
        transport.write(frame)

    async def flush(self) -> None:
        """Write everything queued in one ``transport.write``; wait if the peer reads slowly."""
        out = self._out
        if not out:
            return
        data = out[0] if len(out) == 1 else b"".join(out)
        out.clear()
        transport = self._transport
        if transport is None or self._closed() or transport.is_closing():
            return
        transport.write(data)
        if transport.get_write_buffer_size():
            # The peer is behind: wait as aiohttp's writer would (returns at once unless the
            # transport paused writing). A peer gone meanwhile is not an error here.
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self._drain()
