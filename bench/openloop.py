"""Open-loop end to end: N widget clients that pause between messages, at a fixed total rate.

Closed-loop clients send their next message the moment the last reply arrives, so their
latency is just N / throughput and says little about how the server answers a load it can
carry. Here each client is one visitor with a think time between messages, drawn from an
exponential distribution with mean N / rate, so arrivals across clients are a Poisson stream
at ``rate`` messages per second. A message's latency counts from when it was due, not from
when it was sent: a server (or client) that falls behind cannot hide it by delaying the sends
(no coordinated omission). A client whose conversation is over starts another one as a new
visitor; the reconnect moves its schedule, it is not counted as latency.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from multiprocessing.synchronize import Barrier
from typing import Any

import aiohttp

from bench import procs
from bench.clients import run_workers, split
from bench.procs import raise_nofile
from bench.report import percentile
from bench.wsclient import TURN_TIMEOUT, connect, connect_many, frames, widget_turn


def paced(port: int, n: int, rate: float, seconds: float, pid: int | None = None) -> dict[str, Any]:
    """``n`` clients offering ``rate`` messages/s for ``seconds`` against ``port``.

    Returns the offered and achieved rates, reply latency percentiles and, with the server's
    ``pid``, its CPU milliseconds per message.
    """
    url, origin = f"http://127.0.0.1:{port}/widget/ws", f"http://127.0.0.1:{port}"
    processes = 1 if n <= 100 else 2
    args = [
        (url, origin, first, count, rate * count / n, seconds)
        for first, count in split(n, processes)
    ]
    cpu = procs.cpu_seconds(pid) if pid else 0.0
    results = run_workers(clients, args, timeout=seconds + 240)
    cpu = procs.cpu_seconds(pid) - cpu if pid else 0.0
    latencies = [x for r in results for x in r["latencies"]]
    span = max(r["ended"] for r in results) - min(r["began"] for r in results)
    errors = [e for r in results for e in r["errors"]]
    in_window = sum(r["in_window"] for r in results)
    return {
        "clients": n,
        "offered_per_second": rate,
        "due": sum(r["due"] for r in results),
        "messages": len(latencies),
        "seconds": round(span, 3),
        # Replies within the window over its length: a few late replies after it do not
        # stretch the denominator, a server that falls behind completes fewer.
        "per_second": in_window / seconds,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
        "server_cpu_ms_per_message": cpu / max(1, len(latencies)) * 1e3,
        "errors": len(errors),
        "first_errors": errors[:3],
        "connect_failures": sum(r["connect_failures"] for r in results),
    }


async def _clients(
    url: str, origin: str, first: int, count: int, rate: float, seconds: float, barrier: Barrier
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    due_total = in_window = 0
    mean_gap = count / rate  # seconds between one client's messages, on average
    rng = random.Random(first)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets, failed = await connect_many(session, url, origin, count, False)
        await asyncio.get_running_loop().run_in_executor(None, barrier.wait, 120)
        began = time.perf_counter()
        deadline = began + seconds

        async def client(number: int, ws: aiohttp.ClientWebSocketResponse) -> None:
            nonlocal due_total, in_window
            index, script = first + number, frames(first + number)
            turn = 0
            due = began + rng.expovariate(1 / mean_gap)
            try:
                while due < deadline:
                    if turn == len(script):  # conversation over: a new visitor takes its place
                        await ws.close()
                        ws = await connect(session, url, origin, False)
                        index += 1_000_000
                        script, turn = frames(index), 0
                        due = max(due, time.perf_counter())
                    due_total += 1
                    await asyncio.sleep(due - time.perf_counter())
                    async with asyncio.timeout(TURN_TIMEOUT):
                        await widget_turn(ws, script[turn])
                    replied = time.perf_counter()
                    latencies.append(replied - due)
                    in_window += replied <= deadline
                    turn += 1
                    due += rng.expovariate(1 / mean_gap)
            except Exception as exc:  # counted and reported, the run goes on
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
            finally:
                await ws.close()

        await asyncio.gather(*(client(number, ws) for number, ws in enumerate(sockets)))
        ended = time.perf_counter()
    return {"began": began, "ended": ended, "latencies": latencies, "errors": errors,
            "due": due_total, "in_window": in_window, "connect_failures": failed}  # fmt: skip


def clients(
    url: str, origin: str, first: int, count: int, rate: float, seconds: float,
    barrier: Barrier, results: multiprocessing.Queue,  # type: ignore[type-arg]
) -> None:  # fmt: skip
    """Worker process: ``count`` paced clients offering ``rate`` messages/s between them."""
    raise_nofile()
    results.put(asyncio.run(_clients(url, origin, first, count, rate, seconds, barrier)))
