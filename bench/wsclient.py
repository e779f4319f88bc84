"""Widget clients for the end-to-end and connection parts, run in their own processes.

Each worker process runs one event loop of aiohttp websocket clients that follow
docs/widget-protocol.md: ``hello`` → ``welcome``, then frames with ids, each waited on until
its ``ack`` and the bot's reply arrive. Against the echo server the same frames just come back.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import queue
import time
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from typing import Any

import aiohttp

from bench.procs import raise_nofile
from bench.script import conversation

TURN_TIMEOUT = 30.0
CONNECT_BATCH = 100  # handshakes in flight at once: the listen backlog is finite


def frames(index: int) -> list[dict[str, Any]]:
    """The frames of the ``index``-th scripted conversation: ``start``, then every line."""
    out: list[dict[str, Any]] = [{"type": "start", "id": f"s{index}"}]
    for turn, line in enumerate(conversation(index)):
        if line.kind == "click":
            out.append({"type": "click", "id": f"m{index}x{turn}", "value": line.text})
        else:
            out.append({"type": "message", "id": f"m{index}x{turn}", "text": line.text})
    return out


async def _next(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive()
    if msg.type != aiohttp.WSMsgType.TEXT:
        raise ConnectionError(f"websocket ended: {msg.type!r}")
    frame: dict[str, Any] = json.loads(msg.data)
    if frame.get("type") == "error":
        raise RuntimeError(f"server refused a frame: {frame}")
    return frame


async def widget_turn(ws: aiohttp.ClientWebSocketResponse, frame: dict[str, Any]) -> None:
    """Send ``frame`` and wait for its ack and the bot's reply to it.

    The bot's lines may come before or after the ack (the server sends them in seq order from
    the reply or from the bus, whichever is first). A reply to a message is a bot line with a
    higher seq than the acked visitor line; lines left over from the previous turn have lower
    seqs. ``start`` is acked without a seq, after its lines.
    """
    await ws.send_str(json.dumps(frame))
    ack_seq: int | None = None
    top_bot_seq = 0
    while True:
        got = await _next(ws)
        kind = got["type"]
        if kind == "ack" and got.get("id") == frame["id"]:
            ack_seq = got.get("seq") or 0
        elif kind == "message" and got.get("author") == "bot":
            top_bot_seq = max(top_bot_seq, got["seq"])
        if ack_seq is not None and top_bot_seq > ack_seq:
            return


async def echo_turn(ws: aiohttp.ClientWebSocketResponse, frame: dict[str, Any]) -> None:
    """Send ``frame`` and wait for it to come back."""
    await ws.send_str(json.dumps(frame))
    await _next(ws)


async def connect(
    session: aiohttp.ClientSession, url: str, origin: str, echo: bool
) -> aiohttp.ClientWebSocketResponse:
    """Open a socket and complete the handshake (``hello`` → ``welcome``)."""
    ws = await session.ws_connect(url, origin=origin, max_msg_size=0)
    await ws.send_str(json.dumps({"type": "hello", "token": None, "last_seq": 0}))
    got = await _next(ws)
    if not echo and got.get("type") != "welcome":
        raise RuntimeError(f"expected welcome, got {got}")
    return ws


async def connect_many(
    session: aiohttp.ClientSession, url: str, origin: str, count: int, echo: bool
) -> tuple[list[aiohttp.ClientWebSocketResponse], int]:
    """Open ``count`` sockets, ``CONNECT_BATCH`` at a time; returns them and the failures."""
    sockets: list[aiohttp.ClientWebSocketResponse] = []
    failed = 0
    for start in range(0, count, CONNECT_BATCH):
        batch = min(CONNECT_BATCH, count - start)
        results = await asyncio.gather(
            *(connect(session, url, origin, echo) for _ in range(batch)), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                failed += 1
            else:
                sockets.append(result)
    return sockets, failed


async def _conversations(
    url: str, origin: str, first: int, count: int, rounds: int, echo: bool, seconds: float,
    barrier: Barrier,
) -> dict[str, Any]:  # fmt: skip
    turn: Callable[..., Any] = echo_turn if echo else widget_turn
    latencies: list[float] = []
    errors: list[str] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Every conversation is a new visitor on its own socket, all opened before the clock
        # starts: ``count`` clients each hold ``rounds`` sockets and talk on one at a time.
        sockets, failed = await connect_many(session, url, origin, count * rounds, echo)
        await asyncio.get_running_loop().run_in_executor(None, barrier.wait, 120)
        began = time.perf_counter()
        deadline = began + seconds

        async def client(number: int) -> None:
            for ws_index in range(number * rounds, min((number + 1) * rounds, len(sockets))):
                await talk(sockets[ws_index], first * rounds + ws_index)

        async def talk(ws: aiohttp.ClientWebSocketResponse, index: int) -> None:
            for frame in frames(index):
                if time.perf_counter() > deadline:
                    return
                started = time.perf_counter()
                try:
                    async with asyncio.timeout(TURN_TIMEOUT):
                        await turn(ws, frame)
                except Exception as exc:  # counted and reported, the run goes on
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    return
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client(number) for number in range(count)))
        ended = time.perf_counter()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return {"began": began, "ended": ended, "latencies": latencies, "errors": errors,
            "connect_failures": failed}  # fmt: skip


def conversations(
    url: str, origin: str, first: int, count: int, rounds: int, echo: bool, seconds: float,
    barrier: Barrier, results: multiprocessing.Queue,  # type: ignore[type-arg]
) -> None:  # fmt: skip
    """Worker process: ``count`` concurrent clients, each ``rounds`` whole conversations."""
    raise_nofile()
    results.put(
        asyncio.run(_conversations(url, origin, first, count, rounds, echo, seconds, barrier))
    )


async def _hold(url: str, origin: str, echo: bool, commands: Any, replies: Any) -> None:
    loop = asyncio.get_running_loop()
    sockets: list[aiohttp.ClientWebSocketResponse] = []
    readers: list[asyncio.Task[None]] = []

    async def drain(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for _ in ws:  # keeps a receive pending, so protocol pings are answered
            pass

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        while True:
            try:
                command = await loop.run_in_executor(None, commands.get, True, 300)
            except queue.Empty:
                break  # the parent is gone: bounded in time whatever happens
            if command[0] != "open":
                break
            started = time.perf_counter()
            opened, failed = await connect_many(session, url, origin, command[1], echo)
            seconds = time.perf_counter() - started
            sockets += opened
            readers += [asyncio.create_task(drain(ws)) for ws in opened]
            replies.put({"opened": len(opened), "failed": failed, "seconds": seconds})
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    replies.put({"closed": len(sockets)})


def hold(url: str, origin: str, echo: bool, commands: Any, replies: Any) -> None:
    """Worker process: open idle widget connections on ``("open", n)``, close on anything else."""
    raise_nofile()
    asyncio.run(_hold(url, origin, echo, commands, replies))
