"""What the widget refuses: foreign origins, bad or oversized frames, floods, too many sockets."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSCloseCode, WSServerHandshakeError, web
from aiohttp.test_utils import TestClient

from bot.app import STORE, create_app
from bot.messages import ConversationKey
from tests.adapters.conftest import ORIGIN, Connect, Socket, make_settings

AiohttpClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


@pytest.mark.parametrize(
    "origin",
    [
        None,  # no Origin header at all
        "https://evil.example",
        "https://example.com.evil.com",  # a look-alike that a suffix/prefix check would let in
        "https://evil.com/https://example.com",
        "http://example.com",  # right host, wrong scheme
        "https://example.com:8443",  # right host, wrong port
        "null",  # sandboxed iframes and file:// pages
    ],
)
async def test_a_handshake_from_another_origin_is_refused_with_403(
    connect: Connect, origin: str | None
) -> None:
    with pytest.raises(WSServerHandshakeError) as refused:
        await connect(origin=origin)
    assert refused.value.status == 403


@pytest.mark.parametrize("origin", ["https://example.com", "https://EXAMPLE.com:443", ORIGIN])
async def test_allowed_origins_match_after_normalizing(connect: Connect, origin: str) -> None:
    sock = await connect(origin=origin)
    assert (await sock.hello())["type"] == "welcome"
    await sock.close()


async def test_an_oversized_message_gets_an_error_and_the_chat_goes_on(connect: Connect) -> None:
    sock = await connect()
    await sock.hello()
    await sock.send(type="message", id="big", text="x" * 2001)
    error = await sock.recv()
    assert error == {
        "type": "error",
        "code": "too_long",
        "message": "messages are limited to 2000 characters",
        "id": "big",
    }
    ack, _ = await sock.say("ok", "We need more pipeline")
    assert ack["seq"] is not None
    await sock.close()


async def test_a_frame_over_the_socket_limit_closes_only_that_socket(connect: Connect) -> None:
    sock = await connect()
    await sock.hello()
    await sock.ws.send_str(json.dumps({"type": "message", "id": "huge", "text": "x" * 100_000}))
    msg = await sock.ws.receive(timeout=10)
    assert msg.type == aiohttp.WSMsgType.CLOSE
    assert msg.data == WSCloseCode.MESSAGE_TOO_BIG
    again = await connect()
    assert (await again.hello(sock.token))["type"] == "welcome"
    await again.close()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ('{"type": "launch_missiles", "id": "a"}', "unknown_type"),
        ('{"text": "no type"}', "unknown_type"),
        ('{"type": "message", "text": "no id"}', "bad_frame"),
        ('{"type": "message", "id": "has space", "text": "hi"}', "bad_frame"),
        ('{"type": "message", "id": "a", "text": 42}', "bad_frame"),
        ('{"type": "message", "id": "a", "text": "   "}', "bad_frame"),
        ('{"type": "click", "id": "a"}', "bad_frame"),
        ('{"type": "page_view", "id": "a", "path": "https://x"}', "bad_frame"),
        ('{"type": "hello", "last_seq": 0}', "bad_frame"),  # hello twice
    ],
)
async def test_malformed_frames_get_an_error_and_change_nothing(
    connect: Connect, client: TestClient[Any, Any], raw: str, code: str
) -> None:
    sock = await connect()
    await sock.hello()
    await sock.ws.send_str(raw)
    error = await sock.recv()
    assert error["type"] == "error"
    assert error["code"] == code
    await sock.send(type="ping")
    assert (await sock.recv())["type"] == "pong"  # still connected
    key = ConversationKey("widget", (sock.token or "").split(".")[1])
    assert await client.app[STORE].transcript(key) == []
    await sock.close()


async def test_frames_before_hello_are_refused_until_hello(connect: Connect) -> None:
    sock = await connect()
    await sock.send(type="message", id="early", text="hi")
    assert (await sock.recv())["code"] == "hello_required"
    await sock.ws.send_bytes(b"\x00\x01")
    assert (await sock.hello())["type"] == "welcome"
    await sock.close()


async def test_a_binary_frame_is_refused(connect: Connect) -> None:
    sock = await connect()
    await sock.hello()
    await sock.ws.send_bytes(b"\x00\x01")
    assert (await sock.recv())["code"] == "bad_frame"
    await sock.close()


async def test_a_flood_hits_the_per_visitor_rate_limit(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    # One message a minute after the burst: nothing refills while the test runs.
    settings = make_settings(
        tmp_path, QUALIBOT_WIDGET_RATE_BURST="3", QUALIBOT_WIDGET_RATE_PER_MINUTE="1"
    )
    client = await aiohttp_client(create_app(settings))
    sock = Socket(await client.ws_connect("/widget/ws", headers={"Origin": ORIGIN}))
    await sock.hello()
    for i in range(3):
        ack, _ = await sock.say(f"m{i}", f"message {i}")
        assert ack["duplicate"] is False
    await sock.send(type="message", id="m3", text="one too many")
    error, _ = await sock.until("error")
    assert error["code"] == "rate_limited"
    assert error["id"] == "m3"
    assert error["retry_after"] > 0
    # The limit is per visitor, not per socket: a second tab does not get a fresh bucket.
    tab = Socket(await client.ws_connect("/widget/ws", headers={"Origin": ORIGIN}))
    await tab.hello(sock.token)
    await tab.send(type="message", id="m4", text="from another tab")
    assert (await tab.until("error"))[0]["code"] == "rate_limited"
    await tab.send(type="ping")
    assert (await tab.until("pong"))[0]["type"] == "pong"
    await tab.close()
    await sock.close()


async def test_connections_per_address_are_capped(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, QUALIBOT_WIDGET_CONNECTIONS_PER_IP="2")
    client = await aiohttp_client(create_app(settings))
    open_ = [await client.ws_connect("/widget/ws", headers={"Origin": ORIGIN}) for _ in range(2)]
    extra = await client.ws_connect("/widget/ws", headers={"Origin": ORIGIN})
    error = await extra.receive_json(timeout=10)
    assert error["code"] == "too_many_connections"
    closed = await extra.receive(timeout=10)
    assert closed.type == aiohttp.WSMsgType.CLOSE
    assert closed.data == WSCloseCode.TRY_AGAIN_LATER
    await open_[0].close()
    replacement = Socket(await client.ws_connect("/widget/ws", headers={"Origin": ORIGIN}))
    assert (await replacement.hello())["type"] == "welcome"  # a freed slot is reusable
    for ws in (replacement.ws, open_[1], extra):
        await ws.close()
