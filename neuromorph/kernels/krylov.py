"""Fused conjugate-gradient vector updates (numba), each with a NumPy reference: one pass over the
iterate, the residual and the two direction vectors instead of four NumPy passes and a dot product.

Vectors are (R, M, B) arrays: R rows (the parallel axis), M entries per row, B independent systems
(right-hand sides) in the last axis, each with its own step length.

``cg_update``  w ← w + α_b p,  r ← r − α_b q  and the per-row partial sums Σ_j r² (R, B); the caller
               sums them over rows (a fixed order: results do not depend on the thread count).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import population_kernel

__all__ = ["cg_update", "cg_update_reference"]


@population_kernel
def cg_update(w, r, p, q, alpha, row_rr):
    """In place: ``w += alpha * p``, ``r -= alpha * q`` (alpha (B,) per system); ``row_rr`` (R, B)
    receives Σ_j r[row, j, b]² of the updated residual."""
    n_rows, n_mid, nb = w.shape
    for a in prange(n_rows):
        for k in range(nb):
            row_rr[a, k] = 0.0
        for j in range(n_mid):
            for k in range(nb):
                w[a, j, k] += alpha[k] * p[a, j, k]
                rv = r[a, j, k] - alpha[k] * q[a, j, k]
                r[a, j, k] = rv
                row_rr[a, k] += rv * rv


def cg_update_reference(w, r, p, q, alpha, row_rr):
    """NumPy version of :func:`cg_update`."""
    w += alpha * p
    r -= alpha * q
    row_rr[:] = np.einsum("ajk,ajk->ak", r, r)
