"""Connections: server memory (RSS from /proc) per idle widget connection, up to 10,000.

Idle means connected and past the handshake (``hello`` → ``welcome``: the visitor has a
conversation key and a bus subscription), then silent. Client processes hold the sockets; the
same clients then hold as many sockets on the bare echo server, the ceiling.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench import procs, wsclient
from bench.clients import CTX, split
from bench.e2e import clients as converse
from bench.report import Figure, Target

PART = "connections"
REPLY_TIMEOUT = 240.0


def hold(port: int, echo: bool, pid: int, steps: list[int], workers: int) -> dict[str, Any]:
    """Open idle sockets in steps up to ``steps[-1]``; the server's RSS after each step."""
    url, origin = f"http://127.0.0.1:{port}/widget/ws", f"http://127.0.0.1:{port}"
    commands = [CTX.Queue() for _ in range(workers)]
    replies: Any = CTX.Queue()
    children = [
        CTX.Process(target=wsclient.hold, args=(url, origin, echo, q, replies), daemon=True)
        for q in commands
    ]
    for child in children:
        child.start()
    result: dict[str, Any] = {"baseline_mib": procs.rss_mib(pid), "steps": []}
    held = 0
    try:
        for queue_ in commands:  # started and ready before any clock runs
            queue_.put(("open", 0))
        for _ in children:
            replies.get(timeout=REPLY_TIMEOUT)
        for total in steps:
            started = time.perf_counter()
            for queue_, (_, count) in zip(commands, split(total - held, workers), strict=True):
                queue_.put(("open", count))
            answers = [replies.get(timeout=REPLY_TIMEOUT) for _ in children]
            seconds = time.perf_counter() - started
            opened = sum(a["opened"] for a in answers)
            held += opened
            result["steps"].append({
                "connections": held,
                "failed": sum(a["failed"] for a in answers),
                "rss_mib": round(procs.rss_mib(pid), 1),
                "handshakes_per_second": round(opened / seconds, 1),
            })  # fmt: skip
    finally:
        for queue_ in commands:
            queue_.put(("close",))
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.terminate()
                child.join()
    return result


def run(quick: bool) -> tuple[list[Figure], dict[str, Any]]:
    """Measure qualibot and echo server memory with idle connections; figures and details."""
    steps = [100, 1000] if quick else [1000, 10_000]
    workers = 2 if quick else 4
    details: dict[str, Any] = {"steps": steps, "client_processes": workers}
    with tempfile.TemporaryDirectory(prefix="qualibot-bench-") as tmp:
        work = Path(tmp)
        port = procs.free_port()
        with procs.server("qualibot", port, work) as server:
            converse(port, 2, 1, False, 10.0)  # warm-up: every module a socket needs is loaded
            details["qualibot"] = hold(port, False, server.pid, steps, workers)
        port = procs.free_port()
        with procs.server("echo", port, work) as server:
            converse(port, 2, 1, True, 10.0)
            details["echo"] = hold(port, True, server.pid, steps, workers)
    figures: list[Figure] = []
    bot, echo = details["qualibot"], details["echo"]
    top_bot, top_echo = bot["steps"][-1], echo["steps"][-1]
    n = top_bot["connections"]
    per_bot = (top_bot["rss_mib"] - bot["baseline_mib"]) / max(1, n) * 1024
    per_echo = (top_echo["rss_mib"] - echo["baseline_mib"]) / max(1, top_echo["connections"]) * 1024
    figures += [
        Figure(PART, "server RSS per idle connection", per_bot, "KiB", per_echo, "KiB echo"),
        Figure(PART, f"server RSS at {n:,} idle connections", top_bot["rss_mib"], "MiB",
               top_echo["rss_mib"], "MiB echo", Target("<", 512)),
        Figure(PART, "server RSS with no connection", bot["baseline_mib"], "MiB",
               echo["baseline_mib"], "MiB echo"),
        Figure(PART, "handshakes (connect + hello/welcome)", top_bot["handshakes_per_second"],
               "/s", top_echo["handshakes_per_second"], "echo/s"),
    ]  # fmt: skip
    return figures, details
