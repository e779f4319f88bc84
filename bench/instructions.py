"""Instructions per unit of work, counted by callgrind: ``python -m bench.instructions WORKLOAD``.

Wall-clock rates on these shared machines drift by a factor of three between sessions and by
tens of percent within one; instruction counts do not. Each workload warms up, then runs its
measured loop between two ``os.getppid()`` calls, which callgrind is told to dump its counts
before (``--dump-before=getppid``): the second dump holds the loop alone. Workloads:

    decide          Engine.decide over the bench's scripted conversations, 10 rounds (per step)
    extract         all extractors per typed message, the message prepared as a turn does
    extract:SLOT    one extractor per typed message (preparing the message included)
    service         Service.receive on a temporary SQLite file at 100 concurrent conversations,
                    1,500 messages after 600 of warm-up, every thread counted (per message)

Needs valgrind (Debian's package). About a minute per engine workload, two for the service.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROUNDS = 10
SERVICE_LEVEL, SERVICE_WARM, SERVICE_MEASURED = 100, 600, 1_500


def engine_loop(workload: str) -> int:
    """Run an engine workload between the two markers; returns its number of units."""
    from bench.engine import Step, converse
    from bench.script import CONVERSATIONS, NOW
    from bot.engine import Engine
    from bot.extract.common import clean
    from bot.extract.folded import begin_message, end_message
    from bot.machine import asked_slot
    from flows import load_flow

    flow = load_flow()
    engine = Engine(flow)
    for index in range(len(CONVERSATIONS) * 3):  # warm-up, as bench.engine does
        converse(engine, index)
    steps: list[Step] = []
    for index in range(len(CONVERSATIONS)):
        converse(engine, index, steps)
    if workload == "decide":
        os.getppid()
        for _ in range(ROUNDS):
            for index in range(len(CONVERSATIONS)):
                converse(engine, index)
        os.getppid()
        return ROUNDS * len(steps)
    wanted = workload.partition(":")[2]
    if wanted and wanted not in flow.extractors:
        raise SystemExit(f"no extractor {wanted!r}; the flow has {', '.join(flow.extractors)}")
    texts = [(s.text, asked_slot(s.state)) for s in steps if s.text is not None]
    extractors = [(slot, f) for slot, f in flow.extractors.items() if slot == wanted or not wanted]

    def once() -> None:
        for text, asked in texts:
            begin_message(clean(text))
            for slot, extract in extractors:
                extract(text, NOW, slot == asked)
            end_message()

    once()
    os.getppid()
    for _ in range(ROUNDS):
        once()
    os.getppid()
    return ROUNDS * len(texts)


def service_loop() -> int:
    """Run the service workload between the two markers; returns its number of messages."""
    from bench.closed import Budget, drive
    from bench.service import service_sender
    from bot.clock import SystemClock
    from bot.inprocess import MemoryBus, MemoryLocks
    from bot.service import Service
    from flows import load_flow
    from storage import open_store

    async def main(url: str) -> None:
        store = await open_store(url, migrate=True)
        service = Service(load_flow(), store, MemoryBus(), MemoryLocks(), SystemClock())
        try:
            await drive(SERVICE_LEVEL, Budget(SERVICE_WARM, 600.0), service_sender(service, "w"))
            await service.drain()
            os.getppid()
            measured = Budget(SERVICE_MEASURED, 600.0)
            await drive(SERVICE_LEVEL, measured, service_sender(service, "m"))
            await service.drain()
            os.getppid()
        finally:
            await store.close()

    with tempfile.TemporaryDirectory(prefix="qualibot-instructions-") as tmp:
        asyncio.run(main(f"sqlite:///{Path(tmp) / 'bench.db'}"))
    return SERVICE_MEASURED


def loop_total(dump: str) -> int:
    """The instruction total of one callgrind dump's text."""
    found = re.search(r"^(?:summary|totals):\s+(\d+)", dump, re.MULTILINE)
    if found is None:
        raise ValueError("no totals in the callgrind dump")
    return int(found.group(1))


def count(workload: str) -> tuple[int, int]:
    """(instructions of the measured loop, units) for ``workload``, under callgrind."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="qualibot-callgrind-") as tmp:
        command = [
            "valgrind", "--tool=callgrind", "--dump-before=getppid", "--separate-threads=no",
            f"--callgrind-out-file={tmp}/cg.out", sys.executable, "-m", "bench.instructions",
            "--inside", workload,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same set orders run after run
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        units = re.search(r"^units (\d+)$", done.stdout, re.MULTILINE)
        if done.returncode != 0 or units is None:
            raise SystemExit(f"the workload failed:\n{done.stderr[-2000:]}")
        # Dump 1 is start-up and warm-up, dump 2 the measured loop, the last the rest.
        return loop_total(Path(f"{tmp}/cg.out.2").read_text()), int(units.group(1))


def main(argv: list[str] | None = None) -> int:
    """Print the instructions per unit of one workload."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.instructions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("workload", help="decide, extract, extract:SLOT or service")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workload = args.workload
    if workload not in ("decide", "extract", "service") and not workload.startswith("extract:"):
        parser.error(f"unknown workload {workload!r}")
    if args.inside:  # under callgrind: run the loop, report its units
        units = service_loop() if workload == "service" else engine_loop(workload)
        print(f"units {units}", flush=True)
        return 0
    total, units = count(workload)
    print(f"{workload}: {total // units:,} instructions per unit ({total:,} over {units:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
