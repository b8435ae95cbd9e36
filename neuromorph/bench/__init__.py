"""Benchmark cases for ``neuromorph bench`` (one public module per case) and their shared timing
helper :func:`best_time`. :mod:`.report` is the harness every case reports through (machine,
versions, thread policy, figures with baseline and ratio, ``--json [FILE]``); modules whose name
starts with ``_`` are helpers and peers (:mod:`._brian2_peer`, :mod:`._scaling`), not cases."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeats: int = 5, min_time_s: float = 0.2,
              clock: Callable[[], float] = time.perf_counter) -> float:
    """Best time of one call of ``fn`` over ``repeats`` rounds (each round loops until
    ``min_time_s`` of ``clock`` has passed and reports the mean), after one warm-up call (JIT
    compilation). ``clock`` is wall time by default; :func:`time.process_time` gives the CPU time
    of every thread of the process (see :func:`best_cpu_time`)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        calls, start = 0, clock()
        while True:
            fn()
            calls += 1
            elapsed = clock() - start
            if elapsed >= min_time_s:
                break
        best = min(best, elapsed / calls)
    return best


def best_cpu_time(fn: Callable[[], object], repeats: int = 5, min_time_s: float = 0.2) -> float:
    """:func:`best_time` in CPU seconds of the whole process (all its threads). On a shared
    machine a descheduled thread stretches wall time but not CPU time, so ratios of CPU times
    measured at the same thread count (a kernel against the STREAM pass) stay meaningful under
    load; on an idle machine they match the wall-time ratios."""
    return best_time(fn, repeats=repeats, min_time_s=min_time_s, clock=time.process_time)
