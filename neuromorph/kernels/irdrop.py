r"""Fused sweeps of the preconditioned conjugate-gradient IR-drop solve (numba), each with a NumPy
reference: one CG iteration of :mod:`neuromorph.crossbar.irdrop_pcg` is two passes over the node
voltages instead of about twenty.

Layout (the canonical orientation of the solver): node arrays are (Na, Nb, B) C-contiguous — row
``a`` is a driven line running along ``b``, column ``b`` a sensed line running along ``a``, ``B``
independent right-hand sides in the last axis.  ``H`` (Na, Nb) cell conductances, S.  The driven
line ``a`` has the symmetric tridiagonal matrix ``D[a]`` (off-diagonal ``−g_d``) with LDLᵀ pivots
``1/d_inv[a, b]``; the sensed line ``b`` has ``S[b]`` (off-diagonal ``−g_s``, diagonal
``H[a, b] + g_s·n_a + g_se·[a = Na−1]`` with ``n_a`` the number of wire neighbours of node ``a``)
with pivots ``1/s_inv[a, b]``.  Since each off-diagonal is one constant, the unit-bidiagonal
factor is ``l_i = −g·inv_i`` (no second array):

    S = L Δ Lᵀ,   S⁻¹ r = L⁻ᵀ Δ⁻¹ L⁻¹ r,   rᵀ S⁻¹ r = yᵀ Δ⁻¹ y  with  y = L⁻¹ r.

The last identity gives the CG scalar ``rᵀz`` during the *forward* sweep, so the backward sweep,
the new search direction and the Schur-complement product can run in one pass:

``schur_cg_update``     rows ascending: ``r −= α q``, ``y = L⁻¹ r`` (into ``z``),
                        and per column ``Σ r²`` and ``Σ y²·s_inv`` (= ``rᵀ S⁻¹ r``).
``schur_cg_direction``  rows descending: ``z = L⁻ᵀ Δ⁻¹ y`` (in place), the iterate's last step
                        ``w += α p`` (deferred to here, where ``p`` is read anyway), ``p ← z + β p``,
                        and one row behind, ``q = K p = S p − H∘D⁻¹(H∘p)`` (the driven-line solve
                        of a row in cache) and per column ``Σ p·q``.  Serial: one thread's column
                        block.  ``q`` may share ``z``'s array (``z`` is spent once it is in ``p``).

Per node and iteration the two sweeps move ten 8-byte streams: ``w``, ``p``, ``r`` and the shared
``z``/``q`` array read and written once each, ``z``/``q`` twice.
``schur_cg_backsweep``  the first half of it alone, parallel over chunks of sensed lines, and
``schur_cg_product``    the second half alone, parallel over rows: the same numbers from two
                        threads for a single column block (one more read of ``p``).

Every sum has one fixed order — per chunk of :data:`LINE_CHUNK` sensed lines (rows ascending) or
per row (``b`` descending), the partial sums then added in chunk or row order — whatever the build
(parallel or serial), the thread count or the number of columns.  With ``fastmath=False`` there is
no FMA contraction: each product and sum rounds as in NumPy.

References: Golub & Van Loan, *Matrix Computations* (4th ed.), §4.3.6 (LDLᵀ of a tridiagonal
matrix) and §11.5 (preconditioned CG); Saad, *Iterative Methods for Sparse Linear Systems* (2nd
ed.), Alg. 9.1.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import population_kernel, serial_kernel
from .tridiagonal import dense_tridiagonals

__all__ = [
    "LINE_CHUNK",
    "schur_cg_backsweep",
    "schur_cg_backsweep_reference",
    "schur_cg_direction",
    "schur_cg_direction_reference",
    "schur_cg_product",
    "schur_cg_product_reference",
    "schur_cg_update",
    "schur_cg_update_reference",
]

#: sensed lines per chunk of :func:`schur_cg_update` and :func:`schur_cg_backsweep` (the unit of
#: their parallel loops and of the partial sums)
LINE_CHUNK = 256


@population_kernel
def schur_cg_update(s_inv, g_s, alpha, r, q, z, rr, rz):
    """In place, rows ascending: ``r −= alpha·q`` (``alpha`` (B,)), ``z = L⁻¹ r``
    (forward sweep of every sensed line), ``rr[k] = Σ r²``, ``rz[k] = Σ z²·s_inv`` (= rᵀS⁻¹r).
    Parallel over chunks of :data:`LINE_CHUNK` sensed lines.  ``q`` may be ``z`` (each entry of
    ``q`` is read before ``z`` is written there)."""
    n_a, n_b, nb = r.shape
    n_chunks = (n_b + LINE_CHUNK - 1) // LINE_CHUNK
    rr_part = np.zeros((n_chunks, nb))
    rz_part = np.zeros((n_chunks, nb))
    for c in prange(n_chunks):
        b0 = c * LINE_CHUNK
        b1 = min(b0 + LINE_CHUNK, n_b)
        for a in range(n_a):
            for b in range(b0, b1):
                sv = s_inv[a, b]
                if a == 0:
                    for k in range(nb):
                        rv = r[a, b, k] - alpha[k] * q[a, b, k]
                        r[a, b, k] = rv
                        rr_part[c, k] += rv * rv
                        z[a, b, k] = rv
                        rz_part[c, k] += rv * rv * sv
                else:
                    lv = -g_s * s_inv[a - 1, b]
                    for k in range(nb):
                        rv = r[a, b, k] - alpha[k] * q[a, b, k]
                        r[a, b, k] = rv
                        rr_part[c, k] += rv * rv
                        yv = rv - lv * z[a - 1, b, k]
                        z[a, b, k] = yv
                        rz_part[c, k] += yv * yv * sv
    for k in range(nb):
        rr[k] = 0.0
        rz[k] = 0.0
    for c in range(n_chunks):
        for k in range(nb):
            rr[k] += rr_part[c, k]
            rz[k] += rz_part[c, k]


def schur_cg_update_reference(s_inv, g_s, alpha, r, q, z):
    """NumPy version of :func:`schur_cg_update` from a dense unit-bidiagonal ``L`` per sensed line:
    updates ``r`` and ``z`` in place and returns ``(rr, rz)``."""
    n_a, n_b, nb = r.shape
    r -= alpha * q
    L = np.zeros((n_b, n_a, n_a))
    idx = np.arange(n_a)
    L[:, idx, idx] = 1.0
    L[:, idx[1:], idx[:-1]] = (-g_s * s_inv[:-1]).T
    y = np.linalg.solve(L, np.transpose(r, (1, 0, 2)))  # (Nb, Na, B)
    z[:] = np.transpose(y, (1, 0, 2))
    return np.einsum("abk,abk->k", r, r), np.einsum("abk,abk,ab->k", z, z, s_inv)


@serial_kernel
def _backsweep_row(a, b0, b1, s_inv, g_s, alpha, beta, w, z, p):
    """Row ``a``, sensed lines ``b0..b1−1``: ``z = z·s_inv − l·z[a+1]``, ``w += alpha·p``,
    ``p ← z + beta·p``."""
    n_a = z.shape[0]
    nb = z.shape[2]
    for b in range(b0, b1):
        sv = s_inv[a, b]
        if a == n_a - 1:
            for k in range(nb):
                zv = z[a, b, k] * sv
                z[a, b, k] = zv
                pv = p[a, b, k]
                w[a, b, k] += alpha[k] * pv
                p[a, b, k] = zv + beta[k] * pv
        else:
            lv = -g_s * sv
            for k in range(nb):
                zv = z[a, b, k] * sv - lv * z[a + 1, b, k]
                z[a, b, k] = zv
                pv = p[a, b, k]
                w[a, b, k] += alpha[k] * pv
                p[a, b, k] = zv + beta[k] * pv


@serial_kernel
def _direction_row(j, H, d_inv, g_d, g_s, g_se, p, q, xn, pq_row):
    """Row ``j`` of ``q = S p − H∘D⁻¹(H∘p)``; rows ``j−1..j+1`` of ``p`` are final.
    ``pq_row[j, k] = Σ_b p·q`` (b descending); ``xn`` (B,) scratch."""
    n_a, n_b, nb = p.shape
    # forward sweep of the driven line j: q[j] = L_d⁻¹ (H∘p[j])
    h = H[j, 0]
    for k in range(nb):
        q[j, 0, k] = h * p[j, 0, k]
    for b in range(1, n_b):
        h = H[j, b]
        lv = -g_d * d_inv[j, b - 1]
        for k in range(nb):
            q[j, b, k] = h * p[j, b, k] - lv * q[j, b - 1, k]
    # the sensed-line neighbours of row j (a missing one enters with weight 0: p is finite)
    n_wire = (j > 0) + (j < n_a - 1)
    c_m = g_s if j > 0 else 0.0
    c_p = g_s if j < n_a - 1 else 0.0
    j_m = j - 1 if j > 0 else j
    j_p = j + 1 if j < n_a - 1 else j
    for k in range(nb):
        xn[k] = 0.0
        pq_row[j, k] = 0.0
    # backward sweep x = L_dᵀ⁻¹ Δ_d⁻¹ (…), and q = S p − H∘x in the same loop
    for b in range(n_b - 1, -1, -1):
        dv = d_inv[j, b]
        h = H[j, b]
        ds = h + g_s * n_wire
        if j == n_a - 1:
            ds = ds + g_se
        lv = 0.0 if b == n_b - 1 else -g_d * dv
        for k in range(nb):
            x = q[j, b, k] * dv - lv * xn[k]
            xn[k] = x
            pv = p[j, b, k]
            qv = (ds * pv - c_m * p[j_m, b, k] - c_p * p[j_p, b, k]) - h * x
            q[j, b, k] = qv
            pq_row[j, k] += pv * qv


@serial_kernel
def _sum_rows(pq_row, pq):
    """``pq[k] = Σ_j pq_row[j, k]``, rows in order."""
    for k in range(pq.shape[0]):
        pq[k] = 0.0
    for j in range(pq_row.shape[0]):
        for k in range(pq.shape[0]):
            pq[k] += pq_row[j, k]


@serial_kernel
def schur_cg_direction(H, d_inv, s_inv, g_d, g_s, g_se, alpha, beta, w, z, p, q, pq):
    """In place, rows descending: ``z = L⁻ᵀ Δ⁻¹ z`` (backward sweep of every sensed line, ``z``
    holding :func:`schur_cg_update`'s ``L⁻¹ r``), ``w += alpha·p`` with the old ``p`` (the step of
    the last update), ``p ← z + beta·p`` (``alpha``, ``beta`` (B,)), and one row
    behind, ``q = S p − H∘D⁻¹(H∘p)`` and ``pq[k] = Σ p·q``; ``p`` must hold finite numbers (zeros
    before the first direction).  The same numbers as :func:`schur_cg_backsweep` followed by
    :func:`schur_cg_product`, in one pass.  ``q`` may be ``z``: a row of ``q`` is written only
    after that row of ``z`` has entered ``p`` and the row above's back substitution."""
    n_a, n_b, nb = z.shape
    xn = np.empty(nb)
    pq_row = np.empty((n_a, nb))
    for a in range(n_a - 1, -1, -1):
        _backsweep_row(a, 0, n_b, s_inv, g_s, alpha, beta, w, z, p)
        if a + 1 < n_a:
            _direction_row(a + 1, H, d_inv, g_d, g_s, g_se, p, q, xn, pq_row)
    _direction_row(0, H, d_inv, g_d, g_s, g_se, p, q, xn, pq_row)
    _sum_rows(pq_row, pq)


@population_kernel
def schur_cg_backsweep(s_inv, g_s, alpha, beta, w, z, p):
    """In place: ``z = L⁻ᵀ Δ⁻¹ z``, ``w += alpha·p`` and ``p ← z + beta·p``, parallel over chunks of
    :data:`LINE_CHUNK` sensed lines (the first half of :func:`schur_cg_direction`)."""
    n_a, n_b, nb = z.shape
    n_chunks = (n_b + LINE_CHUNK - 1) // LINE_CHUNK
    for c in prange(n_chunks):
        b0 = c * LINE_CHUNK
        b1 = min(b0 + LINE_CHUNK, n_b)
        for a in range(n_a - 1, -1, -1):
            _backsweep_row(a, np.int64(b0), np.int64(b1), s_inv, g_s, alpha, beta, w, z, p)


@population_kernel
def schur_cg_product(H, d_inv, g_d, g_s, g_se, p, q, pq):
    """``q = S p − H∘D⁻¹(H∘p)`` and ``pq[k] = Σ p·q``, parallel over rows (the second half of
    :func:`schur_cg_direction`); reads only ``p``, so ``q`` may be the spent ``z``."""
    n_a, n_b, nb = p.shape
    pq_row = np.empty((n_a, nb))
    for j in prange(n_a):
        xn = np.empty(nb)
        # a signed row index: prange's may be unsigned, and j − 1 would then type as a float
        _direction_row(np.int64(j), H, d_inv, g_d, g_s, g_se, p, q, xn, pq_row)
    _sum_rows(pq_row, pq)


def _dense_lines(diag, g):
    """(L, n, n) dense symmetric tridiagonal matrices with diagonals ``diag`` (L, n), off −g."""
    return dense_tridiagonals(diag, np.full((diag.shape[0], diag.shape[1] - 1), -g))


def schur_cg_backsweep_reference(s_inv, g_s, alpha, beta, w, z, p):
    """NumPy version of :func:`schur_cg_backsweep`: a dense solve with ``Lᵀ`` (``L`` built from
    ``s_inv``) per sensed line; updates ``w``, ``z`` and ``p``."""
    n_a, n_b, nb = z.shape
    idx_a = np.arange(n_a)
    L = np.zeros((n_b, n_a, n_a))
    L[:, idx_a, idx_a] = 1.0
    L[:, idx_a[1:], idx_a[:-1]] = (-g_s * s_inv[:-1]).T
    y = np.transpose(z, (1, 0, 2)) * s_inv.T[:, :, None]  # Δ⁻¹ L⁻¹ r per sensed line
    z[:] = np.transpose(np.linalg.solve(np.transpose(L, (0, 2, 1)), y), (1, 0, 2))
    w += alpha * p
    p *= beta
    p += z


def schur_cg_product_reference(H, d_inv, g_d, g_s, g_se, p, q):
    """NumPy version of :func:`schur_cg_product` with dense matrices: ``D`` rebuilt from its pivots
    (``D = L_d Δ_d L_dᵀ``), ``S`` assembled from ``H`` and the wires. Fills ``q``, returns ``pq``."""
    n_a, n_b, nb = p.shape
    idx_b = np.arange(n_b)
    Ld = np.zeros((n_a, n_b, n_b))
    Ld[:, idx_b, idx_b] = 1.0
    Ld[:, idx_b[1:], idx_b[:-1]] = -g_d * d_inv[:, :-1]
    D = Ld @ (Ld.transpose(0, 2, 1) / d_inv[:, :, None])
    n_wire = np.full(n_a, 2.0)
    n_wire[0] -= 1.0
    n_wire[-1] -= 1.0
    diag_s = H.T + g_s * n_wire[None, :]
    diag_s[:, -1] += g_se
    S = _dense_lines(diag_s, g_s)
    Sp = np.transpose(S @ np.transpose(p, (1, 0, 2)), (1, 0, 2))
    q[:] = Sp - H[:, :, None] * np.linalg.solve(D, H[:, :, None] * p)
    return np.einsum("abk,abk->k", p, q)


def schur_cg_direction_reference(H, d_inv, s_inv, g_d, g_s, g_se, alpha, beta, w, z, p, q):
    """NumPy version of :func:`schur_cg_direction`: the two references above in turn. Updates
    ``w``, ``z``, ``p``, ``q``; returns ``pq``."""
    schur_cg_backsweep_reference(s_inv, g_s, alpha, beta, w, z, p)
    return schur_cg_product_reference(H, d_inv, g_d, g_s, g_se, p, q)
