"""The bot's ``typing`` frame: shown while a reply is slow, not flashed before a quick one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import LOCKS
from bot.config import Settings
from bot.messages import ConversationKey
from tests.adapters.conftest import Connect, bot_texts, make_settings

NEED = "We need to qualify our inbound leads faster"


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    return make_settings(tmp_path, QUALIBOT_WIDGET_TYPING_AFTER_MS=str(request.param))


@pytest.mark.parametrize("settings", [60_000], indirect=True)
async def test_a_quick_reply_comes_without_a_typing_frame(connect: Connect) -> None:
    sock = await connect()
    await sock.hello()
    await sock.send(type="start", id="s1")
    _, greeting = await sock.exchange("s1")
    _, frames = await sock.say("m1", NEED)
    assert bot_texts(greeting)
    assert bot_texts(frames)
    assert [f for f in greeting + frames if f["type"] == "typing"] == []
    await sock.close()


@pytest.mark.parametrize("settings", [0], indirect=True)
async def test_a_slow_reply_is_announced_with_typing_before_it_arrives(
    client: TestClient[Any, Any], connect: Connect
) -> None:
    sock = await connect()
    welcome = await sock.hello()
    await sock.send(type="start", id="s1")
    await sock.exchange("s1")
    key = ConversationKey("widget", welcome["visitor"])
    # Another turn of this conversation holds its lock: the reply cannot come until it ends.
    async with client.app[LOCKS].hold(str(key)):
        await sock.send(type="message", id="m1", text=NEED)
        typing = await sock.recv()
        assert typing == {"type": "typing", "author": "bot"}
    ack, frames = await sock.exchange("m1")
    assert ack["seq"] is not None
    assert bot_texts(frames)
    assert [f for f in frames if f["type"] == "typing"] == []  # once, before: not after
    await sock.close()
