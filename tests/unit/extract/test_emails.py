"""The plain-address path (``emails.plain``) gives ``email_validator``'s answer, or defers."""

from __future__ import annotations

import random

import idna
import pytest
from email_validator import EmailNotValidError, validate_email

from bot.extract.emails import normalized_email, plain


def _library(candidate: str) -> str | None:
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


@pytest.mark.parametrize(
    ("candidate", "fast"),
    [
        ("sam@example.com", "sam@example.com"),
        ("Jane.Doe@Example.ORG", "Jane.Doe@example.org"),
        ("o'neil+tag@sub-domain.co.uk", "o'neil+tag@sub-domain.co.uk"),
        ("a_b@x9.io", "a_b@x9.io"),
        ("Sales@acme.com", None),  # a mailbox name the library lower-cases
        ("sam@example.test", None),  # special-use: refused by the library
        ("sam@host.local", None),
        ("sam@ab--cd.com", None),  # "--" in the third and fourth places
        ("sam@xn--bcher-kva.com", None),  # Punycode
        ("sam@example.c0m1", None),  # the top-level domain must end with a letter
        ("sam@example.1", None),
        ("sam@-example.com", None),
        ("sam@example-.com", None),
        ("sam@exa_mple.com", None),  # "_" is not a host name character
        (".sam@example.com", None),
        ("sa..m@example.com", None),
        ("sam.@example.com", None),
        ("sam@localhost", None),  # no period
        ("sæm@example.com", None),  # non-ASCII
        ("s@" + "a" * 64 + ".com", None),  # a label over 63 characters
        ("s" * 250 + "@ab.com", None),  # over 254 characters
    ],
)
def test_plain_answers_as_the_library_or_defers(candidate: str, fast: str | None) -> None:
    assert plain(candidate) == fast
    if fast is not None:
        assert _library(candidate) == fast
    assert normalized_email(candidate) == _library(candidate)


def test_random_candidates_agree_with_the_library() -> None:
    rng = random.Random(5)
    alphabet = "aAzZ09_+'-.xn"
    pieces = ["sales", "Info", "xn--", "example", "test", "local", "com", "io", "-", "--"]

    def part(most: int) -> str:
        return "".join(
            rng.choice(pieces) if rng.random() < 0.2 else rng.choice(alphabet)
            for _ in range(rng.randint(1, most))
        )

    checked = 0
    for _ in range(20_000):
        candidate = part(8) + "@" + part(10)
        fast = plain(candidate)
        if fast is not None:
            checked += 1
            assert fast == _library(candidate), candidate
    assert checked > 100


def test_idna_remapping_lowers_ascii_host_characters() -> None:
    # ``plain`` writes the domain lowered: what UTS-46 remapping does to these characters.
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-."
    assert idna.uts46_remap(chars, std3_rules=False, transitional=False) == chars.lower()
