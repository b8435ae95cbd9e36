r"""Iterative IR-drop solve for large crossbars: conjugate gradients on the line Schur complement.

Used by :func:`neuromorph.crossbar.irdrop.solve_read` when both wire families have nonzero
segment resistance (every crossing has a driven node *and* a sensed node) and the array is large;
the sparse direct solve (SuperLU) needs ~20 s and ~3 GB for one 1024² read, this solve memory
linear in the cell count (about seven arrays of ``N_a·N_b·B`` doubles for ``B`` input vectors).

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
``S⁻¹`` are independent tridiagonal line solves (LDLᵀ factorised once,
:mod:`neuromorph.kernels.tridiagonal`), so one iteration costs a few passes over the ``N_a·N_b·B``
node voltages.  The preconditioned operator ``S⁻¹K = I − S⁻¹H D⁻¹ H`` has its spectrum in
``(0, 1]``; it is well conditioned whenever the cells are weak beside the wires and end
resistances (the usual regime: one cell's conductance ≪ a line's conductance to its terminal), and
degrades gracefully (κ grows, CG needs more iterations) otherwise.

Stopping rule: for every input column, ``‖H D⁻¹ f − K w‖₂ ≤ rtol · ‖H D⁻¹ f‖₂`` (recursively
updated residual; default ``rtol = 1e-10``).  The error of the node voltages is then bounded by
``κ(S⁻¹K)·rtol`` relative to the solution, far below the rounding error of the direct solve for
typical wires (see :func:`neuromorph.crossbar.irdrop.solve_read`).
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameterError
from ..kernels.krylov import cg_update
from ..kernels.tridiagonal import ldl_factor, ldl_solve, ldl_solve_across, matvec_across

__all__ = ["DEFAULT_MAXITER", "DEFAULT_RTOL", "solve_chain_chain_pcg"]

#: default relative residual tolerance of the CG solve (per input column, 2-norm)
DEFAULT_RTOL = 1e-10
#: default iteration cap
DEFAULT_MAXITER = 5000

# below this many line unknowns x right-hand sides the serial kernel builds run (measured on the
# 2-core reference machine: for one vector on 1024 x 2048 cells the threaded builds took 0.78 s
# against 1.19 s serial, best of 3 in one run)
_PARALLEL_MIN_WORK = 1 << 20


def _factor_lines(diag, g_wire):
    """LDLᵀ factors of tridiagonal lines with diagonal ``diag`` (L, n) and off-diagonal −g_wire."""
    n_sys, n = diag.shape
    off = np.full((n_sys, max(n - 1, 0)), -g_wire)
    inv_d = np.empty((n_sys, n))
    lower = np.empty((n_sys, max(n - 1, 0)))
    build = ldl_factor.parallel if n_sys * n >= _PARALLEL_MIN_WORK else ldl_factor.serial
    build(np.ascontiguousarray(diag), off, inv_d, lower)
    return inv_d, lower


def solve_chain_chain_pcg(H, V, r_d, r_s, r_driver, r_sense, rtol=DEFAULT_RTOL, maxiter=DEFAULT_MAXITER):
    """Solve the canonical-orientation read with ``r_d > 0`` and ``r_s > 0`` iteratively.

    ``H`` (Na, Nb) cell conductances, S; ``V`` (Na, B) source voltages, V; resistances in ohms.
    Returns ``(I_out (Nb,B), I_in (Na,B), Vd (Na,Nb,B), Vs (Na,Nb,B), iterations)``.
    Raises :class:`InvalidParameterError` when the residual has not fallen below ``rtol`` after
    ``maxiter`` iterations.
    """
    if not (r_d > 0.0 and r_s > 0.0):
        raise InvalidParameterError("the iterative IR-drop solve needs r_row_ohm > 0 and r_col_ohm > 0")
    if not (0.0 < rtol < 1.0):
        raise InvalidParameterError(f"rtol must be in (0, 1), got {rtol!r}")
    H = np.ascontiguousarray(H, dtype=float)
    Na, Nb = H.shape
    nB = V.shape[1]
    g_d, g_de = 1.0 / r_d, 1.0 / (r_driver + r_d)
    g_s, g_se = 1.0 / r_s, 1.0 / (r_sense + r_s)
    kernel = "parallel" if Na * Nb * nB >= _PARALLEL_MIN_WORK else "serial"
    solve = getattr(ldl_solve, kernel)
    solve_across = getattr(ldl_solve_across, kernel)
    matvec = getattr(matvec_across, kernel)
    update = getattr(cg_update, kernel)

    # driven lines: Na systems of order Nb (along b)
    nbr_d = np.full(Nb, 2.0)
    nbr_d[0] -= 1.0
    nbr_d[-1] -= 1.0
    diag_d = H + g_d * nbr_d[None, :]
    diag_d[:, 0] += g_de
    D_inv, D_low = _factor_lines(diag_d, g_d)
    # sensed lines: Nb systems of order Na (along a), stored line-major (Nb, Na)
    nbr_s = np.full(Na, 2.0)
    nbr_s[0] -= 1.0
    nbr_s[-1] -= 1.0
    diag_s = H.T + g_s * nbr_s[None, :]
    diag_s[:, -1] += g_se
    S_inv, S_low = _factor_lines(diag_s, g_s)
    S_inv_t, S_low_t = np.ascontiguousarray(S_inv.T), np.ascontiguousarray(S_low.T)
    diag_s_grid = np.ascontiguousarray(diag_s.T)  # (Na, Nb)

    Hb = H[:, :, None]

    def d_solve(x, out):  # out = D⁻¹ x, lines along axis 1
        solve(D_inv, D_low, x, out)
        return out

    def s_solve(x, out):  # out = S⁻¹ x, lines along axis 0
        solve_across(S_inv_t, S_low_t, x, out)
        return out

    def k_apply(x, tmp, out):  # out = S x − H D⁻¹ (H x)
        np.multiply(Hb, x, out=tmp)
        d_solve(tmp, tmp)
        tmp *= Hb
        matvec(diag_s_grid, -g_s, x, tmp, out)
        return out

    def col_dot(x, y):
        return np.einsum("abk,abk->k", x, y)

    # right-hand side b = H D⁻¹ f, f = g_de V at b = 0
    f_rhs = np.zeros((Na, Nb, nB))
    f_rhs[:, 0, :] = g_de * V
    r = d_solve(f_rhs, np.empty_like(f_rhs))
    r *= Hb
    b_norm = np.sqrt(col_dot(r, r))
    w = np.zeros_like(r)
    z = s_solve(r, np.empty_like(r))
    p = z.copy()
    q = np.empty_like(r)
    tmp = np.empty_like(r)
    rz = col_dot(r, z)
    target = rtol * b_norm
    row_rr = np.empty((Na, nB))
    r_norm = b_norm
    iterations = 0
    while True:
        if np.all(r_norm <= target):
            break
        if iterations >= maxiter:
            worst = float(np.max(r_norm / np.where(b_norm > 0, b_norm, 1.0)))
            raise InvalidParameterError(
                f"IR-drop CG did not reach rtol={rtol:g} in {maxiter} iterations "
                f"(relative residual {worst:.2e}); use method='direct' for this array"
            )
        iterations += 1
        k_apply(p, tmp, q)
        pq = col_dot(p, q)
        alpha = np.divide(rz, pq, out=np.zeros_like(rz), where=pq > 0)
        update(w, r, p, q, alpha, row_rr)  # w += α p, r −= α q, Σ r² per row, one pass
        r_norm = np.sqrt(row_rr.sum(axis=0))
        s_solve(r, z)
        rz_new = col_dot(r, z)
        beta = np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz > 0)
        rz = rz_new
        p *= beta
        p += z
    del z, p, q
    # driven nodes u = D⁻¹ (f + H∘w)
    np.multiply(Hb, w, out=tmp)
    tmp += f_rhs
    del f_rhs, r
    u = d_solve(tmp, tmp)
    Icell = u - w
    Icell *= Hb
    return Icell.sum(axis=0), Icell.sum(axis=1), u, w, iterations
