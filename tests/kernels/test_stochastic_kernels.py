"""Binary and cascade update kernels against their NumPy references and the transition rules."""

import numpy as np
import pytest

from neuromorph.kernels import stochastic as sk
from neuromorph.synapses.models import cascade_probabilities


def test_binary_kernel_matches_reference():
    rng = np.random.default_rng(1)
    state = rng.choice(np.array([-1, 1], np.int8), size=5000)
    signs = rng.choice(np.array([-1, 0, 1], np.int8), size=5000)
    u = rng.random(5000)
    a, b = state.copy(), state.copy()
    sk.binary_update(a, signs, u, 0.3)
    sk.binary_update_reference(b, signs, u, 0.3)
    np.testing.assert_array_equal(a, b)
    # only opposing events with u < q switch
    switched = a != state
    np.testing.assert_array_equal(switched, (signs != 0) & (signs != state) & (u < 0.3))


def test_cascade_probabilities_follow_fusi_drew_abbott():
    q, p = cascade_probabilities(4, 0.5)
    # q_i = x^(i-1) (i < n), q_n = x^(n-1)/(1-x); p_i = x^i/(1-x), p_n = 0
    np.testing.assert_allclose(q, [1.0, 0.5, 0.25, 0.25])
    np.testing.assert_allclose(p, [1.0, 0.5, 0.25, 0.0])


def test_cascade_kernel_matches_reference():
    rng = np.random.default_rng(2)
    n = 6000
    q, p = cascade_probabilities(5, 0.5)
    state = rng.choice(np.array([-1, 1], np.int8), size=n)
    level = rng.integers(0, 5, size=n).astype(np.int16)
    signs = rng.choice(np.array([-1, 0, 1], np.int8), size=n)
    u = rng.random(n)
    s1, l1, s2, l2 = state.copy(), level.copy(), state.copy(), level.copy()
    sk.cascade_update(s1, l1, signs, u, q, p)
    sk.cascade_update_reference(s2, l2, signs, u, q, p)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(l1, l2)
    assert np.all(l1[s1 != state] == 0)  # a switch resets to the most plastic level


@pytest.mark.parametrize("q", [0.05, 0.5])
def test_binary_switch_frequency_is_q(q):
    rng = np.random.default_rng(3)
    n = 200_000
    state = np.full(n, -1, np.int8)
    sk.binary_update(state, np.ones(n, np.int8), rng.random(n), q)
    # binomial: 5 standard errors
    assert np.mean(state == 1) == pytest.approx(q, abs=5 * np.sqrt(q * (1 - q) / n))
