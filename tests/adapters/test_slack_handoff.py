"""A Telegram prospect's hot lead, taken over by a rep in Slack, with replies relayed both ways."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.adapters.fake_slack import SALES, Stack, blocks_of, payload, start_stack

CHAT = 424242
KEY = f"telegram:{CHAT}"
DANA, LEE, OUTSIDER = "UREP0001", "UREP0002", "UOUTSIDE"
Server = Callable[..., Awaitable[TestServer]]
Client = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def stack(aiohttp_server: Server, aiohttp_client: Client, tmp_path: Path) -> Stack:
    from bot.app import STORE

    stack = await start_stack(aiohttp_server, aiohttp_client, tmp_path)
    store: Any = stack.app[STORE]
    await store.add_rep("dana@acme.example", "Dana", "unused-hash", team="enterprise")
    await store.add_rep("lee@acme.example", "Lee", "unused-hash", team="enterprise")
    stack.slack.emails |= {
        DANA: "Dana@Acme.example", LEE: "lee@acme.example", OUTSIDER: "sam@acme.example"
    }
    return stack


def tg_text(update_id: int, text: str) -> dict[str, Any]:
    data = payload("message_private")
    data["update_id"] = update_id
    data["message"] = {**data["message"], "text": text, "message_id": update_id % 1000}
    return data


def card_click(user: str, action: str, value: str = KEY, **extra: Any) -> dict[str, Any]:
    data = payload("block_actions_card")
    data["user"] = {**data["user"], "id": user}
    data["actions"][0] = {**data["actions"][0], "action_id": action, "value": value, **extra}
    data["actions"][0]["action_ts"] = f"{time.time():.6f}"
    return data


def thread_reply(user: str, thread_ts: str, text: str, n: int) -> dict[str, Any]:
    return payload(
        "message_thread", channel=SALES, user=user, thread_ts=thread_ts, text=text,
        ts=f"1763807000.{n:06d}", team="T0001", event_id=f"EvSales{n:06d}",
    )


async def qualify_on_telegram(stack: Stack) -> str:
    """Play a hot lead on Telegram; returns the Slack card's ts."""
    await stack.telegram_update(payload("command_start"))
    await stack.telegram_update(tg_text(900000001, "We waste hours qualifying leads by hand"))
    click = payload("callback_query")
    await stack.telegram_update(click)
    await stack.telegram_update(tg_text(900000003, "I'm the CTO and we have $60k a year"))
    await stack.settle()
    cards = [c for c in stack.slack.calls
             if c.method == "chat.postMessage" and c.params["channel"] == SALES]
    assert len(cards) == 1
    return str(cards[0].result["ts"])


def card_updates(stack: Stack, ts: str) -> list[str]:
    return [json.dumps(blocks_of(p)) for p in stack.slack.of("chat.update", channel=SALES, ts=ts)]


def whispers(stack: Stack, user: str) -> list[str]:
    return [p["text"] for p in stack.slack.of("chat.postEphemeral", channel=SALES, user=user)]


async def test_take_over_relay_both_ways_and_hand_back(stack: Stack) -> None:
    ts = await qualify_on_telegram(stack)

    # Someone who is not a rep is told how to become one; nothing changes.
    await stack.slack_event(card_click(OUTSIDER, "qualibot_take"))
    await stack.settle()
    assert "qualibot reps add sam@acme.example" in whispers(stack, OUTSIDER)[-1]
    assert card_updates(stack, ts) == []

    # Dana takes it over: the prospect hears so on Telegram, the card says so.
    await stack.slack_event(card_click(DANA, "qualibot_take"))
    await stack.settle()
    assert "Dana" in stack.telegram.texts(CHAT)[-1]
    assert "Taken over by *Dana*" in card_updates(stack, ts)[-1]
    assert "qualibot_hand_back" in card_updates(stack, ts)[-1]

    # The prospect writes on Telegram: mirrored into the card's thread; the bot stays quiet.
    sent_before = len(stack.telegram.texts(CHAT))
    await stack.telegram_update(tg_text(900000004, "Can you do 10% off for two years?"))
    await stack.settle()
    mirrored = stack.slack.texts(SALES, thread_ts=ts)
    assert mirrored[-1] == "*Pat Lee:* Can you do 10% off for two years?"
    assert len(stack.telegram.texts(CHAT)) == sent_before

    # Dana answers in the thread: it reaches the prospect on Telegram, by name.
    await stack.slack_event(thread_reply(DANA, ts, "Yes &amp; we can start next week", 1))
    await stack.settle()
    assert stack.telegram.texts(CHAT)[-1] == "Dana: Yes & we can start next week"
    # A rep who does not own it is not relayed, and is told why.
    await stack.slack_event(thread_reply(LEE, ts, "I can help too", 2))
    await stack.settle()
    assert stack.telegram.texts(CHAT)[-1] == "Dana: Yes & we can start next week"
    assert "only the rep who took it over" in whispers(stack, LEE)[-1]
    transcript = await stack.transcript(KEY)
    assert transcript[-2:] == [
        "visitor: Can you do 10% off for two years?", "rep: Yes & we can start next week"
    ]

    # Hand back: the card says so, the prospect hears the bot again.
    await stack.slack_event(card_click(DANA, "qualibot_hand_back"))
    await stack.settle()
    assert "Handed back to the bot by *Dana*" in card_updates(stack, ts)[-1]
    assert "Take over" not in card_updates(stack, ts)[-1]
    assert any("Dana" in t for t in stack.telegram.texts(CHAT)[-3:])


async def test_close_with_an_outcome(stack: Stack) -> None:
    ts = await qualify_on_telegram(stack)
    await stack.slack_event(card_click(DANA, "qualibot_take"))
    await stack.settle()
    option = {"text": {"type": "plain_text", "text": "won"}, "value": f"won|{KEY}"}
    close = card_click(DANA, "qualibot_close", selected_option=option)
    close["actions"][0]["type"] = "static_select"
    await stack.slack_event(close)
    await stack.settle()
    assert "Closed as *won*" in card_updates(stack, ts)[-1]


async def test_two_reps_clicking_at_once_exactly_one_wins(stack: Stack) -> None:
    ts = await qualify_on_telegram(stack)
    await asyncio.gather(
        stack.slack_event(card_click(DANA, "qualibot_take")),
        stack.slack_event(card_click(LEE, "qualibot_take")),
    )
    await stack.settle()
    claimed = [u for u in card_updates(stack, ts) if "Taken over by" in u]
    assert len(claimed) == 1
    loser = LEE if "Dana" in claimed[0] else DANA
    assert "Someone else has it already" in whispers(stack, loser)[-1]
