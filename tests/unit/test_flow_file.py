"""Flow files: the default is valid; an invalid one is refused with file, line, key path, reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flows import DEFAULT_FLOW, FlowError, load_flow, load_spec


def write_variant(tmp_path: Path, change: dict[str, object]) -> Path:
    data = yaml.safe_load(DEFAULT_FLOW.read_text())
    for dotted, value in change.items():
        target = data
        *parents, last = dotted.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is None:
            del target[int(last) if last.isdigit() else last]
        elif last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value
    path = tmp_path / "flow.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_default_flow_loads_with_bant_questions() -> None:
    flow = load_flow()
    assert {"need", "timeline", "budget", "authority"} <= set(flow.order)
    assert flow.spec.handoff.at_stage == "SQL"


@pytest.mark.parametrize(
    ("change", "key_path", "reason"),
    [
        ({"stages.1.min_score": "lots"}, "stages.1.min_score", "valid integer"),
        ({"questions.0.slot": "budgget"}, "(top level)", "unknown slot 'budgget'"),
        ({"scoring.0.when": {"slot": "need", "signal": "page:x"}}, "scoring.0.when", "exactly one"),
        ({"intents.human": ["(unclosed"]}, "intents.human", "invalid regular expression"),
        ({"handoff.at_stage": "XQL"}, "handoff.at_stage", "Input should be"),
        ({"say.greeting": None}, "say.greeting", "Field required"),
        ({"questions.0.attempts": 0}, "questions.0.attempts", "greater than or equal to 1"),
        ({"slots.need.colour": "red"}, "slots.need.colour", "Extra inputs"),
    ],
)
def test_invalid_flow_names_key_path_and_reason(
    tmp_path: Path, change: dict[str, object], key_path: str, reason: str
) -> None:
    path = write_variant(tmp_path, change)
    with pytest.raises(FlowError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert str(path) in message
    assert f": {key_path}:" in message
    assert reason in message


def test_error_reports_the_line_of_the_bad_value(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    text = DEFAULT_FLOW.read_text().replace("min_score: 30", "min_score: thirty")
    path.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "min_score: thirty" in row)
    with pytest.raises(FlowError) as caught:
        load_spec(path)
    assert f"{path}:{line}: stages.1.min_score:" in str(caught.value)


def test_broken_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text("version: 1\nname: [unclosed\n")
    with pytest.raises(FlowError, match=r"flow\.yaml:\d+: invalid YAML"):
        load_spec(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match="cannot read"):
        load_spec(tmp_path / "nope.yaml")


def test_quick_reply_label_the_extractor_cannot_read_is_refused(tmp_path: Path) -> None:
    path = write_variant(
        tmp_path,
        {"questions.1.quick_replies.0": {"label": "Purple elephants", "value": "x"}},
    )
    with pytest.raises(FlowError, match="cannot read its label"):
        load_flow(path)
