"""Ideal-chain ioSNR theory: closed forms against direct sums and hand results."""

import numpy as np

from neuromorph.analysis.familiarity_theory import (campbell_check, io_lifetime_theory, io_snr_theory,
                                                    response_kernel, stationary_variance)
from neuromorph.analysis.familiarity_metrics import fit_capacity_exponent
from neuromorph.tasks.familiarity import published_chain


def test_simple_synapse_kernel_and_variance_are_geometric():
    """m = 1: u ← (7/8) u + Δ, so K(t) = (7/8)^t and Var u = 1/(1 − 49/64) = 64/15."""
    chain = published_chain(1)
    assert np.allclose(response_kernel(chain, np.arange(20)), (7 / 8) ** np.arange(20), rtol=1e-12)
    assert np.isclose(stationary_variance(chain), 64 / 15, rtol=1e-12)


def test_stationary_variance_is_the_discrete_campbell_sum():
    chain = published_chain(4)
    assert np.isclose(stationary_variance(chain), campbell_check(chain, 60_000), rtol=1e-9)


def test_learning_rate_scales_signal_and_slows_decay():
    chain = published_chain(1)
    t = np.arange(10)
    assert np.allclose(response_kernel(chain, t, q=0.1), (1 - 0.1 / 8) ** t, rtol=1e-12)
    full = io_snr_theory(chain, 100, t)
    slow = io_snr_theory(chain, 100, t, q=0.1)
    assert np.isclose(slow[0], 0.1 * full[0])


def test_theory_reaches_ten_thousand_neurons():
    """The published scaling beyond simulation: N = 10^4 neurons, m = log2 N − 1 ≈ 12."""
    life = io_lifetime_theory(published_chain(12), 10_000)
    assert 1e6 < life < 1e9


def test_theory_capacity_exponent_is_about_two():
    """t* ∝ N²/log N at m = log2 N − 1 (published fit slope ≈ 2) for the ideal chain, N = 16 … 1024."""
    n = 2 ** np.arange(4, 11)
    t = [io_lifetime_theory(published_chain(int(np.log2(k)) - 1), int(k)) for k in n]
    slope, _ = fit_capacity_exponent(n, t)
    assert 1.8 < slope < 2.4
