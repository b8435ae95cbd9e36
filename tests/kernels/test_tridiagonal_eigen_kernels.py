"""The batched tridiagonal eigen-decompositions (a chain batch's modes) against LAPACK
``numpy.linalg.eigh`` on the dense matrices (their references)."""

import numpy as np
import pytest

from neuromorph.kernels.tridiagonal import dense_tridiagonals
from neuromorph.kernels.tridiagonal_eigen import (
    eigh_tridiagonal,
    eigh_tridiagonal_reference,
    modal_coefficients,
    modal_coefficients_reference,
    similarity_transforms,
    similarity_transforms_reference,
)

RNG = np.random.default_rng(11)


def chain_tridiagonals(n_mat, m, spread=0.2):
    """S = C^{-1/2} L C^{-1/2} of Benna–Fusi chains with device variation: C_k ∝ 2^k,
    g_k ∝ 2^-k (rates spanning ~4^m), a closed chain (zero leak, an exact zero mode) first."""
    c = 2.0 ** np.arange(m) * RNG.uniform(1 - spread, 1 + spread, (n_mat, m))
    g = 0.5 ** np.arange(m) * RNG.uniform(1 - spread, 1 + spread, (n_mat, m))
    g[0, -1] = 0.0
    left = np.concatenate((np.zeros((n_mat, 1)), g[:, :-1]), axis=1)
    return -(left + g) / c, g[:, :-1] / np.sqrt(c[:, :-1] * c[:, 1:])


def run_eigh(diag, off, build):
    n_mat, m = diag.shape
    rates, vecs = np.empty((n_mat, m)), np.empty((n_mat, m, m))
    getattr(eigh_tridiagonal, build)(diag, off, np.empty((n_mat, m)), rates, vecs)
    return rates, vecs


@pytest.mark.parametrize("build", ["serial", "parallel"])
@pytest.mark.parametrize("m", [1, 2, 5, 8, 16])
def test_eigh_tridiagonal_matches_numpy_eigh(build, m):
    diag, off = chain_tridiagonals(60, m)
    rates, vecs = run_eigh(diag, off, build)
    ref_rates, ref_vecs = eigh_tridiagonal_reference(diag, off)
    norm = np.abs(ref_rates).max(axis=1, keepdims=True)  # ‖S‖₂ of each matrix
    # eigenvalues: both methods are backward stable, |Δλ| ≤ c·m·eps·‖S‖ (Weyl); 1e-14·‖S‖ ≈ 45 eps
    np.testing.assert_allclose(rates, ref_rates, rtol=0, atol=1e-14 * norm.max())
    assert np.all(np.abs(rates - ref_rates) <= 1e-14 * norm)
    # eigenvectors (same sign convention): |Δv| ≲ m·eps·‖S‖ / gap (Davis–Kahan)
    gaps = np.diff(ref_rates, axis=1) if m > 1 else np.ones((60, 1))
    gap = np.minimum(np.concatenate([gaps, gaps[:, -1:]], axis=1), np.concatenate([gaps[:, :1], gaps], axis=1))
    bound = 100 * m * np.finfo(float).eps * norm[:, None, :] / gap[:, None, :]
    assert np.all(np.abs(vecs - ref_vecs) <= bound)
    # and the decomposition itself: V Λ Vᵀ = T, VᵀV = I, to rounding (1e-14 relative to ‖S‖)
    T = dense_tridiagonals(diag, off)
    rebuilt = (vecs * rates[:, None, :]) @ np.swapaxes(vecs, 1, 2)
    assert np.all(np.abs(rebuilt - T) <= 1e-14 * m * norm[:, :, None])
    np.testing.assert_allclose(np.swapaxes(vecs, 1, 2) @ vecs, np.broadcast_to(np.eye(m), T.shape), atol=1e-14 * m)
    assert np.all(np.diff(rates, axis=1) >= 0)


def test_eigh_tridiagonal_builds_agree_exactly():
    diag, off = chain_tridiagonals(300, 6)
    serial, parallel = run_eigh(diag, off, "serial"), run_eigh(diag, off, "parallel")
    np.testing.assert_array_equal(serial[0], parallel[0])
    np.testing.assert_array_equal(serial[1], parallel[1])


@pytest.mark.parametrize("build", ["serial", "parallel"])
def test_similarity_transforms_match_reference_and_invert_each_other(build):
    diag, off = chain_tridiagonals(40, 5)
    _, vecs = run_eigh(diag, off, "serial")
    sqrt_c = np.sqrt(RNG.uniform(0.5, 4.0, (40, 5)))
    ref_modes, ref_state = similarity_transforms_reference(vecs, sqrt_c)
    to_modes, to_state = np.empty_like(vecs), vecs.copy()
    getattr(similarity_transforms, build)(to_state, sqrt_c, to_modes)
    # exact: one IEEE multiply / divide per entry, as in the reference
    np.testing.assert_array_equal(to_modes, ref_modes)
    np.testing.assert_array_equal(to_state, ref_state)
    # T T⁻¹ = Vᵀ V = I (rounding: 1e-14)
    np.testing.assert_allclose(to_modes @ to_state, np.broadcast_to(np.eye(5), (40, 5, 5)), atol=1e-14)


@pytest.mark.parametrize("build", ["serial", "parallel"])
@pytest.mark.parametrize("m", [1, 3, 8])
def test_modal_coefficients_are_the_first_components_of_the_full_decomposition(build, m):
    """kick = T e_1 and readout = row 0 of T⁻¹ from the same QL iteration, without storing V:
    bit for bit the full kernel's rows (same code path), and within the Davis–Kahan bound of
    LAPACK (the reference)."""
    n_mat = 700  # > MODAL_BLOCK: several scratch blocks, a partial last one
    diag, off = chain_tridiagonals(n_mat, m)
    sqrt_c1 = np.sqrt(RNG.uniform(0.5, 4.0, n_mat))
    rates, kick, readout = (np.empty((n_mat, m)) for _ in range(3))
    getattr(modal_coefficients, build)(diag, off, sqrt_c1, rates, kick, readout)
    full_rates, vecs = run_eigh(diag, off, "serial")
    # the modal kernel also zeroes a closed chain's rounding-level zero mode (first matrix)
    full_rates[np.abs(full_rates) < 1e-13 * np.abs(full_rates).max(axis=1, keepdims=True)] = 0.0
    np.testing.assert_array_equal(rates, full_rates)
    np.testing.assert_array_equal(kick, vecs[:, 0, :] * sqrt_c1[:, None])
    np.testing.assert_array_equal(readout, vecs[:, 0, :] / sqrt_c1[:, None])
    ref_rates, ref_kick, ref_readout = modal_coefficients_reference(diag, off, sqrt_c1)
    norm = np.abs(ref_rates).max()
    np.testing.assert_allclose(rates, ref_rates, rtol=0, atol=1e-14 * norm)
    # the product kick·readout = V[0,k]² is what a unit event leaves in mode k: sign-free, and
    # within 1e-10 of LAPACK's for these gaps (ratios of rates ≥ ~1.3)
    np.testing.assert_allclose(kick * readout, ref_kick * ref_readout, rtol=0, atol=1e-10)
