"""Batched symmetric tridiagonal kernels (numba), each with a NumPy reference.

A batch of ``L`` independent symmetric tridiagonal matrices of order ``n`` is given by its
diagonals ``diag`` (L, n) and off-diagonals ``off`` (L, n-1): ``T[l] = diag(diag[l]) +
diag(off[l], 1) + diag(off[l], -1)``.

``ldl_factor``      T = L D Lᵀ (no pivoting) for SPD, e.g. diagonally dominant, T: returns
                    ``inv_d`` (L, n) = 1/D and ``lower`` (L, n-1), the sub-diagonal of the unit
                    lower-bidiagonal L: lower_i = off_i / D_i,  D_{i+1} = diag_{i+1} − lower_i off_i.
                    Stable without pivoting for symmetric diagonally dominant M-matrices (the
                    wire lines of a crossbar), since then D_i ≥ diag_i − |off_{i-1}| > 0.
``ldl_solve_across`` the same with the systems' index on the *middle* axis, ``rhs``/``out``
                    (n, L, B) C-contiguous: the recurrence runs over rows that are contiguous in
                    memory (the sensed lines of a crossbar stored row-major), in blocks of
                    ``ACROSS_BLOCK`` systems per thread.
``matvec_across``   y = T x − s for systems across the middle axis (diagonal per system and row,
                    one constant off-diagonal), x, s, y (n, L, B): one fused pass.
``ldl_solve``       x = T⁻¹ r for ``B`` right-hand sides per matrix, ``rhs``/``out`` (L, n, B)
                    (any strides; ``out`` may be ``rhs``): forward y_i = r_i − lower_{i−1} y_{i−1},
                    back x_i = y_i·inv_d_i − lower_i x_{i+1}.  O(L·n·B) flops, one pass each way.

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

References: Golub & Van Loan, *Matrix Computations* (4th ed.), §4.3.6 (LDLᵀ of a symmetric
tridiagonal matrix).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import inline_helper, population_kernel

__all__ = [
    "eigh_tridiagonal",
    "eigh_tridiagonal_reference",
    "ldl_factor",
    "ldl_factor_reference",
    "ldl_solve",
    "ldl_solve_across",
    "ldl_solve_across_reference",
    "ldl_solve_reference",
    "matvec_across",
    "matvec_across_reference",
    "modal_coefficients",
    "modal_coefficients_reference",
    "similarity_transforms",
    "similarity_transforms_reference",
]

#: implicit-QL sweeps allowed per eigenvalue before :func:`eigh_tridiagonal` gives up (flags NaN)
QL_MAX_SWEEPS = 60

#: systems solved side by side by :func:`ldl_solve` for a single right-hand side
INTERLEAVE = 4

#: lines per block of :func:`ldl_solve_across` (one thread's contiguous share of a row)
ACROSS_BLOCK = 64


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
    diag = np.asarray(diag, dtype=float)
    off = np.asarray(off, dtype=float)
    n_sys, n = diag.shape
    T = np.zeros((n_sys, n, n))
    idx = np.arange(n)
    T[:, idx, idx] = diag
    T[:, idx[:-1], idx[1:]] = off
    T[:, idx[1:], idx[:-1]] = off
    return np.linalg.solve(T, np.asarray(rhs, dtype=float))


@population_kernel
def ldl_solve_across(inv_d_t, lower_t, rhs, out):
    """:func:`ldl_solve` for systems laid across the middle axis: ``rhs``, ``out`` (n, L, B)
    C-contiguous (``out`` may be ``rhs``); the factors *transposed*, ``inv_d_t`` (n, L) and
    ``lower_t`` (n-1, L) C-contiguous (``ldl_factor``'s outputs ``.T.copy()``), so that every
    access of the recurrence is contiguous."""
    n, n_sys = inv_d_t.shape
    nb = rhs.shape[2]
    n_blocks = (n_sys + ACROSS_BLOCK - 1) // ACROSS_BLOCK
    for blk in prange(n_blocks):
        s0 = blk * ACROSS_BLOCK
        s1 = min(s0 + ACROSS_BLOCK, n_sys)
        for s in range(s0, s1):
            for k in range(nb):
                out[0, s, k] = rhs[0, s, k]
        for i in range(1, n):
            if nb == 1:
                for s in range(s0, s1):
                    out[i, s, 0] = rhs[i, s, 0] - lower_t[i - 1, s] * out[i - 1, s, 0]
            else:
                for s in range(s0, s1):
                    li = lower_t[i - 1, s]
                    for k in range(nb):
                        out[i, s, k] = rhs[i, s, k] - li * out[i - 1, s, k]
        for s in range(s0, s1):
            w = inv_d_t[n - 1, s]
            for k in range(nb):
                out[n - 1, s, k] = out[n - 1, s, k] * w
        for i in range(n - 2, -1, -1):
            if nb == 1:
                for s in range(s0, s1):
                    out[i, s, 0] = out[i, s, 0] * inv_d_t[i, s] - lower_t[i, s] * out[i + 1, s, 0]
            else:
                for s in range(s0, s1):
                    w = inv_d_t[i, s]
                    li = lower_t[i, s]
                    for k in range(nb):
                        out[i, s, k] = out[i, s, k] * w - li * out[i + 1, s, k]


def ldl_solve_across_reference(diag, off, rhs):
    """NumPy reference of :func:`ldl_factor` + :func:`ldl_solve_across`: dense solves of
    ``rhs`` (n, L, B) with the systems on the middle axis."""
    rhs = np.asarray(rhs, dtype=float)
    return np.transpose(ldl_solve_reference(diag, off, np.transpose(rhs, (1, 0, 2))), (1, 0, 2))


@population_kernel
def matvec_across(diag_t, off, x, sub, out):
    """``out = T x − sub`` for the tridiagonal systems across the middle axis of ``x`` (n, L, B):
    ``T[s]`` has diagonal ``diag_t[:, s]`` ((n, L) array) and every off-diagonal equal to the
    scalar ``off``; ``sub``, ``out`` (n, L, B); ``out`` must not alias ``x``."""
    n, n_sys = diag_t.shape
    nb = x.shape[2]
    for i in prange(n):
        for s in range(n_sys):
            d = diag_t[i, s]
            for k in range(nb):
                acc = d * x[i, s, k] - sub[i, s, k]
                if i > 0:
                    acc += off * x[i - 1, s, k]
                if i < n - 1:
                    acc += off * x[i + 1, s, k]
                out[i, s, k] = acc


def matvec_across_reference(diag_t, off, x, sub):
    """NumPy reference of :func:`matvec_across`: dense ``T @ x − sub`` per system."""
    diag_t = np.asarray(diag_t, dtype=float)
    n, n_sys = diag_t.shape
    idx = np.arange(n)
    T = np.zeros((n_sys, n, n))
    T[:, idx, idx] = diag_t.T
    T[:, idx[:-1], idx[1:]] = off
    T[:, idx[1:], idx[:-1]] = off
    y = T @ np.transpose(np.asarray(x, dtype=float), (1, 0, 2))
    return np.transpose(y, (1, 0, 2)) - sub


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
    diag = np.asarray(diag, dtype=float)
    off = np.asarray(off, dtype=float)
    n_mat, m = diag.shape
    T = np.zeros((n_mat, m, m))
    idx = np.arange(m)
    T[:, idx, idx] = diag
    T[:, idx[:-1], idx[1:]] = off
    T[:, idx[1:], idx[:-1]] = off
    rates, vecs = np.linalg.eigh(T)
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
