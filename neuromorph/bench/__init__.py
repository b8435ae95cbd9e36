"""Benchmark cases for ``neuromorph bench`` (one public module per case) and their shared timing
helper :func:`best_time`. :mod:`.report` is the harness every case reports through (machine,
versions, thread policy, figures with baseline and ratio, ``--json [FILE]``); modules whose name
starts with ``_`` are helpers and peers (:mod:`._brian2_peer`, :mod:`._scaling`), not cases."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_times(fn: Callable[[], object], repeats: int = 5, min_time_s: float = 0.2) -> tuple[float, float]:
    """Best wall time and best CPU time of one call of ``fn`` over ``repeats`` rounds (each round
    loops until ``min_time_s`` of wall time has passed and reports the means), after one warm-up
    call (JIT compilation). CPU time is :func:`time.process_time`, every thread of the process: on
    a shared machine a descheduled thread stretches wall time but not CPU time, so ratios of CPU
    times measured at the same thread count (a kernel against the STREAM pass) stay meaningful
    under load; on an idle machine they match the wall-time ratios."""
    fn()
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        calls, start, cpu_start = 0, time.perf_counter(), time.process_time()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time_s:
                break
        best_wall = min(best_wall, elapsed / calls)
        best_cpu = min(best_cpu, (time.process_time() - cpu_start) / calls)
    return best_wall, best_cpu


def best_time(fn: Callable[[], object], repeats: int = 5, min_time_s: float = 0.2) -> float:
    """Best wall time of one call of ``fn`` (see :func:`best_times`)."""
    return best_times(fn, repeats=repeats, min_time_s=min_time_s)[0]
