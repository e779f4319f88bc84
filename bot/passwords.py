"""Rep passwords: Argon2id hashes, checked off the event loop (a hash takes tens of ms)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2-cffi's defaults follow RFC 9106's recommendations
MIN_LENGTH = 10
# Verified against when the email is unknown, so a login takes as long either way and the
# response time does not reveal which emails are reps.
_DUMMY = _HASHER.hash("qualibot-timing-equalizer")


def check_strength(password: str) -> None:
    """Raise ValueError for a password too weak to protect a rep account."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password needs at least {MIN_LENGTH} characters")
    if password.strip() != password or not password.strip():
        raise ValueError("a password cannot start or end with spaces")


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (blocking: call from a thread in async code)."""
    return _HASHER.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; False for no or a malformed hash (blocking)."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_async(stored_hash: str | None, password: str) -> bool:
    """``verify`` in a worker thread, so logins do not stall other conversations."""
    return await asyncio.to_thread(verify, stored_hash, password)
