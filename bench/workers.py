"""Workers: end to end on PostgreSQL and Redis, one server process against two (informative).

The targets are for one process. This part shows what the second core adds when the server runs
as ``QUALIBOT_WORKERS=2`` (bot/workers.py): the same clients as ``e2e`` at the same N, against
one worker and then two on the same PostgreSQL and Redis, with the echo server measured in the
same run as the ceiling. Skipped when PostgreSQL or Redis does not answer.
"""

from __future__ import annotations

import asyncio
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bench import pg, procs
from bench.e2e import clients
from bench.report import Figure

PART = "workers"
REDIS_URL = "redis://127.0.0.1:6379/14"


def run(quick: bool) -> tuple[list[Figure], dict[str, Any]]:
    """One worker, then two, at the top N; returns figures and details."""
    if not (pg.available() and procs.answers(6379)):
        return [], {"skipped": "PostgreSQL or Redis not answering on 127.0.0.1"}
    return asyncio.run(_measure(quick))


async def _measure(quick: bool) -> tuple[list[Figure], dict[str, Any]]:
    n = 50 if quick else 1000
    seconds = 5.0 if quick else 30.0
    rounds = -(-(30 if quick else 250) // n)
    details: dict[str, Any] = {"clients": n, "rounds": rounds, "redis": REDIS_URL}
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(pg.database())
        details["postgres"] = await pg.settings()
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qualibot-bench-")))
        echo_port = procs.free_port()
        with procs.server("echo", echo_port, work) as echo_server:
            echo = await asyncio.to_thread(clients, echo_port, n, rounds, True, seconds,
                                           echo_server.pid)  # fmt: skip
        details["echo"] = echo
        for workers in (1, 2):
            port = procs.free_port()
            env = {"QUALIBOT_DATABASE_URL": url, "QUALIBOT_REDIS_URL": REDIS_URL,
                   "QUALIBOT_WORKERS": str(workers)}  # fmt: skip
            with procs.server("qualibot", port, work, **env) as server:
                await asyncio.to_thread(clients, port, 4, 1, False, seconds)  # warm-up
                details[str(workers)] = await asyncio.to_thread(
                    clients, port, n, rounds, False, seconds, server.pid
                )
    return _figures(n, details), details


def _figures(n: int, details: dict[str, Any]) -> list[Figure]:
    echo = details["echo"]
    figures: list[Figure] = []
    for workers in (1, 2):
        got = details[str(workers)]
        label = f"{n} clients, {workers} worker{'s' if workers > 1 else ''} on PostgreSQL + Redis"
        note = f"{got['errors']} errors"
        figures += [
            Figure(PART, f"{label}: messages/s", got["per_second"], "/s", echo["per_second"],
                   "echo msg/s", note=note),
            Figure(PART, f"{label}: p50", got["p50_ms"], "ms"),
            Figure(PART, f"{label}: p99", got["p99_ms"], "ms"),
            Figure(PART, f"{label}: server CPU per message", got["server_cpu_ms_per_message"],
                   "ms", note="all processes"),
        ]  # fmt: skip
    one, two = details["1"]["per_second"], details["2"]["per_second"]
    figures.append(Figure(PART, f"{n} clients: two workers over one", two / one if one else 0.0,
                          "×"))  # fmt: skip
    return figures
