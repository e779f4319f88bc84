"""The flow file's shared pieces: strict models, and the evidence tests scoring and routing use."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator


class Strict(BaseModel):
    """Unknown keys are errors: a typo in the SLA document must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Strict):
    """A test on the current evidence; every given key must hold.

    ``slot`` tests a slot's evidence (``status`` answer by default); ``signal`` tests behaviour
    evidence such as ``page:pricing`` or ``product:trial_started``.
    """

    slot: str | None = None
    signal: str | None = None
    status: Literal["answer", "refused", "unknown"] = "answer"
    at_least: float | None = None
    below: float | None = None
    level_in: list[Literal["decision_maker", "influencer", "end_user"]] | None = None
    urgency_in: list[Literal["immediate", "soon", "later", "none"]] | None = None
    category_in: list[str] | None = None
    country_in: list[str] | None = None
    no_need: bool | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Condition:
        if (self.slot is None) == (self.signal is None):
            raise ValueError("give exactly one of 'slot' or 'signal'")
        return self
