"""The reps' web console at /console: log-in, the live queue, and taking conversations over.

This module faces HTTP (routes, who may call what, CSRF, origins, shutdown); the JSON API is in
console_api, the live feed in console_socket, sessions and headers in console_auth, and the
shown data in console_views. docs/console.md is the rep's guide.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence

import structlog
from aiohttp import web

from adapters.console_api import Api, Runtime, refuse
from adapters.console_auth import (
    COOKIE,
    CSRF_HEADER,
    LOGIN_COOKIE,
    Auth,
    Handler,
    Login,
    TooManyAttempts,
    clear_session_cookie,
    is_https,
    same_origin,
    same_token,
    set_session_cookie,
    with_headers,
)
from adapters.console_pages import Pages
from adapters.console_socket import Feed, Presences
from bot.clock import Clock
from bot.flow import Flow
from bot.ports import Bus, Store
from bot.rep_ports import Desk, Reps, Sessions
from bot.service import Service

log = structlog.stdlib.get_logger(__name__)

ApiHandler = Callable[[web.Request, Login], Awaitable[web.Response]]
MAX_FORM = 4096  # bytes of a login form: an email and a password, nothing more


class ConsoleChannel:
    """The console: routes are added in ``create_app``, the runtime bound once storage opens."""

    def __init__(
        self, *, allowed_origins: Sequence[str], heartbeat_seconds: float, max_chars: int
    ) -> None:
        self._origins = tuple(allowed_origins)
        self._heartbeat = heartbeat_seconds
        self._max_chars = max_chars
        self._pages = Pages()
        self._auth: Auth | None = None
        self._api: Api | None = None
        self._feed: Feed | None = None

    def setup(self, app: web.Application) -> None:
        """Add the console's routes and its shutdown hook to ``app``."""
        get, post = app.router.add_get, app.router.add_post
        get("/console", with_headers(self._shell))
        get("/console/", with_headers(self._slash))
        get("/console/login", with_headers(self._login_form))
        post("/console/login", with_headers(self._login))
        post("/console/logout", with_headers(self._logout))
        get("/console/ws", with_headers(self._websocket))
        get("/console/assets/{name}", with_headers(self._pages.asset))
        api = "/console/api"
        conv = api + "/conversations/{key:[^/]+}"
        get(api + "/me", self._read(lambda a: a.me))
        get(api + "/queue", self._read(lambda a: a.queue))
        get(conv, self._read(lambda a: a.conversation))
        post(conv + "/claim", self._write(lambda a: a.claim))
        post(conv + "/messages", self._write(lambda a: a.say))
        post(conv + "/hand-back", self._write(lambda a: a.hand_back))
        post(conv + "/close", self._write(lambda a: a.close))
        post(conv + "/notes", self._write(lambda a: a.note))
        post(api + "/presence", self._write(lambda a: a.presence))
        app.on_shutdown.append(self._on_shutdown)

    def bind(
        self,
        flow: Flow,
        service: Service,
        store: Store,
        *,
        reps: Reps,
        desk: Desk,
        sessions: Sessions,
        bus: Bus,
        clock: Clock,
    ) -> None:
        """Connect to the running service and storage; requests before this get 503."""
        self._auth = Auth(reps, sessions, clock)
        self._api = Api(Runtime(flow, service, store, reps, desk, bus, clock, self._max_chars))
        self._feed = Feed(bus, Presences(reps, clock), self._heartbeat)

    @property
    def auth(self) -> Auth:
        """The log-in machinery (tests reach the throttles through it)."""
        if self._auth is None:
            raise web.HTTPServiceUnavailable(text="starting, retry shortly")
        return self._auth

    async def close(self) -> None:
        """Close every console socket with 1001, so browsers reconnect to a live process."""
        if self._feed is not None:
            await self._feed.close()

    async def _on_shutdown(self, _: web.Application) -> None:
        await self.close()

    # --- guards: every route states who may call it -----------------------------------------

    def _read(self, pick: Callable[[Api], ApiHandler]) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            api, login = await self._signed_in(request)
            return await pick(api)(request, login)

        return with_headers(handler)

    def _write(self, pick: Callable[[Api], ApiHandler]) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            api, login = await self._signed_in(request)
            self._check_csrf(request, login, request.headers.get(CSRF_HEADER))
            return await pick(api)(request, login)

        return with_headers(handler)

    async def _signed_in(self, request: web.Request) -> tuple[Api, Login]:
        login = await self.auth.current(request)
        if login is None or self._api is None:
            raise refuse(401, "sign in again")
        return self._api, login

    def _check_csrf(self, request: web.Request, login: Login, given: str | None) -> None:
        """Refuse a write without the session's CSRF token (header or form field).

        A browser's Origin, when sent, must be ours too: another site can make a browser post,
        but it cannot read the token to send along.
        """
        if not same_token(given, login.csrf):
            log.warning("console.csrf_refused", rep=login.rep.id, path=request.path)
            raise refuse(403, "missing or wrong CSRF token: reload the console")
        if "Origin" in request.headers and not same_origin(request, self._origins):
            raise refuse(403, "cross-site request refused")

    # --- pages -------------------------------------------------------------------------------

    async def _shell(self, request: web.Request) -> web.StreamResponse:
        login = await self.auth.current(request)
        if login is None:
            raise web.HTTPSeeOther("/console/login")
        rep = login.rep
        return self._pages.render(
            "console.html", rep_name=rep.name, rep_email=rep.email, csrf=login.csrf
        )

    async def _slash(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently("/console")

    async def _login_form(self, request: web.Request) -> web.StreamResponse:
        if await self.auth.current(request) is not None:
            raise web.HTTPSeeOther("/console")
        return self._form(request, "", "")

    def _form(
        self, request: web.Request, error: str, email: str, status: int = 200
    ) -> web.Response:
        """The login form with a fresh double-submit token (cookie + hidden field).

        Before log-in there is no session to hold a CSRF token, and "login CSRF" (signing a
        victim into the attacker's account) is still worth stopping.
        """
        token = secrets.token_urlsafe(24)
        response = self._pages.render(
            "login.html", status=status, error=error, email=email, csrf=token,
            error_class="error" if error else "error hidden",
        )
        response.set_cookie(
            LOGIN_COOKIE, token, path="/console/login", httponly=True, samesite="Strict",
            secure=is_https(request), max_age=3600,
        )
        return response

    async def _login(self, request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_FORM:
            raise web.HTTPRequestEntityTooLarge(MAX_FORM, request.content_length)
        form = await request.post()
        email, password = str(form.get("email", ""))[:320], str(form.get("password", ""))[:1024]
        if not same_token(str(form.get("csrf", "")), request.cookies.get(LOGIN_COOKIE, "")):
            return self._form(request, "The form expired. Please sign in again.", email, 403)
        address = request.remote or "unknown"
        try:
            result = await self.auth.login(address, email, password)
        except TooManyAttempts as exc:
            minutes = max(1, round(exc.seconds / 60))
            log.warning("console.login_throttled", address=address)
            response = self._form(
                request, f"Too many failed sign-ins. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''}.", email, 429,
            )
            response.headers["Retry-After"] = str(max(1, round(exc.seconds)))
            return response
        if result is None:
            log.info("console.login_failed", address=address)
            return self._form(request, "Wrong email or password.", email, 401)
        token, rep = result
        log.info("console.login", rep=rep.id)
        response = _redirect("/console")
        set_session_cookie(response, request, token)
        response.del_cookie(LOGIN_COOKIE, path="/console/login")
        return response

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        login = await self.auth.current(request)
        if login is None:
            raise web.HTTPSeeOther("/console/login")
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            form = await request.post()
            given = str(form.get("csrf", ""))
        self._check_csrf(request, login, given)
        await self.auth.logout(login)
        log.info("console.logout", rep=login.rep.id)
        response = _redirect("/console/login")
        clear_session_cookie(response)
        return response

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if not same_origin(request, self._origins):
            # Browsers send cookies on cross-site websocket handshakes: the Origin is the check.
            raise web.HTTPForbidden(text="origin not allowed")
        login = await self.auth.current(request)
        if login is None or self._feed is None:
            raise web.HTTPUnauthorized(text="sign in again")
        return await self._feed.serve(request, login.rep)


def _redirect(location: str) -> web.Response:
    """A 303 that can carry cookies (returning an HTTPException is deprecated in aiohttp)."""
    return web.Response(status=303, headers={"Location": location})


__all__ = ["COOKIE", "ConsoleChannel"]
