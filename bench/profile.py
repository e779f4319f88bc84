"""Workloads to profile: ``python -m bench.profile engine|service|e2e [--cprofile]``.

Each runs one part's hot path for a few seconds. With ``--cprofile`` the event-loop thread is
profiled with the standard library and the top functions are printed; for every thread (the
SQLite worker too) and for the server process, run it under a sampling profiler instead, e.g.
``py-spy record -o service.svg -- python -m bench.profile service`` (py-spy is not a
dependency of the suite).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import pstats
import sys
import tempfile
from pathlib import Path


def engine(seconds: float) -> None:
    """decide() over the scripted conversations."""
    from bench.engine import decide_rate
    from bot.engine import Engine
    from flows import load_flow

    decide_rate(Engine(load_flow()), seconds)


def service(seconds: float, url: str | None = None, level: int = 100) -> None:
    """Service.receive at ``level`` concurrent conversations on SQLite (or ``url``)."""
    from bench.closed import Budget, drive
    from bench.service import service_sender
    from bot.clock import SystemClock
    from bot.inprocess import MemoryBus, MemoryLocks
    from bot.service import Service
    from flows import load_flow
    from storage import SqlStore, open_store

    async def main(db: str) -> None:
        if db.startswith("sqlite"):
            store = await open_store(db, migrate=True)
            await run(store)
            return
        from bench import pg

        async with pg.schema() as name:  # a throwaway schema, dropped afterwards
            store = await open_store(db, migrate=True, schema=name)
            await run(store)

    async def run(store: SqlStore) -> None:
        svc = Service(load_flow(), store, MemoryBus(), MemoryLocks(), SystemClock())
        try:
            await drive(level, Budget(10**7, seconds), service_sender(svc, "p"))
        finally:
            await svc.drain()
            await store.close()

    with tempfile.TemporaryDirectory(prefix="qualibot-profile-") as tmp:
        asyncio.run(main(url or f"sqlite:///{Path(tmp) / 'profile.db'}"))


def e2e(seconds: float, n: int = 100) -> None:
    """A qualibot server with ``n`` widget clients; prints the server's pid to attach to."""
    from bench import procs
    from bench.e2e import clients

    with tempfile.TemporaryDirectory(prefix="qualibot-profile-") as tmp:
        port = procs.free_port()
        with procs.server("qualibot", port, Path(tmp)) as server:
            print(f"server pid {server.pid}: py-spy record --pid {server.pid}", flush=True)
            rounds = max(1, int(seconds * 250 / 6 / n))  # about ``seconds`` of conversations
            print(clients(port, n, rounds, False, seconds))


def main(argv: list[str] | None = None) -> int:
    """Run one workload, optionally under cProfile."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("workload", choices=["engine", "service", "e2e"])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--url", help="service: a database URL instead of a temporary SQLite")
    parser.add_argument("--cprofile", action="store_true", help="print the top functions")
    args = parser.parse_args(argv)
    work = {"engine": engine, "service": service, "e2e": e2e}[args.workload]
    if args.url:
        work = functools.partial(service, url=args.url)
    if not args.cprofile:
        work(args.seconds)
        return 0
    profiler = cProfile.Profile()
    profiler.runcall(work, args.seconds)
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
