"""Run the app until SIGTERM or Ctrl-C, then shut down gracefully."""

from __future__ import annotations

import asyncio
import os
import signal

import structlog
from aiohttp import web

from bot.app import create_app
from bot.config import Settings
from bot.heap import tuned_for_serving
from bot.logs import configure
from bot.loops import loop_factory
from bot.workers import is_worker, listening, supervise

log = structlog.stdlib.get_logger("bot.server")  # a fixed name: also run as __main__

SHUTDOWN_TIMEOUT = 15.0  # seconds in-flight requests get after the listeners close
# Connections the kernel queues before accept: after a restart every widget reconnects at once,
# and a short queue (aiohttp's 128) drops SYNs that the clients resend only a second later.
BACKLOG = 1024


def run(settings: Settings) -> None:
    """Serve until told to stop (``qualibot serve``).

    On SIGTERM or SIGINT the listening socket closes first (no new connections), the widget
    lets messages being processed finish and closes its websockets with 1001 "going away"
    (clients reconnect elsewhere or later and replay from their last seq), then storage closes.
    With ``QUALIBOT_WORKERS`` above one, this process supervises that many workers instead
    (``bot.workers``), each of which comes back here and serves.
    """
    configure(settings.log_format, settings.log_level)
    if settings.workers > 1 and not is_worker():
        raise SystemExit(supervise(settings))
    with asyncio.Runner(loop_factory=loop_factory(settings.event_loop)) as runner:
        runner.run(serve(settings))


async def serve(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """The async body of ``run``; ``stop`` lets tests and embedders end it without a signal."""
    app = create_app(settings)
    # access_log=None: aiohttp's access line per request is noise next to our event lines;
    # the widget logs connections and the events that matter.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        # Workers share the port: the kernel spreads new connections over them.
        site = web.TCPSite(runner, settings.host, settings.port, backlog=BACKLOG,
                           reuse_port=settings.workers > 1)  # fmt: skip
        await site.start()
        listening()  # a worker tells its supervisor (bot.workers); otherwise nothing
        log.info(
            "server.started",
            url=f"http://{settings.host}:{settings.port}/",
            origins=list(settings.allowed_origins),
            log_format=settings.log_format,
            event_loop=type(loop).__module__.split(".")[0],
            pid=os.getpid(),
        )
        with tuned_for_serving():  # start-up is done: no collector pause walks it again
            await stop.wait()
        log.info("server.stopping")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
        log.info("server.stopped")


if __name__ == "__main__":  # ``python -m bot.server``: the same as ``qualibot serve``
    run(Settings.from_env(os.environ))
