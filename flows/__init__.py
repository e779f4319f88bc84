"""Flow files: the YAML the operator writes, its schema, and the loader."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flows.loader import DEFAULT_FLOW, FlowError, load_spec

if TYPE_CHECKING:
    from bot.flow import Flow

__all__ = ["DEFAULT_FLOW", "FlowError", "load_flow", "load_spec"]


def load_flow(path: str | Path | None = None) -> Flow:
    """Load, validate and compile a flow file (the default BANT flow when ``path`` is None).

    Raises:
        FlowError: the file is unreadable, not YAML, fails the schema, or cannot run.
    """
    from bot.flow import FlowCompileError, compile_flow  # compiled flows live in the core

    spec = load_spec(path)
    try:
        return compile_flow(spec)
    except FlowCompileError as exc:
        file = Path(path) if path is not None else DEFAULT_FLOW
        raise FlowError(file, [f"{file}: {exc}"]) from None
