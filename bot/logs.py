"""Structured logging: one line per event, JSON or console, secrets redacted before rendering."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

# Keys whose values are never written, whatever the caller passed (tokens, keys, passwords, DSNs).
_SENSITIVE = re.compile(r"(secret|token|password|passwd|authorization|cookie|api_key|dsn)", re.I)
# Credentials inside URLs (postgresql://user:pass@host) are cut even under harmless keys.
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s:]+:[^/@\s]+@", re.I)


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Structlog processor: mask sensitive keys and credentials in URLs.

    Runs last before rendering, so nothing a caller adds to a log line can leak a secret.
    """
    for key, value in list(event.items()):
        if key != "event" and _SENSITIVE.search(key):
            event[key] = "**********"
        elif isinstance(value, str) and "://" in value:
            event[key] = _URL_CREDENTIALS.sub(r"\g<scheme>***@", value)
    return event


def configure(fmt: str = "console", level: str = "INFO", stream: TextIO | None = None) -> None:
    """Route structlog and the standard library (aiohttp's access log) through one renderer.

    Args:
        fmt: ``json`` for one JSON object per line (log shippers), ``console`` for people.
        level: the minimum level name (``INFO``, ``DEBUG``...).
        stream: where lines go (default: standard error).
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Alembic and transitions narrate every step at INFO: our own event lines are enough.
    quiet = "DEBUG" if level.upper() == "DEBUG" else "WARNING"
    for name in ("alembic", "aiosqlite", "asyncio", "transitions"):
        logging.getLogger(name).setLevel(quiet)


def get_logger(name: str) -> Any:
    """A structlog logger bound to ``name`` (works before ``configure`` too, unformatted)."""
    return structlog.stdlib.get_logger(name)
