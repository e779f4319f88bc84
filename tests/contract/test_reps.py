"""Reps and Sessions contract: accounts and console log-ins on MemoryStore, SQLite, PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.state import Rep

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


async def test_add_find_list_and_update_reps(store: Any) -> None:
    lee = await store.add_rep("lee@example.com", "Lee", "h-lee")
    dana = await store.add_rep("dana@example.com", "Dana", "h-dana", team="enterprise",
                               admin=True, capacity=5)  # fmt: skip
    assert dana == Rep(dana.id, "dana@example.com", "Dana", "enterprise", True, False,
                       "offline", 5, "h-dana")  # fmt: skip
    assert (lee.team, lee.admin, lee.presence, lee.capacity) == (None, False, "offline", 3)
    assert await store.find_rep(rep_id=dana.id) == dana
    assert await store.find_rep(email="dana@example.com") == dana
    assert await store.find_rep(rep_id=dana.id, email="lee@example.com") is None
    assert await store.find_rep(rep_id=dana.id + lee.id + 100) is None
    assert await store.list_reps() == [dana, lee]  # by name

    await store.update_rep(lee.id, presence="online", capacity=1, password_hash="h-new")
    await store.update_rep(dana.id, disabled=True)
    await store.update_rep(dana.id)  # nothing to change is fine
    lee_now = await store.find_rep(rep_id=lee.id)
    assert (lee_now.presence, lee_now.capacity, lee_now.password_hash) == ("online", 1, "h-new")
    assert (await store.find_rep(rep_id=dana.id)).disabled
    assert [r.name for r in await store.list_reps()] == ["Dana", "Lee"]  # disabled ones too


async def test_update_of_an_unknown_rep_raises(store: Any) -> None:
    with pytest.raises(LookupError):
        await store.update_rep(4242, presence="online")
    with pytest.raises(LookupError):
        await store.update_rep(4242)


async def test_negative_capacity_is_refused(store: Any) -> None:
    with pytest.raises(ValueError, match="capacity"):
        await store.add_rep("a@example.com", "A", "h", capacity=-1)
    rep = await store.add_rep("a@example.com", "A", "h")
    with pytest.raises(ValueError, match="capacity"):
        await store.update_rep(rep.id, capacity=-1)


async def test_duplicate_email_is_refused_whatever_its_case(store: Any) -> None:
    await store.add_rep("dana@example.com", "Dana", "h")
    with pytest.raises(
        ValueError, match=re.escape("a rep with email dana@example.com already exists")
    ):
        await store.add_rep("Dana@Example.COM", "Dana again", "h")
    assert [r.name for r in await store.list_reps()] == ["Dana"]
    await store.add_rep("lee@example.com", "Lee", "h")  # the store still works afterwards


async def test_email_is_stored_lower_cased_and_found_in_any_case(store: Any) -> None:
    rep = await store.add_rep("  Dana.Smith@Example.com ", "Dana", "h")
    assert rep.email == "dana.smith@example.com"
    assert await store.find_rep(email="DANA.SMITH@example.COM") == rep
    assert (await store.list_reps())[0].email == "dana.smith@example.com"


async def test_find_rep_needs_an_id_or_an_email(store: Any) -> None:
    with pytest.raises(ValueError, match="rep_id or email"):
        await store.find_rep()


async def test_session_is_found_until_it_expires(store: Any) -> None:
    rep = await store.add_rep("dana@example.com", "Dana", "h")
    expires = T0 + timedelta(hours=8)
    await store.create_session("hash-1", rep.id, "csrf-1", expires)
    assert await store.find_session("hash-1", T0) == (rep, "csrf-1")
    assert await store.find_session("hash-1", expires - timedelta(microseconds=1)) == (
        rep,
        "csrf-1",
    )
    assert await store.find_session("hash-1", expires) is None  # expired at the deadline
    assert await store.find_session("unknown", T0) is None


async def test_purge_removes_only_expired_sessions(store: Any) -> None:
    rep = await store.add_rep("dana@example.com", "Dana", "h")
    await store.create_session("old", rep.id, "c", T0)
    await store.create_session("new", rep.id, "c", T0 + timedelta(hours=1))
    assert await store.purge_sessions(T0) == 1
    assert await store.purge_sessions(T0) == 0
    assert await store.find_session("new", T0) == (rep, "c")


async def test_logout_deletes_the_session(store: Any) -> None:
    rep = await store.add_rep("dana@example.com", "Dana", "h")
    await store.create_session("hash-1", rep.id, "c", T0 + timedelta(hours=1))
    await store.delete_session("hash-1")
    await store.delete_session("hash-1")  # twice is fine
    assert await store.find_session("hash-1", T0) is None


async def test_disabling_a_rep_ends_their_sessions(store: Any) -> None:
    dana = await store.add_rep("dana@example.com", "Dana", "h")
    lee = await store.add_rep("lee@example.com", "Lee", "h")
    later = T0 + timedelta(hours=1)
    await store.create_session("dana-laptop", dana.id, "c1", later)
    await store.create_session("dana-phone", dana.id, "c2", later)
    await store.create_session("lee-laptop", lee.id, "c3", later)
    await store.update_rep(dana.id, disabled=True)
    assert await store.find_session("dana-laptop", T0) is None
    await store.update_rep(dana.id, disabled=False)
    # Re-enabling does not bring the sessions back: they were deleted, not hidden.
    assert await store.find_session("dana-phone", T0) is None
    assert await store.find_session("lee-laptop", T0) == (lee, "c3")


async def test_seen_at_is_kept_and_routing_sees_it(store: Any) -> None:
    lee = await store.add_rep("lee@example.com", "Lee", "h-lee")
    assert lee.last_seen_at is None  # never had a console open
    await store.update_rep(lee.id, presence="online", seen_at=T0)
    await store.update_rep(lee.id, capacity=2)  # other changes leave it alone
    assert (await store.find_rep(rep_id=lee.id)).last_seen_at == T0
    [load] = await store.rep_loads()
    assert (load.presence, load.last_seen_at) == ("online", T0)
