"""numba kernels — the only place in neuromorph that compiles code (``@njit``) — each with a
plain NumPy reference beside it so tests can compare the two. This package also owns numba's
thread settings."""

from __future__ import annotations

__all__ = ["thread_count", "set_thread_count"]


def thread_count() -> int:
    """Number of threads the parallel kernels launched from this thread use."""
    import numba

    return numba.get_num_threads()


def set_thread_count(n: int | None) -> int:
    """Use ``n`` threads (clamped to 1..NUMBA_NUM_THREADS; None = all) in parallel kernels
    launched from the calling thread; returns the count in effect.

    Sweep workers run one point each on one core; their kernels must not each start a thread per
    core (oversubscription). ``numba.set_num_threads`` is thread-local, so the thread that then
    launches the kernels calls it. Kernel results never depend on the thread count (no reductions
    across synapses)."""
    import numba

    limit = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(limit if n is None else max(1, min(int(n), limit)))
    return numba.get_num_threads()
