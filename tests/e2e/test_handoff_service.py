"""The hand-off through the real service: SLA fallback, ownership, hand-back, close, claim race."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.flow import Flow
from bot.inprocess import MemoryBus, MemoryLocks
from bot.messages import ConversationKey
from bot.service import Service
from bot.state import Rep
from tests.conftest import Chat
from tests.contract.conftest import STORES, empty_store

DANA = Rep(1, "dana@example.com", "Dana", "sales", False, False, "online", 3, "x")
LEE = Rep(2, "lee@example.com", "Lee", "sales", False, False, "online", 3, "x")


async def queued(chat: Chat) -> None:
    await chat.open()
    await chat.say("can I talk to a person?")
    assert (await chat.snapshot()).owner == "queued"


async def test_unclaimed_handoff_gets_the_fallback_and_a_late_claim_still_joins(
    chat: Chat, clock: FixedClock, flow: Flow
) -> None:
    await queued(chat)
    clock.advance(timedelta(seconds=flow.spec.routing.sla_seconds - 1))
    assert await chat.service.tick() == 0  # not due yet: nobody is told anything early
    clock.advance(timedelta(seconds=2))
    assert await chat.service.tick() == 1
    said = [m.text for m in await chat.service.store.transcript(chat.key)][-2:]
    assert said[0] == flow.spec.routing.say.no_answer
    assert flow.spec.routing.meeting_link in said[1]
    assert (await chat.snapshot()).owner == "queued"  # the hand-off stays queued
    assert await chat.service.tick() == 0  # the fallback is said once
    replies = await chat.say("sure, it's jane@acme.com")
    assert replies == [flow.spec.routing.say.follow_up.format(email="jane@acme.com")]
    assert await chat.service.claim(chat.key, DANA)
    last = (await chat.service.store.transcript(chat.key))[-1]
    assert (last.author, last.text) == ("system", "Dana joined the conversation.")


async def test_bot_is_silent_while_a_rep_owns_the_conversation(chat: Chat) -> None:
    await queued(chat)
    assert await chat.service.claim(chat.key, DANA)
    assert await chat.say("hello? what does it cost?") == []
    assert await chat.say("help") == []
    message = await chat.service.rep_say(chat.key, DANA, "Hi, I'm Dana. Happy to help!", "r1")
    assert message is not None
    assert (message.author, message.author_name) == ("rep", "Dana")
    assert await chat.service.rep_say(chat.key, LEE, "me too", "r2") is None  # not Lee's lead
    authors = [m.author for m in await chat.service.store.transcript(chat.key)][-4:]
    assert authors == ["system", "visitor", "visitor", "rep"]


async def test_hand_back_resumes_the_open_questions(chat: Chat, flow: Flow) -> None:
    await chat.open()
    await chat.say("We waste hours qualifying leads by hand")
    await chat.say("can I talk to someone?")
    assert await chat.service.claim(chat.key, DANA)
    reply = await chat.service.hand_back(chat.key, DANA)
    texts = [m.text for m in reply.messages]
    assert texts == [
        "Dana left the conversation.",
        flow.spec.say.resumed,
        flow.questions["timeline"].ask,
    ]
    snapshot = await chat.snapshot()
    assert (snapshot.owner, snapshot.state) == ("bot", "ask_timeline")
    assert await chat.say("within 3 months")  # the bot answers again


async def test_close_with_an_outcome_ends_the_conversation(chat: Chat, flow: Flow) -> None:
    await queued(chat)
    assert await chat.service.claim(chat.key, DANA)
    assert (await chat.service.close(chat.key, LEE, "won")).messages == ()  # not Lee's to close
    reply = await chat.service.close(chat.key, DANA, "won")
    assert [m.text for m in reply.messages][-1] == flow.spec.routing.say.closed
    snapshot = await chat.snapshot()
    assert (snapshot.owner, snapshot.state) == ("bot", "closed")


async def test_a_second_claim_loses(chat: Chat) -> None:
    await queued(chat)
    assert await chat.service.claim(chat.key, DANA)
    assert not await chat.service.claim(chat.key, LEE)


async def test_hand_off_is_routed_by_the_flows_rules_with_a_reason(chat: Chat) -> None:
    subscription = await chat.service.bus.subscribe("events")
    await chat.open()
    await chat.say("We waste hours qualifying leads by hand")
    await chat.say("I'm the CTO, budget is $60k a year and we need it within 2 months")
    routed = []
    async with asyncio.timeout(5):
        async for event in subscription:
            if event["event"] == "handoff_routed":
                routed.append(event)
                break
    await subscription.close()
    assert routed[0]["team"] == "enterprise"
    assert "rule 'Budget of $50k+ goes to enterprise'" in routed[0]["route_reason"]
    assert routed[0]["sla_due_at"] is not None


@pytest.fixture(params=STORES)
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    async with empty_store(request.param, tmp_path) as store:
        yield store


async def test_twenty_simultaneous_claims_exactly_one_wins(
    any_store: Any, flow: Flow, clock: FixedClock
) -> None:
    # Separate lock registries: as if each rep's click reached a different server process, so
    # only the database's conditional UPDATE can decide.
    services = [Service(flow, any_store, MemoryBus(), MemoryLocks(), clock) for _ in range(20)]
    chat = Chat(services[0], ConversationKey("widget", "race"))
    await queued(chat)
    reps = [
        await any_store.add_rep(f"r{i}@x.com", f"Rep {i}", "x", team="sales") for i in range(1, 21)
    ]
    wins = await asyncio.gather(
        *(s.claim(chat.key, r) for s, r in zip(services, reps, strict=True))
    )
    assert sum(wins) == 1
    joined = [m.text for m in await any_store.transcript(chat.key) if m.author == "system"]
    assert joined == [f"{reps[wins.index(True)].name} joined the conversation."]


async def test_after_a_hand_back_the_next_answer_does_not_queue_the_lead_again(
    chat: Chat, flow: Flow
) -> None:
    await chat.open()
    await chat.say("We waste hours qualifying leads by hand")
    await chat.say("I'm the CTO, budget is $60k a year and we need it within 2 months")
    assert (await chat.snapshot()).owner == "queued"
    assert await chat.service.claim(chat.key, DANA)
    await chat.service.hand_back(chat.key, DANA)
    replies = await chat.say("about 40 people")
    assert flow.spec.handoff.message not in replies
    assert (await chat.snapshot()).owner == "bot"
    assert await chat.say("actually can I talk to a person again?") == [flow.spec.handoff.message]


async def test_a_lead_is_routed_by_country(chat: Chat) -> None:
    subscription = await chat.service.bus.subscribe("events")
    await chat.open()
    await chat.say("We're based in Dublin, Ireland and lose leads at night")
    await chat.say("can I talk to someone?")
    async with asyncio.timeout(5):
        async for event in subscription:
            if event["event"] == "handoff_routed":
                break
    await subscription.close()
    assert event["team"] == "emea"
    assert "European leads go to EMEA" in event["route_reason"]
