r"""Iterative IR-drop solve for large crossbars: conjugate gradients on the line Schur complement.

Used by :func:`neuromorph.crossbar.irdrop.solve_read` when both wire families have nonzero
segment resistance (every crossing has a driven node *and* a sensed node) and the array is large;
the sparse direct solve (SuperLU) needs ~20 s and ~3 GB for one 1024² read, this solve memory
linear in the cell count: the two returned node-voltage arrays (``N_a·N_b·B`` doubles each) plus,
per kernel thread, four arrays of ``N_a·N_b·BLOCK_COLUMNS`` doubles.

Equations (canonical orientation of :func:`neuromorph.crossbar.irdrop._solve_generic`: driven
line ``a`` runs along ``b`` with its driver at ``b = 0``, sensed line ``b`` runs along ``a`` with
its sense amplifier at ``a = N_a − 1``; ``u`` driven-node and ``w`` sensed-node voltages, V; ``H``
the cell conductances, S).  Kirchhoff's current law at every node is the SPD system

    D u − H∘w = f,        −H∘u + S w = 0,

where ``D`` is block diagonal with one symmetric tridiagonal block per driven line (wire
conductance ``g_d = 1/r_d`` between neighbours, ``g_d,end = 1/(r_driver + r_d)`` to the source at
``b = 0``, plus the cell conductance on the diagonal), ``S`` likewise per sensed line (``g_s``,
``g_s,end = 1/(r_sense + r_s)`` to the 0 V sense node at ``a = N_a − 1``), ``H∘`` multiplies by
the cell conductances and ``f`` has ``g_d,end·v_in[a]`` at ``b = 0``.  Eliminating the driven
nodes leaves the Schur complement, again SPD,

    K w = (S − H D⁻¹ H) w = H D⁻¹ f,        u = D⁻¹ (f + H∘w),

solved by preconditioned conjugate gradients with ``S`` as the preconditioner.  Both ``D⁻¹`` and
``S⁻¹`` are independent tridiagonal line solves (LDLᵀ pivots computed once,
:mod:`neuromorph.kernels.tridiagonal`), and one CG iteration is two fused sweeps over the node
voltages (:mod:`neuromorph.kernels.irdrop`): rows ascending, the iterate and residual update with
the forward substitution of ``S`` and the scalars ``‖r‖²``, ``rᵀS⁻¹r``; rows descending, the back
substitution, the new search direction and the product ``K p``, each driven line's ``D⁻¹`` solve
done while its row is in cache.  The preconditioned operator ``S⁻¹K = I − S⁻¹H D⁻¹ H`` has its spectrum in
``(0, 1]``; it is well conditioned whenever the cells are weak beside the wires and end
resistances (the usual regime: one cell's conductance ≪ a line's conductance to its terminal), and
degrades gracefully (κ grows, CG needs more iterations) otherwise.

Stopping rule: for every input column, ``‖H D⁻¹ f − K w‖₂ ≤ rtol · ‖H D⁻¹ f‖₂`` (recursively
updated residual; default ``rtol = 1e-10``).  The error of the node voltages is then bounded by
``κ(S⁻¹K)·rtol`` relative to the solution, far below the rounding error of the direct solve for
typical wires (see :func:`neuromorph.crossbar.irdrop.solve_read`).

Batches: the input columns are independent systems, solved in blocks of up to
:data:`BLOCK_COLUMNS` columns (one CG each, the columns in the innermost axis), the blocks side by
side on the kernel threads.  A column that has met ``rtol`` is frozen (its step lengths set to 0)
while the rest of its block iterates, so every column ends bit for bit as if it were solved alone:
results depend neither on the blocks nor on the thread count.  The solve is bound by memory
bandwidth (about 10 streams of 8 bytes per node and iteration); docs/performance.md gives the
measured times and the floor.
"""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..errors import InvalidParameterError
from ..kernels._jit import thread_count
from ..kernels.irdrop import schur_cg_backsweep, schur_cg_direction, schur_cg_product, schur_cg_update
from ..kernels.tridiagonal import ldl_factor, ldl_solve

__all__ = ["BLOCK_COLUMNS", "DEFAULT_MAXITER", "DEFAULT_RTOL", "solve_chain_chain_pcg"]

#: default relative residual tolerance of the CG solve (per input column, 2-norm)
DEFAULT_RTOL = 1e-10
#: default iteration cap
DEFAULT_MAXITER = 5000
#: input columns solved together as one CG (one thread's work); the blocks of a batch run side by
#: side on the kernel threads
BLOCK_COLUMNS = 8

# below this many line unknowns the serial factorisation runs
_PARALLEL_MIN_WORK = 1 << 20


def _line_pivots(diag, g_wire):
    """1/pivots (L, n) of the LDLᵀ factorisation of tridiagonal lines with diagonal ``diag`` (L, n)
    and off-diagonal −g_wire (the unit factor is then l_i = −g_wire·inv_d_i)."""
    n_sys, n = diag.shape
    off = np.full((n_sys, max(n - 1, 0)), -g_wire)
    inv_d = np.empty((n_sys, n))
    lower = np.empty((n_sys, max(n - 1, 0)))
    build = ldl_factor.parallel if n_sys * n >= _PARALLEL_MIN_WORK else ldl_factor.serial
    build(np.ascontiguousarray(diag), off, inv_d, lower)
    return inv_d


def solve_chain_chain_pcg(H, V, r_d, r_s, r_driver, r_sense, rtol=DEFAULT_RTOL, maxiter=DEFAULT_MAXITER,
                          block=BLOCK_COLUMNS):
    """Solve the canonical-orientation read with ``r_d > 0`` and ``r_s > 0`` iteratively.

    ``H`` (Na, Nb) cell conductances, S; ``V`` (Na, B) source voltages, V; resistances in ohms;
    ``block`` input columns per CG at most (the columns are independent systems; a column that
    meets ``rtol`` is frozen while the rest of its block iterates, so the blocks, like the thread
    count, do not change the results).
    Returns ``(I_out (Nb,B), I_in (Na,B), Vd (Na,Nb,B), Vs (Na,Nb,B), iterations)`` with
    ``iterations`` the most any block needed.
    Raises :class:`InvalidParameterError` when the residual has not fallen below ``rtol`` after
    ``maxiter`` iterations.
    """
    if not (r_d > 0.0 and r_s > 0.0):
        raise InvalidParameterError("the iterative IR-drop solve needs r_row_ohm > 0 and r_col_ohm > 0")
    if not (0.0 < rtol < 1.0):
        raise InvalidParameterError(f"rtol must be in (0, 1), got {rtol!r}")
    if int(block) < 1:
        raise InvalidParameterError(f"block must be a positive number of input columns, got {block!r}")
    H = np.ascontiguousarray(H, dtype=float)
    V = np.asarray(V, dtype=float)
    Na, Nb = H.shape
    nB = V.shape[1]
    g_d, g_de = 1.0 / r_d, 1.0 / (r_driver + r_d)
    g_s, g_se = 1.0 / r_s, 1.0 / (r_sense + r_s)

    # driven lines: Na systems of order Nb (along b)
    nbr_d = np.full(Nb, 2.0)
    nbr_d[0] -= 1.0
    nbr_d[-1] -= 1.0
    diag_d = H + g_d * nbr_d[None, :]
    diag_d[:, 0] += g_de
    D_inv = _line_pivots(diag_d, g_d)
    del diag_d
    D_low = -g_d * D_inv[:, :-1]
    # sensed lines: Nb systems of order Na (along a), pivots transposed to the (Na, Nb) grid
    nbr_s = np.full(Na, 2.0)
    nbr_s[0] -= 1.0
    nbr_s[-1] -= 1.0
    diag_s = H.T + g_s * nbr_s[None, :]
    diag_s[:, -1] += g_se
    S_inv = np.ascontiguousarray(_line_pivots(diag_s, g_s).T)
    del diag_s
    # D⁻¹ f = g_de·V[a]·c[a] with c[a] = D[a]⁻¹ e_0 (f is g_de·V at the driver end b = 0)
    e0 = np.zeros((Na, Nb, 1))
    e0[:, 0, 0] = 1.0
    ldl_solve.serial(D_inv, D_low, e0, e0)
    c_drv = g_de * e0[:, :, 0]
    del e0

    I_out = np.empty((Nb, nB))
    I_in = np.empty((Na, nB))
    Vd = np.empty((Na, Nb, nB))
    Vs = np.empty((Na, Nb, nB))
    Hb = H[:, :, None]

    def solve_block(k0, k1, work, threaded):
        """CG of input columns k0..k1 in the workspace ``work`` (four (Na, Nb, ≥ k1−k0) buffers,
        reused from block to block: no fresh pages to fault in); ``threaded``: the kernels' parallel
        builds (a lone block), else the serial ones (one block per thread)."""
        nk = k1 - k0
        update = schur_cg_update.parallel if threaded else schur_cg_update.serial

        def direction(alpha, beta):  # w += αp, p ← z + βp, q = K p, pq: one fused pass or two
            if threaded:
                schur_cg_backsweep.parallel(S_inv, g_s, alpha, beta, w, zq, p)
                schur_cg_product.parallel(H, D_inv, g_d, g_s, g_se, p, zq, pq)
            else:
                schur_cg_direction(H, D_inv, S_inv, g_d, g_s, g_se, alpha, beta, w, zq, p, zq, pq)

        # zq holds z = S⁻¹r until the direction pass has formed p from it, then q = K p until the
        # update pass has used it, then L⁻¹r (the kernels allow q and z to be one array): one
        # stream less to store and reload per sweep
        w, r, p, zq = (buf.reshape(-1)[: Na * Nb * nk].reshape(Na, Nb, nk) for buf in work)
        V_blk = V[:, k0:k1]
        np.multiply(c_drv[:, :, None], V_blk[:, None, :], out=r)  # D⁻¹ f
        r *= Hb  # right-hand side H D⁻¹ f, then the residual
        w.fill(0.0)
        p.fill(0.0)
        zq.fill(0.0)
        rr, rz, pq = np.empty(nk), np.empty(nk), np.empty(nk)
        zero = np.zeros(nk)
        update(S_inv, g_s, zero, r, zq, zq, rr, rz)  # zq = L⁻¹ b, rr = ‖b‖², rz = bᵀS⁻¹b
        b_norm = np.sqrt(rr)
        target = rtol * b_norm
        alpha = beta = zero
        iterations = 0
        while True:
            # a column that has met rtol is frozen (α = β = 0 leave its w and r as they are), so
            # every column ends exactly as if it were solved alone: results do not depend on the
            # blocks or the thread count
            active = np.sqrt(rr) > target
            if not active.any():
                break
            if iterations >= maxiter:
                worst = float(np.max(np.sqrt(rr) / np.where(b_norm > 0, b_norm, 1.0)))
                raise InvalidParameterError(
                    f"IR-drop CG did not reach rtol={rtol:g} in {maxiter} iterations "
                    f"(relative residual {worst:.2e}); use method='direct' for this array"
                )
            iterations += 1
            direction(alpha, beta)  # w takes the last step here, where p is read anyway
            alpha = np.divide(rz, pq, out=np.zeros(nk), where=active & (pq > 0))
            rz_old = rz.copy()
            update(S_inv, g_s, alpha, r, zq, zq, rr, rz)  # r, zq = L⁻¹ r
            beta = np.divide(rz, rz_old, out=np.zeros(nk), where=active & (rz_old > 0))
        w += alpha * p  # the last step (the next direction pass would have taken it)
        # driven nodes u = D⁻¹ (f + H∘w) = D⁻¹ (H∘w) + D⁻¹ f
        u = p
        np.multiply(Hb, w, out=u)
        ldl_solve.serial(D_inv, D_low, u, u)
        np.multiply(c_drv[:, :, None], V_blk[:, None, :], out=zq)
        u += zq
        Vd[:, :, k0:k1] = u
        Vs[:, :, k0:k1] = w
        u -= w
        u *= Hb  # cell currents
        I_out[:, k0:k1] = u.sum(axis=0)  # rows added in order a = 0, 1, …
        # (Na, columns, Nb) so that the sum over b is NumPy's pairwise sum for any block width
        cells_t = zq.reshape(Na, nk, Nb)
        np.copyto(cells_t, u.transpose(0, 2, 1))
        I_in[:, k0:k1] = cells_t.sum(axis=2)
        return iterations

    # at least one block per kernel thread, at most `block` columns each (the blocks do not
    # change the results: see the frozen columns above); the threads take the next block as they
    # finish one (a busy core slows one thread, not the whole batch), each with one workspace.
    # Fewer columns than threads (one vector): one block at a time on parallel kernels.
    threads = max(1, thread_count())
    size = max(1, min(int(block), -(-nB // threads)))
    blocks = [(k0, min(k0 + size, nB)) for k0 in range(0, nB, size)]
    workers = min(threads, len(blocks))
    threaded = workers < threads
    spaces = queue.SimpleQueue()
    for _ in range(workers):
        spaces.put([np.empty((Na, Nb, size)) for _ in range(4)])

    def run(kk):
        work = spaces.get()
        try:
            return solve_block(kk[0], kk[1], work, threaded)
        finally:
            spaces.put(work)

    if workers <= 1:
        counts = [run(kk) for kk in blocks]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            counts = list(pool.map(run, blocks))
    return I_out, I_in, Vd, Vs, max(counts, default=0)
