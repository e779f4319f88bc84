"""Start-up: how long a fresh process takes before it can answer.

A rep restarting the server, a worker replaced under ``QUALIBOT_WORKERS``, and every
``qualibot extract`` or ``simulate`` pay it before the first message. The ceilings are the bare
interpreter (``python -c pass``) and a bare aiohttp server (``bench.echo_server``) started the
same way in the same run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import procs
from bench.report import Figure

PART = "startup"
# ``qualibot extract``, as the console script runs it (bot.cli has no ``__main__`` block).
EXTRACT = [sys.executable, "-c", "from bot.cli import main; main()", "extract", "budget",
           "about 40k a year"]
BARE = [sys.executable, "-c", "pass"]
IMPORT_ENGINE = [sys.executable, "-c", "import bot.engine"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(procs.ROOT), env.get("PYTHONPATH")]))
    return env


def timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run of ``args`` to its exit."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=procs.ROOT, env=_env(), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def ready(kind: str, work: Path) -> float:
    """Wall seconds from spawning a server until its /healthz answers 200."""
    started = time.perf_counter()
    with procs.server(kind, procs.free_port(), work):
        return time.perf_counter() - started


def run(quick: bool) -> tuple[list[Figure], dict[str, Any]]:
    """Median of a few fresh starts of each; returns figures and details."""
    rounds = 2 if quick else 5
    runs: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        runs.setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory(prefix="qualibot-bench-") as tmp:
        work = Path(tmp)
        for _ in range(rounds):  # interleaved, so a noisy moment hits every kind alike
            for name, args in (("bare", BARE), ("import", IMPORT_ENGINE), ("extract", EXTRACT)):
                wall, cpu = timed(args)
                add(f"{name}_wall", wall)
                add(f"{name}_cpu", cpu)
            add("serve_ready", ready("qualibot", work))
            add("echo_ready", ready("echo", work))
    ms = {name: statistics.median(values) * 1e3 for name, values in runs.items()}
    figures = [
        Figure(PART, "`qualibot extract`, one message: wall", ms["extract_wall"], "ms",
               ms["bare_wall"], "ms bare python"),
        Figure(PART, "`qualibot extract`, one message: CPU", ms["extract_cpu"], "ms",
               ms["bare_cpu"], "ms bare python"),
        Figure(PART, "`import bot.engine`: CPU", ms["import_cpu"], "ms",
               ms["bare_cpu"], "ms bare python"),
        Figure(PART, "server (SQLite) from spawn until /healthz answers", ms["serve_ready"], "ms",
               ms["echo_ready"], "ms bare aiohttp"),
    ]  # fmt: skip
    details = {"rounds": rounds, "runs_ms": {k: [round(v * 1e3, 1) for v in vs]
                                              for k, vs in runs.items()}}  # fmt: skip
    return figures, details
