"""Transcript files for `qualibot simulate`: a YAML list of cases, validated with line numbers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class TranscriptError(Exception):
    """A transcript file that cannot be played; the message names the file and line."""


class Click(BaseModel):
    """A quick-reply click, by the button's value."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    click: str


class Expect(BaseModel):
    """What must hold at the end of the case; slots match by subset (null = must be empty)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    stage: str | None = None
    handoff: bool | None = None
    opted_out: bool | None = None
    slots: dict[str, Any] = Field(default_factory=dict)


class Case(BaseModel):
    """One scripted conversation."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    now: datetime | None = None
    turns: list[str | Click] = Field(min_length=1)
    expect: Expect | None = None

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-11-22T10:00:00Z")
        return value


def load_cases(path: Path) -> list[Case]:
    """Parse a transcript file.

    Raises:
        TranscriptError: unreadable, not YAML, or not a list of valid cases (with the line).
    """
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise TranscriptError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise TranscriptError(
            f"{path}{line}: invalid YAML: {getattr(exc, 'problem', exc)}"
        ) from None
    if not isinstance(data, list) or root is None:
        raise TranscriptError(f"{path}:1: a transcript file is a YAML list of cases")
    cases = []
    for index, item in enumerate(data):
        try:
            cases.append(Case.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            node = root.value[index] if isinstance(root, yaml.SequenceNode) else root
            where = ".".join(str(p) for p in err["loc"]) or "case"
            raise TranscriptError(
                f"{path}:{node.start_mark.line + 1}: case {index + 1}: {where}: {err['msg']}"
            ) from None
    return cases
