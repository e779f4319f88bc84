"""Console log-in: cookies, wrong passwords, the throttle, logout, and what anonymous users get."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient
from yarl import URL

from adapters.console_auth import COOKIE, LoginThrottle
from bot.app import CONSOLE, STORE
from tests.adapters.console_client import Browser, Browsers, add_rep, open_browsers

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
async def browsers(client: TestClient[Any, Any]) -> AsyncIterator[Browsers]:
    async for b in open_browsers(client):
        yield b


@pytest.fixture
async def dana(client: TestClient[Any, Any]) -> None:
    await add_rep(client.app, "dana@example.com", "Dana Scully", team="sales")


def set_cookie(response: Any, name: str) -> str:
    return next(v for v in response.headers.getall("Set-Cookie") if v.startswith(name + "="))


@pytest.mark.usefixtures("dana")
async def test_a_rep_signs_in_and_gets_a_strict_http_only_cookie(browsers: Browsers) -> None:
    browser = await browsers.new()
    response = await browser.login("Dana@Example.com")  # emails are case-insensitive
    assert response.status == 303
    assert response.headers["Location"] == "/console"
    cookie = set_cookie(response, COOKIE)
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http in tests; see the https case below
    status, me = await browser.get("/me")
    assert status == 200
    assert (me["name"], me["email"], me["capacity"]) == ("Dana Scully", "dana@example.com", 3)


@pytest.mark.usefixtures("dana")
async def test_the_cookie_is_secure_behind_an_https_proxy(browsers: Browsers) -> None:
    browser = await browsers.new()
    response = await browser.login("dana@example.com", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in set_cookie(response, COOKIE)


@pytest.mark.usefixtures("dana")
async def test_the_stored_session_is_a_hash_of_the_cookie(
    client: TestClient[Any, Any], browsers: Browsers
) -> None:
    browser = await browsers.new()
    token = set_cookie(await browser.login("dana@example.com"), COOKIE).split(";")[0].split("=")[1]
    store: Any = client.app[STORE]
    assert await store.find_session(token, datetime.now(UTC)) is None  # only its hash is stored


@pytest.mark.usefixtures("dana")
@pytest.mark.parametrize(
    ("email", "password"), [("dana@example.com", "wrong password!"), ("nobody@example.com", "x")]
)
async def test_a_wrong_password_or_unknown_email_gets_the_same_answer(
    browsers: Browsers, email: str, password: str
) -> None:
    browser = await browsers.new()
    response = await browser.login(email, password)
    assert response.status == 401
    assert COOKIE not in response.cookies
    async with browser.session.post(
        browser.url("/console/login"),
        data={"email": email, "password": password, "csrf": await browser.login_form()},
    ) as again:
        assert "Wrong email or password." in await again.text()
    assert (await browser.get("/me"))[0] == 401


@pytest.mark.usefixtures("dana")
async def test_a_login_post_without_the_form_token_is_refused(browsers: Browsers) -> None:
    browser = await browsers.new()
    async with browser.session.post(
        browser.url("/console/login"),
        data={"email": "dana@example.com", "password": "correct horse battery"},
        allow_redirects=False,
    ) as response:
        assert response.status == 403
        assert COOKIE not in response.cookies


@pytest.mark.usefixtures("dana")
async def test_too_many_failures_for_one_email_lock_it_with_a_clear_error(
    browsers: Browsers,
) -> None:
    browser = await browsers.new()
    for _ in range(5):
        assert (await browser.login("dana@example.com", "not the password")).status == 401
    async with browser.session.post(
        browser.url("/console/login"),
        data={"email": "dana@example.com", "password": "correct horse battery",
              "csrf": await browser.login_form()},
        allow_redirects=False,
    ) as response:
        assert response.status == 429  # even the right password waits now
        assert int(response.headers["Retry-After"]) > 0
        assert "Too many failed sign-ins. Try again in 15 minutes." in await response.text()


@pytest.mark.usefixtures("dana")
async def test_too_many_failures_from_one_address_lock_every_email(
    client: TestClient[Any, Any], browsers: Browsers
) -> None:
    client.app[CONSOLE].auth.per_ip = LoginThrottle(3, 60)
    browser = await browsers.new()
    for n in range(3):
        assert (await browser.login(f"guess{n}@example.com", "guess")).status == 401
    assert (await browser.login("dana@example.com")).status == 429


@pytest.mark.usefixtures("dana")
async def test_a_success_resets_the_email_count(browsers: Browsers) -> None:
    browser = await browsers.new()
    for _ in range(4):
        await browser.login("dana@example.com", "typo in it")
    assert (await browser.login("dana@example.com")).status == 303
    other = await browsers.new()
    assert (await other.login("dana@example.com", "one more typo")).status == 401
    assert (await other.login("dana@example.com")).status == 303


@pytest.mark.usefixtures("dana")
async def test_logout_revokes_the_session_server_side(browsers: Browsers) -> None:
    browser = await browsers.signed_in("dana@example.com")
    stolen = browser.session.cookie_jar.filter_cookies(URL(browser.url("/console")))[COOKIE].value
    async with browser.session.post(
        browser.url("/console/logout"), data={"csrf": browser.csrf}, allow_redirects=False
    ) as response:
        assert response.status == 303
        assert response.headers["Location"] == "/console/login"
    thief = await browsers.new()  # a copy of the cookie is worthless now
    thief.session.cookie_jar.update_cookies({COOKIE: stolen}, response.url)
    assert (await thief.get("/me"))[0] == 401
    assert (await browser.get("/me"))[0] == 401


@pytest.mark.usefixtures("dana")
async def test_logout_without_the_csrf_token_changes_nothing(browsers: Browsers) -> None:
    browser = await browsers.signed_in("dana@example.com")
    async with browser.session.post(
        browser.url("/console/logout"), data={"csrf": "forged"}, allow_redirects=False
    ) as response:
        assert response.status == 403
    assert (await browser.get("/me"))[0] == 200


async def test_a_disabled_rep_is_signed_out_and_cannot_sign_in(
    client: TestClient[Any, Any], browsers: Browsers
) -> None:
    rep = await add_rep(client.app, "fox@example.com", "Fox Mulder")
    browser = await browsers.signed_in("fox@example.com")
    await client.app[STORE].update_rep(rep.id, disabled=True)
    assert (await browser.get("/me"))[0] == 401
    assert (await (await browsers.new()).login("fox@example.com")).status == 401


async def test_anonymous_visitors_are_sent_to_the_login_page(browsers: Browsers) -> None:
    browser = await browsers.new()
    async with browser.session.get(browser.url("/console"), allow_redirects=False) as page:
        assert page.status == 303
        assert page.headers["Location"] == "/console/login"
    assert (await browser.get("/queue")) == (401, {"error": "sign in again"})
    assert (await browser.get("/conversations/widget%3Aabc"))[0] == 401
    assert (await browser.act("widget:abc", "claim"))[0] == 401
    with pytest.raises(WSServerHandshakeError) as refused:
        await browser.socket()
    assert refused.value.status == 401


EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@pytest.mark.usefixtures("dana")
@pytest.mark.parametrize(
    "path", ["/console", "/console/login", "/console/api/me", "/console/assets/app.js",
             "/console/api/conversations/widget%3Anobody"]
)
async def test_console_responses_carry_the_security_headers(
    browsers: Browsers, path: str
) -> None:
    browser = await browsers.signed_in("dana@example.com")
    async with browser.session.get(browser.url(path), allow_redirects=False) as response:
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers[name] == value
        csp = response.headers["Content-Security-Policy"]
        for part in ("default-src 'self'", "script-src 'self'", "connect-src 'self'",
                     "frame-ancestors 'none'", "object-src 'none'"):
            assert part in csp
        assert "unsafe-inline" not in csp


async def test_pages_have_no_inline_script(browsers: Browsers) -> None:
    browser = await browsers.new()
    async with browser.session.get(browser.url("/console/login")) as response:
        page = await response.text()
    assert "<script>" not in page
    assert " on" + "click=" not in page


async def test_assets_are_served_by_exact_name_only(browsers: Browsers) -> None:
    browser = await browsers.new()
    for bad in ("..%2Fconsole.html", ".hidden.js", "console.html", "nope.js"):
        async with browser.session.get(browser.url("/console/assets/" + bad)) as response:
            assert response.status == 404, bad
    async with browser.session.get(browser.url("/console/assets/console.css")) as response:
        assert response.headers["Content-Type"].startswith("text/css")


async def test_a_hostile_rep_name_is_escaped_in_the_page(
    client: TestClient[Any, Any], browsers: Browsers
) -> None:
    await add_rep(client.app, "eve@example.com", HOSTILE + '"quoted"')
    browser = await browsers.signed_in("eve@example.com")
    async with browser.session.get(browser.url("/console")) as response:
        page = await response.text()
    assert HOSTILE not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;quoted&quot;" in page
    async with browser.session.get(browser.url("/console/api/me")) as response:
        body = await response.text()
    assert "<img" not in body
    assert (await response.json())["name"] == HOSTILE + '"quoted"'


async def test_the_reflected_email_on_a_failed_login_is_escaped(browsers: Browsers) -> None:
    browser: Browser = await browsers.new()
    email = '"><script>alert(1)</script>'
    async with browser.session.post(
        browser.url("/console/login"),
        data={"email": email, "password": "x", "csrf": await browser.login_form()},
    ) as response:
        page = await response.text()
    assert "<script>alert(1)" not in page
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
