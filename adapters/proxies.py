"""The client's address and scheme behind reverse proxies, believed only from trusted proxies.

Behind nginx, Caddy or a cloud load balancer, ``request.remote`` is the proxy for every visitor,
so per-address limits (the widget's connection cap, the console's log-in throttle) would lump
the whole site together. ``QUALIBOT_TRUSTED_PROXIES`` lists the proxies; a request whose peer is
one of them gets its ``remote`` from ``X-Forwarded-For``, its ``scheme`` from
``X-Forwarded-Proto`` and its ``host`` from ``X-Forwarded-Host`` (a proxy that rewrites ``Host``
to reach us still tells the console which site the rep opened). From any other peer the headers
are ignored, so a visitor connecting directly cannot choose their own address or host.

Proxies that write the standard ``Forwarded`` header (RFC 7239: ``for=``, ``proto=``, ``host=``
in one element per proxy) are read instead when ``QUALIBOT_PROXY_HEADERS=forwarded``. Only one
family is ever read, the one the operator's proxy maintains: a proxy that appends to
``X-Forwarded-For`` passes a visitor's forged ``Forwarded`` header through untouched, so reading
both would let that visitor pick their own address.

Written here rather than taken from aiohttp-remotes 1.4.0 (read for this): its
``XForwardedStrict`` expects a fixed number of hops and answers 400 to a request from an
untrusted peer (a visitor reaching the server directly must still work), its
``XForwardedFiltered`` walks the list but never checks the peer (anyone could send the header),
and both answer 400 to a malformed header, where falling back to the peer is kinder. The rule
below is the walk those two lack, in a few lines of ``ipaddress``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address

import structlog
from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from bot.config import ProxyHeaders
from bot.env import IPNetwork

log = structlog.stdlib.get_logger(__name__)

IPAddress = IPv4Address | IPv6Address
SCHEMES = ("http", "https")
MAX_HOST = 260  # a DNS name (253) with a port
# An entry with a port, as some load balancers write it: "203.0.113.7:4711", "[2001:db8::7]:443".
_WITH_PORT = re.compile(r"\[(?P<v6>[^\]]+)\](?::\d{1,5})?|(?P<v4>[\d.]+):\d{1,5}")
# A host as a Host header carries it: a DNS name or IPv4 address, or a bracketed IPv6 address,
# with an optional port. Anything else (paths, spaces, user info) is not a host and is ignored.
_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Client:
    """Who the request is from, as a trusted proxy told us.

    Attributes:
        address: the client's IP address in canonical form (the key of per-address limits).
        scheme: ``http`` or ``https`` as the client used it, or None to keep the connection's.
        host: the host (and port) the client asked for, or None to keep the ``Host`` header.
    """

    address: str
    scheme: str | None
    host: str | None = None


def parse_address(text: str) -> IPAddress | None:
    """An IP address from a header entry or a peer name, with any port dropped, else None.

    IPv4-mapped IPv6 (``::ffff:10.0.0.1``, what a dual-stack socket reports) is returned as
    IPv4, so that it matches IPv4 networks and counts as the same client either way.
    """
    text = text.strip()
    try:
        address = ip_address(text)
    except ValueError:
        match = _WITH_PORT.fullmatch(text)
        if match is None:
            return None
        try:
            address = ip_address(match.group("v6") or match.group("v4"))
        except ValueError:
            return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """The proxies to believe, and the rule that finds the client behind them."""

    def __init__(
        self, networks: Iterable[IPNetwork], headers: ProxyHeaders = "x-forwarded"
    ) -> None:
        self._networks = tuple(networks)
        self.headers = headers

    def trusts(self, address: IPAddress) -> bool:
        """Whether ``address`` is one of the trusted proxies."""
        return any(address in network for network in self._networks)

    def resolve(
        self,
        peer: str | None,
        forwarded_for: Sequence[str],
        forwarded_proto: Sequence[str],
        forwarded_host: Sequence[str] = (),
    ) -> Client | None:
        """The client behind a trusted ``peer``, or None when ``peer`` is not trusted.

        The "rightmost untrusted" rule: each proxy appends the address it received the request
        from, so reading ``X-Forwarded-For`` from the right, past the trusted proxies, the first
        other address is the client. Entries further left came from the client and are never
        read. A missing or malformed header gives the peer itself (logged, never an error).

        Args:
            peer: the connection's address (``request.remote``).
            forwarded_for: every ``X-Forwarded-For`` header line, in order.
            forwarded_proto: every ``X-Forwarded-Proto`` header line, in order.
            forwarded_host: every ``X-Forwarded-Host`` header line, in order.
        """
        peer_address = parse_address(peer or "")
        if peer_address is None or not self.trusts(peer_address):
            return None
        client = self._client(peer_address, forwarded_for, forwarded_proto)
        host = _host(forwarded_host)
        return client if host is None else Client(client.address, client.scheme, host)

    def resolve_forwarded(
        self, peer: str | None, elements: Sequence[Mapping[str, str]]
    ) -> Client | None:
        """The client behind a trusted ``peer`` from RFC 7239 ``Forwarded`` elements, or None.

        The same rightmost-untrusted walk as ``resolve``, over each element's ``for=``. The
        client's element was written by the first proxy, which saw the request the client
        made: its ``proto=`` and ``host=`` are the scheme and host the client used. An element
        without a usable address (``for=unknown``, an obfuscated ``_name``, garbage) in the
        trusted part gives the peer itself, as a malformed ``X-Forwarded-For`` does.

        Args:
            peer: the connection's address (``request.remote``).
            elements: the parsed header, one mapping per proxy (aiohttp's
                ``request.forwarded``: keys lowered, quoted values unquoted).
        """
        peer_address = parse_address(peer or "")
        if peer_address is None or not self.trusts(peer_address):
            return None
        if not elements:
            log.debug("proxy.no_forwarded", peer=str(peer_address))
            return Client(str(peer_address), None)
        index, address = len(elements), peer_address
        while index > 0:
            index -= 1
            parsed = parse_address(elements[index].get("for", ""))
            if parsed is None:
                log.info("proxy.malformed_forwarded", peer=str(peer_address),
                         entry=str(dict(elements[index]))[:100])  # fmt: skip
                return Client(str(peer_address), None)
            address = parsed
            if not self.trusts(address):
                break
        element = elements[index]
        scheme = _scheme([element["proto"]], None, 1) if "proto" in element else None
        host = _valid_host(element["host"]) if "host" in element else None
        return Client(str(address), scheme, host)

    def _client(
        self, peer_address: IPAddress, forwarded_for: Sequence[str], forwarded_proto: Sequence[str]
    ) -> Client:
        """The address and scheme behind the trusted ``peer_address`` (see ``resolve``)."""
        hops = [hop.strip() for line in forwarded_for for hop in line.split(",")]
        if not any(hops):
            log.debug("proxy.no_forwarded_for", peer=str(peer_address))
            return Client(str(peer_address), _scheme(forwarded_proto, None, 0))
        index, address = len(hops), peer_address
        while index > 0:
            index -= 1
            parsed = parse_address(hops[index])
            if parsed is None:
                log.info(
                    "proxy.malformed_forwarded_for", peer=str(peer_address),
                    entry=hops[index][:100],
                )
                return Client(str(peer_address), _scheme(forwarded_proto, None, len(hops)))
            address = parsed
            if not self.trusts(address):
                break
        # Every entry trusted: the loop ended on the leftmost, a host inside the trusted network.
        return Client(str(address), _scheme(forwarded_proto, index, len(hops)))

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Rewrite ``remote``, ``scheme`` and ``host`` for requests from trusted proxies.

        Every route sees the result: the widget and console websockets, the console pages and
        API, the Slack and Telegram webhooks and /healthz.
        """
        if self.headers == "forwarded":
            client = self.resolve_forwarded(request.remote, request.forwarded)
        else:
            client = self.resolve(
                request.remote,
                request.headers.getall(hdrs.X_FORWARDED_FOR, []),
                request.headers.getall(hdrs.X_FORWARDED_PROTO, []),
                request.headers.getall(hdrs.X_FORWARDED_HOST, []),
            )
        if client is None:
            return await handler(request)
        return await handler(
            request.clone(
                remote=client.address,
                scheme=client.scheme or request.scheme,
                host=client.host or request.host,
            )
        )


def _host(lines: Sequence[str]) -> str | None:
    """The host the client asked for, from ``X-Forwarded-Host`` lines; None if none is usable.

    The rightmost value, written by the proxy that called us (the one we trust), lowered. A
    value that is not a host (a path, a space, user info) is logged and ignored.
    """
    values = [value.strip() for line in lines for value in line.split(",")]
    if not values or not values[-1]:
        return None
    return _valid_host(values[-1])


def _valid_host(value: str) -> str | None:
    """``value`` lowered if it is a host (and port), else None (logged)."""
    if len(value) > MAX_HOST or _HOST.fullmatch(value) is None:
        log.info("proxy.malformed_forwarded_host", value=value[:100])
        return None
    return value.lower()


def _scheme(lines: Sequence[str], index: int | None, hops: int) -> str | None:
    """The scheme the client used, from ``X-Forwarded-Proto`` lines; None if none is usable.

    A chain of proxies that each append writes one scheme per ``X-Forwarded-For`` entry, and
    the client's is the one beside its address. Most proxies (nginx's ``$scheme``) write a
    single value instead; then the rightmost value, written by the proxy that called us, is used.
    """
    values = [value.strip().lower() for line in lines for value in line.split(",")]
    if not values:
        return None
    value = values[index] if index is not None and len(values) == hops else values[-1]
    if value not in SCHEMES:
        log.info("proxy.unknown_forwarded_proto", value=value[:20])
        return None
    return value
