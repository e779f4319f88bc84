"""Widget protocol fixtures: the real app (real Service, default flow, SQLite in tmp_path)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings

ORIGIN = "http://localhost:8080"
SECRET = "test-secret-0123456789abcdef"


def make_settings(tmp_path: Path, **env: str) -> Settings:
    """Settings for one test; ``env`` overrides, e.g. QUALIBOT_WIDGET_RATE_BURST="3"."""
    base = {
        "QUALIBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'widget.db'}",
        "QUALIBOT_SECRET": SECRET,
        "QUALIBOT_ALLOWED_ORIGINS": f"{ORIGIN},https://example.com",
    }
    return Settings.from_env({**base, **env}, workdir=tmp_path)


class Socket:
    """A widget connection as a test drives it: send frames, read frames with a deadline."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.token: str | None = None
        self.last_seq = 0

    async def send(self, **frame: Any) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def recv(self) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=10)
        assert msg.type == aiohttp.WSMsgType.TEXT, f"expected a frame, got {msg.type} {msg.extra}"
        frame: dict[str, Any] = json.loads(msg.data)
        if frame.get("type") == "message":
            self.last_seq = max(self.last_seq, frame["seq"])
        return frame

    async def until(self, kind: str, **match: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Read up to the first ``kind`` frame matching ``match``; also the frames before it."""
        before: list[dict[str, Any]] = []
        while True:
            frame = await self.recv()
            if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame, before
            before.append(frame)

    async def hello(self, token: str | None = None, last_seq: int = 0) -> dict[str, Any]:
        await self.send(type="hello", token=token, last_seq=last_seq)
        welcome, _ = await self.until("welcome")
        self.token = welcome["token"]
        self.last_seq = welcome["last_seq"]
        return welcome

    async def say(self, frame_id: str, text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Send a message; returns its ack and every frame up to the bot's last reply."""
        await self.send(type="message", id=frame_id, text=text)
        return await self.exchange(frame_id)

    async def click(self, frame_id: str, value: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        await self.send(type="click", id=frame_id, value=value)
        return await self.exchange(frame_id)

    async def exchange(self, frame_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        # Replies follow the ack in the same locked burst; a ping's pong comes after them all.
        ack, frames = await self.until("ack", id=frame_id)
        await self.send(type="ping")
        _, after = await self.until("pong")
        return ack, [*frames, ack, *after]

    async def close(self) -> None:
        await self.ws.close()


Connect = Callable[..., Awaitable[Socket]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def client(
    aiohttp_client: Callable[[web.Application], Awaitable[TestClient[Any, Any]]],
    settings: Settings,
) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings))


@pytest.fixture
def connect(client: TestClient[Any, Any]) -> Connect:
    """Open a widget websocket with an allowed Origin (override with ``origin=``)."""

    async def _connect(origin: str | None = ORIGIN) -> Socket:
        headers = {"Origin": origin} if origin is not None else {}
        ws = await client.ws_connect("/widget/ws", headers=headers)
        return Socket(ws)

    return _connect


def bot_texts(frames: list[dict[str, Any]]) -> list[str]:
    return [f["text"] for f in frames if f["type"] == "message" and f["author"] == "bot"]


def seqs(frames: list[dict[str, Any]]) -> list[int]:
    return [f["seq"] for f in frames if f["type"] == "message"]
