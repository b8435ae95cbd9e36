"""The fused conjugate-gradient update against its NumPy reference."""

import numpy as np
import pytest

from neuromorph.kernels.krylov import cg_update, cg_update_reference


@pytest.mark.parametrize("build", ["serial", "parallel"])
@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 5, 1), (9, 4, 3)])
def test_cg_update_matches_reference(build, shape):
    rng = np.random.default_rng(5)
    w, r, p, q = (rng.normal(size=shape) for _ in range(4))
    alpha = rng.normal(size=shape[2])
    w_ref, r_ref = w.copy(), r.copy()
    rr, rr_ref = np.empty(shape[::2]), np.empty(shape[::2])
    getattr(cg_update, build)(w, r, p, q, alpha, rr)
    cg_update_reference(w_ref, r_ref, p, q, alpha, rr_ref)
    # w, r: one multiply-add per entry as in NumPy (no FMA contraction: fastmath off), exact
    np.testing.assert_array_equal(w, w_ref)
    np.testing.assert_array_equal(r, r_ref)
    # the sums of squares differ only in summation order: rtol 1e-14
    np.testing.assert_allclose(rr, rr_ref, rtol=1e-14)
