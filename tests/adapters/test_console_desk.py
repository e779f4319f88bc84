"""What a rep does in the console, end to end: a widget visitor on one side, reps on the other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import SERVICE, STORE
from bot.messages import ConversationKey, Inbound
from bot.state import Turn
from tests.adapters.conftest import Connect, Socket
from tests.adapters.console_client import Browser, Browsers, add_rep, key_of, open_browsers, qualify

HOSTILE = "<img src=x onerror=alert(1)>"
NEXT_QUESTION = "How many people work at your company?"


@pytest.fixture
async def browsers(client: TestClient[Any, Any]) -> AsyncIterator[Browsers]:
    async for b in open_browsers(client):
        yield b


@pytest.fixture
async def dana(client: TestClient[Any, Any], browsers: Browsers) -> Browser:
    await add_rep(client.app, "dana@example.com", "Dana Scully", team="enterprise")
    return await browsers.signed_in("dana@example.com")


@pytest.fixture
async def fox(client: TestClient[Any, Any], browsers: Browsers) -> Browser:
    await add_rep(client.app, "fox@example.com", "Fox Mulder", team="enterprise")
    return await browsers.signed_in("fox@example.com")


@pytest.fixture
async def lead(connect: Connect) -> AsyncIterator[Socket]:
    sock = await qualify(connect)
    yield sock
    await sock.close()


async def rep_lines(sock: Socket, until_text: str) -> list[dict[str, Any]]:
    """Frames pushed to the visitor (no request of theirs pending) up to one containing text."""
    frames = []
    while True:
        frame = await sock.recv()
        frames.append(frame)
        if until_text in frame.get("text", ""):
            return frames


async def test_a_hot_lead_is_in_the_queue_with_its_evidence(dana: Browser, lead: Socket) -> None:
    status, queue = await dana.get("/queue")
    assert status == 200
    [item] = queue["items"]
    assert item["key"] == key_of(lead)
    assert (item["status"], item["stage"], item["channel"]) == ("queued", "SQL", "widget")
    assert item["sla_due_at"] is not None  # the countdown runs from here
    assert item["team"] == "enterprise"
    view = await dana.view(item["key"])
    assert view["owner"] == "queued"
    slots = {s["slot"]: s for s in view["evidence"]["slots"]}
    assert slots["budget"]["value"] == "at least $50,000 a year"
    assert "SDRs waste hours" in slots["need"]["quote"]
    lines = {line["rule"]: line for line in view["evidence"]["lines"]}
    assert lines["Decision maker"]["points"] == 25
    assert lines["Decision maker"]["quote"] == "I decide"  # the prospect's own words (the label)
    assert sum(line["points"] for line in lines.values()) == view["score"]
    assert [s["stage"] for s in view["stages"]][-1] == "SQL"
    assert "Budget of $50k+ goes to enterprise" in view["handoff"]["route_reason"]
    assert "Dana Scully: offline" in view["handoff"]["route_reason"]  # no console open
    authors = [m["author"] for m in view["messages"]]
    assert authors[:2] == ["bot", "bot"]
    assert "visitor" in authors


async def test_the_queue_filters_by_stage_and_channel(dana: Browser, lead: Socket) -> None:
    assert len((await dana.get("/queue?stage=SQL"))[1]["items"]) == 1
    assert (await dana.get("/queue?stage=MQL"))[1]["items"] == []
    assert len((await dana.get("/queue?channel=widget"))[1]["items"]) == 1
    assert (await dana.get("/queue?channel=slack"))[1]["items"] == []


async def test_two_reps_claim_at_once_and_exactly_one_wins(
    dana: Browser, fox: Browser, lead: Socket
) -> None:
    key = key_of(lead)
    (s1, b1), (s2, b2) = await asyncio.gather(dana.act(key, "claim"), fox.act(key, "claim"))
    assert sorted([s1, s2]) == [200, 409]
    winner, loser_body = ("Dana Scully", b2) if s1 == 200 else ("Fox Mulder", b1)
    assert loser_body == {"error": f"already taken by {winner}"}
    joined = await rep_lines(lead, "joined")
    assert [f["text"] for f in joined if f.get("author") == "system"] == [
        f"{winner} joined the conversation."
    ]
    [item] = (await dana.get("/queue"))[1]["items"]
    assert (item["status"], item["rep_name"]) == ("claimed", winner)


async def test_the_reps_message_reaches_the_visitor_and_the_transcript(
    client: TestClient[Any, Any], dana: Browser, lead: Socket
) -> None:
    key = key_of(lead)
    assert (await dana.act(key, "messages", {"id": "r1", "text": "Hi!"}))[0] == 409  # not yet
    assert (await dana.act(key, "claim"))[0] == 200
    await rep_lines(lead, "Dana Scully joined")
    status, _ = await dana.act(key, "messages", {"id": "r1", "text": "Hi, I'm Dana <b>!</b>"})
    assert status == 201
    [frame] = await rep_lines(lead, "Hi, I'm Dana")
    assert (frame["author"], frame["author_name"]) == ("rep", "Dana Scully")
    assert frame["text"] == "Hi, I'm Dana <b>!</b>"  # as typed: the widget shows it as text
    assert (await dana.act(key, "messages", {"id": "r1", "text": "Hi, I'm Dana <b>!</b>"}))[1] == {
        "ok": True, "duplicate": True}  # a resend (same id) is not a second message
    transcript = await client.app[STORE].transcript(ConversationKey.parse(key))
    assert [m.text for m in transcript if m.author == "rep"] == ["Hi, I'm Dana <b>!</b>"]
    await lead.send(type="message", id="v9", text="Great, when can we talk?")
    await lead.until("ack", id="v9")
    view = await dana.view(key)
    assert view["messages"][-1]["text"] == "Great, when can we talk?"  # the bot stays quiet
    assert view["owner_rep_name"] == "Dana Scully"


async def test_only_the_owning_rep_can_write_hand_back_or_close(
    dana: Browser, fox: Browser, lead: Socket
) -> None:
    key = key_of(lead)
    assert (await dana.act(key, "claim"))[0] == 200
    assert (await fox.act(key, "messages", {"id": "x1", "text": "Me too"}))[0] == 409
    assert (await fox.act(key, "hand-back"))[0] == 409
    assert (await fox.act(key, "close", {"outcome": "won"}))[0] == 409
    assert (await dana.view(key))["owner_rep_name"] == "Dana Scully"


async def test_hand_back_resumes_the_bot_with_the_next_question(
    dana: Browser, lead: Socket
) -> None:
    key = key_of(lead)
    await dana.act(key, "claim")
    assert (await dana.act(key, "hand-back"))[0] == 200
    frames = await rep_lines(lead, NEXT_QUESTION)
    notices = [f["text"] for f in frames if f.get("author") == "system"]
    assert "Dana Scully left the conversation." in notices
    view = await dana.view(key)
    assert view["owner"] == "bot"
    assert (await dana.get("/queue"))[1]["items"] == []
    assert frames[-1]["author"] == "bot"  # the bot asks the next open question itself


@pytest.mark.parametrize("outcome", ["won", "spam"])
async def test_closing_with_an_outcome_ends_the_hand_off(
    client: TestClient[Any, Any], dana: Browser, lead: Socket, outcome: str
) -> None:
    key = key_of(lead)
    await dana.act(key, "claim")
    assert (await dana.act(key, "close", {"outcome": "maybe"}))[0] == 400
    assert (await dana.act(key, "close", {"outcome": outcome}))[0] == 200
    desk: Any = client.app[STORE]
    handoff = await desk.handoff_for(ConversationKey.parse(key))
    assert (handoff.status, handoff.outcome) == ("closed", outcome)
    assert (await dana.get("/queue"))[1]["items"] == []


async def test_a_queued_lead_can_be_closed_as_spam_without_taking_it(
    dana: Browser, lead: Socket
) -> None:
    assert (await dana.act(key_of(lead), "close", {"outcome": "spam"}))[0] == 200


async def test_notes_stay_with_reps_and_never_reach_the_prospect(
    client: TestClient[Any, Any], dana: Browser, fox: Browser, lead: Socket
) -> None:
    key = key_of(lead)
    await dana.act(key, "claim")
    await rep_lines(lead, "joined")
    status, body = await dana.act(key, "notes", {"text": "Budget is real, CFO on board"})
    assert status == 201
    assert body["note"]["rep_name"] == "Dana Scully"
    assert [n["text"] for n in (await fox.view(key))["notes"]] == ["Budget is real, CFO on board"]
    transcript = await client.app[STORE].transcript(ConversationKey.parse(key))
    assert all("CFO" not in m.text for m in transcript)
    await dana.act(key, "messages", {"id": "after", "text": "Next line"})
    frames = await rep_lines(lead, "Next line")
    assert all("CFO" not in f.get("text", "") for f in frames)


async def test_writes_without_the_csrf_token_are_refused_and_change_nothing(
    dana: Browser, lead: Socket
) -> None:
    key = key_of(lead)
    for token in ("", "forged-token"):
        status, body = await dana.act(key, "claim", csrf=token)
        assert status == 403
        assert "CSRF" in body["error"]
    assert (await dana.post("/presence", {"presence": "away"}, csrf=""))[0] == 403
    assert (await dana.act(key, "notes", {"text": "x"}, csrf="nope"))[0] == 403
    view = await dana.view(key)
    assert (view["owner"], view["notes"]) == ("queued", [])


async def test_a_cross_site_write_is_refused_even_with_the_token(
    dana: Browser, lead: Socket
) -> None:
    status, _ = await dana.act(key_of(lead), "claim", headers={"Origin": "https://evil.example"})
    assert status == 403
    assert (await dana.view(key_of(lead)))["owner"] == "queued"


async def test_an_unknown_conversation_is_not_created_by_looking_at_it(
    client: TestClient[Any, Any], dana: Browser
) -> None:
    assert (await dana.get("/conversations/widget%3Anobody"))[0] == 404
    assert (await dana.get("/conversations/nochannel%3Ax"))[0] == 404
    assert (await dana.act("widget:nobody", "notes", {"text": "hi"}))[0] == 404
    assert await client.app[STORE].handoff_for(ConversationKey("widget", "nobody")) is None


async def _hostile_lead(client: TestClient[Any, Any]) -> ConversationKey:
    """A Telegram prospect whose profile name and words are markup (the widget cannot name)."""
    key = ConversationKey("telegram", "4242")
    service = client.app[SERVICE]
    for n, text in enumerate(
        [f"We need more leads {HOSTILE}", "tl_asap", "bud_gt50k", "auth_dm"], start=1
    ):
        await service.receive(Inbound(
            key, f"u{n}", text, service.clock.now(), "click" if n > 1 else "text", HOSTILE
        ))
    store = client.app[STORE]
    async with store.unit() as unit:  # a profile name, as a Telegram or Slack adapter records it
        s = await unit.load(key, service.clock.now())
        await unit.commit_turn(Turn(
            s.conversation_id, s.state, s.owner, s.stage, s.score, s.context, s.opted_out, None,
            s.last_inbound_at, lead={**s.lead, "name": HOSTILE, "company": HOSTILE},
        ))
    return key


async def test_hostile_names_and_words_are_escaped_in_json(
    client: TestClient[Any, Any], dana: Browser
) -> None:
    key = await _hostile_lead(client)
    for path in ("/queue", f"/conversations/{str(key).replace(':', '%3A')}"):
        async with dana.session.get(dana.url("/console/api" + path)) as response:
            raw = await response.text()
            data = await response.json()
        assert response.headers["Content-Type"].startswith("application/json")
        assert "<img" not in raw
        assert "\\u003cimg" in raw
    assert data["lead"]["name"] == HOSTILE  # the same text, once parsed
    visitor = [m for m in data["messages"] if m["author"] == "visitor"]
    assert visitor[0]["author_name"] == HOSTILE
    assert data["evidence"]["lines"][0]["quote"].endswith(HOSTILE)
