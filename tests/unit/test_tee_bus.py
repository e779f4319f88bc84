"""TeeBus: a shared bus plus this process's own, for single messages and for batches."""

from __future__ import annotations

import asyncio

from bot.inprocess import MemoryBus, TeeBus


async def test_a_batch_reaches_the_shared_bus_and_this_processs_own_in_order() -> None:
    shared, own = MemoryBus(), MemoryBus()
    tee = TeeBus(shared, own)
    everyone, ours = await tee.subscribe("t"), await own.subscribe("t")
    await tee.publish_many([("t", {"n": 1}), ("u", {"n": 2}), ("t", {"n": 3})])
    for sub in (everyone, ours):
        it = aiter(sub)
        assert [(await asyncio.wait_for(anext(it), 2))["n"] for _ in range(2)] == [1, 3]
        await sub.close()
