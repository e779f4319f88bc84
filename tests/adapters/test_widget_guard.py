"""Visitor tokens, origin matching, the rate limiter and the connection counter, in isolation."""

from __future__ import annotations

import pytest

from adapters.widget_guard import ConnectionCounter, RateLimiter, VisitorTokens, origin_allowed

ALLOWED = ("https://example.com", "http://localhost:8080")


def test_a_token_round_trips_to_its_visitor() -> None:
    tokens = VisitorTokens("k" * 32)
    visitor, token = tokens.issue()
    assert tokens.verify(token) == visitor
    assert len(visitor) >= 20  # 128 random bits: not guessable


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # flipped MAC
        lambda t: t.replace("v1.", "v2.", 1),
        lambda t: ".".join([t.split(".")[0], t.split(".")[1] + "x", t.split(".")[2]]),
        lambda t: t + ".extra",
        lambda t: "",
        lambda t: "v1..",
    ],
)
def test_a_tampered_token_is_rejected(mutate: object) -> None:
    tokens = VisitorTokens("k" * 32)
    _, token = tokens.issue()
    assert tokens.verify(mutate(token)) is None  # type: ignore[operator]


def test_a_token_from_another_secret_is_rejected() -> None:
    _, token = VisitorTokens("a" * 32).issue()
    assert VisitorTokens("b" * 32).verify(token) is None


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://example.com", True),
        ("https://EXAMPLE.COM", True),
        ("https://example.com:443", True),
        ("https://example.com/", True),
        ("http://localhost:8080", True),
        (None, False),
        ("", False),
        ("null", False),
        ("https://example.com.evil.com", False),
        ("https://evilexample.com", False),
        ("https://sub.example.com", False),
        ("http://example.com", False),
        ("https://example.com:444", False),
        ("https://user@example.com", False),
        ("https://example.com/path", False),
        ("http://localhost:808", False),
        ("ws://example.com", False),
    ],
)
def test_origins_match_exactly_after_normalizing(origin: str | None, allowed: bool) -> None:
    assert origin_allowed(origin, ALLOWED) is allowed


def test_the_rate_limiter_allows_a_burst_then_the_sustained_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=3, monotonic=lambda: now[0])
    assert [limiter.take("v") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("v") == pytest.approx(1.0)
    assert limiter.take("other") == 0.0  # buckets are per visitor
    now[0] += 1.0
    assert limiter.take("v") == 0.0
    assert limiter.take("v") > 0


def test_the_connection_counter_caps_and_releases() -> None:
    counter = ConnectionCounter(limit=2)
    assert counter.acquire("1.2.3.4")
    assert counter.acquire("1.2.3.4")
    assert not counter.acquire("1.2.3.4")
    assert counter.acquire("5.6.7.8")
    counter.release("1.2.3.4")
    assert counter.acquire("1.2.3.4")
