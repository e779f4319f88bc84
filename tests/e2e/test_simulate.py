"""`qualibot simulate`: transcripts through the real service, human and JSON output, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.yaml"))
runner = CliRunner()


def test_transcripts_meet_their_expectations() -> None:
    result = runner.invoke(app, ["simulate", *map(str, TRANSCRIPTS)])
    assert result.exit_code == 0, result.output
    assert "FAILED" not in result.output
    assert "PASSED" in result.output


def test_json_output_is_one_object_per_case() -> None:
    result = runner.invoke(app, ["simulate", "--json", str(TRANSCRIPTS[0])])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 5
    hot = lines[0]
    assert set(hot) == {
        "name",
        "turns",
        "slots",
        "score",
        "stage",
        "handoff",
        "opted_out",
        "passed",
        "failures",
    }
    assert hot["turns"][0]["visitor"] == "hi there"
    assert hot["turns"][0]["bot"][0].startswith("Hi!")
    assert hot["slots"]["budget"]["amount"] == 60000
    assert (hot["stage"], hot["handoff"], hot["passed"]) == ("SQL", True, True)


def test_failed_expectation_exits_1_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("- name: wrong\n  turns: [hello]\n  expect: {stage: SQL, handoff: true}\n")
    result = runner.invoke(app, ["simulate", str(path)])
    assert result.exit_code == 1
    assert "stage: expected SQL, got None" in result.output


def test_bad_transcript_exits_2_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("- name: ok\n  turns: [hi]\n- name: broken\n  turns: []\n")
    result = runner.invoke(app, ["simulate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:3: case 2: turns" in result.output


def test_now_option_sets_the_reference_time(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("- name: q\n  turns: [We need better lead qualification, next quarter]\n")
    result = runner.invoke(
        app, ["simulate", "--json", "--now", "2026-02-10T09:00:00+00:00", str(path)]
    )
    assert json.loads(result.output)["slots"]["timeline"]["start"].startswith("2026-04-01")
