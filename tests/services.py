"""Reachability of the real services tests use: skip locally when absent, fail under CI=true."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

POSTGRES_URL = os.environ.get("QUALIBOT_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("QUALIBOT_TEST_REDIS", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("QUALIBOT_TEST_CHROMIUM", "/usr/bin/chromium")


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def require(name: str, available: bool) -> None:
    """Skip when a service is missing, unless under CI, where a skipped suite is a failed one."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is required under CI but is not available", pytrace=False)
    pytest.skip(f"{name} not available")


def require_postgres() -> None:
    """PostgreSQL on 127.0.0.1:5432, database ``test``."""
    require("PostgreSQL on 127.0.0.1:5432", _reachable(5432))


def require_redis() -> None:
    """Redis on 127.0.0.1:6379."""
    require("Redis on 127.0.0.1:6379", _reachable(6379))


def require_chromium() -> None:
    """Debian's Chromium for Playwright (never a downloaded browser)."""
    require(f"Chromium at {CHROMIUM}", shutil.which(CHROMIUM) is not None)
