"""A stopping server finishes the messages it is processing, then closes sockets with 1001."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from aiohttp import WSCloseCode
from aiohttp.test_utils import TestServer

from bot.app import SERVICE, STORE, WIDGET, create_app
from bot.clock import SystemClock
from bot.messages import ConversationKey, Inbound
from bot.service import Reply, Service
from tests.adapters.conftest import ORIGIN, Socket, make_settings


class HeldService:
    """The real service, but ``receive`` waits until the test lets it go on."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def start(self, key: ConversationKey) -> Reply:
        return await self.service.start(key)

    async def receive(self, inbound: Inbound) -> Reply:
        self.entered.set()
        await self.release.wait()
        return await self.service.receive(inbound)


async def test_stopping_the_server_closes_sockets_with_going_away(tmp_path: Path) -> None:
    server = TestServer(create_app(make_settings(tmp_path)))
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.make_url("/widget/ws"), headers={"Origin": ORIGIN})
            await Socket(ws).hello()
            await server.close()
            msg = await ws.receive(timeout=10)
            assert msg.type == aiohttp.WSMsgType.CLOSE
            assert msg.data == WSCloseCode.GOING_AWAY
            assert msg.extra == "going away"
            await ws.close()
    finally:
        await server.close()


async def test_a_message_in_flight_at_shutdown_is_finished_and_acked(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    server = TestServer(app)
    await server.start_server()
    held = HeldService(app[SERVICE])
    app[WIDGET].bind(held, app[STORE], app[SERVICE].bus, SystemClock())
    stopping: asyncio.Task[None] | None = None
    try:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(server.make_url("/widget/ws"), headers={"Origin": ORIGIN})
            await Socket(ws).hello()
            await ws.send_json({"type": "message", "id": "late", "text": "We need more pipeline"})
            await held.entered.wait()
            stopping = asyncio.create_task(server.close())
            held.release.set()  # the turn completes while the server is stopping
            frames = []
            while (msg := await ws.receive(timeout=10)).type == aiohttp.WSMsgType.TEXT:
                frames.append(msg.json())
            assert msg.data == WSCloseCode.GOING_AWAY  # ...and only then the socket closes
            ack = next(f for f in frames if f["type"] == "ack")
            assert ack["id"] == "late"
            assert ack["seq"] is not None
            answers = [f for f in frames if f["type"] == "message" and f["seq"] > ack["seq"]]
            assert [f["author"] for f in answers] == ["bot"]
            await ws.close()
    finally:
        await (stopping if stopping is not None else server.close())
