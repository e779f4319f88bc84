"""Slack over Socket Mode: the real bolt handler and slack_sdk client against a local Slack.

The app runs as a developer would run it: an app-level token, no signing secret, no public URL.
Envelopes carry the same recorded payloads the HTTP tests post to /slack/events.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.adapters.fake_slack import FakeSlack, Stack, blocks_of, event_body, start_stack
from tests.adapters.fake_slack_socket import APP_TOKEN
from tests.adapters.test_slack import DM, DM_KEY, click, dm

Server = Callable[..., Awaitable[TestServer]]
Client = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
async def stack(aiohttp_server: Server, aiohttp_client: Client, tmp_path: Path) -> Stack:
    stack = await start_stack(
        aiohttp_server, aiohttp_client, tmp_path,
        QUALIBOT_SLACK_APP_TOKEN=APP_TOKEN, QUALIBOT_SLACK_SIGNING_SECRET="",
    )
    await stack.slack.socket.until(lambda: stack.slack.socket.live)
    return stack


async def say(stack: Stack, n: int, text: str, replies: int) -> list[dict[str, Any]]:
    """The prospect writes in the DM; returns the DM's posts once ``replies`` more have come."""
    before = len(stack.slack.of("chat.postMessage", channel=DM))
    envelope = await stack.slack.socket.push("events_api", dm(n, text))
    assert await stack.slack.socket.ack(envelope) == {"envelope_id": envelope}
    return await stack.slack.wait_for("chat.postMessage", before + replies, channel=DM)


async def test_a_direct_message_is_acked_and_answered(stack: Stack) -> None:
    socket = stack.slack.socket
    assert stack.slack.of("apps.connections.open") == [{"token": APP_TOKEN}]
    assert len(socket.links) == 1

    posts = await say(stack, 1, "Hello", replies=2)  # greeting, then the first question
    assert "What brings you here" in posts[-1]["text"]
    assert (await stack.transcript(DM_KEY))[0] == "visitor: Hello"
    assert socket.stray == []  # nothing but acks came back over the socket


async def test_a_quick_reply_click_is_acked_and_answered(stack: Stack) -> None:
    await say(stack, 1, "Hello", replies=2)
    posts = await say(stack, 2, "We waste hours qualifying leads by hand", replies=1)
    asked = posts[-1]
    assert "When would you like" in asked["text"]
    assert "tl_3m" in [b["value"] for b in blocks_of(asked)[1]["elements"]]
    asked_ts = f"1700000000.{len(posts):06d}"  # the stand-in numbers its posts' ts in order

    envelope = await stack.slack.socket.push(
        "interactive", click("tl_3m", "Within 3 months", asked_ts)
    )
    assert await stack.slack.socket.ack(envelope) == {"envelope_id": envelope}
    update = await stack.slack.wait_for("chat.update", channel=DM, ts=asked_ts)
    assert "Within 3 months" in json.dumps(update[0]["blocks"])  # the buttons became the answer
    after = await stack.slack.wait_for("chat.postMessage", len(posts) + 1, channel=DM)
    assert after[-1]["text"] != asked["text"]  # the next question
    assert "visitor: Within 3 months" in await stack.transcript(DM_KEY)


async def test_a_redelivered_envelope_is_acked_and_changes_nothing(stack: Stack) -> None:
    """Slack sends an unacked envelope again (retry_attempt 1, 2...): the store makes it a no-op."""
    await say(stack, 1, "Hello", replies=2)
    again = await stack.slack.socket.push("events_api", dm(1, "Hello"), retry=1)
    assert await stack.slack.socket.ack(again) == {"envelope_id": again}
    await stack.settle()
    assert len(stack.slack.texts(DM)) == 2
    assert (await stack.transcript(DM_KEY)).count("visitor: Hello") == 1


async def test_the_http_events_route_is_not_mounted(stack: Stack) -> None:
    """Without a signing secret nothing could verify a POST, so nothing must take one."""
    from bot.app import SLACK

    body, content_type = event_body(dm(1, "Hello"))
    response = await stack.client.post(
        "/slack/events", data=body, headers={"Content-Type": content_type}
    )
    assert response.status in (404, 405)
    await stack.app[SLACK].idle()
    assert stack.slack.of("chat.postMessage") == []
    assert await stack.transcript(DM_KEY) == []


async def test_a_refresh_moves_to_a_new_connection_and_events_keep_flowing(stack: Stack) -> None:
    socket = stack.slack.socket
    await socket.disconnect("refresh_requested")
    await socket.until(lambda: len(socket.links) == 2 and socket.links[0].closed)
    assert [link.ticket for link in socket.live] == [socket.links[1].ticket]
    assert len(stack.slack.of("apps.connections.open")) == 2  # a fresh URL, not the used one

    posts = await say(stack, 1, "Hello", replies=2)
    assert "What brings you here" in posts[-1]["text"]


async def test_a_connection_slack_closes_unannounced_is_replaced_and_events_keep_flowing(
    stack: Stack,
) -> None:
    socket = stack.slack.socket
    await socket.drop()
    await socket.until(lambda: len(socket.links) == 2 and socket.links[1] in socket.live)
    assert socket.links[0].closed
    assert len(stack.slack.of("apps.connections.open")) == 2  # a fresh URL, not the used one

    posts = await say(stack, 1, "Hello", replies=2)
    assert "What brings you here" in posts[-1]["text"]


async def test_shutdown_answers_what_was_taken_closes_the_socket_and_leaves_no_task(
    stack: Stack,
) -> None:
    socket = stack.slack.socket
    envelope = await socket.push("events_api", dm(1, "Hello"))
    await socket.ack(envelope)
    async with asyncio.timeout(5):  # a hang here would hold a developer's Ctrl-C
        await stack.client.close()  # the app's cleanup: Slack closes first, storage last

    assert len(stack.slack.texts(DM)) == 2  # taken before shutdown, so answered before it
    await socket.until(lambda: not socket.live)
    assert [link.close_code for link in socket.links] == [1000]  # a normal close, no drop
    left = [
        task for task in asyncio.all_tasks()
        if not task.done() and "slack_sdk" in repr(task.get_coro())
    ]
    assert left == []


@pytest.mark.parametrize(
    ("token", "error"),
    [("xapp-1-A0QUALIBOT-9999-revoked", "invalid_auth"),
     ("xoxb-test-token", "not_allowed_token_type")],  # the bot token in the wrong variable
)
async def test_a_refused_app_token_stops_start_up(
    aiohttp_server: Server, tmp_path: Path, token: str, error: str
) -> None:
    """slack_sdk alone retries a refused token for ever: the server would never listen."""
    from slack_sdk.errors import SlackApiError

    from bot.app import create_app
    from bot.config import Settings

    slack = FakeSlack()
    server = await aiohttp_server(slack.app())
    settings = Settings.from_env({
        "QUALIBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'refused.db'}",
        "QUALIBOT_SECRET": "test-secret-0123456789abcdef",
        "QUALIBOT_SLACK_BOT_TOKEN": "xoxb-test-token",
        "QUALIBOT_SLACK_APP_TOKEN": token,
        "QUALIBOT_SLACK_API_URL": str(server.make_url("/api/")),
    }, workdir=tmp_path)
    runner = web.AppRunner(create_app(settings))  # pytest-aiohttp leaks a client that fails
    try:
        with pytest.raises(SlackApiError, match=error):
            async with asyncio.timeout(5):
                await runner.setup()  # start-up: storage, then the channels
    finally:
        await runner.cleanup()
    assert [c.result["error"] for c in slack.calls] == [error]  # asked once, not for ever


def socket_settings(tmp_path: Path, server: TestServer) -> Any:
    from bot.config import Settings

    return Settings.from_env({
        "QUALIBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'open.db'}",
        "QUALIBOT_SECRET": "test-secret-0123456789abcdef",
        "QUALIBOT_SLACK_BOT_TOKEN": "xoxb-test-token",
        "QUALIBOT_SLACK_APP_TOKEN": APP_TOKEN,
        "QUALIBOT_SLACK_API_URL": str(server.make_url("/api/")),
    }, workdir=tmp_path)  # fmt: skip


@pytest.mark.parametrize(
    "failure",
    [{"status": 429, "retry_after": 1, "error": "ratelimited"},  # processes restarting together
     {"status": 503, "error": "service_unavailable"},
     {"drop": True}],
)
async def test_start_up_waits_out_a_busy_slack_and_connects(
    aiohttp_server: Server, tmp_path: Path, failure: dict[str, Any]
) -> None:
    from bot.app import create_app

    slack = FakeSlack()
    slack.fail("apps.connections.open", **failure)
    server = await aiohttp_server(slack.app())
    runner = web.AppRunner(create_app(socket_settings(tmp_path, server)))
    try:
        async with asyncio.timeout(10):
            await runner.setup()
        await slack.socket.until(lambda: slack.socket.live)
    finally:
        await runner.cleanup()
    opened = [c.method for c in slack.calls if c.method.startswith("apps.connections.open")]
    assert len(opened) == 2
    assert opened[-1] == "apps.connections.open"  # the second attempt got the URL


async def test_a_rate_limit_longer_than_start_up_can_wait_stops_it_at_once(
    aiohttp_server: Server, tmp_path: Path
) -> None:
    from slack_sdk.errors import SlackApiError

    from bot.app import create_app

    slack = FakeSlack()
    slack.fail("apps.connections.open", status=429, retry_after=3600, error="ratelimited")
    server = await aiohttp_server(slack.app())
    runner = web.AppRunner(create_app(socket_settings(tmp_path, server)))
    try:
        with pytest.raises(SlackApiError, match="ratelimited"):
            async with asyncio.timeout(5):
                await runner.setup()
    finally:
        await runner.cleanup()
    assert len(slack.calls) == 1
