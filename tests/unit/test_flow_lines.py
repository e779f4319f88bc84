"""The flow's prebuilt lines (``Flow.said``, ``Flow.rephrased``) are what ``say`` would build."""

from __future__ import annotations

from bot.decision import Line
from flows import load_flow

FLOW = load_flow()


def test_every_fixed_line_is_its_text_stripped() -> None:
    spec = FLOW.spec
    for name, text in spec.say.model_dump().items():
        assert FLOW.said[name] == Line(text.strip())
    assert FLOW.said["handoff"] == Line(spec.handoff.message.strip())
    resources = [f"• {r.title}: {r.url}" for r in spec.nurture.resources]
    nurture = "\n".join([spec.nurture.message.strip(), *resources])
    assert FLOW.said["nurture"] == Line(nurture.strip())


def test_rephrasings_carry_the_questions_buttons() -> None:
    for question in FLOW.spec.questions:
        offered = FLOW.offered[question.slot]
        expected = tuple(Line(text.strip(), offered) for text in question.rephrase)
        assert FLOW.rephrased[question.slot] == expected
