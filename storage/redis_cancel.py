"""Stopping a task that runs redis-py commands, which may swallow a cancel on Python 3.11.

redis-py writes every command through ``asyncio.wait_for(..., socket_timeout)`` (the timeout is
5 s by default since redis-py 6). On Python 3.11, ``wait_for`` returns the inner result instead
of raising when a cancel arrives in the loop step where the write completes (CPython gh-86296,
fixed in 3.12 by rebuilding ``wait_for`` on ``asyncio.timeout``): the task runs on as if never
cancelled. A cancel one to three loop steps after a command starts is lost every time.

That lost cancel was the hang at 1,000 conversations on bd07fb6: each lock hold cancelled its
renewal task and awaited it, a renewal in flight swallowed the cancel and renewed for ever, and
the turn awaiting it never ended, holding its lock. ``stop_task`` cancels until the task ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

# How long ``stop_task`` waits for a cancelled task to end before cancelling it again. A task that
# honours the cancel ends in a loop step or two; one that swallowed it is cancelled again after
# this, and again, until it ends.
RECANCEL_SECONDS = 0.05


async def stop_task(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it has ended, cancelling it again while it runs on.

    Unlike ``task.cancel()`` then ``await task`` in ``suppress(CancelledError)``, a cancel of
    the caller itself is not swallowed: it propagates (leaving ``task`` cancelled, maybe still
    ending). An error the task ended with is raised here, as awaiting it would.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RECANCEL_SECONDS)
    with contextlib.suppress(asyncio.CancelledError):
        task.result()
