"""``qualibot serve`` runs on uvloop by default, or on asyncio's loop when asked, and works on both.

No browser: a widget visitor over a real websocket is enough to show the server's sockets,
timers and SQLite thread hops work on the loop it reports.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.conftest import ServerProcess, free_port


async def _first_answer(server: ServerProcess) -> list[str]:
    """A visitor says hello, opens the chat and answers; the bot lines it gets back."""
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{server.url}/widget/ws", origin=server.url)
        await ws.send_str(json.dumps({"type": "hello", "token": None, "last_seq": 0}))
        assert (await ws.receive_json(timeout=20))["type"] == "welcome"
        lines: list[str] = []
        for frame in (
            {"type": "start", "id": "s1"},
            {"type": "message", "id": "m1", "text": "We need to qualify inbound leads faster"},
        ):
            await ws.send_str(json.dumps(frame))
            acked: int | None = None  # the visitor line's seq (0 for start, which has none)
            newest = 0  # the newest bot line's seq
            while acked is None or newest <= acked:
                got = await ws.receive_json(timeout=20)
                if got["type"] == "ack" and got.get("id") == frame["id"]:
                    acked = got.get("seq") or 0
                elif got["type"] == "message" and got.get("author") == "bot":
                    lines.append(got["text"])
                    newest = max(newest, got["seq"])
        await ws.close()
        return lines


@pytest.mark.parametrize(("setting", "loop"), [(None, "uvloop"), ("asyncio", "asyncio")])
async def test_the_server_answers_a_visitor_on_the_loop_it_reports(
    tmp_path: Path, setting: str | None, loop: str
) -> None:
    env = {"QUALIBOT_EVENT_LOOP": setting} if setting else {}
    server = ServerProcess(tmp_path, free_port(), **env)
    await server.start()
    try:
        lines = await _first_answer(server)
    finally:
        assert await server.stop() == 0
    assert len(lines) >= 2  # the greeting and first question, then the reply to the answer
    started = next(line for line in server.log().splitlines() if "server.started" in line)
    assert re.search(rf"event_loop={loop}\b", started), started
