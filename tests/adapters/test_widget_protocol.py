"""The widget protocol end to end: real app, real Service, default flow, SQLite in tmp_path."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import BUS, FLOW, LOCKS, STORE
from bot.clock import SystemClock
from bot.events import MessageAdded
from bot.messages import ConversationKey, Inbound
from bot.ports import Deliver, Listener, Subscription
from bot.service import Service
from tests.adapters.conftest import Connect, bot_texts, seqs

NEED = "We need to qualify our inbound leads faster"


async def test_hello_gives_a_new_visitor_a_token_and_the_proactive_rules(connect: Connect) -> None:
    sock = await connect()
    welcome = await sock.hello()
    assert welcome["token"].startswith("v1.")
    assert welcome["visitor"] in welcome["token"]
    assert welcome["last_seq"] == 0
    assert welcome["messages"] == []
    assert welcome["reset"] is False
    assert welcome["proactive"] == [
        {
            "page": "/pricing*",
            "after_seconds": 20,
            "message": "Comparing plans? I can help you find the right one in under a minute.",
        }
    ]
    assert welcome["max_chars"] == 2000
    await sock.close()


async def test_start_greets_once_and_asks_the_first_question(connect: Connect) -> None:
    sock = await connect()
    await sock.hello()
    await sock.send(type="start", id="s1")
    _, frames = await sock.exchange("s1")
    texts = bot_texts(frames)
    assert texts[0].startswith("Hi! I'm Qualibot")
    assert "What brings you here today?" in texts[-1]
    assert seqs(frames) == [1, 2][: len(seqs(frames))]
    await sock.send(type="start", id="s2")  # idempotent: opening the chat again says nothing new
    _, again = await sock.exchange("s2")
    assert bot_texts(again) == []
    await sock.close()


async def test_a_message_gets_its_seq_acked_and_the_bot_replies(connect: Connect) -> None:
    sock = await connect()
    await sock.hello()
    ack, frames = await sock.say("m1", NEED)
    own = [f for f in frames if f["type"] == "message" and f["author"] == "visitor"]
    assert own == [{**own[0], "id": "m1", "text": NEED}]
    assert ack == {"type": "ack", "id": "m1", "seq": own[0]["seq"], "duplicate": False}
    texts = bot_texts(frames)
    assert texts[0].startswith("Hi! I'm Qualibot")  # no start frame: the server greets first
    assert "When would you like" in texts[-1]
    question = [f for f in frames if f["type"] == "message"][-1]
    assert ["ASAP", "tl_asap"] in question["quick_replies"]
    assert seqs(frames) == sorted(set(seqs(frames)))
    await sock.close()


async def test_a_quick_reply_click_shows_its_label_and_moves_on(connect: Connect) -> None:
    sock = await connect()
    await sock.hello()
    await sock.say("m1", NEED)
    _, frames = await sock.click("c1", "tl_3m")
    own = [f for f in frames if f["type"] == "message" and f["author"] == "visitor"]
    assert own[0]["id"] == "c1"
    assert own[0]["text"] == "Within 3 months"
    assert "budget" in bot_texts(frames)[-1].lower()
    await sock.close()


async def test_resume_replays_exactly_the_missed_messages(connect: Connect) -> None:
    first = await connect()
    await first.hello()
    await first.say("m1", NEED)
    seen = first.last_seq
    await first.close()

    # The visitor goes on in another tab while the first one is away...
    other = await connect()
    await other.hello(first.token)
    _, later = await other.click("c1", "tl_3m")
    await other.close()

    back = await connect()
    welcome = await back.hello(first.token, last_seq=seen)
    replayed = welcome["messages"]
    assert seqs(replayed) == seqs(later)
    assert [f["seq"] for f in replayed] == list(range(seen + 1, welcome["last_seq"] + 1))
    assert welcome["visitor"] == first.token.split(".")[1]
    assert welcome["reset"] is False
    await back.close()


async def test_a_client_ahead_of_the_server_is_told_to_reset(connect: Connect) -> None:
    sock = await connect()
    await sock.hello()
    await sock.say("m1", NEED)
    await sock.close()
    again = await connect()
    welcome = await again.hello(sock.token, last_seq=999)
    assert welcome["reset"] is True
    assert seqs(welcome["messages"]) == list(range(1, welcome["last_seq"] + 1))
    await again.close()


async def test_a_duplicate_client_message_id_is_processed_once(
    connect: Connect, client: TestClient[Any, Any]
) -> None:
    sock = await connect()
    await sock.hello()
    await sock.say("m1", NEED)
    again_ack, again = await sock.say("m1", NEED)
    assert again_ack == {"type": "ack", "id": "m1", "seq": None, "duplicate": True}
    assert [f for f in again if f["type"] == "message"] == []

    # ...and after a reconnect too: the resend of an unacknowledged message is harmless.
    await sock.close()
    back = await connect()
    await back.hello(sock.token, last_seq=sock.last_seq)
    resend_ack, _ = await back.say("m1", NEED)
    assert resend_ack["duplicate"] is True
    key = ConversationKey("widget", sock.token.split(".")[1])
    lines = await client.app[STORE].transcript(key)
    assert [m.text for m in lines if m.author == "visitor"] == [NEED]
    await back.close()


async def test_a_tampered_token_starts_a_new_visitor(connect: Connect) -> None:
    sock = await connect()
    await sock.hello()
    await sock.say("m1", NEED)
    await sock.close()
    prefix, visitor, mac = sock.token.split(".")
    for forged in (f"{prefix}.{visitor}x.{mac}", f"{prefix}.{visitor}.{mac[:-2]}AA", "garbage"):
        other = await connect()
        welcome = await other.hello(forged, last_seq=3)
        assert welcome["visitor"] != visitor
        assert welcome["reset"] is True
        assert welcome["messages"] == []  # nothing of the real visitor's conversation leaks
        await other.close()


async def test_page_views_are_recorded_but_not_shown(
    connect: Connect, client: TestClient[Any, Any]
) -> None:
    sock = await connect()
    await sock.hello()
    await sock.send(type="start", id="s1")
    await sock.exchange("s1")
    await sock.send(type="page_view", id="p1", path="/pricing", title="Pricing")
    ack, frames = await sock.exchange("p1")
    assert ack["seq"] is not None
    assert [f for f in frames if f["type"] == "message"] == []
    key = ConversationKey("widget", sock.token.split(".")[1])
    lines = await client.app[STORE].transcript(key)
    assert [(m.kind, m.text) for m in lines if m.author == "visitor"] == [("page_view", "/pricing")]
    await sock.close()
    back = await connect()
    welcome = await back.hello(sock.token)
    assert all(f["author"] != "visitor" for f in welcome["messages"])
    assert welcome["last_seq"] == ack["seq"]
    await back.close()


async def test_another_tab_of_the_same_visitor_sees_each_message_once(connect: Connect) -> None:
    watcher = await connect()
    await watcher.hello()
    writer = await connect()
    await writer.hello(watcher.token)
    _, written = await writer.say("m1", NEED)
    _, clicked = await writer.click("c1", "tl_asap")
    expected = seqs(written) + seqs(clicked)

    got: list[dict[str, Any]] = []
    while not got or got[-1]["seq"] < expected[-1]:
        frame = await watcher.recv()
        if frame["type"] == "message":
            got.append(frame)
    await watcher.send(type="ping")
    _, extra = await watcher.until("pong")
    assert seqs(got) == expected
    assert [f for f in extra if f["type"] == "message"] == []
    own = [f for f in got if f["author"] == "visitor"]
    assert [(f["id"], f["text"]) for f in own] == [("m1", NEED), ("c1", "ASAP")]
    await writer.close()
    await watcher.close()


async def test_a_bus_notification_past_a_gap_is_filled_from_the_store(
    connect: Connect, client: TestClient[Any, Any]
) -> None:
    sock = await connect()
    await sock.hello()
    await sock.say("m1", NEED)
    # A turn from another process whose notifications were lost but the last: the socket must
    # read the lines in between from the store, in order, each once.
    app = client.app
    key = ConversationKey("widget", sock.token.split(".")[1])
    deaf = Service(app[FLOW], app[STORE], _DeafBus(), app[LOCKS], SystemClock())
    reply = await deaf.receive(
        Inbound(key, f"{key.address}:x1", "ASAP", datetime.now(UTC), kind="text")
    )
    assert reply.inbound is not None
    assert len(reply.messages) >= 1
    last = reply.messages[-1]
    event = MessageAdded(key, last.at, last.seq, last.author, last.text)
    await app[BUS].publish(f"conversation:{key}", event.to_json())
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1]["seq"] < last.seq:
        frame = await sock.recv()
        if frame["type"] == "message":
            frames.append(frame)
    assert seqs(frames) == list(range(reply.inbound.seq, last.seq + 1))
    assert frames[0]["id"] == "x1"
    await sock.close()


class _DeafBus:
    """A bus that loses every notification (a crashed or partitioned publisher)."""

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        return None

    async def subscribe(self, *topics: str) -> Subscription:
        raise NotImplementedError

    async def listen(self, prefix: str, deliver: Deliver) -> Listener:
        raise NotImplementedError
