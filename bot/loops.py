"""The event loop a server process runs on (``QUALIBOT_EVENT_LOOP``); light to import."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.config import EventLoop


def loop_factory(kind: EventLoop) -> Callable[[], asyncio.AbstractEventLoop]:
    """A new event loop of ``kind`` (``QUALIBOT_EVENT_LOOP``).

    uvloop runs the same asyncio code with its transports and scheduler in C: the widget's
    socket work per message is a fifth to a third cheaper. Imported only when chosen, so a machine
    without it (Windows) runs on the standard loop.
    """
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop
