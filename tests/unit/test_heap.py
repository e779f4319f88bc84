"""Collector settings for serving: start-up frozen, fewer young collections, undone after."""

from __future__ import annotations

import gc
import weakref

import pytest

from bot.heap import SERVER_THRESHOLDS, tuned_for_serving


class Node:
    """An object that can sit in a reference cycle (only the cyclic collector frees those)."""

    def __init__(self) -> None:
        self.other: Node | None = None


def test_start_up_objects_are_frozen_while_serving_and_thawed_after() -> None:
    before = gc.get_freeze_count()
    built_at_start_up = Node()
    with tuned_for_serving():
        assert gc.get_freeze_count() > before
        # A frozen object is outside every generation the collector walks.
        assert not any(o is built_at_start_up for o in gc.get_objects())
        assert gc.get_threshold() == SERVER_THRESHOLDS
    assert gc.get_freeze_count() == before
    assert any(o is built_at_start_up for o in gc.get_objects())


def test_a_cycle_made_while_serving_is_still_collected() -> None:
    with tuned_for_serving():
        first, second = Node(), Node()
        first.other, second.other = second, first
        alive = weakref.ref(first)
        del first, second
        gc.collect()
        assert alive() is None


def test_thresholds_come_back_even_when_serving_fails() -> None:
    previous, frozen = gc.get_threshold(), gc.get_freeze_count()
    seen: list[tuple[int, int, int]] = []

    def serve_and_fail() -> None:
        with tuned_for_serving((5_000, 5, 5)):
            seen.append(gc.get_threshold())
            raise RuntimeError("the server stopped on an error")

    with pytest.raises(RuntimeError):
        serve_and_fail()
    assert seen == [(5_000, 5, 5)]
    assert gc.get_threshold() == previous
    assert gc.get_freeze_count() == frozen
