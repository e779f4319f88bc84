"""Slack settings from the environment: present only when configured, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.env import ConfigError

BASE = {"QUALIBOT_SECRET": "test-secret-0123456789abcdef"}


def test_absent_without_a_bot_token(tmp_path: Path) -> None:
    assert Settings.from_env(BASE, workdir=tmp_path).slack is None


def test_read_and_masked(tmp_path: Path) -> None:
    settings = Settings.from_env({
        **BASE,
        "QUALIBOT_SLACK_BOT_TOKEN": "xoxb-very-secret",
        "QUALIBOT_SLACK_SIGNING_SECRET": "signing-very-secret",
        "QUALIBOT_SLACK_SALES_CHANNEL": "C0SALES",
    }, workdir=tmp_path)
    assert settings.slack is not None
    assert settings.slack.bot_token.reveal() == "xoxb-very-secret"
    assert settings.slack.sales_channel == "C0SALES"
    assert settings.slack.app_token is None
    shown = repr(settings) + str(settings)
    assert "very-secret" not in shown


def test_signing_secret_required_unless_socket_mode(tmp_path: Path) -> None:
    env = {**BASE, "QUALIBOT_SLACK_BOT_TOKEN": "xoxb-1"}
    with pytest.raises(ConfigError, match="QUALIBOT_SLACK_SIGNING_SECRET"):
        Settings.from_env(env, workdir=tmp_path)
    socket = Settings.from_env({**env, "QUALIBOT_SLACK_APP_TOKEN": "xapp-1"}, workdir=tmp_path)
    assert socket.slack is not None
    assert socket.slack.app_token is not None


def test_slack_is_mounted_only_when_configured(tmp_path: Path) -> None:
    from bot.app import SLACK, create_app

    app = create_app(Settings.from_env(BASE, workdir=tmp_path))
    assert SLACK not in app
    assert all(r.resource is None or r.resource.canonical != "/slack/events"
               for r in app.router.routes())
