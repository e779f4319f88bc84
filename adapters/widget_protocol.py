"""The widget's websocket frames: parse and validate what clients send, build what they receive.

Every frame is one JSON object with a ``type``; docs/widget-protocol.md is the reference for
people writing other clients. Parsing is strict and total: anything unexpected becomes a
``FrameError`` with a stable ``code``, answered with an ``error`` frame and no other effect.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from bot.state import StoredMessage

PROTOCOL_VERSION = 1
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_PATH = 512
MAX_TITLE = 300

ErrorCode = Literal[
    "bad_json",
    "bad_frame",
    "unknown_type",
    "hello_required",
    "too_long",
    "rate_limited",
    "too_many_connections",
    "server_error",
]


class FrameError(Exception):
    """A frame we refuse; ``code`` is stable for clients, ``message`` is for people."""

    def __init__(self, code: ErrorCode, message: str, frame_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.frame_id = frame_id


@dataclass(frozen=True, slots=True)
class Hello:
    """First frame of every connection: who the visitor is (if known) and what they have seen."""

    token: str | None
    last_seq: int


@dataclass(frozen=True, slots=True)
class Start:
    """The visitor opened the chat: greet them if the conversation is new (idempotent)."""

    id: str


@dataclass(frozen=True, slots=True)
class Say:
    """A typed message (``kind="text"``), a quick-reply click (``"click"``) or a page view."""

    id: str
    kind: Literal["text", "click", "page_view"]
    text: str


@dataclass(frozen=True, slots=True)
class Ping:
    """Application-level keep-alive, so the browser notices a dead connection too."""


ClientFrame = Hello | Start | Say | Ping


def parse(raw: str, *, max_chars: int) -> ClientFrame:
    """Turn one text frame into a typed client frame.

    Raises:
        FrameError: malformed JSON, an unknown type, missing or ill-typed fields, or a message
            longer than ``max_chars`` (``too_long``, with the frame's id so the client can mark
            the right bubble).
    """
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise FrameError("bad_json", "frames must be JSON objects") from None
    if not isinstance(data, dict):
        raise FrameError("bad_json", "frames must be JSON objects")
    kind = data.get("type")
    if kind == "ping":
        return Ping()
    if kind == "hello":
        return _hello(data)
    if not isinstance(kind, str) or kind not in ("start", "message", "click", "page_view"):
        raise FrameError("unknown_type", f"unknown frame type {str(kind)[:40]!r}")
    frame_id = data.get("id")
    if not isinstance(frame_id, str) or not CLIENT_ID.match(frame_id):
        raise FrameError("bad_frame", "id must be 1-64 characters of A-Z a-z 0-9 _ -")
    if kind == "start":
        return Start(frame_id)
    if kind == "page_view":
        path = _string(data, "path", frame_id)
        if not path.startswith("/") or len(path) > MAX_PATH:
            raise FrameError("bad_frame", f"path must start with / (max {MAX_PATH})", frame_id)
        return Say(frame_id, "page_view", path)
    text = _string(data, "text" if kind == "message" else "value", frame_id).strip()
    if not text:
        raise FrameError("bad_frame", "empty message", frame_id)
    if len(text) > max_chars:
        raise FrameError(
            "too_long", f"messages are limited to {max_chars} characters", frame_id
        )
    return Say(frame_id, "text" if kind == "message" else "click", text)


def _hello(data: dict[str, Any]) -> Hello:
    token = data.get("token")
    last_seq = data.get("last_seq", 0)
    if token is not None and not isinstance(token, str):
        raise FrameError("bad_frame", "token must be a string")
    if isinstance(last_seq, bool) or not isinstance(last_seq, int) or last_seq < 0:
        raise FrameError("bad_frame", "last_seq must be a whole number >= 0")
    return Hello(token or None, last_seq)


def _string(data: dict[str, Any], field: str, frame_id: str) -> str:
    value = data.get(field)
    if not isinstance(value, str):
        raise FrameError("bad_frame", f"{field} must be a string", frame_id)
    return value


def message_frame(message: StoredMessage, client_id: str | None, text: str) -> dict[str, Any]:
    """A transcript line as the client sees it; ``id`` is set on the visitor's own messages."""
    frame: dict[str, Any] = {
        "type": "message",
        "seq": message.seq,
        "author": message.author,
        "author_name": message.author_name,
        "text": text,
        "at": message.at.isoformat(),
        "quick_replies": [[qr.label, qr.value] for qr in message.quick_replies],
    }
    if client_id is not None:
        frame["id"] = client_id
    return frame


def error_frame(
    code: ErrorCode, message: str, frame_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """An ``error`` frame; the connection stays open unless the server closes it right after."""
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if frame_id is not None:
        frame["id"] = frame_id
    frame.update(extra)
    return frame
