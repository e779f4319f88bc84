"""Growth: time per message and memory with 1,000 to 100,000 stored conversations (SQLite).

The database is filled by direct SQL that copies, row for row, what the real service wrote
for template conversations (finished ones, and ones waiting on their third answer): the same
tables, columns, JSON and timestamps, with new ids, addresses and external ids. Bulk loading
through the service would take most of the suite's time budget. Each size is then measured in
a fresh process (so its RSS is its own) through the real Service: whole new conversations,
and existing conversations taking their next answers.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.clients import CTX
from bench.procs import rss_mib
from bench.report import Figure, Target, percentile
from bench.script import CONVERSATIONS, conversation
from bench.service import service_sender
from bot.clock import SystemClock
from bot.heap import tuned_for_serving
from bot.inprocess import MemoryBus, MemoryLocks
from bot.messages import ConversationKey, Inbound
from bot.service import Service
from flows import load_flow
from storage import open_store

PART = "growth"
OPEN_TURNS = 2  # open conversations have answered this many lines of conversation 0
CHILD_TABLES = ("messages", "evidence", "stage_changes", "handoffs")
BATCH = 5000


async def _templates(path: Path) -> None:
    """Let the real service write the template conversations into ``path``."""
    store = await open_store(f"sqlite:///{path}", migrate=True)
    service = Service(load_flow(), store, MemoryBus(), MemoryLocks(), SystemClock())
    send = service_sender(service, "T")
    try:
        for index in range(len(CONVERSATIONS)):
            for turn in range(len(conversation(index))):
                await send(index, turn)
        clock = service.clock
        key = ConversationKey("widget", "OPEN")
        for turn, line in enumerate(conversation(0)[:OPEN_TURNS]):
            await service.receive(Inbound(key, f"OPEN:{turn}", line.text, clock.now(), line.kind))
    finally:
        await service.drain()  # the outbox rows are copied as the relay left them: published
        await store.close()


async def _migrate(path: Path) -> None:
    store = await open_store(f"sqlite:///{path}", migrate=True)
    await store.close()


def _rows(db: sqlite3.Connection, table: str, where: str, *args: Any) -> list[dict[str, Any]]:
    cursor = db.execute(f"SELECT * FROM {table} WHERE {where}", args)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def read_templates(path: Path) -> list[dict[str, Any]]:
    """Every row the service wrote for each template conversation, as stored (raw SQLite)."""
    db = sqlite3.connect(path)
    out = []
    for conv in _rows(db, "conversations", "1"):
        cid, key = conv["id"], f"widget:{conv['address']}"
        out.append({
            "address": conv["address"],
            "conversation": conv,
            "lead": _rows(db, "leads", "id = ?", conv["lead_id"])[0],
            **{t: _rows(db, t, "conversation_id = ?", cid) for t in CHILD_TABLES},
            # One outbox row per turn, its events an array; each event names the conversation.
            "outbox": _rows(db, "outbox", "json_extract(payload, '$[0].key') = ?", key),
        })  # fmt: skip
    db.close()
    return out


class Filler:
    """Copies template conversations into the bench database in batches."""

    def __init__(self, path: Path, templates: list[dict[str, Any]]) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        # Loading only: the measured service uses its own connections and settings.
        self.db.execute("PRAGMA synchronous=OFF")
        self.finished = [t for t in templates if t["address"] != "OPEN"]
        self.open = next(t for t in templates if t["address"] == "OPEN")
        self.count = 0
        self.open_addresses: list[str] = []
        self.rows = 0

    def fill(self, total: int) -> None:
        """Add conversations until there are ``total``; one in four is left open."""
        while self.count < total:
            batch = min(BATCH, total - self.count)
            rows: dict[str, list[dict[str, Any]]] = {}
            # Ids after the highest: the measured service adds conversations between fills.
            conv_base, lead_base = (
                self.db.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0]
                for t in ("conversations", "leads")
            )
            for i, n in enumerate(range(self.count, self.count + batch), start=1):
                is_open = n % 4 == 3
                template = self.open if is_open else self.finished[n % len(self.finished)]
                address = f"g{n}"
                if is_open:
                    self.open_addresses.append(address)
                self._copy(template, (conv_base + i, lead_base + i), address, rows)
            self.db.execute("BEGIN")
            for table in ("leads", "conversations", *CHILD_TABLES, "outbox"):
                self._insert(table, rows.get(table, []))
            self.db.execute("COMMIT")
            self.count += batch

    def _copy(
        self, t: dict[str, Any], ids: tuple[int, int], address: str, rows: dict[str, list[Any]]
    ) -> None:
        old = t["address"]
        new_id, lead_id = ids
        rows.setdefault("leads", []).append({**t["lead"], "id": lead_id})
        rows.setdefault("conversations", []).append(
            {**t["conversation"], "id": new_id, "lead_id": lead_id, "address": address}
        )
        for table in CHILD_TABLES:
            for row in t[table]:
                copy = {k: v for k, v in row.items() if k != "id"}
                copy["conversation_id"] = new_id
                if copy.get("external_id"):
                    copy["external_id"] = copy["external_id"].replace(old, address, 1)
                rows.setdefault(table, []).append(copy)
        for row in t["outbox"]:
            payload = row["payload"].replace(f'"widget:{old}"', f'"widget:{address}"')
            rows.setdefault("outbox", []).append(
                {k: v for k, v in row.items() if k != "id"} | {"payload": payload}
            )

    def _insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        names = list(rows[0])
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        self.db.executemany(sql, [tuple(r[n] for n in names) for r in rows])
        self.rows += len(rows)

    def close(self) -> None:
        """Checkpoint the WAL and close."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()


async def _measure(path: Path, tag: str, new: int, existing: list[str]) -> dict[str, Any]:
    store = await open_store(f"sqlite:///{path}", migrate=False)
    service = Service(load_flow(), store, MemoryBus(), MemoryLocks(), SystemClock())
    send = service_sender(service, f"{tag}")
    try:
        for turn in range(len(conversation(0))):  # warm-up: connections, statement cache
            await send(10_000_000, turn)
        fresh: list[float] = []
        cpu = time.process_time()
        for index in range(new):
            for turn in range(len(conversation(index))):
                started = time.perf_counter()
                await send(index, turn)
                fresh.append(time.perf_counter() - started)
        cpu_new = time.process_time() - cpu
        old: list[float] = []
        cpu = time.process_time()
        for address in existing:
            key = ConversationKey("widget", address)
            for turn, line in enumerate(conversation(0)[OPEN_TURNS:], start=OPEN_TURNS):
                inbound = Inbound(key, f"{address}:{turn}", line.text, service.clock.now(),
                                  line.kind)  # fmt: skip
                started = time.perf_counter()
                await service.receive(inbound)
                old.append(time.perf_counter() - started)
        cpu_old = time.process_time() - cpu
    finally:
        await service.drain()
        await store.close()
    return {"new": fresh, "existing": old, "rss_mib": rss_mib(os.getpid()),
            "cpu": {"new": cpu_new, "existing": cpu_old}}  # fmt: skip


def measure(path: Path, tag: str, new: int, existing: list[str], results: Any) -> None:
    """Worker process: per-message times on new and existing conversations, and its RSS."""
    with tuned_for_serving():  # the collector settings ``qualibot serve`` runs with
        results.put(asyncio.run(_measure(path, tag, new, existing)))


def _in_child(path: Path, tag: str, new: int, existing: list[str]) -> dict[str, Any]:
    results: Any = CTX.Queue()
    child = CTX.Process(target=measure, args=(path, tag, new, existing, results), daemon=True)
    child.start()
    try:
        return results.get(timeout=300)  # type: ignore[no-any-return]
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.terminate()
            child.join()


def _summary(samples: list[float], cpu: float) -> dict[str, float]:
    return {
        "messages": len(samples),
        "cpu_ms": round(cpu / max(1, len(samples)) * 1e3, 3),
        "mean_ms": round(sum(samples) / max(1, len(samples)) * 1e3, 3),
        "p50_ms": round(percentile(samples, 50) * 1e3, 3),
        "p99_ms": round(percentile(samples, 99) * 1e3, 3),
    }


def run(quick: bool) -> tuple[list[Figure], dict[str, Any]]:
    """Fill the database step by step and measure at each size; figures and details."""
    sizes = [200, 2_000] if quick else [1_000, 10_000, 100_000]
    new, existing = (20, 30) if quick else (150, 300)
    rng = random.Random(7)
    details: dict[str, Any] = {"sizes": sizes, "fill": "direct SQL copies of service-written rows"}
    with tempfile.TemporaryDirectory(prefix="qualibot-bench-") as tmp:
        work = Path(tmp)
        asyncio.run(_templates(work / "templates.db"))
        templates = read_templates(work / "templates.db")
        path = work / "growth.db"
        asyncio.run(_migrate(path))
        filler = Filler(path, templates)
        fill_seconds = 0.0
        for size in sizes:
            started = time.perf_counter()
            filler.fill(size)
            fill_seconds += time.perf_counter() - started
            sample = rng.sample(filler.open_addresses, min(existing, len(filler.open_addresses)))
            filler.open_addresses = [a for a in filler.open_addresses if a not in set(sample)]
            result = _in_child(path, f"s{size}", new, sample)
            details[str(size)] = {
                "new": _summary(result["new"], result["cpu"]["new"]),
                "existing": _summary(result["existing"], result["cpu"]["existing"]),
                "rss_mib": round(result["rss_mib"], 1),
                "db_mib": round(sum(f.stat().st_size for f in work.glob("growth.db*")) / 2**20, 1),
            }
        details["filled_rows"] = filler.rows
        details["fill_rows_per_second"] = round(filler.rows / fill_seconds)
        filler.close()
    return _figures(sizes, details), details


def _figures(sizes: list[int], details: dict[str, Any]) -> list[Figure]:
    first, last = details[str(sizes[0])], details[str(sizes[-1])]
    figures = []
    at = f"at {sizes[-1]:,} stored"
    for kind in ("new", "existing"):
        # The median, not the mean: other work on a shared machine lands in the tail.
        figures.append(Figure(
            PART, f"{kind} conversations: p50 per message {at}", last[kind]["p50_ms"], "ms",
            first[kind]["p50_ms"], f"ms at {sizes[0]:,}", Target("<=", 1.2, "ratio"),
        ))  # fmt: skip
        figures.append(Figure(
            PART, f"{kind} conversations: p99 per message {at}", last[kind]["p99_ms"], "ms",
            first[kind]["p99_ms"], f"ms at {sizes[0]:,}",
        ))  # fmt: skip
        figures.append(Figure(
            PART, f"{kind} conversations: CPU per message {at}", last[kind]["cpu_ms"], "ms",
            first[kind]["cpu_ms"], f"ms at {sizes[0]:,}",
        ))  # fmt: skip
    figures.append(Figure(PART, f"service process RSS at {sizes[-1]:,} stored", last["rss_mib"],
                          "MiB", first["rss_mib"], f"MiB at {sizes[0]:,}",
                          Target("<=", 1.2, "ratio")))  # fmt: skip
    figures.append(Figure(PART, f"database size at {sizes[-1]:,} stored", last["db_mib"], "MiB"))
    return figures
