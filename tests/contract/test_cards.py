"""Cards contract: a hand-off's card in a reps' room, found by key or by thread; one poster."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.messages import ConversationKey
from bot.state import Card
from storage import open_store
from storage.engine import make_engine
from storage.tables import CARDS
from tests.contract.conftest import STORES, sql_url
from tests.contract.test_desk import KEY, OTHER, end, queue
from tests.contract.test_store import T0, first_contact

ROOM, OTHER_ROOM = "C0SALES", "C0OTHER"
WAIT = timedelta(minutes=5)
HEAD = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Jane Roe* (Acme)"}}]


async def test_a_claimed_card_is_found_once_placed(store: Any) -> None:
    await queue(store)
    handoff = await store.claim_card(KEY, ROOM, T0, WAIT)
    assert handoff is not None
    # Claimed but not yet posted: nothing to update, no thread to route.
    assert await store.card_for(KEY, ROOM) is None
    await store.place_card(handoff, ROOM, "1700000000.000001", HEAD)
    card = Card(handoff, KEY, ROOM, "1700000000.000001", HEAD)
    assert await store.card_for(KEY, ROOM) == card
    assert await store.card_at(ROOM, "1700000000.000001") == card
    assert await store.card_at(ROOM, "1700000000.000002") is None
    assert await store.card_at(OTHER_ROOM, "1700000000.000001") is None
    assert await store.card_for(KEY, OTHER_ROOM) is None


async def test_one_claim_per_handoff_and_room(store: Any) -> None:
    await queue(store)
    await queue(store, OTHER)
    handoff = await store.claim_card(KEY, ROOM, T0, WAIT)
    assert handoff is not None
    assert await store.claim_card(KEY, ROOM, T0, WAIT) is None  # a second poster skips
    await store.place_card(handoff, ROOM, "1.1", HEAD)
    assert await store.claim_card(KEY, ROOM, T0 + WAIT * 10, WAIT) is None  # posted: for good
    assert await store.claim_card(OTHER, ROOM, T0, WAIT) not in (None, handoff)
    assert await store.claim_card(KEY, OTHER_ROOM, T0, WAIT) == handoff  # another room


async def test_no_handoff_no_claim(store: Any) -> None:
    await first_contact(store)
    assert await store.claim_card(KEY, ROOM, T0, WAIT) is None
    assert await store.claim_card(ConversationKey("widget", "nobody"), ROOM, T0, WAIT) is None
    assert await store.card_for(KEY, ROOM) is None


async def test_a_second_handoff_gets_a_card_of_its_own(store: Any) -> None:
    cid = await queue(store)
    first = await store.claim_card(KEY, ROOM, T0, WAIT)
    await store.place_card(first, ROOM, "1.1", HEAD)
    await end(store, cid, "handed_back", None)
    await queue(store, at=T0 + timedelta(hours=1))
    assert await store.card_for(KEY, ROOM) is None  # the old card is not this hand-off's
    second = await store.claim_card(KEY, ROOM, T0 + timedelta(hours=1), WAIT)
    assert second is not None
    assert second != first
    await store.place_card(second, ROOM, "2.2", HEAD)
    assert (await store.card_for(KEY, ROOM)).message_id == "2.2"
    # A rep replying in the old card's thread still reaches the same conversation.
    assert (await store.card_at(ROOM, "1.1")).key == KEY


async def test_a_released_claim_can_be_won_again(store: Any) -> None:
    await queue(store)
    handoff = await store.claim_card(KEY, ROOM, T0, WAIT)
    await store.release_card(handoff, ROOM)  # the post failed
    assert await store.claim_card(KEY, ROOM, T0, WAIT) == handoff
    await store.place_card(handoff, ROOM, "1.1", HEAD)
    await store.release_card(handoff, ROOM)  # too late: a posted card stays
    assert (await store.card_for(KEY, ROOM)).message_id == "1.1"


async def test_an_abandoned_claim_can_be_won_after_the_wait(store: Any) -> None:
    await queue(store)
    handoff = await store.claim_card(KEY, ROOM, T0, WAIT)  # then its process died
    assert await store.claim_card(KEY, ROOM, T0 + WAIT, WAIT) is None
    assert await store.claim_card(KEY, ROOM, T0 + WAIT + timedelta(seconds=1), WAIT) == handoff
    assert await store.claim_card(KEY, ROOM, T0 + WAIT * 2, WAIT) is None  # renewed by that win


@pytest.fixture(params=STORES)
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[Any]]:
    """Eight stores on one database, as eight processes would have (memory: one store)."""
    if request.param == "memory":
        from storage.memory import MemoryStore

        yield [MemoryStore()] * 8
        return
    async with sql_url(request.param, tmp_path) as (url, schema), AsyncExitStack() as stack:
        opened = [await open_store(url, migrate=True, schema=schema)]
        stack.push_async_callback(opened[0].close)
        for _ in range(7):
            opened.append(await open_store(url, migrate=False, schema=schema))
            stack.push_async_callback(opened[-1].close)
        yield opened


async def test_eight_processes_claiming_at_once_exactly_one_wins(stores: list[Any]) -> None:
    await queue(stores[0])
    wins = await asyncio.wait_for(
        asyncio.gather(*(s.claim_card(KEY, ROOM, T0, WAIT) for s in stores)), 30
    )
    winners = [w for w in wins if w is not None]
    assert len(winners) == 1
    await stores[wins.index(winners[0])].place_card(winners[0], ROOM, "1.1", HEAD)
    for s in stores:  # every process finds the one card
        assert (await s.card_for(KEY, ROOM)).message_id == "1.1"


@pytest.mark.postgres
async def test_claims_waiting_on_an_uncommitted_rival_one_wins_when_it_rolls_back(
    tmp_path: Path,
) -> None:
    """Claims wait on a rival's uncommitted row; when it rolls back exactly one of them wins."""
    async with sql_url("postgres", tmp_path) as (url, schema):
        store = await open_store(url, migrate=True, schema=schema)
        try:
            await queue(store)
            handoff = await store.claim_card(KEY, ROOM, T0, WAIT)
            await store.release_card(handoff, ROOM)
            rival = make_engine(url, schema=schema)  # another process, mid-claim
            try:
                async with rival.connect() as conn:
                    row = {"handoff_id": handoff, "room": ROOM, "claimed_at": T0}
                    await conn.execute(CARDS.insert(), row)
                    claims = [asyncio.ensure_future(store.claim_card(KEY, ROOM, T0, WAIT))
                              for _ in range(5)]  # fmt: skip
                    await _until_waiting(store, 5)
                    assert not any(c.done() for c in claims)
                    await conn.rollback()  # its post failed before it committed
            finally:
                await rival.dispose()
            wins = await asyncio.wait_for(asyncio.gather(*claims), 30)
            assert wins.count(handoff) == 1
            assert wins.count(None) == 4
        finally:
            await store.close()


async def _until_waiting(store: Any, count: int) -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO cards%'"
    )
    for _ in range(500):
        if await store.read(lambda conn: conn.execute(waiting).scalar_one()) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} claims ever waited on the rival's row")
