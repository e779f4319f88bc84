"""Client worker processes (spawned, so they share nothing with the suite's event loop)."""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Sequence
from typing import Any

CTX = multiprocessing.get_context("spawn")


def split(total: int, parts: int) -> list[tuple[int, int]]:
    """(first index, count) of each of ``parts`` near-equal shares of ``total``."""
    shares, first = [], 0
    for part in range(parts):
        count = total // parts + (1 if part < total % parts else 0)
        shares.append((first, count))
        first += count
    return shares


def run_workers(
    target: Callable[..., None], args: Sequence[tuple[Any, ...]], timeout: float
) -> list[dict[str, Any]]:
    """Start one process per ``args`` entry, all released together by a barrier.

    Each worker gets ``(*args[i], barrier, results)`` and puts one dict on ``results``.
    Processes still alive after ``timeout`` seconds are terminated.
    """
    barrier = CTX.Barrier(len(args))
    results: Any = CTX.Queue()
    procs = [CTX.Process(target=target, args=(*a, barrier, results), daemon=True) for a in args]
    for proc in procs:
        proc.start()
    out: list[dict[str, Any]] = []
    try:
        for _ in procs:
            out.append(results.get(timeout=timeout))
    except queue.Empty:
        raise TimeoutError(f"client workers gave no result within {timeout} s") from None
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()
                proc.join()
    return out
