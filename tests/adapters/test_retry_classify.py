"""Each platform's reading of its SDK's real exceptions: wait (429), retry (transient), or fail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from telegram import error as tg

from adapters import slack_errors, telegram
from adapters.retry import Wait


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when RetryAfter is built unless durations are opted in as timedelta."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.mark.parametrize(
    ("exc", "verdict"),
    [
        (lambda: tg.RetryAfter(timedelta(seconds=7)), Wait(7.0)),
        (lambda: tg.TimedOut(), "transient"),
        (lambda: tg.NetworkError("httpx.ConnectError: [Errno 111] Connection refused"),
         "transient"),
        (lambda: tg.NetworkError("Bad Gateway"), "transient"),  # PTB's 5xx
        (lambda: tg.BadRequest("Message is too long"), "permanent"),  # a NetworkError subclass
        (lambda: tg.BadRequest("Chat not found"), "permanent"),
        (lambda: tg.Forbidden("Forbidden: bot was blocked by the user"), "permanent"),
        (lambda: tg.InvalidToken(), "permanent"),
        (lambda: tg.ChatMigrated(-100123), "permanent"),
        (lambda: tg.Conflict("terminated by other getUpdates request"), "permanent"),
        (lambda: tg.TelegramError("Invalid server response"), "permanent"),
        (lambda: ValueError("a bug of ours"), "permanent"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_telegram(exc: Any, verdict: object) -> None:
    assert telegram.classify(exc()) == verdict


def slack_error(status: int, error: str, **headers: str) -> SlackApiError:
    response = AsyncSlackResponse(
        client=None, http_verb="POST", api_url="https://slack.com/api/chat.postMessage",
        req_args={}, data={"ok": False, "error": error}, headers=headers, status_code=status,
    )
    return SlackApiError("The request to the Slack API failed.", response)


def connection_refused() -> aiohttp.ClientConnectorError:
    key = aiohttp.client_reqrep.ConnectionKey("slack.com", 443, True, True, None, None, None)
    return aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))


@pytest.mark.parametrize(
    ("exc", "verdict"),
    [
        (lambda: slack_error(429, "ratelimited", **{"Retry-After": "30"}), Wait(30.0)),
        (lambda: slack_error(429, "ratelimited"), Wait(1.0)),
        (lambda: slack_error(500, "internal_error"), "transient"),
        (lambda: slack_error(503, ""), "transient"),
        (lambda: slack_error(200, "internal_error"), "transient"),
        (lambda: slack_error(200, "service_unavailable"), "transient"),
        (lambda: slack_error(200, "channel_not_found"), "permanent"),
        (lambda: slack_error(200, "not_in_channel"), "permanent"),
        (lambda: slack_error(200, "invalid_auth"), "permanent"),
        (lambda: slack_error(200, "msg_too_long"), "permanent"),
        (lambda: slack_error(404, "unknown_method"), "permanent"),
        (connection_refused, "transient"),
        (aiohttp.ServerDisconnectedError, "transient"),
        (lambda: aiohttp.ClientOSError(104, "Connection reset by peer"), "transient"),
        (TimeoutError, "transient"),
        (lambda: ValueError("a bug of ours"), "permanent"),
    ],
)
def test_slack(exc: Any, verdict: object) -> None:
    assert slack_errors.classify(exc()) == verdict
