"""The instruction-count harness: its loop runs without valgrind, and dumps are read right."""

from __future__ import annotations

import pytest

from bench.instructions import loop_total, main
from bench.script import CONVERSATIONS


def test_the_measured_total_is_read_from_a_dump() -> None:
    dump = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 123456789\n\nfl=x\n"
    assert loop_total(dump) == 123_456_789
    assert loop_total(dump.replace("summary", "totals")) == 123_456_789
    with pytest.raises(ValueError, match="no totals"):
        loop_total("events: Ir\n")


def test_one_extractor_loop_runs_and_counts_the_typed_messages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--inside", "extract:email"]) == 0
    typed = sum(line.kind == "text" for lines in CONVERSATIONS for line in lines)
    assert capsys.readouterr().out == f"units {10 * typed}\n"  # ten rounds of them


def test_an_unknown_workload_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["engine"])
    assert "unknown workload 'engine'" in capsys.readouterr().err
