"""The `qualibot` command: serve, chat, simulate, extract, flows, db.

An entry point and so, like bot/app.py, allowed to wire storage into the core.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from flows import FlowError, load_flow, load_spec

app = typer.Typer(
    help="Qualibot: a conversational lead qualifier.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
flows_app = typer.Typer(help="Check and document flow files.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
reps_app = typer.Typer(help="Sales reps who use the console.", no_args_is_help=True)
app.add_typer(flows_app, name="flows")
app.add_typer(db_app, name="db")
app.add_typer(reps_app, name="reps")

FlowOption = Annotated[
    Path | None, typer.Option("--flow", help="Flow file (default: the BANT flow).")
]
NowOption = Annotated[str | None, typer.Option("--now", help="Reference time, ISO 8601.")]
KINDS = ("budget", "timeline", "authority", "need", "contact", "company_size", "country")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _flow(path: Path | None) -> Any:
    try:
        return load_flow(path)
    except FlowError as exc:
        raise _fail(str(exc)) from None


def _now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(f"--now: not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    flow: FlowOption = None,
) -> None:
    """Run the web server: widget, demo page, channels with settings, rep console."""
    import os

    from bot.config import Settings
    from bot.server import run

    overrides = {
        k: str(v)
        for k, v in (("QUALIBOT_HOST", host), ("QUALIBOT_PORT", port), ("QUALIBOT_FLOW", flow))
        if v is not None
    }
    try:
        settings = Settings.from_env({**os.environ, **overrides})
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _flow(Path(settings.flow) if settings.flow else None)  # a broken flow: a clear error, exit 2
    run(settings)


@app.command()
def chat(
    flow: FlowOption = None,
    db: Annotated[str | None, typer.Option(help="Database URL (default: in memory).")] = None,
) -> None:
    """Chat with the bot in the terminal, with the live score and stage."""
    from adapters.terminal import TerminalChat

    compiled = _flow(flow)

    async def main() -> None:
        store = await _open(db)
        try:
            await TerminalChat(_service(compiled, store)).run()
        finally:
            await store.close()

    asyncio.run(main())


@app.command()
def simulate(
    files: Annotated[list[Path], typer.Argument(help="Transcript files (YAML lists of cases).")],
    flow: FlowOption = None,
    now: NowOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per case per line.")
    ] = False,
) -> None:
    """Replay transcripts through the real service on a throwaway database."""
    from bot.simulate_cli import run_files
    from bot.transcript import TranscriptError

    compiled = _flow(flow)
    try:
        ok = asyncio.run(run_files(compiled, files, _now(now), as_json, _open))
    except TranscriptError as exc:
        raise _fail(str(exc)) from None
    raise typer.Exit(0 if ok else 1)


@app.command()
def extract(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    text: Annotated[
        str | None, typer.Argument(help="Text; without it, JSON Lines on stdin.")
    ] = None,
    now: NowOption = None,
) -> None:
    """Print what an extractor reads from text, as JSON (null when nothing)."""
    from bot.extract_cli import extract_lines, extract_one

    if kind not in KINDS:
        raise _fail(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
    reference = _now(now)
    if text is not None:
        typer.echo(json.dumps(extract_one(kind, text, reference), ensure_ascii=False))
        return
    extract_lines(kind, sys.stdin, sys.stdout, reference)


@flows_app.command("check")
def flows_check(file: Path) -> None:
    """Validate a flow file; print each problem with file, line, key path and reason."""
    compiled = _flow(file)
    spec = compiled.spec
    typer.echo(
        f"{file}: OK ({len(spec.questions)} questions, {len(spec.scoring)} scoring rules, "
        f"{len(spec.stages)} stages)"
    )


@flows_app.command("doc")
def flows_doc(file: Path) -> None:
    """Print the stage definitions and scoring rules as Markdown."""
    from flows.doc import render

    try:
        typer.echo(render(load_spec(file)), nl=False)
    except FlowError as exc:
        raise _fail(str(exc)) from None


@flows_app.command("diagram")
def flows_diagram(file: Path) -> None:
    """Print the flow's state machine as a Mermaid diagram."""
    from bot.machine import mermaid

    compiled = _flow(file)
    typer.echo(mermaid(list(compiled.order), compiled.spec.name))


@db_app.command("upgrade")
def db_upgrade(
    url: Annotated[
        str | None,
        typer.Option(help="Database URL (default: QUALIBOT_DATABASE_URL or the SQLite file)."),
    ] = None,
) -> None:
    """Apply database migrations."""
    from storage.migrate import upgrade

    asyncio.run(upgrade(_db_url(url)))
    typer.echo("database is up to date")


DB_HELP = "Database URL (default: QUALIBOT_DATABASE_URL or the SQLite file)."
DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP)]


def _db_url(url: str | None) -> str:
    import os

    from storage import DEFAULT_URL

    return url or os.environ.get("QUALIBOT_DATABASE_URL") or DEFAULT_URL


@reps_app.command("add")
def reps_add(
    email: str,
    name: Annotated[str, typer.Option(help="Name shown to prospects.")],
    team: Annotated[str | None, typer.Option(help="Routing team.")] = None,
    admin: Annotated[bool, typer.Option(help="Can manage other reps.")] = False,
    capacity: Annotated[int, typer.Option(min=1, max=100, help="Conversations at once.")] = 3,
    db: DbOption = None,
) -> None:
    """Add a rep; the password is prompted, or read from standard input when piped."""
    from email_validator import EmailNotValidError, validate_email

    from bot.passwords import check_strength, hash_password

    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise _fail(f"{email}: {exc}") from None
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        check_strength(password)
    except ValueError as exc:
        raise _fail(str(exc)) from None

    async def add() -> Any:
        store = await _open(_db_url(db))
        try:
            return await store.add_rep(email, name.strip(), hash_password(password), team, admin,
                                       capacity)
        finally:
            await store.close()

    try:
        rep = asyncio.run(add())
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"added {rep.name} <{rep.email}>" + (f" to team {rep.team}" if rep.team else ""))


@reps_app.command("list")
def reps_list(db: DbOption = None) -> None:
    """List reps with team, role, presence and capacity."""

    async def read() -> Any:
        store = await _open(_db_url(db))
        try:
            return await store.list_reps()
        finally:
            await store.close()

    for rep in asyncio.run(read()):
        flags = ", ".join(f for f in ("admin" if rep.admin else "",
                                      "disabled" if rep.disabled else "") if f)
        typer.echo(f"{rep.email}\t{rep.name}\tteam={rep.team or '-'}\t{rep.presence}\t"
                   f"capacity={rep.capacity}" + (f"\t({flags})" if flags else ""))


@reps_app.command("disable")
def reps_disable(email: str, db: DbOption = None) -> None:
    """Disable a rep: they can no longer log in or be routed leads; their sessions end."""

    async def disable() -> bool:
        store = await _open(_db_url(db))
        try:
            rep = await store.find_rep(email=email)
            if rep is None:
                return False
            await store.update_rep(rep.id, disabled=True, presence="offline")
            return True
        finally:
            await store.close()

    if not asyncio.run(disable()):
        raise _fail(f"no rep with email {email}", 1)
    typer.echo(f"disabled {email}")


async def _open(url: str | None) -> Any:
    """A store for the local commands: in memory, a URL, or a throwaway SQLite file."""
    if url == "temp":
        from storage import open_store

        folder = tempfile.mkdtemp(prefix="qualibot-")
        return await open_store(f"sqlite+aiosqlite:///{folder}/simulate.db", migrate=True)
    if url:
        from storage import open_store

        return await open_store(url, migrate=True)
    from storage.memory import MemoryStore

    return MemoryStore()


def _service(flow: Any, store: Any, clock: Any = None) -> Any:
    from bot.clock import SystemClock
    from bot.inprocess import MemoryBus, MemoryLocks
    from bot.service import Service

    return Service(flow, store, MemoryBus(), MemoryLocks(), clock or SystemClock())


def main() -> None:
    """Console-script entry point."""
    app()
