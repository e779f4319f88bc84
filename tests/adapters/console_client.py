"""A rep's browser as console tests drive it: its own cookie jar, login, CSRF token, API calls."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import STORE
from bot.passwords import hash_password
from bot.state import Rep
from tests.adapters.conftest import ORIGIN, Connect, Socket

PASSWORD = "correct horse battery"
HIDDEN = re.compile(r'name="csrf" value="([^"]+)"')
META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def add_rep(app: web.Application, email: str, name: str, **kw: Any) -> Rep:
    password_hash = await asyncio.to_thread(hash_password, kw.pop("password", PASSWORD))
    rep: Rep = await app[STORE].add_rep(email, name, password_hash, **kw)
    return rep


class Browser:
    """One rep's browser: a separate cookie jar per instance, like separate machines."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.base = str(client.make_url("")).rstrip("/")
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        await self.session.close()

    def url(self, path: str) -> str:
        return self.base + path

    async def login_form(self) -> str:
        async with self.session.get(self.url("/console/login")) as response:
            match = HIDDEN.search(await response.text())
            assert match, "the login form has a CSRF field"
            return match.group(1)

    async def login(
        self, email: str, password: str = PASSWORD, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        token = await self.login_form()
        data = {"email": email, "password": password, "csrf": token}
        async with self.session.post(
            self.url("/console/login"), data=data, allow_redirects=False, headers=headers
        ) as response:
            await response.read()
        if response.status == 303 and headers is None:  # a Secure cookie is not sent back
            async with self.session.get(self.url("/console")) as page:
                match = META.search(await page.text())
                assert match
                self.csrf = match.group(1)
        return response

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.session.get(self.url("/console/api" + path)) as response:
            return response.status, await response.json()

    async def post(
        self, path: str, body: dict[str, Any] | None = None, csrf: str | None = None, **kw: Any
    ) -> tuple[int, Any]:
        headers = {"X-CSRF-Token": self.csrf if csrf is None else csrf, **kw.pop("headers", {})}
        async with self.session.post(
            self.url("/console/api" + path), json=body or {}, headers=headers, **kw
        ) as response:
            return response.status, await response.json()

    async def act(self, key: str, action: str, body: dict[str, Any] | None = None,
                  **kw: Any) -> tuple[int, Any]:
        return await self.post(f"/conversations/{quote(key, safe='')}/{action}", body, **kw)

    async def view(self, key: str) -> dict[str, Any]:
        status, data = await self.get(f"/conversations/{quote(key, safe='')}")
        assert status == 200, data
        return dict(data)

    async def socket(self, origin: str = ORIGIN) -> aiohttp.ClientWebSocketResponse:
        return await self.session.ws_connect(self.url("/console/ws"), headers={"Origin": origin})


class Browsers:
    """Opens browsers for a test and closes them all after it."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self._client = client
        self._opened: list[Browser] = []

    async def new(self) -> Browser:
        self._opened.append(Browser(self._client))
        return self._opened[-1]

    async def signed_in(self, email: str) -> Browser:
        browser = await self.new()
        response = await browser.login(email)
        assert response.status == 303, response.status
        return browser

    async def close(self) -> None:
        for browser in self._opened:
            await browser.close()


async def open_browsers(client: TestClient[Any, Any]) -> AsyncIterator[Browsers]:
    """The body of each console test module's ``browsers`` fixture."""
    browsers = Browsers(client)
    try:
        yield browsers
    finally:
        await browsers.close()


async def qualify(connect: Connect) -> Socket:
    """A widget visitor who answers all four BANT questions: a hot lead (SQL), handed off."""
    sock = await connect()
    await sock.hello()
    await sock.send(type="start", id="s1")
    await sock.until("ack", id="s1")
    await sock.say("m1", "We need to qualify our inbound leads faster, our SDRs waste hours")
    await sock.click("m2", "tl_3m")
    await sock.click("m3", "bud_gt50k")
    _, frames = await sock.click("m4", "auth_dm")
    assert any("connecting you" in f.get("text", "") for f in frames), frames
    return sock


def key_of(sock: Socket) -> str:
    """The conversation key of a widget socket (its visitor id comes in the signed token)."""
    assert sock.token is not None
    return "widget:" + sock.token.split(".")[1]
