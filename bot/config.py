"""Settings: the environment, read once at startup into one frozen, validated value."""

from __future__ import annotations

import importlib.util
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.env import ConfigError, EnvReader, IPNetwork, Secret, load_or_create_secret

LogFormat = Literal["console", "json"]
EventLoop = Literal["uvloop", "asyncio"]
# The forwarding headers trusted proxies write: X-Forwarded-For/-Proto/-Host, or RFC 7239.
ProxyHeaders = Literal["x-forwarded", "forwarded"]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///qualibot.db"
SECRET_FILE = ".qualibot-secret"


@dataclass(frozen=True, slots=True)
class WidgetSettings:
    """Limits of the web widget: the one channel that is always on.

    Attributes:
        max_chars: longest message a visitor may send; longer ones get an error frame.
        rate_per_minute: sustained messages per visitor (token bucket refill).
        rate_burst: messages a visitor may send at once before the refill rate applies.
        connections_per_ip: open websockets per client address (tabs, offices behind one NAT).
        heartbeat_seconds: websocket ping interval; a peer that misses a pong is closed.
        typing_after_ms: a reply slower than this is announced with a ``typing`` frame first;
            quicker ones need none (the widget paces bot lines with its own typing pause).
    """

    max_chars: int = 2000
    rate_per_minute: int = 30
    rate_burst: int = 10
    connections_per_ip: int = 20
    heartbeat_seconds: float = 25.0
    typing_after_ms: int = 300


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """The Slack app (docs/slack.md); present when ``QUALIBOT_SLACK_BOT_TOKEN`` is set.

    Attributes:
        bot_token: ``xoxb-...``, for the Web API.
        signing_secret: verifies that HTTP events come from Slack.
        app_token: ``xapp-...``; set, the app connects over Socket Mode (development, no public
            URL) instead of receiving events at ``/slack/events``.
        sales_channel: channel id (``C...``) where reps get a card for each hand-off.
        api_url: Web API base URL override (tests' stand-in); None for slack.com.
    """

    bot_token: Secret
    signing_secret: Secret
    app_token: Secret | None = None
    sales_channel: str | None = None
    api_url: str | None = None


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """The Telegram bot (docs/telegram.md); present when ``QUALIBOT_TELEGRAM_TOKEN`` is set.

    Attributes:
        token: from BotFather.
        secret_token: what Telegram must send in ``X-Telegram-Bot-Api-Secret-Token``
            (required in webhook mode: without it anyone could post updates).
        mode: ``webhook`` (at ``/telegram/webhook``) or ``polling`` (development).
        api_url: Bot API base URL override, e.g. ``http://localhost:8081``; None for
            api.telegram.org.
        groups: ``answer`` group chats with a pointer to a private chat, or ``ignore`` them.
    """

    token: Secret
    secret_token: Secret | None = None
    mode: Literal["webhook", "polling"] = "webhook"
    api_url: str | None = None
    groups: Literal["answer", "ignore"] = "answer"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the process reads from the environment (see ``.env.example``).

    Build it with ``Settings.from_env(os.environ)``; tests pass a plain dict. The flow file is
    the other half of configuration (style rule 10) and is validated separately at startup.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    database_url: Secret = field(default_factory=lambda: Secret(DEFAULT_DATABASE_URL))
    flow: Path | None = None
    secret: Secret = field(default_factory=lambda: Secret(""))
    allowed_origins: tuple[str, ...] = ()
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (adapters/proxies.py); empty:
    # nobody's, and the client address is the connecting peer's.
    trusted_proxies: tuple[IPNetwork, ...] = ()
    proxy_headers: ProxyHeaders = "x-forwarded"  # which family of headers they write
    log_format: LogFormat = "console"
    log_level: str = "INFO"
    # The server's event loop: uvloop (what ``from_env`` picks where installed: a fifth to a
    # third less CPU per widget message, docs/benchmarks.md) or the standard library's.
    event_loop: EventLoop = "asyncio"
    # Server processes sharing the port (bot/workers.py): one per core past one process's GIL.
    workers: int = 1
    redis_url: Secret | None = None
    widget: WidgetSettings = field(default_factory=WidgetSettings)
    # Channels other than the widget: each ``None`` when its variables are unset, so
    # bot/app.py mounts only configured channels.
    slack: SlackSettings | None = None
    telegram: TelegramSettings | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, workdir: Path | None = None) -> Settings:
        """Read ``QUALIBOT_*`` variables from ``environ``.

        Args:
            environ: usually ``os.environ``; tests pass a dict.
            workdir: where ``.qualibot-secret`` lives when ``QUALIBOT_SECRET`` is unset
                (default: the current directory).

        Raises:
            ConfigError: naming the first variable whose value cannot be used.
        """
        env = EnvReader(environ)
        host = env.text("QUALIBOT_HOST", "127.0.0.1")
        port = env.integer("QUALIBOT_PORT", 8080, low=1, high=65535)
        secret = env.text("QUALIBOT_SECRET", "")
        if secret and len(secret) < 16:
            raise ConfigError("QUALIBOT_SECRET: use at least 16 characters (32 random is better)")
        if not secret:
            secret = load_or_create_secret((workdir or Path.cwd()) / SECRET_FILE)
        origins = env.origins("QUALIBOT_ALLOWED_ORIGINS") or (
            f"http://localhost:{port}",
            f"http://127.0.0.1:{port}",
        )
        flow = env.text("QUALIBOT_FLOW", "")
        redis = env.text("QUALIBOT_REDIS_URL", "")
        log_format: LogFormat = (
            "json" if env.choice("QUALIBOT_LOG_FORMAT", "console", ("console", "json")) == "json"
            else "console"
        )
        settings = cls(
            event_loop=read_event_loop(env),
            workers=env.integer("QUALIBOT_WORKERS", 1, low=1, high=64),
            host=host,
            port=port,
            database_url=Secret(env.text("QUALIBOT_DATABASE_URL", DEFAULT_DATABASE_URL)),
            flow=Path(flow) if flow else None,
            secret=Secret(secret),
            allowed_origins=origins,
            trusted_proxies=env.networks("QUALIBOT_TRUSTED_PROXIES"),
            proxy_headers=(
                "forwarded"
                if env.choice("QUALIBOT_PROXY_HEADERS", "x-forwarded", ("x-forwarded", "forwarded"))
                == "forwarded"
                else "x-forwarded"
            ),
            log_format=log_format,
            log_level=env.choice("QUALIBOT_LOG_LEVEL", "INFO", LOG_LEVELS, upper=True),
            redis_url=Secret(redis) if redis else None,
            widget=WidgetSettings(
                max_chars=env.integer("QUALIBOT_WIDGET_MAX_CHARS", 2000, low=1, high=20000),
                rate_per_minute=env.integer("QUALIBOT_WIDGET_RATE_PER_MINUTE", 30, low=1),
                rate_burst=env.integer("QUALIBOT_WIDGET_RATE_BURST", 10, low=1),
                connections_per_ip=env.integer("QUALIBOT_WIDGET_CONNECTIONS_PER_IP", 20, low=1),
                heartbeat_seconds=float(
                    env.integer("QUALIBOT_WIDGET_HEARTBEAT_SECONDS", 25, low=1, high=3600)
                ),
                typing_after_ms=env.integer(
                    "QUALIBOT_WIDGET_TYPING_AFTER_MS", 300, low=0, high=60_000
                ),
            ),
            slack=_slack(env),
            telegram=_telegram(env),
        )
        check_workers(settings)
        return settings


def check_workers(settings: Settings) -> None:
    """Several workers need what lets processes share the work: PostgreSQL, Redis, the port.

    SQLite and the in-process bus and locks are one process's: a rep's console on one worker
    would not hear of a visitor answered by another. Telegram's polling hands each update to
    one caller only, and the port is shared through SO_REUSEPORT, which not every OS has.
    """
    if settings.workers == 1:
        return
    if not settings.database_url.reveal().startswith("postgres"):
        raise ConfigError("QUALIBOT_WORKERS: several workers need PostgreSQL "
                          "(QUALIBOT_DATABASE_URL=postgresql://...)")  # fmt: skip
    if settings.redis_url is None:
        raise ConfigError("QUALIBOT_WORKERS: several workers need Redis (QUALIBOT_REDIS_URL) "
                          "for their events and conversation locks")  # fmt: skip
    if settings.telegram is not None and settings.telegram.mode == "polling":
        raise ConfigError("QUALIBOT_WORKERS: Telegram polling runs in one process only; "
                          "use webhook mode or one worker")  # fmt: skip
    if not hasattr(socket, "SO_REUSEPORT"):
        raise ConfigError("QUALIBOT_WORKERS: this system cannot share a port (no SO_REUSEPORT)")


def read_event_loop(env: EnvReader) -> EventLoop:
    """``QUALIBOT_EVENT_LOOP``: uvloop when installed unless asked otherwise."""
    installed = importlib.util.find_spec("uvloop") is not None
    chosen = env.choice("QUALIBOT_EVENT_LOOP", "uvloop" if installed else "asyncio",
                        ("uvloop", "asyncio"))  # fmt: skip
    if chosen == "uvloop" and not installed:
        raise ConfigError("QUALIBOT_EVENT_LOOP: uvloop is not installed (pip install uvloop)")
    return "uvloop" if chosen == "uvloop" else "asyncio"


def _slack(env: EnvReader) -> SlackSettings | None:
    token = env.text("QUALIBOT_SLACK_BOT_TOKEN", "")
    if not token:
        return None
    signing = env.text("QUALIBOT_SLACK_SIGNING_SECRET", "")
    app_token = env.text("QUALIBOT_SLACK_APP_TOKEN", "")
    if not signing and not app_token:
        raise ConfigError(
            "QUALIBOT_SLACK_SIGNING_SECRET: required with QUALIBOT_SLACK_BOT_TOKEN "
            "(or set QUALIBOT_SLACK_APP_TOKEN for Socket Mode)"
        )
    return SlackSettings(
        bot_token=Secret(token),
        signing_secret=Secret(signing),
        app_token=Secret(app_token) if app_token else None,
        sales_channel=env.text("QUALIBOT_SLACK_SALES_CHANNEL", "") or None,
        api_url=env.text("QUALIBOT_SLACK_API_URL", "") or None,
    )


def _telegram(env: EnvReader) -> TelegramSettings | None:
    token = env.text("QUALIBOT_TELEGRAM_TOKEN", "")
    if not token:
        return None
    mode = env.choice("QUALIBOT_TELEGRAM_MODE", "webhook", ("webhook", "polling"))
    secret = env.text("QUALIBOT_TELEGRAM_SECRET_TOKEN", "")
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError(
            "QUALIBOT_TELEGRAM_SECRET_TOKEN: 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    if mode == "webhook" and not secret:
        raise ConfigError("QUALIBOT_TELEGRAM_SECRET_TOKEN: required in webhook mode")
    groups = env.choice("QUALIBOT_TELEGRAM_GROUPS", "answer", ("answer", "ignore"))
    return TelegramSettings(
        token=Secret(token),
        secret_token=Secret(secret) if secret else None,
        mode="polling" if mode == "polling" else "webhook",
        api_url=env.text("QUALIBOT_TELEGRAM_API_URL", "") or None,
        groups="ignore" if groups == "ignore" else "answer",
    )
