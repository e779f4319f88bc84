"""Slack prospects: signed requests built from recorded payloads, replies at a stand-in Web API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.adapters.fake_slack import (
    Stack,
    blocks_of,
    event_body,
    payload,
    sign,
    start_stack,
)

DM = "D0PROSPECT"
DM_KEY = f"slack:T0001:{DM}:"
Server = Callable[..., Awaitable[TestServer]]
Client = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
async def stack(aiohttp_server: Server, aiohttp_client: Client, tmp_path: Path) -> Stack:
    return await start_stack(aiohttp_server, aiohttp_client, tmp_path)


def dm(n: int, text: str) -> dict[str, Any]:
    return payload("message_im", text=text, ts=f"1763805600.{n:06d}", event_id=f"EvDM{n:08d}")


def click(value: str, label: str, message_ts: str = "1700000000.000002") -> dict[str, Any]:
    data = payload("block_actions_reply")
    data["actions"][0] |= {"value": value, "text": {"type": "plain_text", "text": label}}
    data["actions"][0]["action_ts"] = f"{time.time():.6f}"
    data["message"]["ts"] = message_ts
    return data


async def test_full_qualification_in_a_direct_message(stack: Stack) -> None:
    assert (await stack.slack_event(dm(1, "Hello"))).status == 200
    await stack.settle()
    assert "What brings you here" in stack.slack.texts(DM)[-1]

    await stack.slack_event(dm(2, "We waste hours qualifying leads by hand"))
    await stack.settle()
    asked = stack.slack.of("chat.postMessage", channel=DM)[-1]
    assert "When would you like" in asked["text"]
    buttons = blocks_of(asked)[1]["elements"]
    assert {"value": "tl_3m", "text": "Within 3 months"} in [
        {"value": b["value"], "text": b["text"]["text"]} for b in buttons
    ]
    asked_ts = stack.slack.of("chat.postMessage", channel=DM).index(asked) + 1

    clicked = click("tl_3m", "Within 3 months", f"1700000000.{asked_ts:06d}")
    answer = await stack.slack_event(clicked)
    assert answer.status == 200
    await stack.settle()
    update = stack.slack.of("chat.update", channel=DM)
    assert update
    assert "Within 3 months" in json.dumps(update[-1]["blocks"])  # buttons became the answer

    await stack.slack_event(dm(3, "I'm the CTO and we have $60k a year"))
    await stack.settle()
    transcript = await stack.transcript(DM_KEY)
    assert "visitor: Within 3 months" in transcript
    assert "connecting you with someone from our sales team" in transcript[-1]
    card = stack.slack.of("chat.postMessage", channel="C0SALES")
    assert len(card) == 1
    text = json.dumps(blocks_of(card[0]))
    for words in ("Hot lead on Slack", "$60,000 a year", "CTO (decision maker)", "score *105*",
                  "enterprise", "Take over"):
        assert words in text


@pytest.mark.parametrize(
    "case",
    ["forged", "changed", "unsigned", "stale", "future"],
)
async def test_bad_signatures_are_refused_and_change_nothing(stack: Stack, case: str) -> None:
    body, content_type = event_body(dm(1, "Hello"))
    headers = {"Content-Type": content_type}
    if case == "forged":
        headers |= sign(body, secret="not-the-signing-secret")
    elif case == "changed":
        headers |= sign(body)
        body = body.replace("Hello", "Hellp")
    elif case == "stale":
        headers |= sign(body, at=time.time() - 301)
    elif case == "future":
        headers |= sign(body, at=time.time() + 301)
    response = await stack.client.post("/slack/events", data=body, headers=headers)
    assert response.status == 401
    await stack.settle()
    assert stack.slack.of("chat.postMessage") == []
    assert await stack.transcript(DM_KEY) == []


async def test_url_verification_challenge(stack: Stack) -> None:
    response = await stack.slack_event(payload("url_verification"))
    assert response.status == 200
    assert (await response.json())["challenge"].startswith("3eZbrw1aBm2")


async def test_a_retry_of_a_handled_event_is_a_no_op(stack: Stack) -> None:
    event = dm(1, "Hello")
    await stack.slack_event(event)
    await stack.settle()
    for retry in (1, 2):
        assert (await stack.slack_event(event, retry=retry)).status == 200
    await stack.settle()
    assert len(stack.slack.texts(DM)) == 2  # greeting + question, once
    assert (await stack.transcript(DM_KEY)).count("visitor: Hello") == 1


async def test_a_retry_whose_first_delivery_failed_is_handled_once(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.app import SERVICE

    service = stack.app[SERVICE]
    real = service.receive
    failures = [RuntimeError("database went away")]

    async def flaky(inbound: Any) -> Any:
        if failures:
            raise failures.pop()
        return await real(inbound)

    monkeypatch.setattr(service, "receive", flaky)
    event = dm(1, "Hello")
    await stack.slack_event(event)  # acked, then failed: rolled back, nothing stored
    await stack.settle()
    assert await stack.transcript(DM_KEY) == []
    await stack.slack_event(event, retry=1)
    await stack.slack_event(event, retry=2)
    await stack.settle()
    assert (await stack.transcript(DM_KEY)).count("visitor: Hello") == 1
    assert len(stack.slack.texts(DM)) == 2


async def test_slack_is_answered_at_once_while_the_database_is_slow(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.app import SERVICE

    service = stack.app[SERVICE]
    real, release = service.receive, asyncio.Event()

    async def slow(inbound: Any) -> Any:
        await release.wait()
        return await real(inbound)

    monkeypatch.setattr(service, "receive", slow)
    async with asyncio.timeout(2):  # Slack gives up (and retries) after 3 seconds
        response = await stack.slack_event(dm(1, "Hello"))
    assert response.status == 200
    assert stack.slack.of("chat.postMessage") == []  # the work has not happened yet
    release.set()
    await stack.settle()
    assert len(stack.slack.texts(DM)) == 2


async def test_a_mention_starts_a_thread_conversation(stack: Stack) -> None:
    await stack.slack_event(payload("app_mention"))
    await stack.settle()
    root = "1763805700.000200"
    key = f"slack:T0001:C0COMMUNITY:{root}"
    replies = stack.slack.of("chat.postMessage", channel="C0COMMUNITY")
    assert replies
    assert all(r["thread_ts"] == root for r in replies)
    assert (await stack.transcript(key))[0] == "visitor: hi, we need help qualifying leads"

    await stack.slack_event(payload("message_thread"))  # no mention needed inside the thread
    elsewhere = payload("message_thread", thread_ts="1763800000.000001", event_id="EvOther")
    await stack.slack_event(elsewhere)  # a thread the bot is not in: ignored
    await stack.settle()
    assert "visitor: Within 3 months" in await stack.transcript(key)
    assert await stack.transcript("slack:T0001:C0COMMUNITY:1763800000.000001") == []


async def test_rate_limited_post_is_retried_after_retry_after_once(stack: Stack) -> None:
    stack.slack.fail_once("chat.postMessage", retry_after=4)
    await stack.slack_event(dm(1, "Hello"))
    await stack.settle()
    posts = [c for c in stack.slack.calls if c.method.startswith("chat.postMessage")]
    assert [c.method for c in posts] == [
        "chat.postMessage!429", "chat.postMessage", "chat.postMessage"
    ]
    assert posts[1].params["text"] == posts[0].params["text"]  # the same message, once
    assert posts[1].at - posts[0].at >= 4


async def test_long_messages_are_split_into_section_sized_pieces(stack: Stack) -> None:
    from adapters.slack_blocks import to_messages
    from bot.app import SLACK
    from bot.messages import ConversationKey, QuickReply
    from bot.state import StoredMessage
    from tests.conftest import NOW

    text = "\n\n".join(f"Paragraph {i}: " + "word " * 99 + "end." for i in range(15))  # 7.8k
    line = StoredMessage(1, "bot", text, NOW, quick_replies=(QuickReply("Yes", "yes"),))
    pieces = to_messages(line)
    assert len(pieces) == 3
    assert all(len(p["text"]) <= 3000 for p in pieces)
    assert "blocks" in pieces[-1]
    assert all("blocks" not in p for p in pieces[:-1])
    assert "\n\n".join(p["text"] for p in pieces) == text  # cut at paragraphs, nothing lost
    await stack.app[SLACK].send(ConversationKey("slack", DM_KEY[6:]), [line])
    await stack.settle()
    assert stack.slack.texts(DM) == [p["text"] for p in pieces]


def _posts(stack: Stack) -> list[Any]:
    return [c for c in stack.slack.calls if c.method.startswith("chat.postMessage")]


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, "internal_error"), (503, "service_unavailable"), (200, "internal_error")],
)
async def test_transient_post_failures_are_retried_and_the_prospect_gets_every_reply_in_order(
    stack: Stack, status: int, error: str
) -> None:
    stack.slack.fail("chat.postMessage", times=3, status=status, error=error)
    await stack.slack_event(dm(1, "Hello"))
    await stack.settle()
    posts = _posts(stack)
    assert [c.method for c in posts] == [f"chat.postMessage!{status}"] * 3 + [
        "chat.postMessage", "chat.postMessage"
    ]
    assert {c.params["text"] for c in posts[:4]} == {posts[0].params["text"]}  # one, retried
    replies = stack.slack.texts(DM)
    assert len(replies) == 2  # greeting then question, each once, in order
    assert "What brings you here" in replies[1]
    assert posts[3].at - posts[0].at >= (1 + 2 + 4) * 0.75  # backed off (fake time), jittered


@pytest.mark.parametrize(
    ("status", "error"),
    [(200, "channel_not_found"), (200, "not_in_channel"), (200, "invalid_auth"),
     (400, "invalid_arguments")],
)
async def test_permanent_post_failures_are_not_retried_and_are_logged_with_the_channel(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, status: int, error: str
) -> None:
    import adapters.outbound

    given_up: list[dict[str, Any]] = []
    monkeypatch.setattr(adapters.outbound.log, "error", lambda event, **kw: given_up.append(kw))
    stack.slack.fail("chat.postMessage", status=status, error=error)
    await stack.slack_event(dm(1, "Hello"))
    await stack.settle()
    posts = _posts(stack)
    assert [c.method for c in posts] == [f"chat.postMessage!{status}", "chat.postMessage"]
    assert posts[0].params["text"] != posts[1].params["text"]  # the next reply, not a retry
    assert len(given_up) == 1
    assert given_up[0]["lane"] == DM
    assert error in given_up[0]["error"]
    assert (given_up[0]["verdict"], given_up[0]["attempts"]) == ("permanent", 1)


async def test_a_dropped_connection_is_retried(stack: Stack) -> None:
    """slack_sdk retries a dropped connection once itself (a real ~1 s wait), then we do."""
    stack.slack.fail("chat.postMessage", times=2, drop=True)
    await stack.slack_event(dm(1, "Hello"))
    await stack.settle()
    assert [c.method for c in _posts(stack)] == ["chat.postMessage!drop"] * 2 + [
        "chat.postMessage", "chat.postMessage"
    ]
    replies = stack.slack.texts(DM)
    assert len(replies) == 2
    assert "What brings you here" in replies[1]
