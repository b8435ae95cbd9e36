"""numba kernels — the only place in neuromorph that compiles code (``@njit``) — each with a
plain NumPy reference beside it so tests can compare the two."""


def thread_count() -> int:
    """Number of threads the parallel kernels use (``NUMBA_NUM_THREADS``)."""
    import numba

    return numba.get_num_threads()
