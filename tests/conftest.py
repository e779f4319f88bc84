"""Shared fixtures: a fixed clock, the default flow, a chat harness on the real service."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.clock import FixedClock
from bot.flow import Flow
from bot.inprocess import MemoryBus, MemoryLocks
from bot.messages import ConversationKey, Inbound
from bot.service import Reply, Service
from bot.state import Snapshot
from flows import load_flow
from storage.memory import MemoryStore

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def flow() -> Flow:
    return load_flow()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


class Chat:
    """A prospect talking to the real service: says things, clicks, and reads the state back."""

    _ids = itertools.count(1)

    def __init__(self, service: Service, key: ConversationKey) -> None:
        self.service, self.key = service, key
        self.lines: list[str] = []

    async def open(self) -> list[str]:
        return self._keep(await self.service.start(self.key))

    async def say(self, text: str, kind: str = "text", external_id: str | None = None) -> list[str]:
        inbound = Inbound(
            self.key, external_id or f"m{next(self._ids)}", text, self.service.clock.now(), kind
        )  # type: ignore[arg-type]
        return self._keep(await self.service.receive(inbound))

    async def click(self, value: str) -> list[str]:
        return await self.say(value, kind="click")

    async def snapshot(self) -> Snapshot:
        async with self.service.store.unit() as unit:
            return await unit.load(self.key, self.service.clock.now())

    async def value(self, slot: str) -> object:
        item = (await self.snapshot()).evidence.get(slot)
        return None if item is None else (item.value if item.status == "answer" else item.status)

    def _keep(self, reply: Reply) -> list[str]:
        texts = [m.text for m in reply.messages]
        self.lines += texts
        return texts


@pytest.fixture
async def service(flow: Flow, clock: FixedClock) -> AsyncIterator[Service]:
    store = MemoryStore()
    yield Service(flow, store, MemoryBus(), MemoryLocks(), clock)
    await store.close()


@pytest.fixture
def chat(service: Service) -> Chat:
    return Chat(service, ConversationKey("terminal", "prospect-1"))
