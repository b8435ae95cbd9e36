"""Batched symmetric tridiagonal kernels (numba), each with a NumPy reference.

A batch of ``L`` independent symmetric tridiagonal matrices of order ``n`` is given by its
diagonals ``diag`` (L, n) and off-diagonals ``off`` (L, n-1): ``T[l] = diag(diag[l]) +
diag(off[l], 1) + diag(off[l], -1)``.

``ldl_factor``      T = L D Lᵀ (no pivoting) for SPD, e.g. diagonally dominant, T: returns
                    ``inv_d`` (L, n) = 1/D and ``lower`` (L, n-1), the sub-diagonal of the unit
                    lower-bidiagonal L: lower_i = off_i / D_i,  D_{i+1} = diag_{i+1} − lower_i off_i.
                    Stable without pivoting for symmetric diagonally dominant M-matrices (the
                    wire lines of a crossbar), since then D_i ≥ diag_i − |off_{i-1}| > 0.
``ldl_solve``       x = T⁻¹ r for ``B`` right-hand sides per matrix, ``rhs``/``out`` (L, n, B)
                    (any strides; ``out`` may be ``rhs``): forward y_i = r_i − lower_{i−1} y_{i−1},
                    back x_i = y_i·inv_d_i − lower_i x_{i+1}.  O(L·n·B) flops, one pass each way.

The eigen-decompositions of batches of such matrices (a chain's modes) are in
:mod:`neuromorph.kernels.tridiagonal_eigen`; the crossbar's line sweeps fused into the IR-drop
conjugate-gradient iteration in :mod:`neuromorph.kernels.irdrop`.

References: Golub & Van Loan, *Matrix Computations* (4th ed.), §4.3.6 (LDLᵀ of a symmetric
tridiagonal matrix).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import population_kernel

__all__ = [
    "ldl_factor",
    "ldl_factor_reference",
    "ldl_solve",
    "ldl_solve_reference",
]

#: systems solved side by side by :func:`ldl_solve` for a single right-hand side
INTERLEAVE = 4


@population_kernel
def ldl_factor(diag, off, inv_d, lower):
    """LDLᵀ factors of ``L`` SPD tridiagonal matrices into ``inv_d`` (L, n) and ``lower`` (L, n-1)."""
    n_sys, n = diag.shape
    for s in prange(n_sys):
        d = diag[s, 0]
        inv_d[s, 0] = 1.0 / d
        for i in range(n - 1):
            li = off[s, i] / d
            lower[s, i] = li
            d = diag[s, i + 1] - li * off[s, i]
            inv_d[s, i + 1] = 1.0 / d


def ldl_factor_reference(diag, off):
    """NumPy reference of :func:`ldl_factor`, vectorised over the batch: returns ``(inv_d, lower)``."""
    diag = np.asarray(diag, dtype=float)
    off = np.asarray(off, dtype=float)
    n_sys, n = diag.shape
    d = np.empty((n_sys, n))
    lower = np.empty((n_sys, max(n - 1, 0)))
    d[:, 0] = diag[:, 0]
    for i in range(n - 1):
        lower[:, i] = off[:, i] / d[:, i]
        d[:, i + 1] = diag[:, i + 1] - lower[:, i] * off[:, i]
    return 1.0 / d, lower


@population_kernel
def ldl_solve(inv_d, lower, rhs, out):
    """Solve ``T[l] x = rhs[l]`` for every system ``l`` and column, from :func:`ldl_factor`'s
    factors; ``rhs``, ``out`` are (L, n, B) arrays of any strides (``out`` may alias ``rhs``)."""
    n_sys, n = inv_d.shape
    nb = rhs.shape[2]
    if nb == 1:
        # one right-hand side: the recurrence is latency-bound, so INTERLEAVE systems run side by
        # side (independent chains of dependent operations overlap in the pipeline)
        n_blocks = (n_sys + INTERLEAVE - 1) // INTERLEAVE
        for blk in prange(n_blocks):
            s0 = blk * INTERLEAVE
            s1 = min(s0 + INTERLEAVE, n_sys)
            for s in range(s0, s1):
                out[s, 0, 0] = rhs[s, 0, 0]
            for i in range(1, n):
                for s in range(s0, s1):
                    out[s, i, 0] = rhs[s, i, 0] - lower[s, i - 1] * out[s, i - 1, 0]
            for s in range(s0, s1):
                out[s, n - 1, 0] = out[s, n - 1, 0] * inv_d[s, n - 1]
            for i in range(n - 2, -1, -1):
                for s in range(s0, s1):
                    out[s, i, 0] = out[s, i, 0] * inv_d[s, i] - lower[s, i] * out[s, i + 1, 0]
        return
    for s in prange(n_sys):
        for k in range(nb):
            out[s, 0, k] = rhs[s, 0, k]
        for i in range(1, n):
            li = lower[s, i - 1]
            for k in range(nb):
                out[s, i, k] = rhs[s, i, k] - li * out[s, i - 1, k]
        w = inv_d[s, n - 1]
        for k in range(nb):
            out[s, n - 1, k] = out[s, n - 1, k] * w
        for i in range(n - 2, -1, -1):
            w = inv_d[s, i]
            li = lower[s, i]
            for k in range(nb):
                out[s, i, k] = out[s, i, k] * w - li * out[s, i + 1, k]


def ldl_solve_reference(diag, off, rhs):
    """NumPy reference of :func:`ldl_factor` + :func:`ldl_solve`: a dense ``numpy.linalg.solve``
    of every system (independent of the LDLᵀ recurrence; O(L·n³), small sizes only)."""
    return np.linalg.solve(dense_tridiagonals(diag, off), np.asarray(rhs, dtype=float))


def dense_tridiagonals(diag, off):
    """The dense (L, n, n) symmetric matrices of ``diag`` (L, n) and ``off`` (L, n−1): what the
    NumPy references hand to LAPACK (small sizes only)."""
    diag = np.asarray(diag, dtype=float)
    off = np.asarray(off, dtype=float)
    n_sys, n = diag.shape
    T = np.zeros((n_sys, n, n))
    idx = np.arange(n)
    T[:, idx, idx] = diag
    T[:, idx[:-1], idx[1:]] = off
    T[:, idx[1:], idx[:-1]] = off
    return T
