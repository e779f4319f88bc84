"""Engine: ``decide()`` per second over scripted BANT conversations, extractors, and transitions."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bench.report import Figure, Target, percentile
from bench.script import CONVERSATIONS, NOW
from bot.decision import Decision
from bot.engine import Engine
from bot.extract.common import clean as clean_for_extractors
from bot.extract.folded import begin_message, end_message
from bot.flow import Flow
from bot.machine import Position, asked_slot
from bot.messages import ConversationKey, Inbound
from bot.state import Evidence, Snapshot
from bot.understand import clean, read_text
from flows import load_flow

PART = "engine"


@dataclass(frozen=True, slots=True)
class Step:
    """What one decide() saw: the snapshot's state and evidence, and the text it read."""

    state: str
    evidence: Mapping[str, Evidence]
    text: str | None  # None for a click: no extractor runs on it


def fresh(key: ConversationKey) -> Snapshot:
    """A conversation nobody has talked to yet, as the store would load it."""
    return Snapshot(
        conversation_id=1, key=key, state="start", owner="bot", stage=None, score=0,
        evidence={}, context={}, opted_out=False, seq=0,
    )  # fmt: skip


def after(snapshot: Snapshot, decision: Decision) -> Snapshot:
    """The snapshot the store would load next, rebuilt from the decision (no storage)."""
    evidence = dict(snapshot.evidence)
    for item in decision.evidence:
        evidence[item.slot] = item
    return replace(
        snapshot,
        state=decision.state, owner=decision.owner, stage=decision.stage, score=decision.score,
        evidence=evidence, context=decision.context, opted_out=decision.opted_out,
        seq=snapshot.seq + len(decision.replies), last_inbound_at=decision.last_inbound_at,
        lead=decision.lead,
    )  # fmt: skip


def converse(engine: Engine, index: int, steps: list[Step] | None = None) -> list[float]:
    """Play one scripted conversation; returns the seconds each decide() took."""
    key = ConversationKey("simulate", f"c{index}")
    snapshot = fresh(key)
    times: list[float] = []
    for number, line in enumerate(CONVERSATIONS[index % len(CONVERSATIONS)]):
        inbound = Inbound(key, f"c{index}-{number}", line.text, NOW, line.kind)
        snapshot = replace(snapshot, seq=snapshot.seq + 1)  # the stored inbound line
        if steps is not None:
            text = clean(line.text) if line.kind == "text" else None
            steps.append(Step(snapshot.state, snapshot.evidence, text))
        started = time.perf_counter()
        decision = engine.decide(snapshot, inbound, NOW)
        times.append(time.perf_counter() - started)
        snapshot = after(snapshot, decision)
    return times


def decide_rate(engine: Engine, seconds: float) -> list[float]:
    """decide() times over whole conversations, round after round, for about ``seconds``."""
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    index = 0
    while time.perf_counter() < deadline and index < 1_000_000:
        times += converse(engine, index)
        index += 1
    return times


def transitions_rate(flow: Flow, steps: list[Step], seconds: float) -> tuple[int, float]:
    """Bare ``advance`` triggers on the flow's machine, over the positions decide() saw."""
    trigger = flow.machine.events["advance"].trigger
    fired, elapsed = 0, 0.0
    while elapsed < seconds and fired < 50_000_000:
        started = time.perf_counter()
        for step in steps:
            trigger(Position(step.state, step.evidence, False))
        elapsed += time.perf_counter() - started
        fired += len(steps)
    return fired, elapsed


def extractor_times(flow: Flow, steps: list[Step], rounds: int) -> tuple[list[float], dict]:
    """Seconds all extractors take per typed message, and the mean microseconds of each."""
    texts = [(s.text, asked_slot(s.state)) for s in steps if s.text is not None]
    per_message: list[float] = []
    for _ in range(rounds):
        for text, asked in texts:
            started = time.perf_counter()
            read_text(flow, text, NOW, asked)
            per_message.append(time.perf_counter() - started)
    # Each extractor once per message, message after message, as read_text runs them: timing
    # one text many times in a row measured warm caches and predicted branches (about 0.6x).
    spent = dict.fromkeys(flow.extractors, 0.0)
    spent["(preparing the message)"] = 0.0
    extractors = list(flow.extractors.items())
    clock = time.perf_counter
    for _ in range(rounds):
        for text, asked in texts:
            # Prepared as read_text prepares it (lowered, word heads): the path the engine takes.
            started = clock()
            begin_message(clean_for_extractors(text))
            spent["(preparing the message)"] += clock() - started
            for slot, extractor in extractors:
                started = clock()
                extractor(text, NOW, slot == asked)
                spent[slot] += clock() - started
            end_message()
    each = {slot: total / (rounds * len(texts)) * 1e6 for slot, total in spent.items()}
    return per_message, each


def run(quick: bool) -> tuple[list[Figure], dict[str, Any]]:
    """Measure the engine on one core; returns figures and details."""
    flow = load_flow()
    engine = Engine(flow)
    seconds = 0.5 if quick else 4.0
    for index in range(len(CONVERSATIONS) * 3):  # warm-up: regex caches, dateutil, imports
        converse(engine, index)
    steps: list[Step] = []
    for index in range(len(CONVERSATIONS)):
        converse(engine, index, steps)
    cpu = time.process_time()
    times = decide_rate(engine, seconds)
    cpu = time.process_time() - cpu
    rate = len(times) / sum(times)
    fired, elapsed = transitions_rate(flow, steps, seconds / 2)
    per_message, each = extractor_times(flow, steps, 20 if quick else 150)
    extract_us = sum(per_message) / len(per_message) * 1e6
    decide_us = sum(times) / len(times) * 1e6
    typed_share = sum(s.text is not None for s in steps) / len(steps)
    figures = [
        Figure(PART, "decide() per second, 1 core", rate, "/s", fired / elapsed,
               "transitions steps/s", Target(">=", 20_000)),
        Figure(PART, "decide() per CPU second", len(times) / cpu, "/s", note="process_time"),
        Figure(PART, "decide() p50", percentile(times, 50) * 1e6, "µs"),
        Figure(PART, "decide() p99", percentile(times, 99) * 1e6, "µs"),
        Figure(PART, "all extractors per typed message", extract_us, "µs",
               decide_us, "µs mean decide()"),
        Figure(PART, "all extractors per typed message, p99", percentile(per_message, 99) * 1e6,
               "µs"),
    ]  # fmt: skip
    details = {
        "decides": len(times),
        "decide_mean_us": decide_us,
        "messages_per_round": len(steps),
        "typed_share": typed_share,
        "transitions_steps": fired,
        "extractor_mean_us": {k: round(v, 1) for k, v in sorted(each.items(), key=lambda i: -i[1])},
    }
    return figures, details
