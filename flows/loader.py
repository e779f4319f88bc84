"""Read a flow file, validate it, and report problems as file:line: key.path: reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from flows.schema import FlowSpec

DEFAULT_FLOW = Path(__file__).with_name("bant.yaml")
# libyaml's parser when PyYAML was built with it (its wheels are): the same documents and marks,
# several times faster than the pure-Python one. With one parse instead of two (the node tree is
# only needed for errors), loading the BANT flow went from 119 to 9 ms.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FlowError(Exception):
    """A flow file that cannot be used; ``problems`` are lines ready to show an operator."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(problems))


def load_spec(path: str | Path | None = None) -> FlowSpec:
    """Parse and validate a flow file (the default BANT flow when ``path`` is None).

    Raises:
        FlowError: with one line per problem, each naming the file, line, key path and reason.
    """
    file = Path(path) if path is not None else DEFAULT_FLOW
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowError(file, [f"{file}: cannot read: {exc.strerror}"]) from None
    try:
        data = yaml.load(text, Loader=_LOADER)  # a safe loader, C or Python
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise FlowError(file, [f"{file}{where}: invalid YAML: {reason}"]) from None
    if not isinstance(data, dict):
        raise FlowError(file, [f"{file}: a flow file is a mapping of keys (version, slots, ...)"])
    try:
        return FlowSpec.model_validate(data)
    except ValidationError as exc:
        node = yaml.compose(text, Loader=_LOADER)  # only to point at lines: a second parse
        raise FlowError(file, [_describe(file, node, err) for err in exc.errors()]) from None


def _describe(file: Path, root: yaml.Node | None, err: Any) -> str:
    loc = [part for part in err["loc"] if not str(part).startswith("function-")]
    key_path = ".".join(str(part) for part in loc) or "(top level)"
    line = _line_of(root, loc)
    where = f":{line}" if line else ""
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{file}{where}: {key_path}: {message}"


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int | None:
    """Walk the YAML node tree along the error's key path to report the nearest line."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            match = node.value[part] if part < len(node.value) else None
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line
