"""One widget websocket: frames in, transcript lines out, each seq once (hello: widget_hello)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterable
from typing import Any, TypeVar

import structlog
from aiohttp import WSMsgType, web

from adapters.widget_hello import await_hello, identify
from adapters.widget_protocol import (
    PROTOCOL_VERSION,
    FrameError,
    Hello,
    Ping,
    Say,
    Start,
    error_frame,
    message_frame,
    parse,
)
from adapters.widget_runtime import Proactive as Proactive  # re-exported: bot.app builds them
from adapters.widget_runtime import Runtime
from adapters.widget_wire import PONG, TYPING, Wire
from bot.messages import ConversationKey, Inbound
from bot.state import StoredMessage

log = structlog.stdlib.get_logger(__name__)
T = TypeVar("T")

PAGE = 200  # transcript rows fetched per query when replaying
HIDDEN_KINDS = frozenset({"page_view", "product_event"})  # stored for scoring, not shown


class Session:
    """Serve one connection: everything sent to it goes through ``_send_lock`` in seq order.

    ``last_sent`` is the highest seq this connection has been given (or deliberately skipped,
    for hidden kinds). Messages arrive from two places, the service's replies to this socket and
    bus notifications for everything else; either way a seq at or below ``last_sent`` is
    dropped and a jump past ``last_sent + 1`` is filled from the store first, so the client sees
    every line once, in order. Frames sent together leave together (see ``Wire``).
    """

    def __init__(
        self, runtime: Runtime, ws: web.WebSocketResponse, wire: Wire, address: str
    ) -> None:
        self._rt = runtime
        self._ws = ws
        self._wire = wire
        self._address = address
        self._send_lock = asyncio.Lock()
        self._labels: dict[str, str] = {}
        self.visitor = ""
        self.key = ConversationKey("widget", "")
        self.last_sent = 0
        self._notified = 0  # highest seq a bus notification announced
        self._welcomed = False
        self._catcher: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Handshake, then read frames until the client or the server closes the socket."""
        hello = await self._await_hello()
        if hello is None:
            return
        token, reset, new = self._identify(hello)
        topic = f"conversation:{self.key}"
        await self._rt.fanout.join(topic, self)
        # Joined before reading the transcript, so nothing committed in between is missed.
        try:
            await self._welcome(hello, token, reset, new)
            async for msg in self._ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await self._send(error_frame("bad_frame", "frames are JSON text"))
        finally:
            self._rt.fanout.leave(topic, self)
            if self._catcher is not None:
                self._catcher.cancel()
                await asyncio.gather(self._catcher, return_exceptions=True)

    def notify(self, seq: int) -> None:
        """A bus notification: line ``seq`` was committed. Only a wake-up; the store says what.

        Called synchronously by the fanout. Usually a comparison and nothing more: this socket's
        own turns are sent before their notifications arrive. Otherwise one catch-up task runs,
        however many notifications come meanwhile; none is queued, so none can be dropped.
        """
        if seq > self.last_sent and seq > self._notified:
            self._notified = seq
            self._wake()

    def _wake(self) -> None:
        """Start the catch-up task if a notified line is unsent (never before the welcome)."""
        if self._welcomed and self._catcher is None and self._notified > self.last_sent:
            self._catcher = asyncio.get_running_loop().create_task(self._catch_up_notified())

    async def _catch_up_notified(self) -> None:
        try:
            while True:
                wanted = self._notified
                async with self._send_lock:
                    if wanted > self.last_sent:  # the lock's previous holder may have sent it
                        await self._catch_up()
                        await self._wire.flush()
                if self._notified == wanted:  # nothing newer was announced meanwhile
                    return
        except Exception:
            self._notified = self.last_sent  # a repeated notification may retry
            log.exception("widget.catch_up_failed", visitor=self.visitor)
        finally:
            self._catcher = None

    async def _await_hello(self) -> Hello | None:
        return await await_hello(self._ws, self._rt.max_chars, self._send)

    def _identify(self, hello: Hello) -> tuple[str, bool, bool]:
        """Set the visitor from the token, or issue a new one; returns (token, reset, new)."""
        self.visitor, token, reset, new = identify(self._rt.tokens, hello, self._address)
        self.key = ConversationKey("widget", self.visitor)
        return token, reset, new

    async def _welcome(self, hello: Hello, token: str, reset: bool, new: bool) -> None:
        visitor = self.visitor
        missed: list[StoredMessage] = []
        if not new:  # a visitor id issued just now has no conversation: no query for it
            missed = [m async for m in self._transcript(hello.last_seq)]
            if not missed and hello.last_seq > 0:
                probe = await self._rt.store.transcript(self.key, hello.last_seq - 1, 1)
                reset = not probe  # the client has seen more than we have: its cache is stale
                if reset:
                    missed = [m async for m in self._transcript(0)]
        last = missed[-1].seq if missed else (0 if reset or new else hello.last_seq)
        frames = [f for f in (self._frame(m) for m in missed) if f is not None]
        async with self._send_lock:
            self.last_sent = last
            self._wire.put({
                "type": "welcome",
                "protocol": PROTOCOL_VERSION,
                "token": token,
                "visitor": visitor,
                "last_seq": last,
                "reset": reset,
                "messages": frames,
                "proactive": [
                    {"page": p.page, "after_seconds": p.after_seconds, "message": p.message}
                    for p in self._rt.proactive
                ],
                "max_chars": self._rt.max_chars,
            })
            await self._wire.flush()
        self._welcomed = True
        self._wake()  # for lines announced while the welcome was being read
        log.info("widget.hello", visitor=visitor, replayed=len(frames), reset=reset)

    async def _on_text(self, raw: str) -> None:
        try:
            frame = parse(raw, max_chars=self._rt.max_chars)
        except FrameError as exc:
            await self._send(error_frame(exc.code, exc.message, exc.frame_id))
            return
        if isinstance(frame, Ping):
            await self._send(PONG)
            return
        if isinstance(frame, Hello):
            await self._send(error_frame("bad_frame", "hello is only sent once per connection"))
            return
        wait = self._rt.limiter.take(self.visitor)
        if wait:
            log.info("widget.rate_limited", visitor=self.visitor)
            await self._send(error_frame(
                "rate_limited", "too many messages, slow down", frame.id,
                retry_after=round(wait, 1),
            ))
            return
        if self._rt.closing():
            return  # unacknowledged: the client resends it, same id, after reconnecting
        with self._rt.inflight:
            try:
                await (self._start(frame) if isinstance(frame, Start) else self._say(frame))
            except Exception:
                log.exception("widget.frame_failed", visitor=self.visitor)
                await self._send(
                    error_frame("server_error", "that did not work, try again", frame.id)
                )

    async def _start(self, frame: Start) -> None:
        reply = await self._typing_while(self._rt.service.start(self.key))
        async with self._send_lock:
            await self._deliver(reply.messages)
            self._wire.put({"type": "ack", "id": frame.id, "seq": None, "duplicate": False})
            await self._wire.flush()

    async def _say(self, frame: Say) -> None:
        if frame.kind != "page_view" and self.last_sent == 0:
            # A client that skipped ``start``: greet first, so the first question comes
            # before the answer (start is idempotent in the service).
            first = await self._typing_while(self._rt.service.start(self.key))
            async with self._send_lock:
                await self._deliver(first.messages)
                await self._wire.flush()
        inbound = Inbound(
            key=self.key,
            # Namespaced: client ids are unique per visitor, the store's index is per channel.
            external_id=f"{self.visitor}:{frame.id}",
            text=frame.text,
            received_at=self._rt.clock.now(),
            kind=frame.kind,
        )
        receiving = self._rt.service.receive(inbound)
        reply = await (receiving if frame.kind == "page_view" else self._typing_while(receiving))
        seq = reply.inbound.seq if reply.inbound is not None else None
        async with self._send_lock:
            if reply.inbound is not None:
                await self._deliver([reply.inbound])
            ack = {"type": "ack", "id": frame.id, "seq": seq, "duplicate": reply.duplicate}
            self._wire.put(ack)
            await self._deliver(reply.messages)
            await self._wire.flush()

    async def _typing_while(self, reply: Awaitable[T]) -> T:
        """Await the service's reply; show the bot typing only if it takes ``typing_after``.

        Most replies take a few milliseconds: a ``typing`` frame before each was a second
        socket write per message, and the widget paces bot lines with its own typing pause.
        """
        timer = asyncio.get_running_loop().call_later(self._rt.typing_after, self._typing)
        try:
            return await reply
        finally:
            timer.cancel()

    def _typing(self) -> None:
        if not self._send_lock.locked():  # else a burst is going out: it says more
            self._wire.write_now(TYPING)

    async def _deliver(self, messages: Iterable[StoredMessage]) -> None:
        """Queue ``messages`` not sent yet, in seq order, filling any gap first (lock held)."""
        for message in sorted(messages, key=lambda m: m.seq):
            if message.seq > self.last_sent + 1:
                await self._catch_up()
            if message.seq > self.last_sent:
                self._emit(message)

    async def _catch_up(self) -> None:
        async for message in self._transcript(self.last_sent):
            if message.seq > self.last_sent:
                self._emit(message)

    async def _transcript(self, after: int) -> AsyncIterator[StoredMessage]:
        while True:
            batch = await self._rt.store.transcript(self.key, after, PAGE)
            for message in batch:
                yield message
            if len(batch) < PAGE:
                return
            after = batch[-1].seq

    def _emit(self, message: StoredMessage) -> None:
        self.last_sent = message.seq
        frame = self._frame(message)
        if frame is not None:
            self._wire.put(frame)

    def _frame(self, message: StoredMessage) -> dict[str, Any] | None:
        if message.kind in HIDDEN_KINDS:
            return None
        if len(self._labels) > self._rt.labels_limit:
            self._labels.clear()
        for quick in message.quick_replies:
            self._labels[quick.value] = quick.label
        text = message.text
        if message.kind == "click":  # show what the visitor clicked, not the canonical value
            text = self._labels.get(text) or self._rt.labels.get(text, text)
        client_id = None
        prefix = f"{self.visitor}:"
        if message.author == "visitor" and (message.external_id or "").startswith(prefix):
            client_id = (message.external_id or "")[len(prefix):]
        return message_frame(message, client_id, text)

    async def _send(self, frame: dict[str, Any] | bytes) -> None:
        async with self._send_lock:
            self._wire.put(frame)
            await self._wire.flush()
