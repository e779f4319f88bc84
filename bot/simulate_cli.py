"""`qualibot simulate`: run transcript files and print conversations, outcomes and checks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from bot.clock import FixedClock
from bot.describe import describe
from bot.flow import Flow
from bot.inprocess import MemoryBus, MemoryLocks
from bot.service import Service
from bot.simulate import CaseResult, play
from bot.transcript import load_cases


async def run_files(
    flow: Flow,
    files: list[Path],
    now: datetime,
    as_json: bool,
    open_store: Callable[[str | None], Awaitable[Any]],
) -> bool:
    """Play every case of every file on one throwaway SQLite database; True if all passed."""
    cases = [(file, case) for file in files for case in load_cases(file)]  # all files checked first
    store = await open_store("temp")
    ok = True
    try:
        for index, (_file, case) in enumerate(cases):
            clock = FixedClock(case.now or now)
            service = Service(flow, store, MemoryBus(), MemoryLocks(), clock)
            result = await play(service, store, clock, case, index)
            ok = ok and result.passed is not False
            typer.echo(
                json.dumps(result.to_json(), ensure_ascii=False)
                if as_json
                else _human(flow, result)
            )
    finally:
        await store.close()
        folder = Path(str(store.engine.url.database)).parent if hasattr(store, "engine") else None
        if folder is not None and folder.name.startswith("qualibot-"):
            shutil.rmtree(folder, ignore_errors=True)
    return ok


def _human(flow: Flow, result: CaseResult) -> str:
    lines = [f"== {result.name}"]
    for turn in result.turns:
        lines.append(f"  visitor: {turn['visitor']}")
        lines += [f"  bot:     {text}".replace("\n", "\n           ") for text in turn["bot"]]
    lines.append("  slots:")
    for slot, value in result.slots.items():
        lines.append(f"    {slot}: {describe(slot, value) if value is not None else '-'}")
    lines.append(f"  score: {result.score}")
    for line in result.explanation.lines if result.explanation else ():
        lines.append(f'    {line.points:+d} {line.rule}  <- "{line.quote}"')
    lines.append(f"  stage: {result.stage or '-'}")
    lines.append(f"  handoff: {'yes' if result.handoff else 'no'}")
    lines.append(f"  opted out: {'yes' if result.opted_out else 'no'}")
    if result.passed is not None:
        lines.append("  PASSED" if result.passed else "  FAILED")
        lines += [f"    - {failure}" for failure in result.failures]
    return "\n".join(lines) + "\n"
