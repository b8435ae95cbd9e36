"""The familiarity kernels equal their NumPy references bit for bit (same key, same items)."""

import numpy as np
import pytest

from neuromorph.kernels import familiarity as fk
from neuromorph.tasks.familiarity import SynapseModel, published_chain


def _setup(n=20, m=4, connectivity=0.7, seed=0):
    rng = np.random.default_rng(seed)
    mask = rng.random((n, n)) < connectivity
    np.fill_diagonal(mask, True)
    diag, lower, upper = SynapseModel(published_chain(m)).tridiagonal()
    items = np.where(rng.random((40, n)) < 0.5, 1, -1).astype(np.int8)
    return mask, items, diag, lower, upper


def test_splitmix64_matches_reference():
    counters = np.array([0, 1, 2, 2**40 + 7, 2**63], dtype=np.uint64)
    key = np.uint64(0xDEADBEEF)
    expected = fk.splitmix64_reference(key, counters)
    got = np.array([fk.splitmix64(key, c) for c in counters], dtype=np.uint64)
    assert np.array_equal(got, expected)
    # splitmix64 of state 0x9E3779B97F4A7C15 (key 0, counter 0) is the published first output
    assert int(fk.splitmix64_reference(np.uint64(0), np.array([0], dtype=np.uint64))[0]) == 0xE220A8397B1DCDAF


@pytest.mark.parametrize("q, levels, bound", [(1.0, 0, 0.0), (1.0, 32, 15.5), (0.3, 32, 15.5), (0.5, 0, 2.0),
                                              (1.0, 7, 3.0)])
def test_hebbian_store_equals_numpy_reference_bit_for_bit(q, levels, bound):
    mask, items, diag, lower, upper = _setup()
    key = np.uint64(987654321)
    fast = np.zeros((20, 20, 4))
    slow = np.zeros((20, 20, 4))
    # fused calls of different lengths must give the same stream as one item at a time
    fk.store_items(fast, mask, items[:13], 5, key, lower, diag, upper, q, levels, bound)
    fk.store_items(fast, mask, items[13:], 18, key, lower, diag, upper, q, levels, bound)
    fk.store_items_reference(slow, mask, items, 5, key, lower, diag, upper, q, levels, bound)
    assert np.array_equal(fast, slow)
    assert np.all(fast[~mask] == 0.0)            # missing synapses are never touched
    if levels:
        offset = 0.5 if levels % 2 == 0 else 0.0
        assert np.all((fast[mask] - offset) == np.round(fast[mask] - offset))   # on the level grid
    if bound:
        assert np.abs(fast).max() <= bound


def test_serial_and_parallel_store_agree():
    mask, items, diag, lower, upper = _setup(n=16, m=3)
    a = np.zeros((16, 16, 3))
    b = np.zeros((16, 16, 3))
    args = (mask, items, np.int64(0), np.uint64(3), lower, diag, upper, 0.7, 32, 15.5)
    fk._store_parallel(a, *args)
    fk._store_serial(b, *args)
    assert np.array_equal(a, b)


def test_store_is_the_published_update_for_one_item():
    """u ← T u, u_1 += x_i x_j (bias: x_i), continuous and unbounded: checked by hand."""
    n, m = 3, 2
    diag, lower, upper = SynapseModel(published_chain(m)).tridiagonal()
    state = np.random.default_rng(1).normal(size=(n, n, m))
    before = state.copy()
    x = np.array([[1, -1, 1]], dtype=np.int8)
    fk.store_items(state, np.ones((n, n), bool), x, 0, np.uint64(1), lower, diag, upper, 1.0, 0, 0.0)
    t = np.eye(m) + published_chain(m).operator()
    expected = before @ t.T
    hebb = np.outer(x[0], x[0]).astype(float)
    np.fill_diagonal(hebb, x[0])
    expected[:, :, 0] += hebb
    assert np.allclose(state, expected, rtol=0, atol=1e-15)


def test_stochastic_rounding_is_unbiased():
    """E[round(u)] = u: a value 0.3 above a level rounds up with probability 0.3 (binomial, 5 SE)."""
    n = 200
    mask = np.ones((n, n), bool)
    state = np.full((n, n, 1), 0.8)           # 32 levels: grid ..., 0.5, 1.5, ...; 0.8 = 0.5 + 0.3
    one = np.ones(1)
    zero = np.zeros(1)
    x = np.zeros((1, n), dtype=np.int8)       # no Hebbian event
    fk.store_items(state, mask, x, 0, np.uint64(11), zero, one, zero, 1.0, 32, 15.5)
    up = np.mean(state == 1.5)
    assert np.all((state == 1.5) | (state == 0.5))
    assert abs(up - 0.3) < 5 * np.sqrt(0.3 * 0.7 / n**2)


def test_learning_rate_keeps_a_fraction_q_of_updates():
    n = 200
    state = np.zeros((n, n, 1))
    x = np.ones((1, n), dtype=np.int8)
    fk.store_items(state, np.ones((n, n), bool), x, 0, np.uint64(5), np.zeros(1), np.ones(1), np.zeros(1), 0.128, 0, 0.0)
    kept = np.mean(state == 1.0)
    assert abs(kept - 0.128) < 5 * np.sqrt(0.128 * 0.872 / n**2)


@pytest.mark.parametrize("levels", [0, 32])
def test_readout_equals_numpy_reference(levels):
    mask, items, diag, lower, upper = _setup(n=24, m=3, connectivity=0.6, seed=3)
    state = np.zeros((24, 24, 3))
    fk.store_items(state, mask, items, 0, np.uint64(9), lower, diag, upper, 1.0, levels, 15.5 if levels else 0.0)
    probes = np.concatenate([items[-5:], np.where(np.random.default_rng(4).random((5, 24)) < .5, 1, -1)]).astype(np.int8)
    n_conn = float(mask.sum() - 24)
    r, io = fk.recurrent_readout(state, mask, probes, n_conn)
    r_ref, io_ref = fk.recurrent_readout_reference(state, mask, probes, n_conn)
    assert np.array_equal(r, r_ref)
    if levels:   # half-integer weights times ±1: every sum is exact, so bit for bit
        assert np.array_equal(io, io_ref)
    else:        # summation order differs: equal to rounding (1e-12 relative)
        assert np.allclose(io, io_ref, rtol=1e-12, atol=1e-14)
