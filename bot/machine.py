"""The flow's state machine: one ``transitions.Machine`` per flow, built once, driven per message.

Every conversation shares the machine. A turn wraps the snapshot in a short-lived ``Position``
and fires a trigger on it directly (``machine.events[name].trigger(position)``): no
``add_model`` per conversation, which would leak and grows quadratically (design.md), and no
callbacks with side effects. Conditions are pure predicates over the position's evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine

from bot.state import Evidence

START, HANDOFF, NURTURE, OPTED_OUT, CLOSED = "start", "handoff", "nurture", "opted_out", "closed"
TRIGGERS = ("advance", "request_human", "opt_out", "restart", "close", "hand_back", "finish")


def ask_state(slot: str) -> str:
    """The state in which the bot has asked for ``slot``."""
    return f"ask_{slot}"


def asked_slot(state: str) -> str | None:
    """The slot being asked in ``state``, if it is a question state."""
    return state.removeprefix("ask_") if state.startswith("ask_") else None


@dataclass(slots=True)
class Position:
    """The transient model a trigger moves: the conversation's state and what conditions read."""

    state: str
    evidence: Mapping[str, Evidence]
    handoff_due: bool


Predicate = Callable[[EventData], bool]
Test = Callable[[Position], bool]

# Each condition's test of the position, so ``Table`` can run it without an ``EventData``.
_TESTS: dict[Predicate, Test] = {}
# The slot of each condition ``_needs`` made, whose test ``Table`` runs inline.
_MISSING: dict[Predicate, str] = {}
# The conditions whose test is ``position.handoff_due`` alone, which ``Table`` reads inline.
_DUE: set[Predicate] = set()


def _predicate(name: str, test: Test) -> Predicate:
    """A named condition: the name is what the Mermaid diagram shows on the arrow."""

    def check(event: EventData) -> bool:
        position = event.model
        assert isinstance(position, Position)
        return test(position)

    check.__name__ = name
    _TESTS[check] = test
    return check


def _needs(slot: str) -> Predicate:
    def missing(position: Position) -> bool:
        item = position.evidence.get(slot)
        return item is None or item.status == "retracted"

    predicate = _predicate(f"{slot}_missing", missing)
    _MISSING[predicate] = slot
    return predicate


def machine_config(question_slots: list[str]) -> dict[str, Any]:
    """States and transitions for a flow whose questions ask ``question_slots`` in order."""
    asks = [ask_state(slot) for slot in question_slots]
    active = [START, *asks, NURTURE, CLOSED]
    handoff_due = _predicate("stage_reached_handoff", lambda p: p.handoff_due)
    _DUE.add(handoff_due)
    transitions: list[dict[str, Any]] = [
        {"trigger": "advance", "source": active, "dest": HANDOFF, "conditions": [handoff_due]},
    ]
    for slot in question_slots:
        transitions.append(
            {
                "trigger": "advance",
                "source": active,
                "dest": ask_state(slot),
                "conditions": [_needs(slot)],
            }
        )
    transitions += [
        {"trigger": "advance", "source": active, "dest": NURTURE},
        {"trigger": "request_human", "source": [*active, OPTED_OUT], "dest": HANDOFF},
        {"trigger": "opt_out", "source": [*active, HANDOFF], "dest": OPTED_OUT},
        {"trigger": "restart", "source": [*active, OPTED_OUT, HANDOFF], "dest": START},
        {"trigger": "close", "source": [START, *asks, NURTURE], "dest": CLOSED},
        {"trigger": "hand_back", "source": HANDOFF, "dest": START},
        {"trigger": "finish", "source": [*active, HANDOFF], "dest": CLOSED},
    ]
    return {
        "states": [*active, HANDOFF, OPTED_OUT],
        "transitions": transitions,
        "initial": START,
        "auto_transitions": False,
        "send_event": True,
        "ignore_invalid_triggers": True,
    }


def build_machine(question_slots: list[str]) -> Machine:
    """The flow's one machine (``model=None``: conversations are never added to it)."""
    return Machine(model=None, **machine_config(question_slots))


def fire(machine: Machine, trigger: str, position: Position) -> str:
    """Fire ``trigger`` on ``position`` and return the new state (unchanged if none applied)."""
    machine.events[trigger].trigger(position)
    return position.state


# One candidate transition: its destination and the (test, expected outcome, slot, due) of its
# conditions; the slot, for a condition of ``_needs``, is the slot whose missing it tests; due,
# whether the test is ``position.handoff_due`` alone.
Candidate = tuple[str | None, tuple[tuple[Test, bool, str | None, bool], ...]]


class Table:
    """The machine's transitions read out once, so a turn resolves a trigger in a dict lookup.

    Firing through ``transitions`` costs about 19 µs (event data, callback lists, five
    ``log.debug`` calls); resolving the same candidates here costs about 1 µs. The machine stays
    the source of truth: the table is read from its events, in its order, and refuses a machine
    with callbacks it could not honour (tests check both agree for every state and outcome).
    """

    def __init__(self, machine: Machine) -> None:
        """Read every (state, trigger) pair's candidate transitions from ``machine``."""
        _refuse_callbacks(machine)
        self.states = frozenset(machine.states)
        # ``asked_slot`` of every state, looked up rather than recomputed: a turn asks it of
        # its state several times, and a turn's state is always one of these (see TurnDraft).
        self.asked: dict[str, str | None] = {state: asked_slot(state) for state in self.states}
        self._candidates: dict[tuple[str, str], tuple[Candidate, ...]] = {}
        for trigger, event in machine.events.items():
            for source, transitions in event.transitions.items():
                self._candidates[source, trigger] = tuple(
                    (t.dest, tuple(_condition(c.func, c.target) for c in t.conditions))
                    for t in transitions
                )

    def fire(self, trigger: str, position: Position) -> str:
        """The state after ``trigger``, as ``fire`` would return it.

        The first candidate whose conditions all hold wins, as in ``transitions``; the state is
        unchanged when none does or the trigger does not apply to it.
        """
        evidence = position.evidence
        for dest, conditions in self._candidates.get((position.state, trigger), ()):
            for test, expected, slot, _ in conditions:
                if slot is None:
                    if test(position) != expected:
                        break
                    continue
                item = evidence.get(slot)  # ``_needs``'s test, inlined (a call per slot asked)
                if (item is None or item.status == "retracted") != expected:
                    break
            else:
                return position.state if dest is None else dest
        return position.state

    def fire_at(self, trigger: str, state: str, evidence: Mapping[str, Evidence], due: bool) -> str:
        """``fire(trigger, Position(state, evidence, due))``, the position built only if needed.

        None of the conditions of ``machine_config`` needs one: their tests are read inline.
        """
        for dest, conditions in self._candidates.get((state, trigger), ()):
            for test, expected, slot, reads_due in conditions:
                if slot is not None:
                    item = evidence.get(slot)  # ``_needs``'s test, inlined
                    if (item is None or item.status == "retracted") != expected:
                        break
                elif reads_due:
                    if due != expected:  # ``handoff_due``'s test, inlined
                        break
                elif test(Position(state, evidence, due)) != expected:
                    break
            else:
                return state if dest is None else dest
        return state


def _condition(func: Any, target: Any) -> tuple[Test, bool, str | None, bool]:
    """A condition as ``Table`` runs it: test, expected outcome, slot if ``_needs``'s, and due."""
    return _test_of(func), bool(target), _MISSING.get(func), func in _DUE


def _test_of(func: Any) -> Test:
    """The position test behind a condition of this module."""
    test = _TESTS.get(func)
    if test is None:
        raise ValueError(f"condition {func!r} was not made by bot.machine._predicate")
    return test


def _refuse_callbacks(machine: Machine) -> None:
    """A table cannot run callbacks: the flow's machine has none (conditions are pure)."""
    hooks = [machine.prepare_event, machine.before_state_change, machine.after_state_change,
             machine.finalize_event, machine.on_exception]  # fmt: skip
    hooks += [h for state in machine.states.values() for h in (state.on_enter, state.on_exit)]
    for event in machine.events.values():
        for transitions in event.transitions.values():
            hooks += [h for t in transitions for h in (t.prepare, t.before, t.after)]
    strict = [s for s in machine.states.values() if s.ignore_invalid_triggers is False]
    if any(hooks) or strict or not machine.ignore_invalid_triggers:
        raise ValueError("the machine has callbacks or raises on invalid triggers")


def mermaid(question_slots: list[str], title: str) -> str:
    """The same machine drawn as a Mermaid state diagram, for the docs."""
    from transitions.extensions import GraphMachine

    class Model:
        state = START

    graph = GraphMachine(
        model=Model(),
        graph_engine="mermaid",
        title=title,
        show_conditions=True,
        **machine_config(question_slots),
    )
    source: str = graph.get_graph().draw(None)
    return source
