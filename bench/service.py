"""Service with storage: messages/s and p50/p99 at 1, 100 and 1,000 concurrent conversations.

Each message goes through the real ``Service.receive`` (lock, load, decide, commit, relay) on
``storage.open_store`` with MemoryBus and MemoryLocks; a reply returns only after its turn has
committed. The ceiling is one plain INSERT per message, committed on its own, with the same
driver and durability settings at the same concurrency.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench import pg
from bench.closed import Budget, Cell, drive
from bench.paced import Paced, paced_drive
from bench.report import Figure, Target, percentile
from bench.script import conversation
from bot.clock import SystemClock
from bot.heap import tuned_for_serving
from bot.inprocess import MemoryBus, MemoryLocks
from bot.messages import ConversationKey, Inbound
from bot.service import Service
from flows import load_flow
from storage import open_store
from storage.engine import make_sqlite_engine

PART = "service"
CEILING_SQL = "INSERT INTO bench_ceiling (conversation, seq, body, at) VALUES ({})"


def service_sender(service: Service, run: str) -> Callable[[int, int], Awaitable[None]]:
    """Send turn ``turn`` of conversation ``index`` through ``Service.receive``."""
    clock = service.clock

    async def send(index: int, turn: int) -> None:
        key = ConversationKey("widget", f"{run}-{index}")
        line = conversation(index)[turn]
        await service.receive(Inbound(key, f"{key.address}:{turn}", line.text, clock.now(),
                                      line.kind))  # fmt: skip

    return send


# Open-loop loads, as shares of the closed-loop rate at the top concurrency level.
PACED_SHARES = (0.5, 0.8)


async def measure_service(
    url: str, schema: str | None, levels: list[int], quick: bool
) -> tuple[dict[int, Cell], dict[float, Paced]]:
    """Closed-loop cells at every concurrency level on one database, then open-loop cells.

    The open-loop cells run as many conversations as the top level, offering each share of
    the rate that level reached (see ``bench.paced``).
    """
    store = await open_store(url, migrate=True, schema=schema)
    service = Service(load_flow(), store, MemoryBus(), MemoryLocks(), SystemClock())
    cells: dict[int, Cell] = {}
    paced: dict[float, Paced] = {}
    try:
        await drive(4, Budget(60, 5.0), service_sender(service, "warm"))
        for level in levels:
            budget = _budget(level, quick)
            cells[level] = await drive(level, budget, service_sender(service, f"c{level}"))
            # The relay's work belongs to the cell that caused it: a bus that falls behind
            # (Redis, one round trip per event) would otherwise hide its cost in the drain.
            cells[level].cpu_seconds += await _drain(service)
        top = levels[-1]
        for share in PACED_SHARES:
            send = service_sender(service, f"p{share}")
            rate = cells[top].rate * share
            paced[share] = await paced_drive(top, rate, 2.0 if quick else 12.0, send)
            paced[share].cpu_seconds += await _drain(service)
    finally:
        await service.drain()
        await store.close()
    return cells, paced


async def _drain(service: Service) -> float:
    """Wait for the relay to publish everything committed; the process CPU seconds it took."""
    started = time.process_time()
    await service.drain()
    return time.process_time() - started


async def sqlite_ceiling(path: Path, levels: list[int], quick: bool) -> dict[int, Cell]:
    """One autocommitted INSERT per message through the store's own SQLite engine factory.

    Same pragmas (WAL, synchronous=NORMAL), same pysqlite driver, one worker thread as
    SqlStore uses: one hop to the thread and one commit per message.
    """
    from concurrent.futures import ThreadPoolExecutor

    thread = ThreadPoolExecutor(max_workers=1)
    loop = asyncio.get_running_loop()
    engine = make_sqlite_engine(f"sqlite:///{path}")
    raw = await loop.run_in_executor(thread, engine.raw_connection)
    db = raw.driver_connection  # isolation_level None (set by the factory): autocommit
    sql = CEILING_SQL.format("?, ?, ?, ?")

    def setup() -> None:
        db.execute("CREATE TABLE IF NOT EXISTS bench_ceiling (id INTEGER PRIMARY KEY, "
                   "conversation TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, "
                   "at TIMESTAMP NOT NULL)")  # fmt: skip

    await loop.run_in_executor(thread, setup)
    cells: dict[int, Cell] = {}
    try:
        for level in levels:

            async def send(index: int, turn: int, level: int = level) -> None:
                params = (f"c{level}-{index}", turn, conversation(index)[turn].text,
                          "2026-11-22 10:00:00")  # fmt: skip
                await loop.run_in_executor(thread, db.execute, sql, params)

            cells[level] = await drive(level, _budget(level, quick), send)
    finally:
        await loop.run_in_executor(thread, raw.close)
        await loop.run_in_executor(thread, engine.dispose)
        thread.shutdown()
    return cells


async def postgres_ceiling(schema: str, levels: list[int], quick: bool) -> dict[int, Cell]:
    """One autocommitted INSERT per message through asyncpg, with the store's pool size (30)."""
    import datetime as dt

    import asyncpg

    pool = await asyncpg.create_pool(
        pg.POSTGRES_URL, min_size=10, max_size=30, server_settings={"search_path": schema}
    )
    assert pool is not None
    await pool.execute(
        "CREATE TABLE bench_ceiling (id BIGSERIAL PRIMARY KEY, conversation TEXT NOT NULL, "
        "seq INTEGER NOT NULL, body TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)"
    )
    sql = CEILING_SQL.format("$1, $2, $3, $4")
    at = dt.datetime.now(dt.UTC)
    cells: dict[int, Cell] = {}
    try:
        for level in levels:

            async def send(index: int, turn: int, level: int = level) -> None:
                text = conversation(index)[turn].text
                await pool.execute(sql, f"c{level}-{index}", turn, text, at)

            cells[level] = await drive(level, _budget(level, quick), send)
    finally:
        await pool.close()
    return cells


def _paced_summary(run: Paced) -> dict[str, float]:
    return {
        "messages": len(run.latencies),
        "answered_in_window": run.answered_in_window,
        "p50_ms": round(percentile(run.latencies, 50) * 1e3, 2),
        "p99_ms": round(percentile(run.latencies, 99) * 1e3, 2),
        "cpu_ms_per_message": round(run.cpu_seconds / max(1, len(run.latencies)) * 1e3, 3),
    }


def _budget(level: int, quick: bool) -> Budget:
    if quick:
        return Budget(max(100, level * 2), 2.0)
    return Budget(max(3000, level * 6), 12.0)


def _figures(
    db: str, service: dict[int, Cell], ceiling: dict[int, Cell], paced: dict[float, Paced]
) -> list[Figure]:
    figures: list[Figure] = []
    for level, cell in service.items():
        base = ceiling[level]
        top = level >= 1000
        sqlite = db == "SQLite"
        figures += [
            Figure(PART, f"{db}, {level} concurrent: messages/s", cell.rate, "/s", base.rate,
                   "INSERT/s", Target(">=", 5000) if top and sqlite else None),
            Figure(PART, f"{db}, {level} concurrent: p50", percentile(cell.latencies, 50) * 1e3,
                   "ms", percentile(base.latencies, 50) * 1e3, "ms"),
            Figure(PART, f"{db}, {level} concurrent: p99", percentile(cell.latencies, 99) * 1e3,
                   "ms", percentile(base.latencies, 99) * 1e3, "ms",
                   Target("<", 50) if top and sqlite else None),
            Figure(PART, f"{db}, {level} concurrent: CPU per message", cell.cpu_ms, "ms",
                   base.cpu_ms, "ms", note="this process, all threads (not the database server)"),
        ]  # fmt: skip
    top = max(service)
    for share, run in paced.items():
        name = f"{db}, {top} conversations, open loop at {share:.0%}"
        offered = service[top].rate * share
        figures += [
            Figure(PART, f"{name}: answered in the window", run.achieved * 100, "%",
                   note=f"{offered:,.0f} messages/s offered"),
            Figure(PART, f"{name}: p50", percentile(run.latencies, 50) * 1e3, "ms"),
            Figure(PART, f"{name}: p99", percentile(run.latencies, 99) * 1e3, "ms"),
            Figure(PART, f"{name}: CPU per message",
                   run.cpu_seconds / max(1, len(run.latencies)) * 1e3, "ms"),
        ]  # fmt: skip
    return figures


async def _run(quick: bool) -> tuple[list[Figure], dict[str, Any]]:
    levels = [1, 10, 100] if quick else [1, 100, 1000]
    figures: list[Figure] = []
    details: dict[str, Any] = {"levels": levels}
    with tempfile.TemporaryDirectory(prefix="qualibot-bench-") as tmp:
        path = Path(tmp) / "service.db"
        service, paced = await measure_service(f"sqlite:///{path}", None, levels, quick)
        ceiling = await sqlite_ceiling(Path(tmp) / "ceiling.db", levels, quick)
    figures += _figures("SQLite", service, ceiling, paced)
    details["sqlite"] = {
        "service": {n: c.summary() for n, c in service.items()},
        "ceiling": {n: c.summary() for n, c in ceiling.items()},
        "open_loop": {share: _paced_summary(r) for share, r in paced.items()},
    }
    if not pg.available():
        details["postgresql"] = "skipped: nothing listens on 127.0.0.1:5432"
        return figures, details
    async with pg.schema() as name:
        service, paced = await measure_service(pg.POSTGRES_URL, name, levels, quick)
    async with pg.schema() as name:
        ceiling = await postgres_ceiling(name, levels, quick)
    figures += _figures("PostgreSQL", service, ceiling, paced)
    details["postgresql"] = {
        "settings": await pg.settings(),
        "service": {n: c.summary() for n, c in service.items()},
        "open_loop": {share: _paced_summary(r) for share, r in paced.items()},
        "ceiling": {n: c.summary() for n, c in ceiling.items()},
    }
    return figures, details


def run(quick: bool) -> tuple[list[Figure], dict[str, Any]]:
    """Measure the service on SQLite and PostgreSQL; returns figures and details."""
    with tuned_for_serving():  # the collector settings ``qualibot serve`` runs with
        return asyncio.run(_run(quick))
