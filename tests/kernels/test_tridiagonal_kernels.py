"""The batched tridiagonal kernels against dense NumPy solves and products (their references)."""

import numpy as np
import pytest

from neuromorph.kernels.tridiagonal import (
    ldl_factor,
    ldl_factor_reference,
    ldl_solve,
    ldl_solve_reference,
)

RNG = np.random.default_rng(11)


def spd_lines(n_sys, n, g_wire=0.7):
    """Symmetric diagonally dominant tridiagonal lines (crossbar wires: off-diagonal −g_wire)."""
    diag = RNG.uniform(0.0, 0.3, (n_sys, n)) + 2.0 * g_wire
    diag[:, 0] += 0.2  # a terminal conductance keeps the line SPD
    return diag, np.full((n_sys, n - 1), -g_wire)


def factors(diag, off, build):
    inv_d, lower = np.empty_like(diag), np.empty_like(off)
    getattr(ldl_factor, build)(diag, off, inv_d, lower)
    return inv_d, lower


@pytest.mark.parametrize("build", ["serial", "parallel"])
def test_ldl_factor_matches_reference_and_rebuilds_the_matrix(build):
    diag, off = spd_lines(7, 13)
    inv_d, lower = factors(diag, off, build)
    ref_inv_d, ref_lower = ldl_factor_reference(diag, off)
    # rtol 1e-14: the same recurrence in a different loop order, rounding only
    np.testing.assert_allclose(inv_d, ref_inv_d, rtol=1e-14)
    np.testing.assert_allclose(lower, ref_lower, rtol=1e-14)
    # L D Lᵀ == T: diagonal D_i + lower_{i-1}² D_{i-1}, off-diagonal lower_i D_i
    d = 1.0 / inv_d
    rebuilt_diag = d.copy()
    rebuilt_diag[:, 1:] += lower**2 * d[:, :-1]
    np.testing.assert_allclose(rebuilt_diag, diag, rtol=1e-13)
    np.testing.assert_allclose(lower * d[:, :-1], off, rtol=1e-13)


@pytest.mark.parametrize("build", ["serial", "parallel"])
@pytest.mark.parametrize("shape", [(5, 1, 3), (6, 17, 1), (3, 40, 4)])
def test_ldl_solve_matches_dense_solve(build, shape):
    n_sys, n, nb = shape
    diag, off = spd_lines(n_sys, n)
    rhs = RNG.normal(size=(n_sys, n, nb))
    inv_d, lower = factors(diag, off, "serial")
    out = np.empty_like(rhs)
    getattr(ldl_solve, build)(inv_d, lower, rhs, out)
    # rtol 1e-12: condition number of these diagonally dominant lines is < 20
    np.testing.assert_allclose(out, ldl_solve_reference(diag, off, rhs), rtol=1e-12, atol=1e-13)
    # in place (out aliases rhs) and through a strided view give the same numbers
    inplace = rhs.copy()
    ldl_solve(inv_d, lower, inplace, inplace)
    np.testing.assert_array_equal(inplace, out)
