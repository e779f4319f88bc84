"""Slack hand-off cards live in the database: they survive a restart, and one process posts each."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from tests.adapters.fake_slack import SALES, Stack, payload, start_stack
from tests.adapters.test_slack_handoff import (
    CHAT,
    DANA,
    KEY,
    LEE,
    Client,
    Server,
    card_click,
    card_updates,
    qualify_on_telegram,
    tg_text,
    thread_reply,
)
from tests.services import REDIS_URL, require_redis


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def with_reps(stack: Stack) -> Stack:
    from bot.app import STORE

    store: Any = stack.app[STORE]
    await store.add_rep("dana@acme.example", "Dana", "unused-hash", team="enterprise")
    await store.add_rep("lee@acme.example", "Lee", "unused-hash", team="enterprise")
    stack.slack.emails |= {DANA: "dana@acme.example", LEE: "lee@acme.example"}
    return stack


def cards_posted(stack: Stack) -> list[dict[str, Any]]:
    """Top-level messages in the sales channel: the hand-off cards."""
    return [p for p in stack.slack.of("chat.postMessage", channel=SALES)
            if not p.get("thread_ts")]  # fmt: skip


async def test_a_card_posted_before_a_restart_still_updates_and_relays(
    aiohttp_server: Server, aiohttp_client: Client, tmp_path: Path
) -> None:
    before = await with_reps(await start_stack(aiohttp_server, aiohttp_client, tmp_path))
    ts = await qualify_on_telegram(before)
    await before.client.close()  # the server stops: everything in its memory is gone

    after = await start_stack(aiohttp_server, aiohttp_client, tmp_path, beside=before)
    await after.slack_event(card_click(DANA, "qualibot_take"))
    await after.settle()
    assert "Taken over by *Dana*" in card_updates(after, ts)[-1]
    assert "Dana" in after.telegram.texts(CHAT)[-1]

    # The prospect's next line is mirrored into the old card's thread...
    await after.telegram_update(tg_text(900000004, "Can we start on Monday?"))
    await after.settle()
    assert after.slack.texts(SALES, thread_ts=ts)[-1] == "*Pat Lee:* Can we start on Monday?"
    # ...and Dana's reply in that thread reaches the prospect on Telegram.
    await after.slack_event(thread_reply(DANA, ts, "Monday works", 1))
    await after.settle()
    assert after.telegram.texts(CHAT)[-1] == "Dana: Monday works"

    option = {"text": {"type": "plain_text", "text": "won"}, "value": f"won|{KEY}"}
    close = card_click(DANA, "qualibot_close", selected_option=option)
    close["actions"][0]["type"] = "static_select"
    await after.slack_event(close)
    await after.settle()
    assert "Closed as *won*" in card_updates(after, ts)[-1]
    assert len(cards_posted(after)) == 1  # updated in place, never posted again


async def test_a_failed_post_is_given_back_and_a_redelivery_posts_the_card(
    aiohttp_server: Server, aiohttp_client: Client, tmp_path: Path
) -> None:
    from bot.app import SERVICE, STORE
    from bot.clock import FixedClock
    from storage.tables import OUTBOX

    stack = await with_reps(await start_stack(aiohttp_server, aiohttp_client, tmp_path))
    # A permanent error (retrying it cannot help): the post is given up at once.
    stack.slack.fail("chat.postMessage", status=404, error="channel_not_found")
    await stack.telegram_update(payload("command_start"))
    await stack.telegram_update(tg_text(900000001, "We waste hours qualifying leads by hand"))
    await stack.telegram_update(payload("callback_query"))
    await stack.telegram_update(tg_text(900000003, "I'm the CTO and we have $60k a year"))
    await stack.settle()
    assert [c.method for c in stack.slack.calls if c.method.startswith("chat.postMessage")] == [
        "chat.postMessage!404"
    ]  # the card's post failed: no card

    # The hand-off event published again (as the outbox relay does after a crash): the claim
    # was given back, so this time the card is posted.
    store: Any = stack.app[STORE]
    await store.write(lambda conn: conn.execute(update(OUTBOX).values(published_at=None)))
    service = stack.app[SERVICE]
    assert isinstance(service.clock, FixedClock)
    service.clock.advance(timedelta(minutes=1))
    assert await service.relay_outbox() > 0
    await stack.settle()
    [posted] = cards_posted(stack)
    assert "Waiting for a rep" in json.dumps(posted["blocks"])


async def test_two_processes_post_one_card_and_act_once_on_each_event(
    aiohttp_server: Server, aiohttp_client: Client, tmp_path: Path
) -> None:
    """Two app instances on one database and one Redis bus, as two server processes."""
    from bot.app import SERVICE, STORE
    from bot.clock import FixedClock
    from storage.tables import OUTBOX

    require_redis()
    first = await with_reps(await start_stack(
        aiohttp_server, aiohttp_client, tmp_path, QUALIBOT_REDIS_URL=REDIS_URL
    ))  # fmt: skip
    second = await start_stack(aiohttp_server, aiohttp_client, tmp_path, beside=first)

    async def settle() -> None:
        await first.settle()
        await second.settle()

    ts = await qualify_on_telegram(first)  # the prospect's webhook reaches the first process
    await settle()
    assert len(cards_posted(first)) == 1

    # Dana's click reaches the second process: it updates the card the first one posted.
    await second.slack_event(card_click(DANA, "qualibot_take"))
    await settle()
    assert sum("Taken over by *Dana*" in u for u in card_updates(first, ts)) == 1
    # The prospect writes (first process): one line in the thread, not one per process.
    await first.telegram_update(tg_text(900000004, "Send the contract please"))
    await settle()
    thread = first.slack.texts(SALES, thread_ts=ts)
    assert thread.count("*Pat Lee:* Send the contract please") == 1
    await second.slack_event(thread_reply(DANA, ts, "On its way", 1))
    await settle()
    assert first.telegram.texts(CHAT).count("Dana: On its way") == 1

    # The second process re-publishes the hand-off (its outbox relay, after the first crashed
    # before marking the events published): the claim is taken, so no second card.
    store: Any = second.app[STORE]
    await store.write(lambda conn: conn.execute(update(OUTBOX).values(published_at=None)))
    service = second.app[SERVICE]
    assert isinstance(service.clock, FixedClock)
    service.clock.advance(timedelta(minutes=1))
    assert await service.relay_outbox() > 0
    await settle()
    assert len(cards_posted(first)) == 1
