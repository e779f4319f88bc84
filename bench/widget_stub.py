"""The real server with a stub service: what the widget path alone costs per message.

``python -m bench.widget_stub`` runs ``create_app`` as ``qualibot serve`` does, then rebinds the
widget to a service that answers at once from memory (each message: the visitor's line and one
bot line with quick replies, both announced on the bus as the real service does) and a store with
no transcript. The server's CPU per message is then the widget's: frame parsing and checks, acks
and replies, JSON, the websocket writes, bus notifications, aiohttp and asyncio; the real
service and storage cost is measured by the ``service`` part.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from bot.app import BUS, CLOCK, WIDGET, create_app
from bot.clock import Clock
from bot.config import Settings
from bot.events import MessageAdded
from bot.logs import configure
from bot.loops import loop_factory
from bot.messages import ConversationKey, Inbound, QuickReply
from bot.ports import Bus
from bot.state import StoredMessage

QUICK = (QuickReply("ASAP", "tl_asap"), QuickReply("Within 3 months", "tl_3m"))


@dataclass(frozen=True, slots=True)
class StubReply:
    """bot.service.Reply's shape."""

    duplicate: bool
    inbound: StoredMessage | None
    messages: tuple[StoredMessage, ...]


class StubService:
    """Greets, stores each message once per external id, answers with one line: in memory."""

    def __init__(self, bus: Bus, clock: Clock) -> None:
        self._bus, self._clock = bus, clock
        self._seq: dict[ConversationKey, int] = {}
        self._seen: set[str] = set()
        self._publishing: set[asyncio.Task[None]] = set()

    async def start(self, key: ConversationKey) -> StubReply:
        """Two bot lines for a new conversation, nothing after."""
        if self._seq.get(key):
            return StubReply(False, None, ())
        lines = (self._line(key, "bot", "Hi! I'm the stub."), self._line(key, "bot", "Why?", QUICK))
        await self._announce(key, lines)
        return StubReply(False, None, lines)

    async def receive(self, inbound: Inbound) -> StubReply:
        """The visitor's line and one bot line; a repeated external id is a duplicate."""
        if inbound.external_id in self._seen:
            return StubReply(True, None, ())
        self._seen.add(inbound.external_id)
        key = inbound.key
        mine = self._line(key, "visitor", inbound.text, external_id=inbound.external_id)
        reply = self._line(key, "bot", "When would you like a solution in place?", QUICK)
        await self._announce(key, (mine, reply))
        return StubReply(False, mine, (reply,))

    async def transcript(
        self, key: ConversationKey, after_seq: int = 0, limit: int = 500
    ) -> list[StoredMessage]:
        """No history: every bench visitor is new, and seqs have no gaps."""
        return []

    def _line(
        self, key: ConversationKey, author: str, text: str,
        quick: tuple[QuickReply, ...] = (), external_id: str | None = None,
    ) -> StoredMessage:  # fmt: skip
        seq = self._seq[key] = self._seq.get(key, 0) + 1
        return StoredMessage(seq, author, text, self._clock.now(), external_id,  # type: ignore[arg-type]
                             quick_replies=quick)  # fmt: skip

    async def _announce(self, key: ConversationKey, lines: tuple[StoredMessage, ...]) -> None:
        # In a task, after the reply, as the real publisher does: sockets hear of their own lines.
        task = asyncio.get_running_loop().create_task(self._publish(key, lines))
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    async def _publish(self, key: ConversationKey, lines: tuple[StoredMessage, ...]) -> None:
        for m in lines:
            quick = tuple((q.label, q.value) for q in m.quick_replies)
            event = MessageAdded(key, m.at, m.seq, m.author, m.text, m.author_name, quick, m.kind)
            payload = event.to_json()
            await self._bus.publish("events", payload)
            await self._bus.publish(f"conversation:{key}", payload)


async def _stub(app: web.Application) -> AsyncIterator[None]:
    stub = StubService(app[BUS], app[CLOCK])
    app[WIDGET].bind(stub, stub, app[BUS], app[CLOCK])
    yield


async def serve(settings: Settings) -> None:
    """Serve until SIGTERM, like ``bot.server.serve`` but with the stub bound."""
    configure(settings.log_format, settings.log_level)
    app = create_app(settings)
    app.cleanup_ctx.append(_stub)  # after storage: replaces the binding it made
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
        await stop.wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    settings = Settings.from_env(os.environ)
    with asyncio.Runner(loop_factory=loop_factory(settings.event_loop)) as runner:
        runner.run(serve(settings))
