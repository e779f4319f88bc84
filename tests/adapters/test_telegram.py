"""Telegram: webhook posts in Telegram's shapes in, PTB's real Bot out to a stand-in Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.adapters.fake_slack import Stack, payload, start_stack

CHAT = 424242
KEY = f"telegram:{CHAT}"
GROUP = -1001234567890

Server = Callable[..., Awaitable[TestServer]]
Client = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when RetryAfter is built unless durations are opted in as timedelta."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def stack(aiohttp_server: Server, aiohttp_client: Client, tmp_path: Path) -> Stack:
    return await start_stack(aiohttp_server, aiohttp_client, tmp_path)


def text_update(update_id: int, text: str, chat: int = CHAT) -> dict[str, Any]:
    data = payload("message_private")
    data["update_id"] = update_id
    data["message"] = {**data["message"], "text": text, "message_id": update_id % 10000}
    data["message"]["chat"] = {**data["message"]["chat"], "id": chat}
    return data


def click_update(update_id: int, value: str) -> dict[str, Any]:
    data = payload("callback_query")
    data["update_id"] = update_id
    data["callback_query"] = {**data["callback_query"], "data": value, "id": f"cq{update_id}"}
    return data


async def test_full_qualification_over_the_webhook(stack: Stack) -> None:
    start = await stack.telegram_update(payload("command_start"))
    assert start.status == 200
    await stack.settle()
    greeting = stack.telegram.texts(CHAT)
    assert greeting[0].startswith("Hi! I'm Qualibot")
    assert "What brings you here" in greeting[-1]

    await stack.telegram_update(text_update(900000001, "We waste hours qualifying leads by hand"))
    await stack.settle()
    asked = stack.telegram.of("sendMessage", chat_id=CHAT)[-1]
    assert "When would you like" in asked["text"]
    buttons = [row[0] for row in asked["reply_markup"]["inline_keyboard"]]
    assert {"text": "Within 3 months", "callback_data": "tl_3m"} in buttons

    await stack.telegram_update(click_update(900000002, "tl_3m"))
    await stack.settle()
    assert stack.telegram.of("answerCallbackQuery", callback_query_id="cq900000002")
    assert stack.telegram.of("editMessageReplyMarkup", chat_id=CHAT, message_id=101)

    await stack.telegram_update(text_update(900000003, "I'm the CTO and we have $60k a year"))
    await stack.settle()
    transcript = await stack.transcript(KEY)
    assert "visitor: Within 3 months" in transcript  # the click, shown as its label
    assert "connecting you with someone from our sales team" in transcript[-1]
    card = stack.slack.of("chat.postMessage", channel="C0SALES")
    assert len(card) == 1
    assert "Hot lead" in card[0]["text"]


async def test_missing_or_wrong_secret_token_is_refused_and_nothing_happens(stack: Stack) -> None:
    missing = await stack.telegram_update(payload("command_start"), secret=None)
    wrong = await stack.telegram_update(payload("command_start"), secret="guess")
    assert (missing.status, wrong.status) == (403, 403)
    await stack.settle()
    assert stack.telegram.of("sendMessage") == []
    assert await stack.transcript(KEY) == []


async def test_a_redelivered_update_is_applied_once(stack: Stack) -> None:
    for _ in range(3):
        assert (await stack.telegram_update(payload("message_private"))).status == 200
    await stack.settle()
    transcript = await stack.transcript(KEY)
    assert transcript.count("visitor: Hello") == 1
    assert len(stack.telegram.texts(CHAT)) == 2  # greeting + first question, once


async def test_concurrent_posts_for_one_chat_apply_in_update_id_order(stack: Stack) -> None:
    updates = [text_update(900000100 + i, f"line {i}") for i in range(5)]
    responses = await asyncio.gather(*(stack.telegram_update(u) for u in reversed(updates)))
    assert [r.status for r in responses] == [200] * 5
    await stack.settle()
    visitor = [line for line in await stack.transcript(KEY) if line.startswith("visitor:")]
    assert visitor == [f"visitor: line {i}" for i in range(5)]


async def test_stop_opts_out_and_start_resumes(stack: Stack) -> None:
    await stack.telegram_update(payload("command_start"))
    await stack.telegram_update(text_update(900000005, "/stop"))
    await stack.settle()
    assert "won't message you again" in stack.telegram.texts(CHAT)[-1]
    await stack.telegram_update(text_update(900000006, "/start"))
    await stack.settle()
    assert stack.telegram.texts(CHAT)[-2].startswith("Welcome back")


async def test_help_command(stack: Stack) -> None:
    await stack.telegram_update(text_update(900000007, "/help"))
    await stack.settle()
    assert any("talk to a person" in t for t in stack.telegram.texts(CHAT))


async def test_group_chats_get_a_pointer_to_a_private_chat(stack: Stack) -> None:
    await stack.telegram_update(payload("message_group"))
    chatter = payload("message_group")
    chatter["update_id"] += 1
    chatter["message"] = {**chatter["message"], "text": "lunch anyone?", "entities": []}
    await stack.telegram_update(chatter)
    await stack.settle()
    answers = stack.telegram.of("sendMessage", chat_id=GROUP)
    assert len(answers) == 1  # the command, not the chatter
    assert "@qualibot_test_bot" in answers[0]["text"]
    assert "private chat" in answers[0]["text"]
    assert await stack.transcript(f"telegram:{GROUP}") == []


async def test_group_chats_can_be_ignored(
    aiohttp_server: Server, aiohttp_client: Client, tmp_path: Path
) -> None:
    stack = await start_stack(
        aiohttp_server, aiohttp_client, tmp_path, QUALIBOT_TELEGRAM_GROUPS="ignore"
    )
    await stack.telegram_update(payload("message_group"))
    await stack.settle()
    assert stack.telegram.of("sendMessage") == []


async def test_flood_control_429_is_retried_after_retry_after_once(stack: Stack) -> None:
    stack.telegram.fail_once("sendMessage", retry_after=7)
    started = stack.time.now
    await stack.telegram_update(text_update(900000200, "Hello"))
    await stack.settle()
    assert [c.method for c in stack.telegram.calls if "sendMessage" in c.method] == [
        "sendMessage!429", "sendMessage", "sendMessage"
    ]
    assert len(stack.telegram.texts(CHAT)) == 2  # greeting + question, each delivered once
    assert stack.time.now - started >= 7  # the retry waited (fake) retry-after seconds


async def test_a_rate_limited_chat_does_not_block_the_others(stack: Stack) -> None:
    from bot.app import TELEGRAM
    from bot.messages import ConversationKey
    from bot.state import StoredMessage
    from tests.conftest import NOW

    channel = stack.app[TELEGRAM]
    stack.telegram.fail_once("sendMessage", retry_after=5)
    for chat in (CHAT, 515151, 616161):
        lines = [StoredMessage(i, "rep", f"{chat} #{i}", NOW, author_name="Dana") for i in (1, 2)]
        await channel.send(ConversationKey("telegram", str(chat)), lines)
    await stack.settle()
    sent = [c for c in stack.telegram.calls if c.method.startswith("sendMessage")]
    assert sent[0].method == "sendMessage!429"
    assert sent[0].params["chat_id"] == CHAT
    refused_at = sent[0].at
    others = [c for c in sent if c.params["chat_id"] != CHAT]
    mine = [c for c in sent[1:] if c.params["chat_id"] == CHAT]
    # The other chats were not held up by the 5 seconds; the refused chat waited them out,
    # then got both its messages, in order, once each.
    for chat in (515151, 616161):
        assert stack.telegram.texts(chat) == [f"Dana: {chat} #1", f"Dana: {chat} #2"]
    assert all(c.at < refused_at + 5 for c in others)
    assert [c.params["text"] for c in mine] == [f"Dana: {CHAT} #1", f"Dana: {CHAT} #2"]
    assert all(c.at >= refused_at + 5 for c in mine)


async def test_long_messages_are_split_at_4096_utf16_units(stack: Stack) -> None:
    from adapters.split_text import utf16_length
    from bot.app import TELEGRAM
    from bot.messages import ConversationKey
    from bot.state import StoredMessage
    from tests.conftest import NOW

    text = ("Paragraph with an emoji 🚀 " * 60 + "\n\n") * 4  # ~6,500 chars, more in UTF-16
    message = StoredMessage(seq=1, author="rep", text=text, at=NOW, author_name="Dana")
    await stack.app[TELEGRAM].send(ConversationKey("telegram", str(CHAT)), [message])
    await stack.settle()
    pieces = stack.telegram.texts(CHAT)
    assert len(pieces) == 2
    assert all(utf16_length(p) <= 4096 for p in pieces)
    assert pieces[0].startswith("Dana: Paragraph")
    assert "".join(pieces).replace("\n", "").replace(" ", "") == (
        "Dana: " + text
    ).replace("\n", "").replace(" ", "")



async def test_polling_mode_takes_updates_without_a_webhook(
    aiohttp_server: Server, aiohttp_client: Client, tmp_path: Path
) -> None:
    stack = await start_stack(
        aiohttp_server, aiohttp_client, tmp_path,
        QUALIBOT_TELEGRAM_MODE="polling", QUALIBOT_TELEGRAM_SECRET_TOKEN="",
    )
    assert (await stack.telegram_update(payload("command_start"))).status == 404  # no route
    stack.telegram.updates.append(payload("command_start"))
    for _ in range(100):
        await stack.settle()
        if stack.telegram.texts(CHAT):
            break
    assert stack.telegram.of("deleteWebhook")
    assert stack.telegram.texts(CHAT)[0].startswith("Hi! I'm Qualibot")


async def _replies_after_failures(stack: Stack, update_id: int) -> list[str]:
    """Say hello; the methods of the sendMessage calls the stand-in saw, failed ones marked."""
    await stack.telegram_update(text_update(update_id, "Hello"))
    await stack.settle()
    return [c.method for c in stack.telegram.calls if c.method.startswith("sendMessage")]


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "description": "Internal Server Error"},
        {"status": 502, "description": "Bad Gateway"},
        {"drop": True},
    ],
    ids=["500", "502", "dropped-connection"],
)
async def test_transient_send_failures_are_retried_and_the_prospect_gets_every_reply_in_order(
    stack: Stack, failure: dict[str, Any]
) -> None:
    stack.telegram.fail("sendMessage", times=3, **failure)
    methods = await _replies_after_failures(stack, 900000300)
    tag = "drop" if failure.get("drop") else str(failure["status"])
    assert methods == [f"sendMessage!{tag}"] * 3 + ["sendMessage", "sendMessage"]
    replies = stack.telegram.texts(CHAT)
    assert len(replies) == 2  # greeting then question, each once, in order
    assert replies[0].startswith("Hi! I'm Qualibot")
    assert "What brings you here" in replies[1]
    tried = [c for c in stack.telegram.calls if c.method.startswith("sendMessage")]
    assert {c.params["text"] for c in tried[:4]} == {replies[0]}  # the greeting, retried


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (403, "Forbidden: bot was blocked by the user"),
        (400, "Bad Request: chat not found"),
        (400, "Bad Request: message is too long"),
    ],
)
async def test_permanent_send_failures_are_not_retried_and_are_logged_with_the_chat(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, status: int, description: str
) -> None:
    import adapters.outbound

    given_up: list[dict[str, Any]] = []
    monkeypatch.setattr(adapters.outbound.log, "error", lambda event, **kw: given_up.append(kw))
    stack.telegram.fail("sendMessage", status=status, description=description)
    methods = await _replies_after_failures(stack, 900000400)
    assert methods == [f"sendMessage!{status}", "sendMessage"]  # one try; the next reply goes
    tried = [c for c in stack.telegram.calls if c.method.startswith("sendMessage")]
    assert tried[0].params["text"] != tried[1].params["text"]
    assert len(given_up) == 1
    assert given_up[0]["lane"] == str(CHAT)
    assert description.partition(": ")[2].lower() in given_up[0]["error"].lower()
    assert (given_up[0]["verdict"], given_up[0]["attempts"]) == ("permanent", 1)
    assert (await stack.transcript(KEY))[1].startswith("bot: Hi! I'm Qualibot")  # still stored
