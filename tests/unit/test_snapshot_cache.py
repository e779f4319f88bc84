"""SnapshotCache: bounded, least recently used out first, and private copies for units."""

from __future__ import annotations

from bot.messages import ConversationKey
from bot.state import Snapshot
from storage.snapshots import Known, SnapshotCache


def known(n: int) -> Known:
    key = ConversationKey("widget", f"v{n}")
    snapshot = Snapshot(n, key, "start", "bot", None, 0, {}, {}, False, 0)
    return Known(n, 100 + n, "widget", 0, {}, {"stage": None, "score": 0}, snapshot)


def test_the_least_recently_used_conversation_goes_first() -> None:
    cache = SnapshotCache(size=2)
    cache.put(known(1))
    cache.put(known(2))
    assert cache.get(ConversationKey("widget", "v1")) is not None  # v1 is now the most recent
    cache.put(known(3))
    assert len(cache) == 2
    assert cache.get(ConversationKey("widget", "v2")) is None
    assert cache.get(ConversationKey("widget", "v1")) is not None


def test_a_unit_changes_its_own_copy_only() -> None:
    cache = SnapshotCache()
    cache.put(known(1))
    mine = cache.get(ConversationKey("widget", "v1"))
    assert mine is not None
    mine.version += 1
    mine.lead["name"] = "Ada"
    again = cache.get(ConversationKey("widget", "v1"))
    assert again is not None
    assert (again.version, again.lead.get("name")) == (0, None)


def test_dropping_by_conversation_id_and_entries_without_a_snapshot() -> None:
    cache = SnapshotCache()
    cache.put(known(1))
    cache.drop(1)
    assert cache.get(ConversationKey("widget", "v1")) is None
    cache.put(known(2))
    blind = known(2)
    blind.snapshot = None  # written without a load: what the cache held is not known to hold
    cache.put(blind)
    assert cache.get(ConversationKey("widget", "v2")) is None


def test_peek_shares_the_entry_and_counts_as_a_use() -> None:
    """SQLite's units take the entry itself and copy it only in the job that writes."""
    cache = SnapshotCache(size=2)
    one = known(1)
    cache.put(one)
    cache.put(known(2))
    assert cache.peek(ConversationKey("widget", "v1")) is one  # v1 is now the most recent
    cache.put(known(3))
    assert cache.peek(ConversationKey("widget", "v2")) is None
    assert cache.peek(ConversationKey("widget", "v1")) is one
