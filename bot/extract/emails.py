"""An email candidate checked and normalized as ``email_validator`` does, without it when plain.

``validate_email`` costs about 100 µs on "sam@example.com" (it walks the text character by
character, Unicode-normalizes both parts and remaps the domain through IDNA tables). Most
addresses are plain ASCII, and for those every one of its checks has a known answer: ``plain``
reads that subset with one regular expression and a few comparisons, and anything else goes to
the library.
"""

from __future__ import annotations

import re

import email_validator
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

# The subset read without the library, with what ``validate_email`` (2.x, the defaults, no
# deliverability check) does on it, step by step:
# - local part: dot-atom ASCII text (``DOT_ATOM_TEXT`` matches; no quotes, no display name, no
#   "<"), so it is kept as written; NFC leaves ASCII unchanged; no length limit (not strict).
# - domain: labels of letters, digits and inner hyphens (``DOT_ATOM_TEXT_HOSTNAME``), at least
#   two, the last ending with a letter (globally deliverable); UTS-46 remapping lowers ASCII
#   letters and keeps digits, "-" and "." (see the unit test); without "--" no label can be
#   "xn--" Punycode, nor break the "ab--" rule, so the domain is its lowered ASCII form.
_PLAIN = re.compile(
    r"[A-Za-z0-9_+'-]+(?:\.[A-Za-z0-9_+'-]+)*"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:[A-Za-z]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z]))"
)
_MAX_EMAIL, _MAX_DOMAIN, _MAX_LABEL = 254, 253, 63  # email_validator.rfc_constants
# Mailbox names the library lower-cases ("Sales@acme.com" is "sales@acme.com"): left to it.
_MAILBOX_NAMES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


def _special_endings() -> tuple[str, ...]:
    # The library's own list, read once: a domain under one of them is refused by it.
    return tuple("." + name for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)


_SPECIAL = _special_endings()


def plain(candidate: str) -> str | None:
    """``validate_email(candidate, check_deliverability=False).normalized`` for a plain address.

    None when ``candidate`` is outside the subset read here (see ``_PLAIN``), whatever the
    library would say of it.
    """
    m = _PLAIN.fullmatch(candidate)
    if m is None or len(candidate) > _MAX_EMAIL:
        return None
    domain = m[1].lower()
    if "--" in domain or len(domain) > _MAX_DOMAIN or domain.endswith(_SPECIAL):
        return None
    if any(len(label) > _MAX_LABEL for label in domain.split(".")):
        return None
    local = candidate[: m.start(1) - 1]
    if local.lower() in _MAILBOX_NAMES:
        return None
    return f"{local}@{domain}"


def normalized_email(candidate: str) -> str | None:
    """The normalized address ``email_validator`` gives ``candidate``, or None if it refuses it."""
    found = plain(candidate)
    if found is not None:
        return found
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        return None
