"""Telegram settings from the environment: webhook needs a secret token; secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.env import ConfigError

BASE = {"QUALIBOT_SECRET": "test-secret-0123456789abcdef"}
TOKEN = {**BASE, "QUALIBOT_TELEGRAM_TOKEN": "123:very-secret-token"}


def test_absent_without_a_token(tmp_path: Path) -> None:
    assert Settings.from_env(BASE, workdir=tmp_path).telegram is None


def test_webhook_mode_needs_a_valid_secret_token(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="QUALIBOT_TELEGRAM_SECRET_TOKEN"):
        Settings.from_env(TOKEN, workdir=tmp_path)
    with pytest.raises(ConfigError, match="A-Z"):
        Settings.from_env(
            {**TOKEN, "QUALIBOT_TELEGRAM_SECRET_TOKEN": "has spaces!"}, workdir=tmp_path
        )


def test_polling_mode_needs_no_secret_token(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {**TOKEN, "QUALIBOT_TELEGRAM_MODE": "polling", "QUALIBOT_TELEGRAM_GROUPS": "ignore"},
        workdir=tmp_path,
    )
    assert settings.telegram is not None
    assert (settings.telegram.mode, settings.telegram.groups) == ("polling", "ignore")
    assert "very-secret" not in repr(settings)


def test_bad_choices_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="QUALIBOT_TELEGRAM_MODE"):
        Settings.from_env({**TOKEN, "QUALIBOT_TELEGRAM_MODE": "push"}, workdir=tmp_path)
    with pytest.raises(ConfigError, match="QUALIBOT_TELEGRAM_GROUPS"):
        Settings.from_env(
            {**TOKEN, "QUALIBOT_TELEGRAM_MODE": "polling", "QUALIBOT_TELEGRAM_GROUPS": "x"},
            workdir=tmp_path,
        )
