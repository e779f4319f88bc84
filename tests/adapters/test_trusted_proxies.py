"""Behind a trusted proxy each visitor is their own address; others' X-Forwarded-For is ignored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSCloseCode, web
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from adapters.console_auth import LoginThrottle
from bot.app import CONSOLE, create_app
from tests.adapters.conftest import ORIGIN, Socket, make_settings
from tests.adapters.console_client import Browsers, add_rep, open_browsers
from tests.adapters.fake_slack import event_body, payload, sign, start_stack

AiohttpClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
PROXY = {"QUALIBOT_TRUSTED_PROXIES": "127.0.0.1, ::1"}  # the test client connects from here


async def app_client(
    aiohttp_client: AiohttpClient, tmp_path: Path, **env: str
) -> TestClient[Any, Any]:
    return await aiohttp_client(
        create_app(make_settings(tmp_path, QUALIBOT_WIDGET_CONNECTIONS_PER_IP="1", **env))
    )


async def widget(client: TestClient[Any, Any], forwarded_for: str) -> Socket:
    ws = await client.ws_connect(
        "/widget/ws", headers={"Origin": ORIGIN, "X-Forwarded-For": forwarded_for}
    )
    return Socket(ws)


async def assert_refused_as_too_many(sock: Socket) -> None:
    error = await sock.ws.receive_json(timeout=10)
    assert error["code"] == "too_many_connections"
    closed = await sock.ws.receive(timeout=10)
    assert closed.type == aiohttp.WSMsgType.CLOSE
    assert closed.data == WSCloseCode.TRY_AGAIN_LATER


async def test_visitors_behind_a_trusted_proxy_are_capped_each_on_their_own(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    client = await app_client(aiohttp_client, tmp_path, **PROXY)
    alice = await widget(client, "203.0.113.1")
    bob = await widget(client, "6.6.6.6, 203.0.113.2")  # a proxy in front of ours appended it
    assert (await alice.hello())["type"] == "welcome"
    assert (await bob.hello())["type"] == "welcome"
    second_tab = await widget(client, "203.0.113.1")  # cap 1 per address: alice is at hers
    await assert_refused_as_too_many(second_tab)
    for sock in (alice, bob, second_tab):
        await sock.close()


@pytest.mark.parametrize("env", [{}, {"QUALIBOT_TRUSTED_PROXIES": "10.0.0.0/8"}])
async def test_a_client_that_is_no_trusted_proxy_cannot_escape_the_cap_by_forging_the_header(
    aiohttp_client: AiohttpClient, tmp_path: Path, env: dict[str, str]
) -> None:
    client = await app_client(aiohttp_client, tmp_path, **env)
    first = await widget(client, "203.0.113.1")
    assert (await first.hello())["type"] == "welcome"
    forged = await widget(client, "203.0.113.2")
    await assert_refused_as_too_many(forged)
    for sock in (first, forged):
        await sock.close()


async def test_logs_show_the_visitor_address_not_the_proxy(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    client = await app_client(aiohttp_client, tmp_path, **PROXY)
    with capture_logs() as logs:
        headers = {"Origin": "https://evil.example", "X-Forwarded-For": "2001:db8::5"}
        async with client.get("/widget/ws", headers=headers) as response:
            assert response.status == 403
    refused = [e for e in logs if e["event"] == "widget.origin_refused"]
    assert [e["address"] for e in refused] == ["2001:db8::5"]


@pytest.mark.parametrize("forwarded_for", ["garbage", "203.0.113.1,,", "x" * 4000])
async def test_a_malformed_header_from_the_proxy_is_served_as_the_proxy(
    aiohttp_client: AiohttpClient, tmp_path: Path, forwarded_for: str
) -> None:
    client = await app_client(aiohttp_client, tmp_path, **PROXY)
    async with client.get("/healthz", headers={"X-Forwarded-For": forwarded_for}) as response:
        assert response.status == 200
    sock = await widget(client, forwarded_for)  # counted under the proxy's address, not refused
    assert (await sock.hello())["type"] == "welcome"
    await sock.close()


async def test_the_webhooks_behind_a_trusted_proxy_work_and_log_the_caller(
    aiohttp_server: Callable[..., Awaitable[Any]], aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    stack = await start_stack(aiohttp_server, aiohttp_client, tmp_path, **PROXY)
    body, content_type = event_body(payload("url_verification"))
    headers = {**sign(body), "Content-Type": content_type, "X-Forwarded-For": "198.51.100.8"}
    async with stack.client.post("/slack/events", data=body, headers=headers) as slack:
        assert slack.status == 200  # the signed body still reads through the rewritten request
        assert (await slack.json())["challenge"].startswith("3eZbrw1aBm2")
    with capture_logs() as logs:
        async with stack.client.post(
            "/telegram/webhook", json=payload("command_start"),
            headers={"X-Telegram-Bot-Api-Secret-Token": "guess", "X-Forwarded-For": "192.0.2.9"},
        ) as telegram:
            assert telegram.status == 403
    refused = [e for e in logs if e["event"] == "telegram.secret_refused"]
    assert [e["address"] for e in refused] == ["192.0.2.9"]


@pytest.fixture
async def proxied_browsers(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> AsyncIterator[Browsers]:
    client = await aiohttp_client(create_app(make_settings(tmp_path, **PROXY)))
    await add_rep(client.app, "dana@example.com", "Dana Scully", team="sales")
    client.app[CONSOLE].auth.per_ip = LoginThrottle(3, 60)
    async for b in open_browsers(client):
        yield b


async def test_the_login_throttle_locks_out_only_the_address_that_guessed(
    proxied_browsers: Browsers,
) -> None:
    guesser = await proxied_browsers.new()
    guessing = {"X-Forwarded-For": "203.0.113.66"}
    for n in range(3):
        assert (await guesser.login(f"guess{n}@example.com", "guess", guessing)).status == 401
    assert (await guesser.login("dana@example.com", headers=guessing)).status == 429
    dana = await proxied_browsers.new()  # same proxy, another office
    response = await dana.login("dana@example.com", headers={"X-Forwarded-For": "198.51.100.4"})
    assert response.status == 303


PUBLIC = {
    "Origin": "https://chat.example.com",
    "X-Forwarded-Host": "chat.example.com",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "198.51.100.4",
}


async def test_the_console_opens_behind_a_proxy_that_rewrites_the_host(
    proxied_browsers: Browsers,
) -> None:
    # The proxy reached us as 127.0.0.1:PORT; the rep's page is on https://chat.example.com.
    dana = await proxied_browsers.signed_in("dana@example.com")
    ws = await dana.session.ws_connect(dana.url("/console/ws"), headers=PUBLIC)
    assert not ws.closed
    await ws.close()


@pytest.mark.parametrize("env", [{}, {"QUALIBOT_TRUSTED_PROXIES": "10.0.0.0/8"}])
async def test_a_forwarded_host_from_anyone_but_a_trusted_proxy_opens_nothing(
    aiohttp_client: AiohttpClient, tmp_path: Path, env: dict[str, str]
) -> None:
    client = await app_client(aiohttp_client, tmp_path, **env)
    async with client.get("/console/ws", headers=PUBLIC) as response:
        assert response.status == 403


FORWARDED_PROXY = {**PROXY, "QUALIBOT_PROXY_HEADERS": "forwarded"}


async def rfc_widget(client: TestClient[Any, Any], headers: dict[str, str]) -> Socket:
    return Socket(await client.ws_connect("/widget/ws", headers={"Origin": ORIGIN, **headers}))


async def test_visitors_behind_a_proxy_writing_rfc_7239_forwarded_are_capped_each_on_their_own(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    client = await app_client(aiohttp_client, tmp_path, **FORWARDED_PROXY)
    alice = await rfc_widget(client, {"Forwarded": "for=203.0.113.1;proto=https"})
    bob = await rfc_widget(client, {"Forwarded": 'for="[2001:db8::2]:4711"'})
    assert (await alice.hello())["type"] == "welcome"
    assert (await bob.hello())["type"] == "welcome"
    # The visitor forged an X-Forwarded-For: this proxy does not write it, so it is not read.
    forged = {"Forwarded": "for=203.0.113.1", "X-Forwarded-For": "198.51.100.9"}
    second_tab = await rfc_widget(client, forged)
    await assert_refused_as_too_many(second_tab)
    for sock in (alice, bob, second_tab):
        await sock.close()


async def test_a_forged_forwarded_header_is_not_read_when_the_proxy_writes_x_forwarded_for(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    # An X-Forwarded-For proxy passes a visitor's own Forwarded header through untouched.
    client = await app_client(aiohttp_client, tmp_path, **PROXY)
    first = await rfc_widget(client, {"X-Forwarded-For": "203.0.113.1"})
    assert (await first.hello())["type"] == "welcome"
    forged = {"X-Forwarded-For": "203.0.113.1", "Forwarded": "for=198.51.100.9"}
    second = await rfc_widget(client, forged)
    await assert_refused_as_too_many(second)
    for sock in (first, second):
        await sock.close()


async def test_the_console_opens_behind_a_forwarded_proxy_that_rewrites_the_host(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    client = await aiohttp_client(create_app(make_settings(tmp_path, **FORWARDED_PROXY)))
    await add_rep(client.app, "dana@example.com", "Dana Scully", team="sales")
    public = {
        "Origin": "https://chat.example.com",
        "Forwarded": "for=198.51.100.4;proto=https;host=chat.example.com",
    }
    async for browsers in open_browsers(client):
        dana = await browsers.signed_in("dana@example.com")
        ws = await dana.session.ws_connect(dana.url("/console/ws"), headers=public)
        assert not ws.closed
        await ws.close()
        # The same page without the proxy's word on the host: refused as cross-origin.
        async with dana.session.get(
            dana.url("/console/ws"), headers={"Origin": "https://chat.example.com"}
        ) as response:
            assert response.status == 403
