"""Browser fixtures: the real server in a subprocess and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import aiohttp
import pytest

from tests.services import CHROMIUM, require_chromium

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    """``python -m bot.server`` (what ``qualibot serve`` runs) on a port.

    Restartable with the same database file and secret, as an operator would restart it.
    """

    def __init__(self, workdir: Path, port: int, **env: str) -> None:
        self.workdir = workdir
        self.port = port
        self.extra_env = env
        self.url = f"http://127.0.0.1:{port}"
        self._proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "QUALIBOT_PORT": str(self.port),
            "QUALIBOT_DATABASE_URL": f"sqlite+aiosqlite:///{self.workdir / 'qualibot.db'}",
            "QUALIBOT_SECRET": "browser-test-secret-0123456789",
            "QUALIBOT_LOG_LEVEL": "INFO",
            **self.extra_env,
        }

    async def start(self) -> None:
        await self.launch()
        await self._wait_healthy()

    async def launch(self) -> None:
        """Start the process without waiting for it to answer."""
        self._log = (self.workdir / "server.log").open("ab")
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.server",
            cwd=self.workdir, env=self.env, stdout=self._log, stderr=self._log,
        )

    async def _wait_healthy(self) -> None:
        """Poll /healthz until the server answers (a condition, not a fixed sleep)."""
        async with aiohttp.ClientSession() as session:
            async with asyncio.timeout(30):
                while True:
                    assert self._proc is not None
                    if self._proc.returncode is not None:
                        raise RuntimeError(f"server exited early:\n{self.log()}")
                    try:
                        async with session.get(self.url + "/healthz") as response:
                            if response.status == 200:
                                return
                    except aiohttp.ClientConnectionError:
                        pass
                    await asyncio.sleep(0.1)

    @property
    def pid(self) -> int:
        """The server process's pid (a supervisor's, with QUALIBOT_WORKERS)."""
        assert self._proc is not None
        return self._proc.pid

    async def wait(self) -> int:
        """The exit code, once the process has exited by itself."""
        assert self._proc is not None
        code = await self._proc.wait()
        await self.stop()
        return code

    async def stop(self) -> int:
        """SIGTERM, as a process manager stops it; returns the exit code."""
        code = 0
        if self._proc is not None:
            if self._proc.returncode is None:
                self._proc.terminate()
            async with asyncio.timeout(30):
                code = await self._proc.wait()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def log(self) -> str:
        path = self.workdir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    require_chromium()
    proc = ServerProcess(tmp_path, free_port())
    await proc.start()
    try:
        yield proc
    finally:
        await proc.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    """A fresh visitor: a new context has empty localStorage."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield await context.new_page()
    finally:
        await context.close()
