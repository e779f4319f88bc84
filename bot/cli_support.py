"""Helpers shared by the `qualibot` command modules: errors, database URLs, stores."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated, Any

import typer

DB_HELP = "Database URL (default: QUALIBOT_DATABASE_URL or the SQLite file)."
DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP)]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``message`` on standard error and return the Exit to raise."""
    typer.echo(message, err=True)
    return typer.Exit(code)


def db_url(url: str | None) -> str:
    """The database to use: the option, the environment, or the default SQLite file."""
    from storage import DEFAULT_URL

    return url or os.environ.get("QUALIBOT_DATABASE_URL") or DEFAULT_URL


async def open_store(url: str | None) -> Any:
    """A store for the local commands: in memory, a URL, or a throwaway SQLite file ("temp")."""
    if url == "temp":
        from storage import open_store as open_sql

        folder = tempfile.mkdtemp(prefix="qualibot-")
        return await open_sql(f"sqlite+aiosqlite:///{folder}/simulate.db", migrate=True)
    if url:
        from storage import open_store as open_sql

        return await open_sql(url, migrate=True)
    from storage.memory import MemoryStore

    return MemoryStore()
