"""Benchmark cases for ``neuromorph bench`` (one public module per case) and their shared timing
helper :func:`best_time`. :mod:`.report` is the harness every case reports through (machine,
versions, thread policy, figures with baseline and ratio, ``--json [FILE]``); modules whose name
starts with ``_`` are helpers and peers (:mod:`._brian2_peer`, :mod:`._scaling`), not cases."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeats: int = 5, min_time_s: float = 0.2) -> float:
    """Best wall time of one call of ``fn`` over ``repeats`` rounds (each round loops until
    ``min_time_s`` has passed and reports the mean), after one warm-up call (JIT compilation)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time_s:
                break
        best = min(best, elapsed / calls)
    return best
