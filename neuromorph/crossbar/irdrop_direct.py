r"""Sparse direct solve of the crossbar's nodal system (SuperLU), the exact reference of the
IR-drop read (:func:`neuromorph.crossbar.irdrop.solve_read`; large arrays with both wire families
resistive use the iterative solve of :mod:`neuromorph.crossbar.irdrop_pcg` instead).

Canonical orientation (as in :func:`neuromorph.crossbar.irdrop._solve_generic`): driven lines
``a = 0..Na-1`` run along ``b`` with the driver at ``b = 0``; sensed lines ``b = 0..Nb-1`` run
along ``a`` with the sense amplifier at ``a = Na-1``; ``H[a, b]`` is the cell between driven node
``(a, b)`` and sensed node ``(a, b)``. Kirchhoff's current law at every free node gives the
symmetric M-matrix ``A x = B V``; a line without segment resistance collapses to one node
("merged") or to its source ("fixed"). With both families resistive the nodes are ordered by a
geometric nested dissection, which SuperLU then factors in natural order.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["solve_nodal_direct"]


def _line_layout(n_lines: int, n_pos: int, r_seg: float, r_end: float, along_axis: int):
    """Index map of one family of lines (driven or sensed).

    Returns ``(mode, idx)`` where ``idx`` is an ``(Na, Nb)`` integer array of
    free-node indices (local numbering) or ``None`` for the fixed mode.

    ``along_axis`` is the axis of the ``(Na, Nb)`` grid along which the line
    runs (1 for driven lines, 0 for sensed lines).
    """
    Na, Nb = (n_lines, n_pos) if along_axis == 1 else (n_pos, n_lines)
    if r_seg > 0.0:
        return "chain", np.arange(Na * Nb).reshape(Na, Nb)
    if r_end > 0.0:
        if along_axis == 1:  # line a, every position b -> node a
            return "merged", np.broadcast_to(np.arange(Na)[:, None], (Na, Nb))
        return "merged", np.broadcast_to(np.arange(Nb)[None, :], (Na, Nb))
    return "fixed", None


@lru_cache(maxsize=16)
def _nested_dissection(Na: int, Nb: int, leaf: int = 8) -> np.ndarray:
    """Geometric nested-dissection ordering of the chain/chain crossbar graph.

    Local node ids: driven node ``(a, b)`` is ``a*Nb + b``, sensed node
    ``(a, b)`` is ``Na*Nb + a*Nb + b``.  Driven lines only connect along
    ``b`` and sensed lines only along ``a``, so a cut at ``b = mid`` is
    separated by the *driven* nodes of cell column ``mid`` alone (the sensed
    chain of that column hangs off them), and a cut at ``a = mid`` by the
    *sensed* nodes of cell row ``mid``.  Returns ``perm`` with
    ``perm[new] = old``; SuperLU is then run with the natural ordering.  For a
    256x256 array this gives ~40 % less fill than minimum degree and avoids
    its ordering time.
    """
    rects: list[tuple[int, int, int, int, int]] = []  # a0, na, b0, nb, kind

    def rec(a0: int, a1: int, b0: int, b1: int) -> None:
        na, nb = a1 - a0, b1 - b0
        if na <= 0 or nb <= 0:
            return
        if na * nb <= leaf:
            rects.append((a0, na, b0, nb, 0))  # both layers, interleaved per cell
            return
        if nb >= na:
            mid = (b0 + b1) // 2
            rec(a0, a1, b0, mid)
            rects.append((a0, na, mid, 1, 2))  # sensed chain of cell column mid
            rec(a0, a1, mid + 1, b1)
            rects.append((a0, na, mid, 1, 1))  # separator: driven nodes of column mid
        else:
            mid = (a0 + a1) // 2
            rec(a0, mid, b0, b1)
            rects.append((mid, 1, b0, nb, 1))  # driven chain of cell row mid
            rec(mid + 1, a1, b0, b1)
            rects.append((mid, 1, b0, nb, 2))  # separator: sensed nodes of row mid

    rec(0, Na, 0, Nb)
    R = np.array(rects, dtype=np.int64)
    a0, na, b0, nb, kind = R.T
    cnt = na * nb * np.where(kind == 0, 2, 1)
    start = np.concatenate([[0], np.cumsum(cnt)[:-1]])
    r = np.repeat(np.arange(len(R)), cnt)
    k = np.arange(int(cnt.sum())) - start[r]
    both = kind[r] == 0
    cell = np.where(both, k // 2, k)
    layer = np.where(both, k % 2, kind[r] - 1)
    perm = layer * (Na * Nb) + (a0[r] + cell // nb[r]) * Nb + (b0[r] + cell % nb[r])
    perm.setflags(write=False)
    return perm


def solve_nodal_direct(H, V, r_d, r_s, r_driver, r_sense):
    """Direct solve of the canonical orientation (module docstring); ``V`` (Na, B).
    Returns ``(I_out (Nb,B), I_in (Na,B), Vd (Na,Nb,B), Vs (Na,Nb,B))``."""
    Na, Nb = H.shape
    nB = V.shape[1]
    r_d_end = r_driver + r_d
    r_s_end = r_sense + r_s

    d_mode, d_idx = _line_layout(Na, Nb, r_d, r_d_end, along_axis=1)
    s_mode, s_idx = _line_layout(Nb, Na, r_s, r_s_end, along_axis=0)
    n_d = 0 if d_mode == "fixed" else int(d_idx.max()) + 1
    n_s = 0 if s_mode == "fixed" else int(s_idx.max()) + 1
    n = n_d + n_s
    if s_idx is not None:
        s_idx = s_idx + n_d
    use_nd = d_mode == "chain" and s_mode == "chain"
    if use_nd:
        perm = _nested_dissection(Na, Nb)
        inv = np.empty_like(perm)
        inv[perm] = np.arange(perm.size)
        d_idx = inv[d_idx]
        s_idx = inv[s_idx]

    a_grid = np.broadcast_to(np.arange(Na)[:, None], (Na, Nb))

    if n > 0:
        # internal branches (p, q, g) between free nodes
        bp, bq, bg = [], [], []
        # branches free node -> fixed node; B couples source a in with g
        gp, gg = [], []  # to ground (only diagonal contribution)
        sp_, sk, sg = [], [], []  # to source k

        h = H.ravel()
        if d_idx is not None and s_idx is not None:
            bp.append(d_idx.ravel())
            bq.append(s_idx.ravel())
            bg.append(h)
        elif d_idx is None and s_idx is not None:
            # driven nodes fixed at V[a]: cell couples sensed node to source a
            sp_.append(s_idx.ravel())
            sk.append(a_grid.ravel())
            sg.append(h)
        elif d_idx is not None and s_idx is None:
            # sensed nodes fixed at 0 V
            gp.append(d_idx.ravel())
            gg.append(h)

        if d_mode == "chain":
            g = 1.0 / r_d
            bp.append(d_idx[:, :-1].ravel())
            bq.append(d_idx[:, 1:].ravel())
            bg.append(np.full(Na * (Nb - 1), g))
            sp_.append(d_idx[:, 0])
            sk.append(np.arange(Na))
            sg.append(np.full(Na, 1.0 / r_d_end))
        elif d_mode == "merged":
            sp_.append(d_idx[:, 0])
            sk.append(np.arange(Na))
            sg.append(np.full(Na, 1.0 / r_d_end))

        if s_mode == "chain":
            g = 1.0 / r_s
            bp.append(s_idx[:-1, :].ravel())
            bq.append(s_idx[1:, :].ravel())
            bg.append(np.full((Na - 1) * Nb, g))
            gp.append(s_idx[-1, :])
            gg.append(np.full(Nb, 1.0 / r_s_end))
        elif s_mode == "merged":
            gp.append(s_idx[0, :])
            gg.append(np.full(Nb, 1.0 / r_s_end))

        cat = lambda xs, dt=float: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)  # noqa: E731
        bp, bq, bg = cat(bp, np.int64), cat(bq, np.int64), cat(bg)
        gp, gg = cat(gp, np.int64), cat(gg)
        sp_, sk, sg = cat(sp_, np.int64), cat(sk, np.int64), cat(sg)

        rows = np.concatenate([bp, bq, bp, bq, gp, sp_])
        cols = np.concatenate([bp, bq, bq, bp, gp, sp_])
        vals = np.concatenate([bg, bg, -bg, -bg, gg, sg])
        A = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))
        Bm = sp.csr_matrix((sg, (sp_, sk)), shape=(n, Na))
        rhs = Bm @ V  # (n, nB)
        # A is a symmetric M-matrix; every free node reaches a source or the
        # sense ground through positive conductances, so A is SPD.
        if use_nd:
            lu = spla.splu(A, permc_spec="NATURAL", options={"SymmetricMode": True})
        else:
            lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
        x = lu.solve(np.ascontiguousarray(rhs))
        x = x.reshape(n, nB)
    else:
        x = np.zeros((0, nB))

    if d_idx is None:
        Vd = np.broadcast_to(V[:, None, :], (Na, Nb, nB)).copy()
    else:
        Vd = x[d_idx]
    if s_idx is None:
        Vs = np.zeros((Na, Nb, nB))
    else:
        Vs = x[s_idx]

    Icell = H[:, :, None] * (Vd - Vs)
    I_out = Icell.sum(axis=0)
    I_in = Icell.sum(axis=1)
    return I_out, I_in, Vd, Vs
