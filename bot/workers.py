"""Several server processes on one port (``QUALIBOT_WORKERS``): one per core past one GIL.

A Python process runs its Python on one core at a time, so one process cannot use a second
core. With ``QUALIBOT_WORKERS=N`` the command starts N ordinary ``python -m bot.server``
workers, each binding the port with ``SO_REUSEPORT`` so the kernel spreads new connections
over them, and stays on as their supervisor. They share PostgreSQL and Redis as separate
machines would (``bot.config.check_workers``). The supervisor passes SIGTERM and SIGINT on and
waits for every worker's graceful shutdown, and restarts a worker that dies, unless workers keep
dying before they listen (a broken configuration, the port taken), when it stops them all and
exits with an error. A worker says it listens by writing to a pipe the supervisor gave it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType

import structlog

from bot.config import Settings

log = structlog.stdlib.get_logger("bot.workers")

# Set in each worker's environment: it serves instead of supervising, with SO_REUSEPORT.
WORKER_ENV = "QUALIBOT_WORKER_INDEX"
# The pipe a worker writes one byte to once it listens (see ``listening``).
READY_ENV = "QUALIBOT_WORKER_READY_FD"
# Workers dying before they listen this many times in a row stop the supervisor, rather than
# restart workers for ever.
EARLY_EXITS_ALLOWED = 3
# How often the supervisor looks at its workers (it does nothing else: no event loop to block).
POLL_SECONDS = 0.2
# A worker's graceful shutdown at its slowest: the widget's drain of messages in progress
# (10 s), its sockets closing (10 s), aiohttp's shutdown (bot.server.SHUTDOWN_TIMEOUT, 15 s),
# then storage and channels closing. About 35 s: at 30 s, workers with requests stuck on a
# lock held elsewhere were killed in the middle of stopping.
STOP_GRACE_SECONDS = 45.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(slots=True)
class Worker:
    """One worker process, when it started, and the read end of its readiness pipe."""

    index: int
    process: subprocess.Popen[bytes]
    started: float
    ready_pipe: int

    def listened(self) -> bool:
        """Whether the exited worker had said it listens (its end is closed: no waiting)."""
        return os.read(self.ready_pipe, 1) == b"1"


def is_worker() -> bool:
    """Whether this process is a worker started by ``supervise`` (it then serves)."""
    return WORKER_ENV in os.environ


def listening() -> None:
    """In a worker: tell the supervisor it listens (from then on, a death is not a start-up's)."""
    fd = os.environ.get(READY_ENV)
    if fd is not None:
        os.write(int(fd), b"1")
        os.close(int(fd))


def supervise(settings: Settings) -> int:
    """Run ``settings.workers`` workers until SIGTERM or SIGINT; the exit status to return."""
    stop: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    workers = [_start(settings, index) for index in range(settings.workers)]
    log.info("workers.started", workers=settings.workers, pids=[w.process.pid for w in workers],
             url=f"http://{settings.host}:{settings.port}/")  # fmt: skip
    early_exits = 0
    status = 0
    try:
        while not stop:
            time.sleep(POLL_SECONDS)
            for position, worker in enumerate(workers):
                code = worker.process.poll()
                if code is None or stop:
                    continue
                listened = worker.listened()
                early_exits = 0 if listened else early_exits + 1
                log.error("workers.exited", index=worker.index, pid=worker.process.pid,
                          code=code, listened=listened,
                          seconds=round(time.monotonic() - worker.started, 1))  # fmt: skip
                if early_exits >= EARLY_EXITS_ALLOWED:
                    log.error("workers.failing_at_start_up", exits=early_exits,
                              hint="see the workers' own errors above")  # fmt: skip
                    stop.append(signal.SIGTERM)
                    status = 1
                    break
                os.close(worker.ready_pipe)
                workers[position] = _start(settings, worker.index)
                log.info("workers.restarted", index=worker.index,
                         pid=workers[position].process.pid)  # fmt: skip
    finally:
        _stop_all(workers, stop[0] if stop else signal.SIGTERM)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("workers.stopped")
    return status


def _start(settings: Settings, index: int) -> Worker:
    """A worker with this process's environment and the settings given on the command line."""
    env = {
        **os.environ,
        WORKER_ENV: str(index),
        "QUALIBOT_HOST": settings.host,
        "QUALIBOT_PORT": str(settings.port),
        "QUALIBOT_WORKERS": str(settings.workers),
        **({"QUALIBOT_FLOW": str(settings.flow)} if settings.flow else {}),
    }
    read_end, write_end = os.pipe()
    env[READY_ENV] = str(write_end)
    die_with_us = _die_with_parent if sys.platform == "linux" else None
    try:
        process = subprocess.Popen([sys.executable, "-m", "bot.server"], env=env,
                                   pass_fds=(write_end,), preexec_fn=die_with_us)  # fmt: skip
    finally:
        os.close(write_end)  # the worker holds it now: EOF here once the worker has exited
    return Worker(index, process, time.monotonic(), read_end)


def _die_with_parent() -> None:
    """In the new worker, before it runs: SIGTERM it if the supervisor dies.

    A supervisor killed outright (SIGKILL, the OOM killer) cannot stop its workers, and a worker
    left behind would hold the port and its connections with nobody to restart or stop it. The
    kernel sends the signal (``prctl(PR_SET_PDEATHSIG)``), and the worker shuts down as on any
    SIGTERM. Linux only; elsewhere the workers outlive a killed supervisor.
    """
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop_all(workers: list[Worker], signum: int) -> None:
    """Pass the signal on, wait for every graceful shutdown, kill what outlives the grace."""
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signum)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("workers.killed", index=worker.index, pid=worker.process.pid)
            worker.process.kill()
            worker.process.wait()
        os.close(worker.ready_pipe)
