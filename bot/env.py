"""Reading the environment: typed values, errors that name the variable, secrets kept secret."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

IPNetwork = IPv4Network | IPv6Network


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the variable and what it expects."""


class Secret:
    """A string that never shows itself in ``repr``, ``str`` or logs; ``reveal()`` to use it.

    After Starlette's ``Secret``, but ``str()`` is masked too: an f-string in a log line is the
    usual way secrets leak.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one place that needs it (signing, connecting)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)


def load_or_create_secret(path: Path) -> str:
    """Read the signing key from ``path``, creating it (mode 0600) on first run.

    Visitor tokens are signed with it, so it must survive restarts or every visitor would lose
    their conversation; generating it once beats shipping a default key that everyone shares.
    """
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = ""
    except OSError as exc:
        raise ConfigError(f"QUALIBOT_SECRET is unset and {path} cannot be read: {exc}") from None
    if value:
        return value
    value = secrets.token_urlsafe(32)
    try:
        # O_EXCL: two processes starting at once must not each write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"QUALIBOT_SECRET is unset and {path} cannot be created: {exc}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(value + "\n")
    return value


def normalize_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port, or None if not an origin.

    Origins are compared as exact strings after this, never by prefix or suffix, so that
    ``https://example.com.evil.com`` can never pass for ``https://example.com``.
    """
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{host}{suffix}"


class EnvReader:
    """Typed access to the environment with errors that name the variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str, default: str) -> str:
        """The value, stripped; ``default`` when unset or blank."""
        return self._environ.get(name, "").strip() or default

    def integer(self, name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
        """A whole number within ``low``..``high``; ``default`` when unset or blank."""
        raw = self._environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ConfigError(f"{name}: expected a number {bounds}, got {value}")
        return value

    def choice(
        self, name: str, default: str, options: tuple[str, ...], *, upper: bool = False
    ) -> str:
        """One of ``options`` (case-insensitive); ``default`` when unset or blank."""
        raw = self._environ.get(name, "").strip()
        if not raw:
            return default
        value = raw.upper() if upper else raw.lower()
        if value not in options:
            raise ConfigError(f"{name}: expected one of {', '.join(options)}, got {raw!r}")
        return value

    def origins(self, name: str) -> tuple[str, ...]:
        """Comma-separated web origins, normalized and without repeats."""
        result: list[str] = []
        for item in self._environ.get(name, "").split(","):
            if not item.strip():
                continue
            origin = normalize_origin(item)
            if origin is None:
                raise ConfigError(
                    f"{name}: {item.strip()!r} is not an origin like https://www.example.com"
                )
            result.append(origin)
        return tuple(dict.fromkeys(result))

    def networks(self, name: str) -> tuple[IPNetwork, ...]:
        """Comma-separated IP addresses and CIDR networks, IPv4 or IPv6, without repeats.

        A bare address is its own /32 or /128 network. A network with host bits set
        (``10.0.0.1/8``) is refused rather than widened silently: it is usually a typo, and in a
        list of whom to trust a guess is the wrong default.
        """
        result: list[IPNetwork] = []
        for item in self._environ.get(name, "").split(","):
            text = item.strip()
            if not text:
                continue
            try:
                result.append(ip_network(text))
            except ValueError:
                try:
                    wider = ip_network(text, strict=False)
                except ValueError:
                    raise ConfigError(
                        f"{name}: {text!r} is not an IP address or a CIDR network like "
                        "10.0.0.0/8 or 2001:db8::/32"
                    ) from None
                raise ConfigError(
                    f"{name}: {text!r} has host bits set; did you mean {wider}?"
                ) from None
        return tuple(dict.fromkeys(result))
