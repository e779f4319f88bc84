"""The `qualibot` command: serve, chat, simulate, extract, flows, db.

An entry point and so, like bot/app.py, allowed to wire storage into the core.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_support import db_url, fail, open_store
from bot.reps_cli import reps_app
from flows import FlowError, load_flow, load_spec

app = typer.Typer(
    help="Qualibot: a conversational lead qualifier.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
flows_app = typer.Typer(help="Check and document flow files.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(flows_app, name="flows")
app.add_typer(db_app, name="db")
app.add_typer(reps_app, name="reps")

FlowOption = Annotated[
    Path | None, typer.Option("--flow", help="Flow file (default: the BANT flow).")
]
NowOption = Annotated[str | None, typer.Option("--now", help="Reference time, ISO 8601.")]
KINDS = ("budget", "timeline", "authority", "need", "contact", "company_size", "country")


def _flow(path: Path | None) -> Any:
    try:
        return load_flow(path)
    except FlowError as exc:
        raise fail(str(exc)) from None


def _now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"--now: not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    flow: FlowOption = None,
    workers: Annotated[
        int | None, typer.Option(help="Server processes sharing the port (PostgreSQL and Redis).")
    ] = None,
) -> None:
    """Run the web server: widget, demo page, channels with settings, rep console."""
    import os

    from bot.config import Settings
    from bot.server import run

    overrides = {
        k: str(v)
        for k, v in (("QUALIBOT_HOST", host), ("QUALIBOT_PORT", port), ("QUALIBOT_FLOW", flow),
                     ("QUALIBOT_WORKERS", workers))
        if v is not None
    }
    try:
        settings = Settings.from_env({**os.environ, **overrides})
    except ValueError as exc:
        raise fail(str(exc)) from None
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
        store = await open_store(db)
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
        ok = asyncio.run(run_files(compiled, files, _now(now), as_json, open_store))
    except TranscriptError as exc:
        raise fail(str(exc)) from None
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
        raise fail(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
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
        raise fail(str(exc)) from None


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

    asyncio.run(upgrade(db_url(url)))
    typer.echo("database is up to date")


def _service(flow: Any, store: Any, clock: Any = None) -> Any:
    from bot.clock import SystemClock
    from bot.inprocess import MemoryBus, MemoryLocks
    from bot.service import Service

    return Service(flow, store, MemoryBus(), MemoryLocks(), clock or SystemClock())


def main() -> None:
    """Console-script entry point."""
    app()
