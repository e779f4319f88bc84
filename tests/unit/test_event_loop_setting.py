"""QUALIBOT_EVENT_LOOP: uvloop unless asked otherwise, and a clear error for a loop not there."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config import Settings
from bot.env import ConfigError
from bot.loops import loop_factory


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"QUALIBOT_SECRET": "s" * 32, **env}, workdir=tmp_path)


def test_the_server_runs_on_uvloop_unless_asked_otherwise(tmp_path: Path) -> None:
    assert settings(tmp_path).event_loop == "uvloop"
    assert settings(tmp_path, QUALIBOT_EVENT_LOOP="Asyncio").event_loop == "asyncio"


def test_an_unknown_loop_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="QUALIBOT_EVENT_LOOP: expected one of uvloop, asyncio"):
        settings(tmp_path, QUALIBOT_EVENT_LOOP="trio")


def test_uvloop_asked_for_but_not_installed_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    assert settings(tmp_path).event_loop == "asyncio"  # not installed: the standard loop
    with pytest.raises(ConfigError, match="uvloop is not installed"):
        settings(tmp_path, QUALIBOT_EVENT_LOOP="uvloop")


@pytest.mark.parametrize("kind", ["uvloop", "asyncio"])
def test_each_loop_runs_a_coroutine(kind: str) -> None:
    with asyncio.Runner(loop_factory=loop_factory(kind)) as runner:  # type: ignore[arg-type]
        loop = runner.get_loop()
        assert runner.run(asyncio.sleep(0, result="done")) == "done"
    assert type(loop).__module__.split(".")[0] == kind
