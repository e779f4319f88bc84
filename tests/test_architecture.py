"""Dependencies point inward: the core imports no channel SDK, database driver, or outer package."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("adapters", "storage", "slack_bolt", "slack_sdk", "telegram", "sqlalchemy", "sqlmodel",
             "asyncpg", "aiosqlite", "redis", "alembic")
# Entry points and the composition root wire the outside in; they are the named exceptions.
WIRING = {"app.py", "server.py", "cli.py", "cli_support.py", "reps_cli.py", "simulate_cli.py"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_channel_or_database_code() -> None:
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.name in WIRING:
            continue
        for name in imported_modules(path):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_storage_and_adapters_do_not_import_each_other() -> None:
    offenders = []
    for package, other in (("storage", "adapters"), ("adapters", "storage")):
        for path in sorted((ROOT / package).rglob("*.py")):
            offenders += [f"{path.relative_to(ROOT)} imports {n}" for n in imported_modules(path)
                          if n.split(".")[0] == other]
    assert offenders == []
