"""Rep passwords: Argon2id hashes, checked off the event loop (a hash takes tens of ms)."""

from __future__ import annotations

import asyncio
import base64

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION

_HASHER = PasswordHasher()  # argon2-cffi's defaults follow RFC 9106's recommendations
MIN_LENGTH = 10


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A well-formed hash with ``hasher``'s parameters that no password matches.

    Verified against when the email is unknown, so a login takes as long either way and the
    response time does not reveal which emails are reps. Verifying costs the same whatever the
    salt and digest: only the parameters set the work. Built, not hashed, because a hash at
    import cost every process 0.28 s of CPU and 64 MiB at start-up.
    """

    def b64(size: int) -> str:
        return base64.b64encode(bytes(size)).decode().rstrip("=")

    kind = f"argon2{hasher.type.name.lower()}"
    cost = f"m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
    return f"${kind}$v={ARGON2_VERSION}${cost}${b64(hasher.salt_len)}${b64(hasher.hash_len)}"


_DUMMY = _dummy_hash(_HASHER)


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
