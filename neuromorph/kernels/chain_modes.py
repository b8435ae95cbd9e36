"""The modes of a batch of similar chains (numba), with its NumPy reference: what the O(m)
integrator needs of N chains with device-to-device variation — rates λ_k, kick and readout —
straight from their capacities and couplings, by Newton's method on the Sturm recurrence started
from Rayleigh quotients at a neighbouring chain's eigenvectors, with implicit QL as the fallback.

A chain (:mod:`neuromorph.synapses.chain`) with capacities C_k and couplings g_k (g_m the leak)
has the symmetric tridiagonal S = C^{-1/2} L C^{-1/2}:

    d_k = −(g_{k−1} + g_k)/C_k        (g_0 = 0),        e_k = g_k / √(C_k C_{k+1}),

assembled here per chain (the same IEEE operations as ``ChainBatch.symmetric_tridiagonals``), so
no (N, m) diagonals are stored.

**Newton on the first pivot.** Eliminating S − zI from the bottom (UDUᵀ) gives the pivots

    q_m(z) = d_m − z,    q_k(z) = d_k − z − e_k² / q_{k+1}(z)    (k = m−1 … 1),

with q_1(z) = 1 / [(S − zI)⁻¹]_{11} = 1 / Σ_k v_{1k}² / (λ_k − z). So the zeros of q_1 are the
eigenvalues λ_k, q_1 decreases between its poles (q_k′ = −1 + e_k² q_{k+1}′ / q_{k+1}² ≤ −1), and
at a zero

    v_{1k}² = −1 / q_1′(λ_k)

is the squared first component of the normalised eigenvector: the kick √C_1·v_{1k} and readout
v_{1k}/√C_1 follow without any eigenvector, and v_{1k} = (−q_1′)^{−1/2} > 0 is the sign convention
of :mod:`neuromorph.kernels.tridiagonal_eigen` (first component ≥ 0). The number of negative
pivots is the number of eigenvalues below z (Sylvester's law of inertia), not needed here.

Chains of a crossbar are small perturbations of one nominal chain: each chain starts Newton from
the Rayleigh quotients uᵀLu / uᵀCu of its own pencil (L, C) at the state-space eigenvectors
u = C^{-1/2} v of the chain ``NEWTON_GROUP`` rows before it in the same block (the block's first
chain is decomposed by implicit QL). Written as uᵀLu = −Σ_k g_k (u_k − u_{k+1})² − g_m u_m², a
sum of terms of one sign, the quotient is accurate *relative* to each rate, slow ones included,
and exact for a common scale of the couplings (a diffusion-coefficient draw): measured on the
5 % / 10 % variation of ``proton_transistor_5`` the start is within ~1e-3 (median) of each rate,
where the neighbour's eigenvalues are ~10 % off (and a first-order perturbation vᵀΔS v of the
symmetric S is 8 % off for the slowest mode, whose rate is ~1e-3 of ‖ΔS‖). The eigenvectors
come free from the last evaluation: (S − λ)x = 0 is solved by x_{k+1} = −e_k x_k / q_{k+1}, i.e.
u_{k+1} = −(g_k/C_{k+1}) u_k / q_{k+1}. ``NEWTON_GROUP`` chains × m eigenvalues are advanced in
lock-step as independent lanes, so their divisions overlap (one QL sweep is a chain of dependent
square roots and divisions). A lane has converged when its Newton step is at
most 1e-9·|z| + 8·ε·‖S‖ (ε·‖S‖ with the Gershgorin bound of ‖S‖); one more evaluation then
takes the last step (the error after it is O(step²/gap), far below rounding) and the derivative
for v_{1k}². Since q_1′ ≤ −1 between poles and q_1 runs from +∞ to −∞ between consecutive poles,
a zero of q_1 lies within |q_1(z)| of any z. The chain is accepted if all m lanes converged and
their intervals z_j ± (|q_1(z_j)| + 8·ε·‖S‖) are disjoint and ascending: then they hold m
distinct zeros of q_1, i.e. all m eigenvalues in order (q_1 has exactly m zeros: an unreduced
tridiagonal matrix has m simple eigenvalues, none shared with its trailing submatrix, by strict
interlacing). Otherwise (a chain far from its neighbour, no
convergence in ``NEWTON_MAX_EVALUATIONS``) the chain is decomposed by implicit QL
(:func:`neuromorph.kernels.tridiagonal_eigen.ql_eigh`); the ``solver`` output says which ran.

Accuracy: the pivot recurrence is backward stable (each pivot is exact for relatively perturbed
d_k, e_k: Kahan 1966; Demmel, *Applied Numerical Linear Algebra*, §5.3.4), so the eigenvalues
agree with LAPACK's to a few ε·‖S‖ (tested: 1e-14·‖S‖) and the first components to the
Davis–Kahan bound, as QL's. Rates below 1e-13 of the chain's fastest are set to exactly 0 (a
closed chain's zero mode), as in :func:`neuromorph.kernels.tridiagonal_eigen.modal_coefficients`.
Results depend only on the data and the fixed block/group layout, never on the thread count.

References: W. Kahan, "Accurate eigenvalues of a symmetric tri-diagonal matrix" (Stanford
CS41, 1966); Golub & Van Loan, *Matrix Computations* (4th ed.), §8.4.1 (Sturm sequences) and
§8.3 (QL); Parlett, *The Symmetric Eigenvalue Problem*, §7-9 (first components from the
resolvent).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import inline_helper, population_kernel
from .tridiagonal_eigen import modal_coefficients_reference, ql_eigh

__all__ = ["chain_modes", "chain_modes_reference", "chain_tridiagonals_reference"]

#: chains advanced in lock-step by Newton (lanes = NEWTON_GROUP × m)
NEWTON_GROUP = 8
#: chains per block (one prange task, its first chain by QL); a multiple of NEWTON_GROUP
MODES_BLOCK = 512
#: Newton evaluations allowed per group before its unconverged chains go to QL
NEWTON_MAX_EVALUATIONS = 30
#: relative Newton step below which a lane has converged
NEWTON_RTOL = 1e-9

_EPS = np.finfo(np.float64).eps
_TINY = np.finfo(np.float64).tiny


def chain_tridiagonals_reference(capacities, couplings):
    """Diagonals (N, m) and off-diagonals (N, m−1) of S = C^{-1/2} L C^{-1/2} (NumPy; the
    assembly :func:`chain_modes` does per chain, same operations)."""
    c = np.asarray(capacities, dtype=float)
    g = np.asarray(couplings, dtype=float)
    left = np.concatenate((np.zeros((c.shape[0], 1)), g[:, :-1]), axis=1)
    return -(left + g) / c, g[:, :-1] / np.sqrt(c[:, :-1] * c[:, 1:])


def chain_modes_reference(capacities, couplings):
    """NumPy reference of :func:`chain_modes`: LAPACK ``eigh`` of the assembled dense matrices
    (:func:`neuromorph.kernels.tridiagonal_eigen.modal_coefficients_reference`). Returns
    ``(rates, kick, readout)``."""
    diag, off = chain_tridiagonals_reference(capacities, couplings)
    return modal_coefficients_reference(diag, off, np.sqrt(np.asarray(capacities, dtype=float)[:, 0]))


@inline_helper
def _assemble(c, g, n, d, off):
    """d_k = −(g_{k−1} + g_k)/C_k, e_k = g_k/√(C_k C_{k+1}) of chain n (row n of ``c`` and ``g``;
    the NumPy operations of :func:`chain_tridiagonals_reference`, in the same order). Rows are
    indexed, not sliced: a slice in a parallel loop costs two atomic reference-count updates of
    the shared array."""
    m = c.shape[1]
    for k in range(m):
        left = g[n, k - 1] if k > 0 else 0.0
        d[k] = -(left + g[n, k]) / c[n, k]
    for k in range(m - 1):
        off[k] = g[n, k] / math.sqrt(c[n, k] * c[n, k + 1])


@inline_helper
def _pivots(dd, ee, z, q, dq, tt):
    """Bottom-up pivots q_1(z) and their derivative q_1'(z) of every lane, and the reciprocals
    tt[k] = 1/q_{k+1} of the others (rows 1..m−1; the eigenvector recurrence uses them). A
    pivot that is exactly 0 is replaced by −tiny (the usual Sturm-count convention), which only
    makes that lane's Newton step fail its checks."""
    m, lanes = dd.shape
    for lane in range(lanes):
        q[lane] = dd[m - 1, lane] - z[lane]
        dq[lane] = -1.0
    for k in range(m - 2, -1, -1):
        for lane in range(lanes):
            p = q[lane]
            p = p if p != 0.0 else -_TINY
            t = 1.0 / p
            tt[k + 1, lane] = t
            e2 = ee[k, lane]
            p = dd[k, lane] - z[lane] - e2 * t
            q[lane] = p
            dq[lane] = -1.0 + e2 * dq[lane] * (t * t)


@inline_helper
def _state_vectors(vecs, c, u):
    """u[j, k] = vecs[k, j] / √C_k: QL's eigenvectors (columns) in state space, u = C^{-1/2} v."""
    m = c.shape[0]
    for k in range(m):
        r = 1.0 / math.sqrt(c[k])
        for j in range(m):
            u[j, k] = vecs[k, j] * r


@inline_helper
def _rayleigh_quotient(u, b, j, c, g, n):
    """uᵀLu / uᵀCu of chain n (row n of capacities ``c``, couplings ``g``) at the state vector
    u = ``u[b, j]``: with the Laplacian written as a sum of squares,
    uᵀLu = −Σ_k g_k (u_k − u_{k+1})² − g_m u_m², every term has one sign, so small (slow) rates
    come out to relative accuracy."""
    m = c.shape[1]
    num = 0.0
    den = 0.0
    for k in range(m):
        uk = u[b, j, k]
        diff = uk - u[b, j, k + 1] if k < m - 1 else uk
        num -= g[n, k] * diff * diff
        den += c[n, k] * uk * uk
    return num / den if den > 0.0 else np.nan  # (den = 0: no start; the chain goes to QL)


@inline_helper
def _ql_modes(d, off, s, rates_row, kick_row, readout_row, e, zrow):
    """One chain by implicit QL with the zero-mode rule: the numbers of
    :func:`neuromorph.kernels.tridiagonal_eigen.modal_coefficients` (which rotates only the first
    row of ``zrow``; here ``zrow`` is (m, m) and receives the whole eigenvectors, same rows)."""
    m = d.shape[0]
    ql_eigh(d, off, rates_row, e, zrow)
    fastest = 0.0
    for k in range(m):
        fastest = max(fastest, abs(rates_row[k]))
    for k in range(m):
        if abs(rates_row[k]) < 1e-13 * fastest:
            rates_row[k] = 0.0
    for k in range(m):
        kick_row[k] = zrow[0, k] * s
        readout_row[k] = zrow[0, k] / s


@population_kernel
def chain_modes(capacities, couplings, rates, kick, readout, solver):
    """Rates (N, m) ascending, ``kick`` = √C_1·v_{1k} and ``readout`` = v_{1k}/√C_1 (N, m) of N
    chains given by ``capacities`` and ``couplings`` (N, m), as described in the module
    docstring; ``solver`` (N,) uint8 receives 0 where Newton decomposed the chain, 1 where QL did
    (each block's first chain, and any chain Newton could not settle). A chain on which QL fails
    too gets NaN (the caller redoes it with LAPACK)."""
    n_mat, m = capacities.shape
    group = NEWTON_GROUP
    lanes = group * m
    n_blocks = (n_mat + MODES_BLOCK - 1) // MODES_BLOCK
    for block in prange(n_blocks):
        start = block * MODES_BLOCK
        stop = min(n_mat, start + MODES_BLOCK)
        d_one = np.empty(m)
        off_one = np.empty(max(m - 1, 0))
        e = np.empty(m)
        zrow = np.empty((m, m))         # QL's eigenvectors (columns)
        dd = np.empty((m, lanes))       # diagonal of each lane's chain, per row k
        ee = np.empty((m, lanes))       # squared off-diagonal e_k² (row m-1 unused)
        tt = np.empty((m, lanes))       # 1/q_{k+1} of the last evaluation
        z = np.empty(lanes)             # eigenvalue estimates
        q = np.empty(lanes)
        dq = np.empty(lanes)
        done = np.empty(lanes, dtype=np.bool_)
        tol = np.empty(lanes)           # 8 eps ||S|| of each lane's chain
        # per group slot b: the state-space eigenvectors u = C^{-1/2} v of the slot's previous
        # chain (NEWTON_GROUP rows before; any scale), whose Rayleigh quotients start Newton
        uvecs = np.empty((group, m, m))  # [b, j, k]: component k of eigenvector j
        ratio = np.empty(m)              # g_k / C_{k+1} of the chain
        # the block's first chain: implicit QL (its eigenvectors start the next chains' Newton)
        _assemble(capacities, couplings, start, d_one, off_one)
        _ql_modes(d_one, off_one, math.sqrt(capacities[start, 0]), rates[start], kick[start], readout[start],
                  e, zrow)
        solver[start] = 1
        for b in range(group):
            _state_vectors(zrow, capacities[start], uvecs[b])
        for first in range(start + 1, stop, group):
            size = min(group, stop - first)
            for b in range(group):
                # a short last group repeats its last chain in the spare lanes (results unused)
                n = first + min(b, size - 1)
                _assemble(capacities, couplings, n, d_one, off_one)
                bound = 0.0
                for k in range(m):
                    r = abs(d_one[k])
                    if k > 0:
                        r += abs(off_one[k - 1])
                    if k < m - 1:
                        r += abs(off_one[k])
                    bound = max(bound, r)
                for j in range(m):
                    lane = b * m + j
                    z[lane] = _rayleigh_quotient(uvecs, b, j, capacities, couplings, n)
                    tol[lane] = 8.0 * _EPS * bound
                    for k in range(m):
                        dd[k, lane] = d_one[k]
                        ee[k, lane] = off_one[k] * off_one[k] if k < m - 1 else 0.0
            for lane in range(lanes):
                done[lane] = False
            for _ in range(NEWTON_MAX_EVALUATIONS):
                _pivots(dd, ee, z, q, dq, tt)
                unsettled = 0
                for lane in range(lanes):
                    step = q[lane] / dq[lane]
                    z[lane] -= step
                    # a lane that has settled stays settled (later steps are rounding noise)
                    done[lane] = done[lane] or abs(step) <= NEWTON_RTOL * abs(z[lane]) + tol[lane]
                    unsettled += 0 if done[lane] else 1
                if unsettled == 0:
                    break
            # one more evaluation at the converged z: the last step, q_1' there, the root intervals
            _pivots(dd, ee, z, q, dq, tt)
            for b in range(size):
                n = first + b
                ok = True
                below = -np.inf  # upper end of the previous lane's root interval
                for j in range(m):
                    lane = b * m + j
                    # a zero of q_1 lies within |q_1(z)| of z (|q_1'| >= 1 up to the poles), plus
                    # the rounding allowance: these intervals must be disjoint and ascending
                    radius = abs(q[lane]) + tol[lane]
                    if not (done[lane] and z[lane] - radius > below):
                        ok = False
                    below = z[lane] + radius
                if ok:
                    s = math.sqrt(capacities[n, 0])
                    inv_s = 1.0 / s
                    for k in range(m - 1):
                        ratio[k] = couplings[n, k] / capacities[n, k + 1]
                    fastest = 0.0
                    for j in range(m):
                        lane = b * m + j
                        rates[n, j] = z[lane] - q[lane] / dq[lane]
                        fastest = max(fastest, abs(rates[n, j]))
                        v = 1.0 / math.sqrt(-dq[lane])
                        kick[n, j] = v * s
                        readout[n, j] = v * inv_s
                        # the state-space eigenvector u = C^{-1/2} x (for the slot's next chain):
                        # (S − λ)x = 0 is solved by x_{k+1} = −e_k x_k / q_{k+1} (the rows of the
                        # UDUᵀ elimination), i.e. u_{k+1} = −(g_k / C_{k+1}) u_k / q_{k+1}; u_1 = 1
                        u = 1.0
                        uvecs[b, j, 0] = u
                        for k in range(m - 1):
                            u = -ratio[k] * u * tt[k + 1, lane]
                            uvecs[b, j, k + 1] = u
                    for j in range(m):
                        if abs(rates[n, j]) < 1e-13 * fastest:
                            rates[n, j] = 0.0
                    solver[n] = 0
                else:
                    _assemble(capacities, couplings, n, d_one, off_one)
                    _ql_modes(d_one, off_one, math.sqrt(capacities[n, 0]), rates[n], kick[n], readout[n], e, zrow)
                    _state_vectors(zrow, capacities[n], uvecs[b])
                    solver[n] = 1
