"""QUALIBOT_TRUSTED_PROXIES: reading the setting, and the rightmost-untrusted rule on its own."""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import ip_network
from pathlib import Path

import pytest
from aiohttp.test_utils import make_mocked_request

from adapters.proxies import Client, TrustedProxies, parse_address
from bot.config import Settings
from bot.env import ConfigError

PROXIES = TrustedProxies([ip_network("10.0.0.0/8"), ip_network("2001:db8:ff::/48")])


def test_the_setting_takes_addresses_and_networks_of_both_families(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"QUALIBOT_TRUSTED_PROXIES": " 10.1.2.3, 172.16.0.0/12,,2001:DB8::/32, ::1, 10.1.2.3"},
        workdir=tmp_path,
    )
    assert [str(n) for n in settings.trusted_proxies] == [
        "10.1.2.3/32", "172.16.0.0/12", "2001:db8::/32", "::1/128",
    ]


def test_nobody_is_trusted_by_default(tmp_path: Path) -> None:
    assert Settings.from_env({}, workdir=tmp_path).trusted_proxies == ()


def test_a_network_with_host_bits_is_refused_with_the_likely_meaning(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"QUALIBOT_TRUSTED_PROXIES: '10\.0\.0\.1/8' has host "
                       r"bits set; did you mean 10\.0\.0\.0/8\?"):
        Settings.from_env({"QUALIBOT_TRUSTED_PROXIES": "10.0.0.1/8"}, workdir=tmp_path)


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [
        (["203.0.113.7"], "203.0.113.7"),
        # Whatever the client wrote on the left is never read: the proxy appended the truth.
        (["6.6.6.6, 203.0.113.7"], "203.0.113.7"),
        (["6.6.6.6, 203.0.113.7, 10.9.9.9"], "203.0.113.7"),  # past a second trusted proxy
        (["6.6.6.6", "203.0.113.7, 10.9.9.9"], "203.0.113.7"),  # several header lines, in order
        (["10.5.5.5, 10.9.9.9"], "10.5.5.5"),  # all trusted: the leftmost is the client
        (["2001:DB8:0:0::7, 2001:db8:ff::1"], "2001:db8::7"),  # IPv6, canonical form
        (["[2001:db8::7]:443, 203.0.113.9:4711"], "203.0.113.9"),  # ports are dropped
        (["::ffff:203.0.113.7"], "203.0.113.7"),  # IPv4-mapped counts as the IPv4 client
        # Garbage left of the client does not matter; garbage in the trusted part does.
        (["not-an-ip, 203.0.113.7"], "203.0.113.7"),
        (["203.0.113.7, garbage"], "10.0.0.2"),
        (["203.0.113.7,, 10.9.9.9"], "10.0.0.2"),
        ([], "10.0.0.2"),  # no header: the proxy itself (a health check)
        ([" "], "10.0.0.2"),
    ],
)
def test_the_client_is_the_rightmost_untrusted_address(
    forwarded_for: list[str], client: str
) -> None:
    assert PROXIES.resolve("10.0.0.2", forwarded_for, []) == Client(client, None)


@pytest.mark.parametrize("peer", ["203.0.113.50", "2001:db8::50", None, "", "unix-socket"])
def test_headers_from_an_untrusted_peer_are_ignored(peer: str | None) -> None:
    assert PROXIES.resolve(peer, ["10.0.0.1"], ["https"]) is None


def test_a_trusted_ipv6_peer_is_believed() -> None:
    assert PROXIES.resolve("2001:db8:ff::9", ["198.51.100.1"], []) == Client("198.51.100.1", None)


def test_a_trusted_ipv4_peer_on_a_dual_stack_socket_is_believed() -> None:
    assert PROXIES.resolve("::ffff:10.0.0.2", ["198.51.100.1"], []) == Client("198.51.100.1", None)


@pytest.mark.parametrize(
    ("forwarded_for", "proto", "scheme"),
    [
        (["203.0.113.7"], ["https"], "https"),
        (["203.0.113.7"], ["HTTPS "], "https"),
        (["203.0.113.7"], ["http"], "http"),
        # One value per hop: the client's scheme is the one beside its address.
        (["203.0.113.7, 10.9.9.9"], ["https, http"], "https"),
        # Fewer values than hops (nginx writes one): the proxy that called us is believed.
        (["6.6.6.6, 203.0.113.7, 10.9.9.9"], ["http, https"], "https"),
        (["203.0.113.7"], ["gopher"], None),
        (["203.0.113.7"], [], None),
        (["bad"], ["https"], "https"),
    ],
)
def test_the_scheme_comes_from_x_forwarded_proto(
    forwarded_for: list[str], proto: list[str], scheme: str | None
) -> None:
    client = PROXIES.resolve("10.0.0.2", forwarded_for, proto)
    assert client is not None
    assert client.scheme == scheme


@pytest.mark.parametrize(
    ("text", "address"),
    [("192.0.2.1", "192.0.2.1"), ("192.0.2.1:80", "192.0.2.1"), ("[::1]", "::1"),
     ("[::1]:8080", "::1"), ("fe80::1%eth0", "fe80::1%eth0"), ("unknown", None),
     ("192.0.2.256", None), ("[192.0.2.1]x", None), ("", None)],
)
def test_header_entries_are_parsed_strictly(text: str, address: str | None) -> None:
    parsed = parse_address(text)
    assert (str(parsed) if parsed is not None else None) == address


@pytest.mark.parametrize(
    ("lines", "host"),
    [
        ([], None),
        (["chat.example.com"], "chat.example.com"),
        (["Chat.Example.com:8443"], "chat.example.com:8443"),
        (["[2001:db8::1]:443"], "[2001:db8::1]:443"),
        (["spoofed.example, chat.example.com"], "chat.example.com"),  # the rightmost, our proxy's
        (["spoofed.example", "chat.example.com"], "chat.example.com"),
        (["evil.example/path"], None),
        (["user@evil.example"], None),
        (["<script>alert(1)</script>"], None),
        (["a" * 300], None),
        ([""], None),
    ],
)
def test_the_host_comes_from_x_forwarded_host(lines: list[str], host: str | None) -> None:
    client = PROXIES.resolve("10.0.0.2", ["198.51.100.1"], [], lines)
    assert client == Client("198.51.100.1", None, host)


def test_a_forwarded_host_from_an_untrusted_peer_is_ignored() -> None:
    assert PROXIES.resolve("192.0.2.1", [], [], ["chat.example.com"]) is None


def test_the_header_family_is_a_setting_x_forwarded_by_default(tmp_path: Path) -> None:
    assert Settings.from_env({}, workdir=tmp_path).proxy_headers == "x-forwarded"
    chosen = Settings.from_env({"QUALIBOT_PROXY_HEADERS": " Forwarded "}, workdir=tmp_path)
    assert chosen.proxy_headers == "forwarded"
    with pytest.raises(ConfigError, match="QUALIBOT_PROXY_HEADERS: expected one of"):
        Settings.from_env({"QUALIBOT_PROXY_HEADERS": "both"}, workdir=tmp_path)


def forwarded(header: str) -> tuple[Mapping[str, str], ...]:
    """The header parsed as aiohttp parses it for the middleware (``request.forwarded``)."""
    return make_mocked_request("GET", "/", headers={"Forwarded": header}).forwarded


@pytest.mark.parametrize(
    ("header", "client"),
    [
        ("for=203.0.113.7", Client("203.0.113.7", None)),
        ("for=203.0.113.7;proto=https;host=Chat.Example.com",
         Client("203.0.113.7", "https", "chat.example.com")),
        # What the client wrote on the left is never read: the proxy appended the truth.
        ("for=6.6.6.6;host=evil.example, for=203.0.113.7;proto=http",
         Client("203.0.113.7", "http")),
        # Past a second trusted proxy: the client's element is the first proxy's.
        ('for="[2001:db8:cafe::17]:4711";proto=https;host=chat.example.com, '
         "for=10.9.9.9;proto=http",
         Client("2001:db8:cafe::17", "https", "chat.example.com")),
        ("for=10.5.5.5, for=10.9.9.9", Client("10.5.5.5", None)),  # all trusted: the leftmost
        # Unusable for= (obfuscated, unknown, garbage) in the trusted part: the proxy itself.
        ("for=203.0.113.7, for=unknown", Client("10.0.0.2", None)),
        ("for=_hidden", Client("10.0.0.2", None)),
        ("proto=https", Client("10.0.0.2", None)),
        ("garbage", Client("10.0.0.2", None)),
        ("", Client("10.0.0.2", None)),
        # Values that are no scheme or host are ignored, the address still counts.
        ('for=203.0.113.7;proto=gopher;host="<script>x</script>"', Client("203.0.113.7", None)),
        ('for=203.0.113.7;host="a.example,evil.example"', Client("203.0.113.7", None)),
    ],
)
def test_rfc_7239_forwarded_gives_the_rightmost_untrusted_client(
    header: str, client: Client
) -> None:
    assert PROXIES.resolve_forwarded("10.0.0.2", forwarded(header)) == client


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored() -> None:
    assert PROXIES.resolve_forwarded("192.0.2.1", forwarded("for=203.0.113.7")) is None
