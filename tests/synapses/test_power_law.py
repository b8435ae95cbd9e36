"""Headline behaviour of Benna & Fusi (Nat. Neurosci. 19:1697, 2016): with geometric C_k and g_k
the response of u_1 to a single event decays as a power law ~t^(-1/2) between the fastest and
the slowest timescale, while a single variable (m = 1) decays exponentially."""

import numpy as np
import pytest

from neuromorph.synapses.chain import LinearChain


def loglog_slope(t, y):
    return np.polyfit(np.log(t), np.log(y), 1)[0]


def test_geometric_chain_response_decays_as_inverse_sqrt_time():
    m = 10
    chain = LinearChain(2.0 ** np.arange(m), 0.25 * 0.5 ** np.arange(m))
    tau = chain.timescales()
    # intermediate range: two decades inside [fastest, slowest] on each side
    t = np.logspace(np.log10(tau.min()) + 1, np.log10(tau.max()) - 1.5, 40)
    slope = loglog_slope(t, chain.response_to_unit_event(t))
    # Benna & Fusi 2016: power law with exponent 1/2; tolerance 0.05 covers the ripples of a
    # discrete chain with stage ratio 4 (local slopes seen within -0.53..-0.47)
    assert slope == pytest.approx(-0.5, abs=0.05)


def test_single_variable_decays_exponentially_not_as_a_power_law():
    chain = LinearChain([1.0], [0.25])
    t = np.linspace(1.0, 40.0, 40)
    k = chain.response_to_unit_event(t)
    # log K is linear in t with slope -1/τ = -0.25 (exponential) ...
    assert np.polyfit(t, np.log(k), 1)[0] == pytest.approx(-0.25, rel=1e-10)
    # ... so its log-log slope keeps steepening instead of staying near -1/2
    assert loglog_slope(t[-10:], k[-10:]) < -5


def test_each_stage_adds_a_factor_four_to_the_longest_timescale():
    longest = [LinearChain(2.0 ** np.arange(m), 0.25 * 0.5 ** np.arange(m)).timescales()[0] for m in range(4, 10)]
    ratios = np.diff(np.log(longest))
    # stage ratio C_{k+1}/g_{k+1} ÷ C_k/g_k = 2/0.5 = 4 → the slowest mode grows ~4x per stage
    np.testing.assert_allclose(np.exp(ratios), 4.0, rtol=0.1)
