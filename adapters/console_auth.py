"""Console log-in: session cookies, CSRF tokens, a login throttle and the console's HTTP headers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from bot.clock import Clock
from bot.env import normalize_origin
from bot.passwords import verify_async
from bot.rep_ports import Reps, Sessions
from bot.state import Rep

COOKIE = "qualibot_console"
LOGIN_COOKIE = "qualibot_login"  # the pre-login CSRF token (double submit), see login_form
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 12  # a working day plus a margin; a new day starts with a fresh login
# No inline script or style anywhere in the console: everything comes from our own files, so
# markup smuggled into a lead's name has nothing it could run even if it were ever rendered.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass(frozen=True, slots=True)
class Login:
    """A signed-in rep as a request sees them: who, their CSRF token, their cookie's hash."""

    rep: Rep
    csrf: str
    token_hash: str


def token_hash(token: str) -> str:
    """SHA-256 of a cookie token: the database never holds a usable credential."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison, so response times do not leak a token byte by byte."""
    return bool(given) and hmac.compare_digest((given or "").encode(), expected.encode())


def is_https(request: web.Request) -> bool:
    """Whether the browser reached us over TLS (directly, or through a proxy that says so).

    ``request.secure`` already reflects ``X-Forwarded-Proto`` from a trusted proxy
    (adapters/proxies.py). The header is also believed from anyone here, because it can only
    make the cookie stricter: a client that lies gets a ``Secure`` cookie its own plain-http
    browser will not send back. Dropping that would silently take ``Secure`` away from
    deployments behind an HTTPS proxy that have not set ``QUALIBOT_TRUSTED_PROXIES``.
    """
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def same_origin(request: web.Request, allowed: Iterable[str]) -> bool:
    """The request's ``Origin`` is this server (its Host header) or one of the allowed origins.

    Used for the console websocket, which browsers open without any CSRF protection of
    their own (cross-site websocket hijacking), and for state-changing posts.
    """
    origin = request.headers.get("Origin")
    normalized = normalize_origin(origin) if origin else None
    if normalized is None:
        return False
    host = normalized.split("://", 1)[1]
    here = request.host.lower()
    default = ":443" if normalized.startswith("https:") else ":80"
    return host in (here, here.removesuffix(default)) or normalized in set(allowed)


class LoginThrottle:
    """Failed logins per key (an IP address, an email) within a sliding window.

    Only failures count, so a rep who types their password right is never slowed down; a
    guesser is stopped per address and, against spread-out attacks, per targeted email.
    """

    def __init__(
        self, limit: int, window_seconds: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._now = monotonic
        self._failures: dict[str, deque[float]] = {}

    def wait(self, key: str) -> float:
        """0.0 when ``key`` may try again, else the seconds until it may."""
        recent = self._recent(key)
        if len(recent) < self._limit:
            return 0.0
        return max(0.0, recent[0] + self._window - self._now())

    def fail(self, key: str) -> None:
        """Count one failed attempt."""
        if len(self._failures) > 10_000:  # forget the quiet ones before growing further
            for stale in [k for k in self._failures if not self._recent(k)]:
                del self._failures[stale]
        self._recent(key).append(self._now())

    def clear(self, key: str) -> None:
        """Forget ``key``'s failures (a successful login)."""
        self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= self._now() - self._window:
            recent.popleft()
        return recent


class TooManyAttempts(Exception):
    """Login refused before checking the password; ``seconds`` until the next try."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"too many attempts, retry in {seconds:.0f} s")
        self.seconds = seconds


class Auth:
    """Logs reps in and out and recognises them on later requests by their session cookie."""

    def __init__(
        self,
        reps: Reps,
        sessions: Sessions,
        clock: Clock,
        *,
        per_ip: LoginThrottle | None = None,
        per_email: LoginThrottle | None = None,
    ) -> None:
        self._reps = reps
        self._sessions = sessions
        self._clock = clock
        self.per_ip = per_ip or LoginThrottle(20, 15 * 60)
        self.per_email = per_email or LoginThrottle(5, 15 * 60)

    async def login(self, address: str, email: str, password: str) -> tuple[str, Rep] | None:
        """A new session token for a right email and password, else None.

        Raises:
            TooManyAttempts: this address or this email failed too often lately.
        """
        email = email.strip().lower()
        wait = max(self.per_ip.wait(address), self.per_email.wait(email))
        if wait:
            raise TooManyAttempts(wait)
        rep = await self._reps.find_rep(email=email) if email else None
        # Verified even for an unknown email (against a dummy hash): same time either way.
        ok = await verify_async(rep.password_hash if rep else None, password)
        if rep is None or not ok or rep.disabled:
            self.per_ip.fail(address)
            self.per_email.fail(email)
            return None
        self.per_email.clear(email)
        token = secrets.token_urlsafe(32)
        expires = self._clock.now() + timedelta(hours=SESSION_HOURS)
        await self._sessions.create_session(
            token_hash(token), rep.id, secrets.token_urlsafe(32), expires
        )
        return token, rep

    async def current(self, request: web.Request) -> Login | None:
        """The signed-in rep of ``request``, or None (no cookie, expired, revoked, disabled)."""
        token = request.cookies.get(COOKIE)
        if not token or len(token) > 200:
            return None
        hashed = token_hash(token)
        found = await self._sessions.find_session(hashed, self._clock.now())
        if found is None:
            return None
        rep, csrf = found
        return Login(rep, csrf, hashed)

    async def logout(self, login: Login) -> None:
        """Revoke the session server-side: the cookie is worthless from now on, everywhere."""
        await self._sessions.delete_session(login.token_hash)


def set_session_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    """HttpOnly (no script can read it), SameSite=Strict (no other site can send it)."""
    response.set_cookie(
        COOKIE, token, path="/console", httponly=True, samesite="Strict",
        secure=is_https(request), max_age=SESSION_HOURS * 3600,
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    """Tell the browser to drop the session cookie (the session itself is already deleted)."""
    response.del_cookie(COOKIE, path="/console")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def with_headers(handler: Handler) -> Handler:
    """Wrap a console handler so every answer, errors included, carries the security headers."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update(SECURITY_HEADERS)
            raise
        if not response.prepared:  # a websocket has sent its headers already
            response.headers.update(SECURITY_HEADERS)
        return response

    return wrapped
