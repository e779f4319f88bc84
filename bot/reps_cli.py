"""`qualibot reps`: add, list and disable the sales reps who use the console."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated, Any

import typer

from bot.cli_support import DbOption, db_url, fail, open_store

reps_app = typer.Typer(help="Sales reps who use the console.", no_args_is_help=True)


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
        raise fail(f"{email}: {exc}") from None
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        check_strength(password)
    except ValueError as exc:
        raise fail(str(exc)) from None

    async def add() -> Any:
        store = await open_store(db_url(db))
        try:
            return await store.add_rep(email, name.strip(), hash_password(password), team, admin,
                                       capacity)
        finally:
            await store.close()

    try:
        rep = asyncio.run(add())
    except ValueError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"added {rep.name} <{rep.email}>" + (f" to team {rep.team}" if rep.team else ""))


@reps_app.command("list")
def reps_list(db: DbOption = None) -> None:
    """List reps with team, role, presence, capacity and when a console of theirs was last open."""

    async def read() -> Any:
        store = await open_store(db_url(db))
        try:
            return await store.list_reps()
        finally:
            await store.close()

    for rep in asyncio.run(read()):
        flags = ", ".join(f for f in ("admin" if rep.admin else "",
                                      "disabled" if rep.disabled else "") if f)
        seen = rep.last_seen_at.strftime("%Y-%m-%d %H:%M UTC") if rep.last_seen_at else "never"
        typer.echo(f"{rep.email}\t{rep.name}\tteam={rep.team or '-'}\t{rep.presence}\t"
                   f"capacity={rep.capacity}\tseen={seen}" + (f"\t({flags})" if flags else ""))


@reps_app.command("disable")
def reps_disable(email: str, db: DbOption = None) -> None:
    """Disable a rep: they can no longer log in or be routed leads; their sessions end."""

    async def disable() -> bool:
        store = await open_store(db_url(db))
        try:
            rep = await store.find_rep(email=email)
            if rep is None:
                return False
            await store.update_rep(rep.id, disabled=True, presence="offline")
            return True
        finally:
            await store.close()

    if not asyncio.run(disable()):
        raise fail(f"no rep with email {email}", 1)
    typer.echo(f"disabled {email}")
