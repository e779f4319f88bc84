"""``QUALIBOT_WORKERS=2``: two real server processes share the port, PostgreSQL and Redis.

The supervisor is ``python -m bot.server`` as a process manager runs it; its workers are the
same command. Visitors are served whichever worker the kernel hands them to, a worker that dies
is replaced, and SIGTERM stops everything cleanly.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg
import pytest

from tests.e2e.conftest import ServerProcess, free_port
from tests.e2e.test_event_loop import _first_answer
from tests.services import REDIS_URL, require_postgres, require_redis


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """A PostgreSQL database of its own, dropped afterwards (the server migrates it)."""
    require_postgres()
    require_redis()
    name = f"qualibot_workers_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def two_workers(workdir: Path, port: int, database: str) -> ServerProcess:
    """The server with QUALIBOT_WORKERS=2 on ``database`` and the test Redis."""
    return ServerProcess(
        workdir, port,
        QUALIBOT_WORKERS="2", QUALIBOT_DATABASE_URL=database, QUALIBOT_REDIS_URL=REDIS_URL,
    )  # fmt: skip


def started_pids(server: ServerProcess) -> list[int]:
    """The pids of the workers that logged ``server.started``, in order."""
    return [int(pid) for pid in re.findall(r"server\.started.*?\bpid=(\d+)", server.log())]


async def until(condition: Callable[[], bool], what: str, server: ServerProcess) -> None:
    """Wait (20 s at most) until ``condition()`` holds: a log line, a process gone."""
    try:
        async with asyncio.timeout(20):
            while True:  # polling a log file and /proc: nothing to await on
                if condition():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"no {what} within 20 s:\n{server.log()}")


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (an exited process nobody has reaped yet does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_two_workers_share_the_port_survive_a_crash_and_stop_together(
    tmp_path: Path, database: str
) -> None:
    server = two_workers(tmp_path, free_port(), database)
    await server.start()
    try:
        await until(lambda: len(started_pids(server)) == 2, "both workers listening", server)
        first, second = started_pids(server)
        assert first != second

        visitors = await asyncio.gather(*(_first_answer(server) for _ in range(8)))
        assert all(len(lines) >= 2 for lines in visitors)  # greeting, question, reply

        os.kill(first, signal.SIGKILL)  # a worker dies (out of memory, a bug)
        await until(lambda: len(started_pids(server)) == 3, "replacement listening", server)
        assert "workers.restarted" in server.log()
        replacement = started_pids(server)[2]
        assert replacement not in (first, second)

        visitors = await asyncio.gather(*(_first_answer(server) for _ in range(8)))
        assert all(len(lines) >= 2 for lines in visitors)
    finally:
        code = await server.stop()
    assert code == 0
    assert not any(alive(pid) for pid in started_pids(server))  # no orphan worker left
    assert "workers.stopped" in server.log()


async def test_workers_stop_when_their_supervisor_is_killed_outright(
    tmp_path: Path, database: str
) -> None:
    server = two_workers(tmp_path, free_port(), database)
    await server.start()
    try:
        await until(lambda: len(started_pids(server)) == 2, "both workers listening", server)
        workers = started_pids(server)
        os.kill(server.pid, signal.SIGKILL)  # the OOM killer: no chance to stop its workers
        # Left behind, they would hold the port with nobody to restart or stop them.
        await until(lambda: not any(alive(pid) for pid in workers), "workers gone", server)
    finally:
        await server.stop()
    assert server.log().count("server.stopped") == 2  # each shut down gracefully


async def test_workers_that_keep_dying_at_start_up_stop_the_supervisor_with_an_error(
    tmp_path: Path, database: str
) -> None:
    port = free_port()
    with socket.socket() as squatter:  # another program holds the port, without SO_REUSEPORT
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        server = two_workers(tmp_path, port, database)
        await server.launch()
        async with asyncio.timeout(60):  # rather than restart workers for ever
            code = await server.wait()
    assert code == 1
    assert "workers.failing_at_start_up" in server.log()
    assert server.log().count("workers.exited") >= 3


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({}, "several workers need PostgreSQL"),  # the default SQLite file
        ({"QUALIBOT_DATABASE_URL": "postgresql://db/qualibot"}, "several workers need Redis"),
    ],
)
async def test_several_workers_without_shared_storage_refuse_to_start(
    tmp_path: Path, env: dict[str, str], error: str
) -> None:
    server = ServerProcess(tmp_path, free_port(), QUALIBOT_WORKERS="2", **env)
    with pytest.raises(RuntimeError, match="server exited early"):
        await server.start()
    assert error in server.log()
    assert await server.stop() != 0
