"""JSON text for what is stored, published and sent: orjson, with the standard library behind it.

Encoding was 14% of the SQLite service's GIL time at 1,000 concurrent conversations (a turn
encodes its events, evidence, context and replies); orjson does the same work several times
faster. What it writes parses back to the very values ``json.dumps`` text parses back to, with
one difference: a NaN or infinite float becomes ``null`` (``json`` writes ``NaN``, which is not
JSON and which PostgreSQL refuses). Values orjson will not take go to ``json.dumps`` unchanged,
so nothing that encoded before fails now, and nothing that failed encodes now: integers past 64
bits, lone surrogates, nesting past 254 levels, and dataclasses and datetimes (orjson would
encode those itself; passed through, ``json`` raises ``TypeError`` for them as it always has).

Decoding stays with ``json.loads``: orjson reads integers past 64 bits as floats, and a visitor's
frame is parsed once, so there is little to gain there.
"""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

_OPTIONS: Final = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
)
_orjson_dumps = orjson.dumps
_Refused = (orjson.JSONEncodeError, TypeError)


def dumps_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON (ASCII with escapes where ``json.dumps`` encodes it)."""
    try:
        return _orjson_dumps(value, option=_OPTIONS)
    except _Refused:
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def dumps(value: Any) -> str:
    """``value`` as compact JSON text (see ``dumps_bytes``)."""
    try:
        return _orjson_dumps(value, option=_OPTIONS).decode()
    except _Refused:
        return json.dumps(value, separators=(",", ":"))


loads = json.loads
