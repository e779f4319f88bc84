"""A bare aiohttp websocket echo server: the ceiling the widget path is compared with.

Run as ``python -m bench.echo_server PORT``; it echoes every text frame and stops on SIGTERM.
It runs on the event loop ``qualibot serve`` runs on (``QUALIBOT_EVENT_LOOP``), so the ceiling
gains what the server gains from uvloop.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import sys

from aiohttp import WSMsgType, web

from bot.config import read_event_loop
from bot.env import EnvReader
from bot.loops import loop_factory


async def echo(request: web.Request) -> web.WebSocketResponse:
    """Send every text frame straight back."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
    return ws


async def health(_: web.Request) -> web.Response:
    """Ready probe, as the real server's /healthz."""
    return web.json_response({"ok": True})


async def serve(port: int) -> None:
    """Serve on 127.0.0.1:``port`` until SIGTERM or SIGINT."""
    app = web.Application()
    app.router.add_get("/widget/ws", echo)
    app.router.add_get("/healthz", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    kind = read_event_loop(EnvReader(os.environ))
    with asyncio.Runner(loop_factory=loop_factory(kind)) as runner:
        runner.run(serve(int(sys.argv[1])))
