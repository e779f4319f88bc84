"""Frames of every size reach the client whole and in order: acks, long lines, a long replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from tests.adapters.conftest import Connect, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path, QUALIBOT_WIDGET_RATE_BURST="100", QUALIBOT_WIDGET_RATE_PER_MINUTE="6000"
    )


async def test_a_long_conversation_is_replayed_whole_to_a_returning_visitor(
    connect: Connect,
) -> None:
    sock = await connect()
    await sock.hello()
    said = []
    for i in range(36):
        text = f"line {i} " + "x" * 1990  # a frame past 125 bytes: a 16-bit length
        ack, frames = await sock.say(f"m{i}", text)
        own = [f for f in frames if f["type"] == "message" and f["author"] == "visitor"]
        assert [f["text"] for f in own] == [text]
        assert ack["seq"] == own[0]["seq"]
        said.append(text)
    await sock.close()

    back = await connect()
    welcome = await back.hello(sock.token)  # from seq 0: one frame past 64 KiB, a 64-bit length
    replayed = welcome["messages"]
    assert [f["text"] for f in replayed if f["author"] == "visitor"] == said
    assert [f["seq"] for f in replayed] == sorted({f["seq"] for f in replayed})
    await back.send(type="ping")
    pong, _ = await back.until("pong")  # the socket goes on after the big frame
    assert pong == {"type": "pong"}
    await back.close()
