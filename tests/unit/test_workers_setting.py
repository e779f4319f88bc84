"""QUALIBOT_WORKERS: one process by default; several only with what lets processes share work."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.env import ConfigError

SHARED = {
    "QUALIBOT_DATABASE_URL": "postgresql://qualibot@db/qualibot",
    "QUALIBOT_REDIS_URL": "redis://cache:6379/0",
}


def test_one_worker_by_default(tmp_path: Path) -> None:
    assert Settings.from_env({}, workdir=tmp_path).workers == 1


def test_several_workers_on_postgresql_and_redis(tmp_path: Path) -> None:
    settings = Settings.from_env({**SHARED, "QUALIBOT_WORKERS": "2"}, workdir=tmp_path)
    assert settings.workers == 2


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"QUALIBOT_WORKERS": "2"}, "several workers need PostgreSQL"),
        ({"QUALIBOT_WORKERS": "2", "QUALIBOT_DATABASE_URL": SHARED["QUALIBOT_DATABASE_URL"]},
         "several workers need Redis"),
        ({**SHARED, "QUALIBOT_WORKERS": "2", "QUALIBOT_TELEGRAM_TOKEN": "123:abc",
          "QUALIBOT_TELEGRAM_MODE": "polling"}, "Telegram polling runs in one process only"),
        ({**SHARED, "QUALIBOT_WORKERS": "0"}, "QUALIBOT_WORKERS"),
        ({**SHARED, "QUALIBOT_WORKERS": "two"}, "QUALIBOT_WORKERS"),
    ],
)
def test_workers_that_could_not_share_the_work_are_refused(
    tmp_path: Path, env: dict[str, str], error: str
) -> None:
    with pytest.raises(ConfigError, match=error):
        Settings.from_env(env, workdir=tmp_path)
