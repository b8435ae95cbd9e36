"""Thread control for memory experiments and sweep workers (the kernels layer owns numba).

Sweep workers run one point each on one core; their numba kernels must not each start a
thread per core (oversubscription). ``numba.set_num_threads`` is thread-local, so it is called
by the thread that then launches the kernels (the task itself). The kernels are written so that
results never depend on the thread count (no reductions across synapses).
"""

from __future__ import annotations

__all__ = ["set_thread_count"]


def set_thread_count(n: int | None) -> int:
    """Use ``n`` threads (clamped to 1..NUMBA_NUM_THREADS; None = all) in parallel kernels
    launched from the calling thread; returns the count in effect."""
    import numba

    limit = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(limit if n is None else max(1, min(int(n), limit)))
    return numba.get_num_threads()
