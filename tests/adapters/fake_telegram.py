"""A local stand-in for the Telegram Bot API: records every call, answers, fails on cue.

PTB's real ``Bot`` talks to it over HTTP (``base_url``): the test seam is the transport, as with
PTB's own ``OfflineRequest``, but with answers, so whole conversations can run.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "Qualibot", "username": "qualibot_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False,
       "supports_inline_queries": False}
JSON_FIELDS = {"chat_id", "message_id", "reply_markup", "reply_parameters", "allowed_updates",
               "offset", "timeout", "reply_to_message_id", "show_alert"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = 0.0  # on the test's clock, when one is given


@dataclass(frozen=True)
class Failure:
    """How one call is refused: an HTTP status and description, or a dropped connection."""

    status: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    drop: bool = False

    @property
    def tag(self) -> str:
        return "drop" if self.drop else str(self.status)


@dataclass
class FakeTelegram:
    """The Bot API as far as Qualibot uses it; ``updates`` feeds getUpdates (polling)."""

    calls: list[Call] = field(default_factory=list)
    clock: Callable[[], float] = field(default=lambda: 0.0)
    failures: dict[str, list[Failure]] = field(default_factory=lambda: defaultdict(list))
    updates: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        return app

    def fail_once(self, method: str, *, retry_after: int = 3) -> None:
        """The next call of ``method`` gets a 429 flood-control answer."""
        desc = f"Too Many Requests: retry after {retry_after}"
        self.failures[method].append(Failure(429, desc, retry_after))

    def fail(self, method: str, times: int = 1, **failure: Any) -> None:
        """The next ``times`` calls of ``method`` fail as ``Failure(**failure)`` says."""
        self.failures[method].extend([Failure(**failure)] * times)

    def of(self, method: str, **match: Any) -> list[dict[str, Any]]:
        return [
            c.params for c in self.calls
            if c.method == method and all(c.params.get(k) == v for k, v in match.items())
        ]

    def texts(self, chat_id: int) -> list[str]:
        """Texts sent to ``chat_id``, in order."""
        return [p["text"] for p in self.of("sendMessage", chat_id=chat_id)]

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        for name, value in (await request.post()).items():
            text = str(value)
            params[name] = json.loads(text) if name in JSON_FIELDS else text
        if self.failures[method]:
            failure = self.failures[method].pop(0)
            self.calls.append(Call(f"{method}!{failure.tag}", params, self.clock()))
            if failure.drop and request.transport is not None:
                request.transport.close()  # the client sees the connection go, no answer
            answer = {"ok": False, "error_code": failure.status, "description": failure.description}
            if failure.retry_after is not None:
                answer["parameters"] = {"retry_after": failure.retry_after}
            return web.json_response(answer, status=failure.status)
        if method == "getUpdates" and not self.updates:
            await asyncio.sleep(0.05)  # a short long poll: nothing new
            return web.json_response({"ok": True, "result": []})
        self.calls.append(Call(method, params, self.clock()))
        return web.json_response({"ok": True, "result": self._answer(method, params)})

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            batch = [u for u in self.updates if u["update_id"] >= offset]
            self.updates = []
            return batch
        if method == "sendMessage":
            chat = params["chat_id"]
            return {"message_id": next(self._ids), "date": 1700000000, "text": params["text"],
                    "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
                    "from": {k: BOT[k] for k in ("id", "is_bot", "first_name", "username")}}
        return True
