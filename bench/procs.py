"""Server subprocesses for the suite: start, wait until ready, read their memory, stop."""

from __future__ import annotations

import os
import resource
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 30.0


def free_port() -> int:
    """A port nothing listens on now (loopback only)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port`` (a service the part needs)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def raise_nofile() -> int:
    """Raise this process's open-file limit to its hard limit; returns the new soft limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` in MiB, from /proc."""
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User plus system CPU seconds ``pid`` has used, from /proc/PID/stat.

    With ``children``, its live child processes' too (a supervisor's workers).
    """
    with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    if not children:
        return own
    with open(f"/proc/{pid}/task/{pid}/children", encoding="utf-8") as listed:
        return own + sum(cpu_seconds(int(child)) for child in listed.read().split())


def qualibot_env(port: int, database: Path) -> dict[str, str]:
    """Environment of a bench server: temp DB, raised per-IP and rate caps, quiet logs."""
    env = dict(os.environ)
    env.update(
        QUALIBOT_HOST="127.0.0.1",
        QUALIBOT_PORT=str(port),
        QUALIBOT_DATABASE_URL=f"sqlite:///{database}",
        QUALIBOT_SECRET=secrets.token_urlsafe(32),
        QUALIBOT_ALLOWED_ORIGINS=f"http://127.0.0.1:{port}",
        # Every bench client comes from 127.0.0.1: lift the per-address caps for the run.
        QUALIBOT_WIDGET_CONNECTIONS_PER_IP="100000",
        QUALIBOT_WIDGET_RATE_BURST="1000000",
        QUALIBOT_WIDGET_RATE_PER_MINUTE="1000000",
        QUALIBOT_LOG_LEVEL="WARNING",
        QUALIBOT_LOG_FORMAT="json",
    )
    return env


@contextmanager
def server(
    kind: str, port: int, workdir: Path, **env_overrides: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server (kind "qualibot", "widget-stub" or "echo"); stop it on exit.

    "qualibot" is ``python -m bot.server``, "widget-stub" the same app with a stub service
    (``bench.widget_stub``), "echo" ``bench.echo_server``. The first two get a fresh SQLite file
    in ``workdir`` unless ``env_overrides`` name another database; all log there.
    """
    if kind in ("qualibot", "widget-stub"):
        module = "bot.server" if kind == "qualibot" else "bench.widget_stub"
        args = [sys.executable, "-m", module]
        env = qualibot_env(port, workdir / f"server-{port}.db")
    else:
        args = [sys.executable, "-m", "bench.echo_server", str(port)]
        env = dict(os.environ)
    env.update(env_overrides)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    log = open(workdir / f"{kind}-{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=raise_nofile
    )
    try:
        _wait_ready(proc, port)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_ready(proc: subprocess.Popen[bytes], port: int) -> None:
    """Poll /healthz until it answers 200 (a readiness check, not a measurement)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"server on port {port} not ready after {READY_TIMEOUT} s")
