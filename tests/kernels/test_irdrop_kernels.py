"""The fused PCG sweeps of the IR-drop solve (kernels/irdrop.py) against their dense NumPy
references, and against the line matrices assembled from the cells and wires: together the two
sweeps give the preconditioned residual z = S⁻¹r with rᵀz, and the Schur-complement product
q = (S − H D⁻¹ H) p with pᵀq."""

import numpy as np
import pytest

from neuromorph.kernels.irdrop import (
    LINE_CHUNK,
    schur_cg_backsweep,
    schur_cg_backsweep_reference,
    schur_cg_direction,
    schur_cg_direction_reference,
    schur_cg_product,
    schur_cg_product_reference,
    schur_cg_update,
    schur_cg_update_reference,
)
from neuromorph.kernels.tridiagonal import dense_tridiagonals, ldl_factor

SHAPES = [(1, 1, 1), (1, 5, 2), (6, 1, 3), (7, 5, 1), (6, 9, 4)]
# more sensed lines than one chunk: the parallel loops and the partial sums per chunk run
WIDE = (5, 2 * LINE_CHUNK + 3, 2)
G_D, G_S, G_DE, G_SE = 0.5, 0.3, 0.2, 0.1  # wire and end conductances, S


def crossbar_lines(H):
    """Diagonals of the driven lines D[a] (along b) and sensed lines S[b] (along a), as in
    neuromorph.crossbar.irdrop_pcg: wire neighbours plus the cell, end conductance at the driver
    (b = 0) and at the sense amplifier (a = Na − 1)."""
    n_a, n_b = H.shape
    nbr_b = np.full(n_b, 2.0)
    nbr_b[0] -= 1.0
    nbr_b[-1] -= 1.0
    nbr_a = np.full(n_a, 2.0)
    nbr_a[0] -= 1.0
    nbr_a[-1] -= 1.0
    diag_d = H + G_D * nbr_b[None, :]
    diag_d[:, 0] += G_DE
    diag_s = H.T + G_S * nbr_a[None, :]
    diag_s[:, -1] += G_SE
    return diag_d, diag_s


def dense(diag, g):
    """The dense line matrices: ``diag`` on the diagonal, −g between neighbours."""
    return dense_tridiagonals(diag, np.full((diag.shape[0], diag.shape[1] - 1), -g))


def pivots(diag, g):
    inv_d, lower = np.empty_like(diag), np.empty((diag.shape[0], diag.shape[1] - 1))
    ldl_factor.serial(diag, np.full_like(lower, -g), inv_d, lower)
    return inv_d


def crossbar_problem(seed, n_a, n_b, h_max):
    """A generator seeded with ``seed``, cells H uniform in [1e-3, h_max] S on an n_a × n_b grid,
    and the LDLᵀ pivots of its driven lines (n_a, n_b) and of its sensed lines (transposed to
    (n_a, n_b), the layout the sweeps read)."""
    rng = np.random.default_rng(seed)
    H = rng.uniform(1e-3, h_max, (n_a, n_b))
    diag_d, diag_s = crossbar_lines(H)
    return rng, H, pivots(diag_d, G_D), np.ascontiguousarray(pivots(diag_s, G_S).T)


@pytest.mark.parametrize("build", ["serial", "parallel"])
@pytest.mark.parametrize("shape", SHAPES + [WIDE])
def test_update_sweep_matches_reference(shape, build):
    rng = np.random.default_rng(31)
    n_a, n_b, nb = shape
    s_inv = rng.uniform(0.5, 2.0, (n_a, n_b))
    r, q, z = (rng.normal(size=shape) for _ in range(3))
    alpha = rng.normal(size=nb)
    ours = [x.copy() for x in (r, q, z)]
    ref = [x.copy() for x in (r, q, z)]
    rr, rz = np.empty(nb), np.empty(nb)
    getattr(schur_cg_update, build)(s_inv, G_S, alpha, *ours, rr, rz)
    rr_ref, rz_ref = schur_cg_update_reference(s_inv, G_S, alpha, *ref)
    # r: one product and one difference per entry, rounded as in NumPy (no FMA contraction): exact
    np.testing.assert_array_equal(ours[0], ref[0])
    # z = L⁻¹r by recurrence against a dense triangular solve, and the sums in another order:
    # rounding only, at most ~n·eps relative for these well-conditioned bidiagonal factors
    np.testing.assert_allclose(ours[2], ref[2], rtol=1e-13, atol=1e-13 * np.abs(ref[2]).max())
    np.testing.assert_allclose(rr, rr_ref, rtol=1e-13)
    np.testing.assert_allclose(rz, rz_ref, rtol=1e-13)


def test_update_sweep_serial_and_parallel_agree_bit_for_bit():
    """Partial sums per chunk of sensed lines, added in chunk order, in both builds."""
    rng = np.random.default_rng(36)
    s_inv = rng.uniform(0.5, 2.0, WIDE[:2])
    arrays = [rng.normal(size=WIDE) for _ in range(3)]
    alpha = rng.normal(size=WIDE[2])
    results = []
    for build in ("serial", "parallel"):
        xs = [x.copy() for x in arrays]
        rr, rz = np.empty(WIDE[2]), np.empty(WIDE[2])
        getattr(schur_cg_update, build)(s_inv, G_S, alpha, *xs, rr, rz)
        results.append(xs + [rr, rz])
    for x, y in zip(*results):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("shape", SHAPES)
def test_direction_sweep_matches_reference(shape):
    n_a, n_b, nb = shape
    rng, H, d_inv, s_inv = crossbar_problem(32, n_a, n_b, h_max=1e-2)
    w, z, p, q = (rng.normal(size=shape) for _ in range(4))
    alpha, beta = rng.normal(size=nb), rng.normal(size=nb)
    ours = [x.copy() for x in (w, z, p, q)]
    ref = [x.copy() for x in (w, z, p, q)]
    pq = np.empty(nb)
    schur_cg_direction(H, d_inv, s_inv, G_D, G_S, G_SE, alpha, beta, *ours, pq)
    pq_ref = schur_cg_direction_reference(H, d_inv, s_inv, G_D, G_S, G_SE, alpha, beta, *ref)
    # w += α p with the old p: one product and one sum, exact
    np.testing.assert_array_equal(ours[0], ref[0])
    # recurrences against dense solves (D rebuilt from its pivots): rounding only, 1e-13 of the
    # largest entry (the lines are diagonally dominant, condition numbers O(10))
    for x, x_ref in zip(ours[1:], ref[1:]):
        np.testing.assert_allclose(x, x_ref, rtol=0, atol=1e-13 * np.abs(x_ref).max())
    np.testing.assert_allclose(pq, pq_ref, rtol=1e-12)


def test_the_two_sweeps_give_the_preconditioned_residual_and_the_schur_product():
    """From p = 0, q = 0, α = β = 0: update then direction give z = S⁻¹r, rᵀz, p = z, q = Kz with
    K = S − H D⁻¹ H built densely from the cells and wires (independent of the LDLᵀ recurrences)."""
    rng = np.random.default_rng(33)
    n_a, n_b, nb = 6, 8, 3
    H = rng.uniform(1e-3, 5e-2, (n_a, n_b))
    diag_d, diag_s = crossbar_lines(H)
    d_inv, s_inv = pivots(diag_d, G_D), np.ascontiguousarray(pivots(diag_s, G_S).T)
    r = rng.normal(size=(n_a, n_b, nb))
    r0 = r.copy()
    w, p, q, z = np.zeros_like(r), np.zeros_like(r), np.zeros_like(r), np.empty_like(r)
    zero = np.zeros(nb)
    rr, rz, pq = np.empty(nb), np.empty(nb), np.empty(nb)
    schur_cg_update.serial(s_inv, G_S, zero, r, q, z, rr, rz)
    schur_cg_direction(H, d_inv, s_inv, G_D, G_S, G_SE, zero, zero, w, z, p, q, pq)

    # dense operators on the flattened (a, b) grid
    n = n_a * n_b
    S = np.zeros((n, n))
    for b, T in enumerate(dense(diag_s, G_S)):
        idx = np.arange(n_a) * n_b + b
        S[np.ix_(idx, idx)] = T
    D = np.zeros((n, n))
    for a, T in enumerate(dense(diag_d, G_D)):
        idx = a * n_b + np.arange(n_b)
        D[np.ix_(idx, idx)] = T
    h = H.ravel()
    K = S - h[:, None] * np.linalg.solve(D, np.diag(h))
    R = r0.reshape(n, nb)
    Z = np.linalg.solve(S, R)
    # tolerance: rounding of O(n) recurrence steps on matrices with condition numbers < 100
    np.testing.assert_array_equal(rr, np.einsum("ik,ik->k", R, R))  # α = 0 leaves r unchanged
    np.testing.assert_allclose(z.reshape(n, nb), Z, rtol=0, atol=1e-12 * np.abs(Z).max())
    np.testing.assert_allclose(rz, np.einsum("ik,ik->k", R, Z), rtol=1e-12)
    np.testing.assert_array_equal(p, z)
    KZ = K @ Z
    np.testing.assert_allclose(q.reshape(n, nb), KZ, rtol=0, atol=1e-12 * np.abs(KZ).max())
    np.testing.assert_allclose(pq, np.einsum("ik,ik->k", Z, KZ), rtol=1e-12)


@pytest.mark.parametrize("shape", [(6, 9, 4), (7, 5, 1), WIDE])
def test_backsweep_and_product_match_their_references(shape):
    n_a, n_b, nb = shape
    rng, H, d_inv, s_inv = crossbar_problem(34, n_a, n_b, h_max=1e-2)
    w, z, p, q = (rng.normal(size=shape) for _ in range(4))
    alpha, beta = rng.normal(size=nb), rng.normal(size=nb)
    wr, zr, pr, qr = w.copy(), z.copy(), p.copy(), q.copy()
    schur_cg_backsweep.parallel(s_inv, G_S, alpha, beta, w, z, p)
    schur_cg_backsweep_reference(s_inv, G_S, alpha, beta, wr, zr, pr)
    np.testing.assert_array_equal(w, wr)  # one product and one sum per entry: exact
    pq = np.empty(nb)
    schur_cg_product.parallel(H, d_inv, G_D, G_S, G_SE, p, q, pq)
    pq_ref = schur_cg_product_reference(H, d_inv, G_D, G_S, G_SE, pr, qr)
    # as in test_direction_sweep_matches_reference
    for x, x_ref in ((z, zr), (p, pr), (q, qr)):
        np.testing.assert_allclose(x, x_ref, rtol=0, atol=1e-13 * np.abs(x_ref).max())
    np.testing.assert_allclose(pq, pq_ref, rtol=1e-12)


@pytest.mark.parametrize("shape", [(6, 9, 4), (7, 5, 1), WIDE])
def test_the_fused_direction_equals_backsweep_then_product_bit_for_bit(shape):
    """One serial fused pass (a column block per thread) and two parallel passes (a lone block)
    do the same operations in the same order, so the solver's results do not depend on which
    runs."""
    n_a, n_b, nb = shape
    rng, H, d_inv, s_inv = crossbar_problem(35, n_a, n_b, h_max=1e-2)
    w, z, p, q = (rng.normal(size=shape) for _ in range(4))
    alpha, beta = rng.normal(size=nb), rng.normal(size=nb)
    fused = [x.copy() for x in (w, z, p, q)]
    pq_fused = np.empty(nb)
    schur_cg_direction(H, d_inv, s_inv, G_D, G_S, G_SE, alpha, beta, *fused, pq_fused)
    for build in ("serial", "parallel"):
        split = [x.copy() for x in (w, z, p, q)]
        pq_split = np.empty(nb)
        getattr(schur_cg_backsweep, build)(s_inv, G_S, alpha, beta, *split[:3])
        getattr(schur_cg_product, build)(H, d_inv, G_D, G_S, G_SE, split[2], split[3], pq_split)
        for x, y in zip(fused, split):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(pq_fused, pq_split)


@pytest.mark.parametrize("shape", [(6, 9, 4), (7, 5, 1), WIDE])
def test_q_may_share_the_array_of_z(shape):
    """The solver keeps z (until it has entered p), q = K p (until the update has used it) and
    L⁻¹r in one array: an iteration on the shared array gives bit for bit the numbers of one on
    separate arrays, in the fused pass and in the split parallel passes."""
    n_a, n_b, nb = shape
    rng, H, d_inv, s_inv = crossbar_problem(37, n_a, n_b, h_max=1e-2)
    w, r, p, z = (rng.normal(size=shape) for _ in range(4))
    beta, alpha = rng.normal(size=nb), 1e-2 * rng.normal(size=nb)

    def iteration(shared, split):
        ww, rr_, pp, zz = w.copy(), r.copy(), p.copy(), z.copy()
        qq = zz if shared else np.full(shape, np.nan)
        pq, rr, rz = np.empty(nb), np.empty(nb), np.empty(nb)
        if split:
            schur_cg_backsweep.parallel(s_inv, G_S, alpha, beta, ww, zz, pp)
            schur_cg_product.parallel(H, d_inv, G_D, G_S, G_SE, pp, qq, pq)
        else:
            schur_cg_direction(H, d_inv, s_inv, G_D, G_S, G_SE, alpha, beta, ww, zz, pp, qq, pq)
        schur_cg_update.parallel(s_inv, G_S, alpha, rr_, qq, zz, rr, rz)
        return ww, rr_, pp, zz, pq, rr, rz

    for split in (False, True):
        for x, y in zip(iteration(False, split), iteration(True, split)):
            np.testing.assert_array_equal(x, y)
