"""The CLI's flow and extract commands."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from flows import DEFAULT_FLOW

runner = CliRunner()


def test_flows_check_accepts_the_default_flow() -> None:
    result = runner.invoke(app, ["flows", "check", str(DEFAULT_FLOW)])
    assert result.exit_code == 0
    assert "OK" in result.output


def test_flows_check_refuses_a_bad_flow_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT_FLOW.read_text().replace("at_stage: SQL", "at_stage: HOT"))
    result = runner.invoke(app, ["flows", "check", str(bad)])
    assert result.exit_code == 2
    assert "handoff.at_stage" in result.output


def test_flows_doc_prints_stages_and_rules_as_markdown() -> None:
    result = runner.invoke(app, ["flows", "doc", str(DEFAULT_FLOW)])
    assert result.exit_code == 0
    assert "| SQL | Hot. Ready for direct sales contact now. | 70 |" in result.output
    assert "| Decision maker | authority is known, level is decision_maker | +25 |" in result.output


def test_flows_diagram_prints_mermaid() -> None:
    result = runner.invoke(app, ["flows", "diagram", str(DEFAULT_FLOW)])
    assert result.exit_code == 0
    assert "stateDiagram-v2" in result.output
    assert "ask_authority" in result.output


def test_extract_prints_json_or_null() -> None:
    result = runner.invoke(app, ["extract", "budget", "about 40k a year"])
    assert json.loads(result.output) == {
        "amount": 40000,
        "min": None,
        "max": None,
        "currency": None,
        "period": "year",
    }
    assert runner.invoke(app, ["extract", "budget", "hello"]).output.strip() == "null"


def test_extract_json_lines_keep_order_and_survive_bad_lines() -> None:
    lines = "\n".join(
        [
            json.dumps({"text": "by end of Q3", "now": "2026-11-22T10:00:00+00:00"}),
            "not json",
            json.dumps({"text": "no rush"}),
        ]
    )
    result = runner.invoke(
        app, ["extract", "timeline", "--now", "2026-11-22T10:00:00+00:00"], input=lines
    )
    out = [json.loads(line) for line in result.output.splitlines()]
    assert len(out) == 3
    assert out[0]["end"].startswith("2027-10-01")
    assert "error" in out[1]
    assert out[2]["urgency"] == "none"


def test_extract_unknown_kind_is_a_clear_error() -> None:
    result = runner.invoke(app, ["extract", "shoe_size", "42"])
    assert result.exit_code == 2
    assert "unknown kind" in result.output


def test_chat_greets_answers_and_shows_score_and_stage() -> None:
    lines = "We waste hours qualifying leads by hand\n2\n/why\n/quit\n"
    result = runner.invoke(app, ["chat"], input=lines)
    assert result.exit_code == 0, result.output
    assert "bot> Hi! I'm Qualibot" in result.output
    assert "[2] Within 3 months" in result.output  # quick replies are numbered; "2" clicks one
    assert "bot> Do you have a budget in mind" in result.output
    assert "score 50  stage SAL" in result.output
    assert '+20 Clear need  <- "We waste hours qualifying leads by hand"' in result.output


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    first = runner.invoke(app, ["db", "upgrade", "--url", url])
    again = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert "up to date" in again.output
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(tmp_path / "q.db")) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"leads", "conversations", "messages", "evidence", "handoffs", "outbox"} <= tables


def test_reps_add_list_disable(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'reps.db'}"
    added = runner.invoke(
        app,
        [
            "reps",
            "add",
            "Dana@Example.com",
            "--name",
            "Dana Reyes",
            "--team",
            "enterprise",
            "--db",
            db,
        ],
        input="correct-horse-battery\n",
    )
    assert added.exit_code == 0, added.output
    assert "added Dana Reyes <dana@example.com> to team enterprise" in added.output
    again = runner.invoke(
        app,
        ["reps", "add", "dana@example.com", "--name", "D", "--db", db],
        input="correct-horse-battery\n",
    )
    assert again.exit_code == 2
    assert "already exists" in again.output
    listed = runner.invoke(app, ["reps", "list", "--db", db])
    assert "Dana Reyes\tteam=enterprise\toffline\tcapacity=3" in listed.output
    assert runner.invoke(app, ["reps", "disable", "dana@example.com", "--db", db]).exit_code == 0
    assert "(disabled)" in runner.invoke(app, ["reps", "list", "--db", db]).output
    assert runner.invoke(app, ["reps", "disable", "nobody@example.com", "--db", db]).exit_code == 1


def test_reps_add_refuses_weak_passwords_and_bad_emails(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'reps.db'}"
    weak = runner.invoke(
        app, ["reps", "add", "a@example.com", "--name", "A", "--db", db], input="short\n"
    )
    assert weak.exit_code == 2
    assert "at least 10 characters" in weak.output
    bad = runner.invoke(
        app,
        ["reps", "add", "not-an-email", "--name", "A", "--db", db],
        input="long-enough-password\n",
    )
    assert bad.exit_code == 2
