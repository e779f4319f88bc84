"""The console's websocket: origin check, live events, presence, and a graceful close."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import WSCloseCode, WSServerHandshakeError
from aiohttp.test_utils import TestClient

from bot.app import CONSOLE, STORE
from bot.state import Rep
from tests.adapters.conftest import Connect
from tests.adapters.console_client import Browser, Browsers, add_rep, key_of, open_browsers, qualify


@pytest.fixture
async def browsers(client: TestClient[Any, Any]) -> AsyncIterator[Browsers]:
    async for b in open_browsers(client):
        yield b


@pytest.fixture
async def rep(client: TestClient[Any, Any]) -> Rep:
    return await add_rep(client.app, "dana@example.com", "Dana Scully", team="enterprise")


@pytest.fixture
async def dana(rep: Rep, browsers: Browsers) -> Browser:
    return await browsers.signed_in("dana@example.com")


async def next_event(ws: aiohttp.ClientWebSocketResponse, name: str) -> dict[str, Any]:
    while True:
        msg = await ws.receive(timeout=10)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        data: dict[str, Any] = json.loads(msg.data)
        if data.get("event") == name or data.get("type") == name:
            return data


async def presence_of(client: TestClient[Any, Any], rep: Rep, wanted: str) -> None:
    """Wait (a condition, with a deadline) until the stored presence is ``wanted``."""
    for _ in range(250):  # up to 5 s
        if (await store(client).find_rep(rep_id=rep.id)).presence == wanted:
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"presence never became {wanted}")


def store(client: TestClient[Any, Any]) -> Any:
    """The app's store with the console ports (SqlStore), untyped for brevity."""
    return client.app[STORE]


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://127.0.0.1.evil.com", "null"]
)
async def test_a_console_socket_from_another_origin_is_refused(
    dana: Browser, origin: str
) -> None:
    with pytest.raises(WSServerHandshakeError) as refused:
        await dana.socket(origin=origin)
    assert refused.value.status == 403


async def test_the_own_host_is_an_allowed_origin(dana: Browser) -> None:
    ws = await dana.socket(origin=dana.base)  # http://127.0.0.1:<port>, not in the settings
    assert (await next_event(ws, "hello"))["type"] == "hello"
    await ws.close()


async def test_a_new_hot_lead_arrives_live_and_is_offered_to_the_online_rep(
    client: TestClient[Any, Any], dana: Browser, connect: Connect, rep: Rep
) -> None:
    ws = await dana.socket()
    await next_event(ws, "hello")
    await presence_of(client, rep, "online")
    visitor = await qualify(connect)
    routed = await next_event(ws, "handoff_routed")
    assert routed["key"] == key_of(visitor)
    assert routed["offered_rep_id"] == rep.id
    assert "offered to Dana Scully" in routed["route_reason"]
    await dana.act(routed["key"], "claim")
    assert (await next_event(ws, "handoff_claimed"))["rep_name"] == "Dana Scully"
    await visitor.send(type="message", id="v1", text="Hello Dana")
    added = await next_event(ws, "message_added")
    while added["author"] != "visitor":
        added = await next_event(ws, "message_added")
    assert added["text"] == "Hello Dana"
    await dana.act(routed["key"], "notes", {"text": "Warm intro"})
    note = await next_event(ws, "note_added")
    assert (note["key"], note["text"], note["rep_name"]) == (
        routed["key"], "Warm intro", "Dana Scully")
    await ws.close()
    await visitor.close()


async def test_presence_follows_the_open_consoles(
    client: TestClient[Any, Any], dana: Browser, rep: Rep
) -> None:
    first, second = await dana.socket(), await dana.socket()
    await presence_of(client, rep, "online")
    await first.close()
    await next_event(second, "hello")
    assert (await store(client).find_rep(rep_id=rep.id)).presence == "online"
    assert (await dana.post("/presence", {"presence": "away"}))[0] == 200
    await presence_of(client, rep, "away")
    assert (await dana.post("/presence", {"presence": "offline"}))[0] == 400
    await second.close()
    await presence_of(client, rep, "offline")  # the last console closed


async def test_an_away_rep_stays_away_when_a_console_connects(
    client: TestClient[Any, Any], dana: Browser, rep: Rep
) -> None:
    await store(client).update_rep(rep.id, presence="away")
    ws = await dana.socket()
    await next_event(ws, "hello")
    assert (await store(client).find_rep(rep_id=rep.id)).presence == "away"
    _, me = await dana.get("/me")
    assert (me["presence"], me["active"], me["capacity"]) == ("away", 0, 3)
    await ws.close()


async def test_stopping_the_server_closes_console_sockets_with_going_away(
    client: TestClient[Any, Any], dana: Browser
) -> None:
    ws = await dana.socket()
    await next_event(ws, "hello")
    await client.app[CONSOLE].close()
    msg = await ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.CLOSE
    assert msg.data == WSCloseCode.GOING_AWAY
