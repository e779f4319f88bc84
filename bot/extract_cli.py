"""`qualibot extract`: one text, or JSON Lines in and out (one process for thousands of lines)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TextIO

from bot.extract import EXTRACTORS, extract_contact
from bot.understand import to_json


def extract_one(kind: str, text: str, now: datetime) -> Any:
    """The JSON shape of what ``kind`` reads in ``text``, or None."""
    extractor = extract_contact if kind == "contact" else EXTRACTORS[kind]
    result = extractor(text, now, False)
    return None if result is None else to_json(result.value)


def extract_lines(kind: str, lines: TextIO, out: TextIO, now: datetime) -> None:
    """Read ``{"text", "now"?}`` per line; write one result per line, in order.

    A line that is not valid input gets ``{"error": ...}`` so the output stays aligned.
    """
    for line in lines:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
            reference = datetime.fromisoformat(item["now"]) if item.get("now") else now
            if reference.tzinfo is None:
                reference = reference.replace(tzinfo=now.tzinfo)
            result: Any = extract_one(kind, str(text), reference)
        except (ValueError, KeyError, TypeError) as exc:
            result = {"error": f"bad input line: {exc}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
