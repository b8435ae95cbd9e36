"""The modes of a chain batch by Newton on the Sturm recurrence (``chain_modes``) against LAPACK
``numpy.linalg.eigh`` on the assembled dense matrices (its reference), and against the implicit-QL
kernel it falls back to."""

import numpy as np
import pytest

from neuromorph.kernels.chain_modes import (
    MODES_BLOCK,
    NEWTON_GROUP,
    chain_modes,
    chain_modes_reference,
    chain_tridiagonals_reference,
)
from neuromorph.kernels.tridiagonal_eigen import (
    eigh_tridiagonal_reference,
    modal_coefficients,
)

RNG = np.random.default_rng(23)


def benna_fusi_chains(n_chains, m, sigma):
    """Capacities C_k ∝ 2^k and couplings g_k ∝ 2^-k (stage rates g_k/C_k spanning 4^(m-1), as
    a Benna–Fusi chain), each entry times a lognormal factor of relative std ``sigma`` (device
    variation); the first chain and every 7th are closed (zero leak: an exact zero mode)."""
    s2 = np.log1p(sigma**2)
    c = 2.0 ** np.arange(m) * np.exp(RNG.normal(-0.5 * s2, np.sqrt(s2), (n_chains, m)))
    g = 0.5 ** np.arange(m) * np.exp(RNG.normal(-0.5 * s2, np.sqrt(s2), (n_chains, m)))
    g[::7, -1] = 0.0
    return c, g


def run(c, g, build):
    n, m = c.shape
    rates, kick, readout = (np.empty((n, m)) for _ in range(3))
    solver = np.full(n, 7, dtype=np.uint8)
    getattr(chain_modes, build)(c, g, rates, kick, readout, solver)
    return rates, kick, readout, solver


def check_against_lapack(c, g, rates, kick, readout):
    """Rates within 1e-14·‖S‖ of LAPACK's (both backward stable: |Δλ| ≤ c·m·ε·‖S‖, Weyl; 1e-14 ≈
    45 ε), first components v_1k = kick/√C_1 within the Davis–Kahan bound 100·m·ε·‖S‖/gap of
    LAPACK's (same sign convention v_1k ≥ 0), and readout·√C_1 = kick/√C_1 (both are v_1k)."""
    n, m = c.shape
    ref_rates = chain_modes_reference(c, g)[0]
    norm = np.abs(ref_rates).max(axis=1, keepdims=True)  # ‖S‖₂ of each chain
    assert np.all(np.abs(rates - ref_rates) <= 1e-14 * norm)
    _, vecs = eigh_tridiagonal_reference(*chain_tridiagonals_reference(c, g))
    gaps = np.diff(ref_rates, axis=1) if m > 1 else np.ones((n, 1))
    gap = np.minimum(np.concatenate([gaps, gaps[:, -1:]], axis=1), np.concatenate([gaps[:, :1], gaps], axis=1))
    root = np.sqrt(c[:, :1])
    first = kick / root
    assert np.all(first >= 0)
    assert np.all(np.abs(first - vecs[:, 0, :]) <= 100 * m * np.finfo(float).eps * norm / gap)
    np.testing.assert_allclose(readout * root, first, rtol=4 * np.finfo(float).eps, atol=0)
    # Σ_k v_1k² = 1 (e_1 has unit norm), to rounding
    np.testing.assert_allclose((first**2).sum(axis=1), 1.0, rtol=0, atol=1e-14 * m)


@pytest.mark.parametrize("build", ["serial", "parallel"])
@pytest.mark.parametrize("m", [1, 2, 5, 8, 16])
def test_chain_modes_of_similar_chains_match_lapack_by_newton(build, m):
    """5 % variation (a crossbar's cells): every chain but each block's first is settled by
    Newton from its neighbour's eigenvalues, within the bounds of the QL kernel's test."""
    n = MODES_BLOCK + 300  # a full block and a partial one, with a short last Newton group
    c, g = benna_fusi_chains(n, m, 0.05)
    rates, kick, readout, solver = run(c, g, build)
    check_against_lapack(c, g, rates, kick, readout)
    # the closed chains' zero modes, exactly (the 1e-13 rule), by Newton as well as by QL
    assert np.all(rates[::7, -1] == 0.0) and np.all(rates[1:7, -1] < 0.0)
    assert np.any(solver[7::7] == 0)
    assert solver[0] == 1 and solver[MODES_BLOCK] == 1  # each block starts with QL
    assert np.mean(solver == 0) > 0.95  # Newton settled the rest (it is the path under test)
    assert set(np.unique(solver)) <= {0, 1}


@pytest.mark.parametrize("m", [3, 8, 16])
def test_chain_modes_of_dissimilar_chains_fall_back_to_ql(m):
    """Chains far apart (each entry varied by a factor of up to 10, neighbours unrelated): where
    Newton from the neighbour's eigenvalues does not settle on m ascending, Sturm-counted zeros,
    the chain is decomposed by QL — bit for bit the QL kernel's numbers — and still within the
    bounds against LAPACK."""
    n = 400
    c = 2.0 ** np.arange(m) * 10 ** RNG.uniform(-1, 1, (n, m))
    g = 0.5 ** np.arange(m) * 10 ** RNG.uniform(-1, 1, (n, m))
    rates, kick, readout, solver = run(c, g, "serial")
    check_against_lapack(c, g, rates, kick, readout)
    fell_back = solver == 1
    assert fell_back[1:].any()  # the fallback is exercised
    diag, off = chain_tridiagonals_reference(c, g)
    ql = tuple(np.empty((n, m)) for _ in range(3))
    modal_coefficients.serial(diag, off, np.sqrt(c[:, 0]), *ql)
    for ours, theirs in zip((rates, kick, readout), ql):
        np.testing.assert_array_equal(ours[fell_back], theirs[fell_back])


def test_chain_modes_do_not_depend_on_the_build_or_thread_count():
    """Blocks and groups are fixed by the row index, so the serial and parallel builds (any
    thread count) give the same numbers bit for bit."""
    n = 3 * MODES_BLOCK + NEWTON_GROUP + 3
    c, g = benna_fusi_chains(n, 5, 0.1)
    serial, parallel = run(c, g, "serial"), run(c, g, "parallel")
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


def test_assembly_is_the_numpy_assembly():
    """The kernel's per-chain assembly of S = C^{-1/2} L C^{-1/2} performs the reference's IEEE
    operations: a chain decomposed by QL in the kernel (each block's first) equals QL on the
    NumPy-assembled tridiagonal bit for bit."""
    c, g = benna_fusi_chains(2 * MODES_BLOCK, 6, 0.2)
    rates, kick, readout, solver = run(c, g, "serial")
    rows = np.flatnonzero(solver == 1)
    diag, off = chain_tridiagonals_reference(c[rows], g[rows])
    ql = tuple(np.empty((rows.size, 6)) for _ in range(3))
    modal_coefficients.serial(diag, off, np.sqrt(c[rows, 0]), *ql)
    np.testing.assert_array_equal(rates[rows], ql[0])
    np.testing.assert_array_equal(kick[rows], ql[1])
    np.testing.assert_array_equal(readout[rows], ql[2])
