"""numba kernels — the only place in neuromorph that compiles code (``@njit``) — each with a
plain NumPy reference beside it so tests can compare the two. The compile options, the
parallel/serial dispatch and numba's thread settings are the policy of :mod:`neuromorph.kernels._jit`."""

from __future__ import annotations

from ._jit import set_thread_count, thread_count

__all__ = ["thread_count", "set_thread_count"]
