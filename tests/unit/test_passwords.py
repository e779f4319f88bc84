"""Rep passwords: verification answers, and an unknown email costing as much as a known one."""

from __future__ import annotations

import argon2
import pytest

from bot import passwords


def test_a_password_verifies_against_its_own_hash_only() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse batterY")


def test_an_unknown_email_or_a_broken_hash_never_logs_in() -> None:
    assert not passwords.verify(None, "correct horse battery")
    assert not passwords.verify("", "correct horse battery")
    assert not passwords.verify("$argon2id$garbage", "correct horse battery")


def test_an_unknown_email_is_checked_with_the_work_of_a_real_hash() -> None:
    # The response time must not tell a rep's email from a stranger's: the stand-in hash an
    # unknown email is verified against has exactly the parameters (the work) of a real one.
    real = argon2.extract_parameters(passwords.hash_password("correct horse battery"))
    assert argon2.extract_parameters(passwords._DUMMY) == real
    # And it is well-formed, so verifying it does that work rather than failing fast.
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        passwords._HASHER.verify(passwords._DUMMY, "correct horse battery")
