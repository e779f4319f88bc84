"""Settings from the environment: defaults, validation that names the variable, masked secrets."""

from __future__ import annotations

import io
import json
import logging
import stat
from pathlib import Path

import pytest
import structlog

from bot.config import SECRET_FILE, Settings
from bot.env import ConfigError
from bot.logs import configure


def test_defaults_are_local_and_safe(tmp_path: Path) -> None:
    settings = Settings.from_env({}, workdir=tmp_path)
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.allowed_origins == ("http://localhost:8080", "http://127.0.0.1:8080")
    assert settings.database_url.reveal() == "sqlite+aiosqlite:///qualibot.db"
    assert settings.redis_url is None
    assert settings.log_format == "console"
    assert settings.widget.max_chars == 2000


def test_an_unset_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings.from_env({}, workdir=tmp_path).secret.reveal()
    second = Settings.from_env({}, workdir=tmp_path).secret.reveal()
    assert first == second
    assert len(first) >= 32
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600


def test_secrets_never_show_in_repr(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "QUALIBOT_SECRET": "super-secret-signing-key",
            "QUALIBOT_DATABASE_URL": "postgresql://app:hunter2@db/app",
            "QUALIBOT_REDIS_URL": "redis://:pw@cache:6379/0",
        },
        workdir=tmp_path,
    )
    text = repr(settings) + str(settings.secret)
    for secret in ("super-secret-signing-key", "hunter2", ":pw@"):
        assert secret not in text
    assert settings.secret.reveal() == "super-secret-signing-key"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("QUALIBOT_PORT", "eighty", "QUALIBOT_PORT: expected a whole number"),
        ("QUALIBOT_PORT", "70000", "QUALIBOT_PORT: expected a number between 1 and 65535"),
        ("QUALIBOT_LOG_FORMAT", "xml", "QUALIBOT_LOG_FORMAT: expected one of console, json"),
        ("QUALIBOT_LOG_LEVEL", "loud", "QUALIBOT_LOG_LEVEL: expected one of DEBUG"),
        ("QUALIBOT_ALLOWED_ORIGINS", "example.com", "QUALIBOT_ALLOWED_ORIGINS: 'example.com'"),
        ("QUALIBOT_ALLOWED_ORIGINS", "https://a.com/path", "QUALIBOT_ALLOWED_ORIGINS"),
        ("QUALIBOT_SECRET", "short", "QUALIBOT_SECRET: use at least 16"),
        ("QUALIBOT_WIDGET_MAX_CHARS", "0", "QUALIBOT_WIDGET_MAX_CHARS"),
        ("QUALIBOT_WIDGET_RATE_BURST", "-1", "QUALIBOT_WIDGET_RATE_BURST"),
        ("QUALIBOT_TRUSTED_PROXIES", "10.0.0.0/33", "QUALIBOT_TRUSTED_PROXIES: '10.0.0.0/33' is"),
        ("QUALIBOT_TRUSTED_PROXIES", "nginx", "QUALIBOT_TRUSTED_PROXIES: 'nginx' is not an IP"),
    ],
)
def test_invalid_values_name_the_variable(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        Settings.from_env({name: value}, workdir=tmp_path)


def test_origins_are_normalized_and_deduplicated(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"QUALIBOT_ALLOWED_ORIGINS": "https://WWW.Example.com:443/, https://www.example.com,"},
        workdir=tmp_path,
    )
    assert settings.allowed_origins == ("https://www.example.com",)


def test_json_logs_are_one_line_per_event_and_redact_secrets() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    configure("json", "INFO", stream=stream)
    try:
        from bot.logs import get_logger

        get_logger("test").info(
            "connected", token="v1.abc.def", url="postgresql://app:hunter2@db/app"
        )
        logging.getLogger("aiohttp.access").info("stdlib line")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.reset_defaults()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["event"] == "connected"
    assert lines[0]["token"] == "**********"
    assert "hunter2" not in lines[0]["url"]
    assert lines[1]["event"] == "stdlib line"
    assert lines[1]["level"] == "info"
