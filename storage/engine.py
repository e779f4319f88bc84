"""Engines from a database URL: driver rewriting, SQLite pragmas, and write transactions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.jsontext import dumps, loads

DEFAULT_URL = "sqlite+aiosqlite:///qualibot.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
# Execution option marking connections that write: SQLite must take its write lock up front.
WRITE_OPTION = "qualibot_write"
# PostgreSQL connections, all kept open once opened: an overflow connection is closed when it is
# returned, so under load the pool reconnected all the time (TLS attempt, type introspection,
# every prepared statement prepared again: a fifth of the process's CPU at 1,000 concurrent
# conversations, py-spy). storage.backend puts a first-come, first-served gate of
# POOL_SIZE + MAX_OVERFLOW in front of the pool.
POOL_SIZE = 30
MAX_OVERFLOW = 0
# JSON columns written through Core get the same text as the hot paths' plain statements.
_JSON = {"json_serializer": dumps, "json_deserializer": loads}

_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def normalize_url(url: str) -> str:
    """Rewrite ``postgresql://`` and ``sqlite:///`` URLs to their async drivers.

    Operators paste the URL their hosting gives them (``postgres://...``); the store only runs on
    asyncpg and aiosqlite, so the driver part is ours to choose. Explicit drivers are kept.
    """
    parsed = make_url(url)
    driver = _DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str = DEFAULT_URL, *, schema: str | None = None) -> AsyncEngine:
    """Create the async engine for ``url``.

    Args:
        url: a SQLAlchemy URL; ``postgresql://`` and ``sqlite:///`` are rewritten to the
            asyncpg and aiosqlite drivers.
        schema: PostgreSQL schema to put first on the ``search_path`` (one database shared by
            several installations, or a fresh schema per test). Ignored on SQLite.
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **_JSON)
        configure_sqlite(engine.sync_engine)
        return engine
    connect_args: dict[str, Any] = {}
    if schema is not None:
        connect_args["server_settings"] = {"search_path": schema}
    # The hot path runs every statement through asyncpg's prepared-statement cache; a pool big
    # enough for the service's concurrent turns keeps it from queueing on connections.
    return create_async_engine(
        url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, connect_args=connect_args, **_JSON
    )


def make_sqlite_engine(url: str) -> Engine:
    """A synchronous pysqlite engine for ``url`` (any sqlite URL), configured as ``make_engine``.

    SqlStore drives SQLite through this engine on one worker thread: pysqlite costs about
    35 us per statement where aiosqlite, which hops threads for every cursor call, costs 300.
    """
    parsed = make_url(normalize_url(url)).set(drivername="sqlite+pysqlite")
    engine = create_engine(parsed, **_JSON)
    configure_sqlite(engine)
    return engine


def writer(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (same pool) with connections marked as writers; see ``configure_sqlite``."""
    return engine.execution_options(**{WRITE_OPTION: True})


def configure_sqlite(engine: Engine) -> None:
    """Pragmas on every connection, and SQLAlchemy (not sqlite3) in charge of BEGIN.

    WAL lets readers (the rep console, transcript replay) run while a turn writes, and
    ``synchronous=NORMAL`` is durable in WAL mode except for the last commits on power loss,
    at a fraction of the fsync cost. sqlite3's legacy transaction control does not BEGIN before
    a SELECT, so a unit's load and its writes would not be one transaction; taking over BEGIN
    fixes that (SQLAlchemy's documented recipe, "sqlite_enabling_transactions"). Writers begin
    IMMEDIATE: a deferred transaction that read first and writes second fails with SQLITE_BUSY
    (busy_timeout cannot help) when another writer committed in between; IMMEDIATE waits for
    the write lock up front instead. Read-only connections emit no BEGIN at all: a single
    SELECT is consistent on its own and the round trip is saved.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
