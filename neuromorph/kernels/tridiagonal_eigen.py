"""Batched symmetric tridiagonal eigen-decompositions (numba), each with a NumPy reference: the
modes of a batch of chains with device-to-device variation (``ChainBatch``).

A batch of ``N`` independent symmetric tridiagonal matrices of order ``m`` is given by its
diagonals ``diag`` (N, m) and off-diagonals ``off`` (N, m-1), as in
:mod:`neuromorph.kernels.tridiagonal`.

``eigh_tridiagonal`` all eigenvalues (ascending) and orthonormal eigenvectors of every matrix:
                    implicit QL with Wilkinson shifts and Givens rotations accumulated into the
                    eigenvectors (Numerical Recipes 3rd ed. §11.4 ``tqli``; Golub & Van Loan
                    §8.3), run on the matrix with its order reversed (QL is accurate for small
                    eigenvalues when the large entries sit bottom-right; a Benna–Fusi chain's are
                    top-left). O(m³) per matrix, no allocation per matrix: for the small m of a
                    synapse chain ~10× faster than batched LAPACK ``numpy.linalg.eigh`` on the
                    dense (N, m, m) stack. Each eigenvector's first component (its weight on
                    u_1 of the chain, never 0 for an unreduced tridiagonal matrix) is made
                    non-negative: a fixed sign convention that :func:`modal_coefficients` can
                    apply while tracking only that component.

``similarity_transforms`` from the eigenvectors V of S = C^{-1/2} L C^{-1/2} and √C, the
                    chain transforms T = Vᵀ C^{1/2} (new array) and T⁻¹ = C^{-1/2} V (in place
                    of V), in one pass.

References: Numerical Recipes 3rd ed. §11.4 (``tqli``); Golub & Van Loan, *Matrix Computations*
(4th ed.), §8.3.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import inline_helper, population_kernel
from .tridiagonal import dense_tridiagonals

__all__ = [
    "eigh_tridiagonal",
    "eigh_tridiagonal_reference",
    "modal_coefficients",
    "modal_coefficients_reference",
    "similarity_transforms",
    "similarity_transforms_reference",
]

#: implicit-QL sweeps allowed per eigenvalue before :func:`eigh_tridiagonal` gives up (flags NaN)
QL_MAX_SWEEPS = 60


@inline_helper
def ql_eigh(diag_row, off_row, d, e, z):
    """Eigenvalues (into ``d`` (m,), ascending) and orthonormal eigenvectors (columns of ``z``)
    of one symmetric tridiagonal matrix with diagonal ``diag_row`` (m,) and off-diagonal
    ``off_row`` (m-1,); ``e`` (m,) is scratch. Implicit QL as described in the module docstring,
    with its sign convention; NaN everywhere if QL does not converge.

    ``z`` (m, m) receives the whole eigenvectors; ``z`` (1, m) only their first components (the
    rotations then update one row instead of m: the cheap path of :func:`modal_coefficients`).
    Both give the same numbers, since every row of z is rotated independently."""
    m = d.shape[0]
    rows = z.shape[0]
    # reversed order: index j of the working matrix is m-1-j of the chain
    for j in range(m):
        d[j] = diag_row[m - 1 - j]
        e[j] = 0.0
    for j in range(rows):
        for k in range(m):
            z[j, k] = 0.0
        # the identity, or (one row) its row for the chain's first component: working row m-1
        z[j, j if rows == m else m - 1] = 1.0
    for j in range(m - 1):
        e[j] = off_row[m - 2 - j]
    failed = False
    for lo in range(m):
        sweeps = 0
        while True:
            mm = lo
            while mm < m - 1:
                dd = abs(d[mm]) + abs(d[mm + 1])
                if abs(e[mm]) + dd == dd:
                    break
                mm += 1
            if mm == lo:
                break
            sweeps += 1
            if sweeps > QL_MAX_SWEEPS:
                failed = True
                break
            g = (d[lo + 1] - d[lo]) / (2.0 * e[lo])
            r = math.sqrt(g * g + 1.0)
            g = d[mm] - d[lo] + e[lo] / (g + math.copysign(r, g))
            s = 1.0
            c = 1.0
            p = 0.0
            deflated = False
            i = mm - 1
            while i >= lo:
                f = s * e[i]
                b = c * e[i]
                r = math.sqrt(f * f + g * g)
                e[i + 1] = r
                if r == 0.0:
                    d[i + 1] -= p
                    e[mm] = 0.0
                    deflated = True
                    break
                s = f / r
                c = g / r
                g = d[i + 1] - p
                r = (d[i] - g) * s + 2.0 * c * b
                p = s * r
                d[i + 1] = g + p
                g = c * r - b
                for k in range(rows):
                    f = z[k, i + 1]
                    z[k, i + 1] = s * z[k, i] + c * f
                    z[k, i] = c * z[k, i] - s * f
                i -= 1
            if deflated:
                continue
            d[lo] -= p
            e[lo] = g
            e[mm] = 0.0
        if failed:
            break
    if failed:
        for j in range(m):
            d[j] = np.nan
            for k in range(rows):
                z[k, j] = np.nan
        return
    # undo the reversal of the rows (components), in place (one row: it is already row 0)
    if rows == m:
        for j in range(m // 2):
            for k in range(m):
                t = z[j, k]
                z[j, k] = z[m - 1 - j, k]
                z[m - 1 - j, k] = t
    # ascending eigenvalues (selection sort, m is small), columns follow
    for j in range(m - 1):
        best = j
        for k in range(j + 1, m):
            if d[k] < d[best]:
                best = k
        if best != j:
            t = d[j]
            d[j] = d[best]
            d[best] = t
            for k in range(rows):
                t = z[k, j]
                z[k, j] = z[k, best]
                z[k, best] = t
    # sign convention: each eigenvector's first component (on u_1 of the chain) is >= 0
    for j in range(m):
        if z[0, j] < 0.0:
            for k in range(rows):
                z[k, j] = -z[k, j]


@population_kernel
def eigh_tridiagonal(diag, off, work, rates, vecs):
    """Eigen-decomposition of ``N`` symmetric tridiagonal matrices: ``diag`` (N, m), ``off``
    (N, m-1); ``work`` (N, m) scratch; outputs ``rates`` (N, m) ascending and ``vecs`` (N, m, m)
    with ``T[n] = vecs[n] @ diag(rates[n]) @ vecs[n].T`` (eigenvectors in columns). A matrix whose
    QL iteration does not converge in ``QL_MAX_SWEEPS`` sweeps per eigenvalue gets NaN."""
    n_mat = diag.shape[0]
    for n in prange(n_mat):
        ql_eigh(diag[n], off[n], rates[n], work[n], vecs[n])


#: matrices per thread-local scratch block of :func:`modal_coefficients`
MODAL_BLOCK = 256


@population_kernel
def modal_coefficients(diag, off, sqrt_c1, rates, kick, readout):
    """What the O(m) integrator needs of ``N`` chains, without storing their (m, m) eigenvectors:
    ``rates`` (N, m) as :func:`eigh_tridiagonal` (with rates below 1e-13 of the chain's fastest
    set to exactly 0: a closed chain's zero mode), and from the eigenvectors' first components
    V[0, k] (the u_1 component, same sign convention) ``kick[n, k] = V[0, k]·√C_1`` (row k of
    T = Vᵀ C^{1/2} applied to e_1) and ``readout[n, k] = V[0, k]/√C_1`` (row 0 of
    T⁻¹ = C^{-1/2} V); ``sqrt_c1`` (N,) = √C_1. The eigenvectors live in a per-block scratch, so
    memory is O(N·m) instead of O(N·m²) (840 MB for a 1024² differential array of m = 5 cells)."""
    n_mat, m = diag.shape
    n_blocks = (n_mat + MODAL_BLOCK - 1) // MODAL_BLOCK
    for block in prange(n_blocks):
        e = np.empty(m)
        z = np.empty((1, m))
        for n in range(block * MODAL_BLOCK, min(n_mat, (block + 1) * MODAL_BLOCK)):
            ql_eigh(diag[n], off[n], rates[n], e, z)
            # a closed chain's exact zero mode comes out as ~1e-17 of either sign: make it 0
            # (relative to the chain's fastest rate, the rule of ChainBatch.eigenbasis)
            fastest = 0.0
            for k in range(m):
                fastest = max(fastest, abs(rates[n, k]))
            for k in range(m):
                if abs(rates[n, k]) < 1e-13 * fastest:
                    rates[n, k] = 0.0
            s = sqrt_c1[n]
            for k in range(m):
                kick[n, k] = z[0, k] * s
                readout[n, k] = z[0, k] / s


def modal_coefficients_reference(diag, off, sqrt_c1):
    """NumPy reference of :func:`modal_coefficients` (from :func:`eigh_tridiagonal_reference`):
    returns ``(rates, kick, readout)``."""
    rates, vecs = eigh_tridiagonal_reference(diag, off)
    rates[np.abs(rates) < 1e-13 * np.abs(rates).max(axis=1, keepdims=True)] = 0.0
    first = vecs[:, 0, :]
    sqrt_c1 = np.asarray(sqrt_c1, dtype=float)[:, None]
    return rates, first * sqrt_c1, first / sqrt_c1


def eigh_tridiagonal_reference(diag, off):
    """NumPy reference of :func:`eigh_tridiagonal`: ``numpy.linalg.eigh`` (LAPACK) of the dense
    (N, m, m) matrices, with the same sign convention. Returns ``(rates, vecs)``."""
    rates, vecs = np.linalg.eigh(dense_tridiagonals(diag, off))
    sign = np.sign(vecs[:, :1, :])  # (N, 1, m): sign of each eigenvector's first component
    return rates, vecs * np.where(sign == 0, 1.0, sign)


@population_kernel
def similarity_transforms(vecs, sqrt_c, to_modes):
    """``to_modes[n] = vecs[n].T * sqrt_c[n]`` (row k of Vᵀ scaled by √C column-wise) and, in
    place, ``vecs[n] /= sqrt_c[n][:, None]`` (becomes C^{-1/2} V); ``vecs`` (N, m, m),
    ``sqrt_c`` (N, m), ``to_modes`` (N, m, m)."""
    n_mat, m = sqrt_c.shape
    for n in prange(n_mat):
        for k in range(m):
            sc = sqrt_c[n, k]
            for i in range(m):
                v = vecs[n, k, i]
                to_modes[n, i, k] = v * sc
                vecs[n, k, i] = v / sc


def similarity_transforms_reference(vecs, sqrt_c):
    """NumPy version of :func:`similarity_transforms`: returns ``(to_modes, to_state)``."""
    return np.swapaxes(vecs, 1, 2) * sqrt_c[:, None, :], vecs / sqrt_c[:, :, None]
