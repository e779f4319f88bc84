"""End to end: N widget clients, each a whole BANT conversation, against ``qualibot serve``.

The same clients, from separate processes, also run against a bare aiohttp echo server in
its own process at the same N, in the same run: that is the ceiling. Then, informative, the top
N again in open loop (bench/openloop.py): clients with think times offering 50% and 80% of the
closed-loop rate just measured, for the latency a load the server can carry gets.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench import openloop, procs, wsclient
from bench.clients import run_workers, split
from bench.report import Figure, Target, percentile

PART = "e2e"
OPEN_LOOP_SHARES = (0.5, 0.8)  # of the closed-loop rate at the top N, measured in the same run


def clients(
    port: int, n: int, rounds: int, echo: bool, seconds: float, pid: int | None = None
) -> dict[str, Any]:
    """``n`` concurrent clients, each ``rounds`` conversations in turn, against ``port``.

    With the server's ``pid``, also the server's CPU milliseconds per message (its workers'
    included).
    """
    url, origin = f"http://127.0.0.1:{port}/widget/ws", f"http://127.0.0.1:{port}"
    processes = 1 if n <= 100 else 2
    args = [
        (url, origin, first, count, rounds, echo, seconds) for first, count in split(n, processes)
    ]
    # With its workers' CPU, when the server is a supervisor (QUALIBOT_WORKERS).
    cpu = procs.cpu_seconds(pid, children=True) if pid else 0.0
    results = run_workers(wsclient.conversations, args, timeout=seconds + 240)
    cpu = procs.cpu_seconds(pid, children=True) - cpu if pid else 0.0
    latencies = [x for r in results for x in r["latencies"]]
    span = max(r["ended"] for r in results) - min(r["began"] for r in results)
    errors = [e for r in results for e in r["errors"]]
    return {
        "messages": len(latencies),
        "seconds": round(span, 3),
        "per_second": len(latencies) / span if span else 0.0,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
        "server_cpu_ms_per_message": cpu / max(1, len(latencies)) * 1e3,
        "errors": len(errors),
        "first_errors": errors[:3],
        "connect_failures": sum(r["connect_failures"] for r in results),
    }


def run(quick: bool) -> tuple[list[Figure], dict[str, Any]]:
    """Measure qualibot and the echo server at each N; returns figures and details."""
    levels = [10, 50] if quick else [10, 100, 1000]
    seconds = 5.0 if quick else 30.0
    open_seconds = 3.0 if quick else 12.0
    conversations = 30 if quick else 250  # at least this many per level, for a stable rate
    figures: list[Figure] = []
    details: dict[str, Any] = {"levels": levels, "client_processes": "1 up to N=100, else 2"}
    with tempfile.TemporaryDirectory(prefix="qualibot-bench-") as tmp:
        work = Path(tmp)
        bot_port, echo_port = procs.free_port(), procs.free_port()
        with (
            procs.server("qualibot", bot_port, work) as bot_server,
            procs.server("echo", echo_port, work) as echo_server,
        ):
            clients(bot_port, 4, 1, False, seconds)  # warm-up: first SQLite pages, imports
            for n in levels:
                rounds = -(-conversations // n)
                echo = clients(echo_port, n, rounds, True, seconds, echo_server.pid)
                bot = clients(bot_port, n, rounds, False, seconds, bot_server.pid)
                details[str(n)] = {"rounds": rounds, "qualibot": bot, "echo": echo}
                figures += _figures(n, bot, echo)
            top = levels[-1]
            closed = details[str(top)]["qualibot"]["per_second"]
            details["open_loop"] = []
            for share in OPEN_LOOP_SHARES:
                paced = openloop.paced(bot_port, top, closed * share, open_seconds, bot_server.pid)
                details["open_loop"].append({"share": share, **paced})
                figures += _open_figures(share, paced)
        stub_port = procs.free_port()
        with procs.server("widget-stub", stub_port, work) as stub_server:
            clients(stub_port, 4, 1, False, seconds)  # warm-up
            n, rounds = (50, 4) if quick else (100, 10)
            stub = clients(stub_port, n, rounds, False, seconds, stub_server.pid)
            details["widget_path"] = {"clients": n, "rounds": rounds, "stub": stub}
            echo_cpu = details[str(n)]["echo"]["server_cpu_ms_per_message"]
            figures.append(Figure(
                PART, f"widget path alone (stub service), {n} clients: server CPU per message",
                stub["server_cpu_ms_per_message"], "ms", echo_cpu, "ms echo",
                note=f"{stub['errors']} errors, {stub['per_second']:,.0f} messages/s",
            ))  # fmt: skip
    return figures, details


def _figures(n: int, bot: dict[str, Any], echo: dict[str, Any]) -> list[Figure]:
    top = n >= 1000
    return [
        Figure(PART, f"{n} clients: messages/s", bot["per_second"], "/s", echo["per_second"],
               "echo/s", Target(">=", 0.2, "ratio") if top else None,
               note=f"{bot['errors']} errors"),
        Figure(PART, f"{n} clients: reply p50", bot["p50_ms"], "ms", echo["p50_ms"], "ms"),
        Figure(PART, f"{n} clients: reply p99", bot["p99_ms"], "ms", echo["p99_ms"], "ms",
               Target("<", 100) if top else None),
        Figure(PART, f"{n} clients: server CPU per message", bot["server_cpu_ms_per_message"],
               "ms", echo["server_cpu_ms_per_message"], "ms"),
    ]  # fmt: skip


def _open_figures(share: float, paced: dict[str, Any]) -> list[Figure]:
    head = f"open loop, {paced['clients']} clients at {share:.0%} of closed loop"
    return [
        Figure(PART, f"{head}: messages/s", paced["per_second"], "/s",
               paced["offered_per_second"], "offered/s", note=f"{paced['errors']} errors"),
        Figure(PART, f"{head}: reply p50", paced["p50_ms"], "ms"),
        Figure(PART, f"{head}: reply p99", paced["p99_ms"], "ms"),
        Figure(PART, f"{head}: server CPU per message", paced["server_cpu_ms_per_message"],
               "ms"),
    ]  # fmt: skip
