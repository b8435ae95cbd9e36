"""The population engine (neuromorph/synapses/population.py) against independent references:
scipy's matrix exponential for the free flow and single events, Campbell's theorem and its
per-step analogue for the stream drivers, and the transition rule for Markov synapses."""

import numpy as np
import pytest
import scipy.linalg

from neuromorph.synapses.chain import ChainBatch, LinearChain
from neuromorph.synapses.models import BinarySynapse
from neuromorph.synapses.population import (
    ChainPopulation,
    MarkovPopulation,
    poisson_event_times,
    run_event_lists,
    run_per_step,
    run_poisson,
)

CHAIN = LinearChain(2.0 ** np.arange(4), 0.5 * 0.5 ** np.arange(4), time_unit_s=0.5)


def expm_flow(chain: LinearChain, u: np.ndarray, t_s: float) -> np.ndarray:
    return u @ scipy.linalg.expm(chain.operator() * t_s / chain.time_unit_s).T


@pytest.mark.parametrize("integrator", ["eigen", "dense"])
def test_advance_and_apply_match_the_matrix_exponential(integrator):
    """u(t) = e^{A t} u(0) (time in seconds, chain time unit 0.5 s) and Δu_1 = α − β u_1; tolerance
    1e-12 relative: both exact integrators are exact to rounding."""
    rng = np.random.default_rng(0)
    u0 = rng.normal(size=(7, 4))
    pop = ChainPopulation(CHAIN, n=7, integrator=integrator)
    pop.set_state(u0)
    pop.advance(3.0)
    expected = expm_flow(CHAIN, u0, 3.0)
    np.testing.assert_allclose(pop.state(), expected, rtol=1e-12, atol=1e-12)
    alpha, beta = rng.normal(size=7), rng.uniform(0, 0.5, 7)
    u1 = pop.apply(alpha, beta)
    expected[:, 0] += alpha - beta * expected[:, 0]
    np.testing.assert_allclose(u1, expected[:, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(pop.read(), expected[:, 0], rtol=1e-12, atol=1e-12)
    assert pop.time_s == 3.0
    with pytest.raises(ValueError, match="backwards"):
        pop.advance(2.0)


def test_event_lists_equal_event_by_event_stepping():
    """Explicit per-chain event lists (exact event-driven kernel) against advancing to each event
    and applying it, chain by chain, with scipy's expm (varied chains, a ChainBatch)."""
    rng = np.random.default_rng(1)
    n = 5
    batch = ChainBatch(CHAIN.capacities * rng.uniform(0.8, 1.2, (n, 1)), np.tile(CHAIN.couplings, (n, 1)),
                       time_unit_s=0.5)
    counts = rng.integers(0, 6, n)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    times = np.concatenate([np.sort(rng.uniform(1.0, 9.0, c)) for c in counts])
    alpha, beta = rng.choice([-0.3, 0.3], times.size), rng.uniform(0, 0.2, times.size)
    pop = ChainPopulation(batch)
    pop.reset_clock(1.0)
    run_event_lists(pop, offsets, times, alpha, beta, 10.0)
    assert pop.time_s == 10.0
    for i in range(n):
        chain, u, t = batch.chain(i), np.zeros(4), 1.0
        for e in range(offsets[i], offsets[i + 1]):
            u = expm_flow(chain, u[None], times[e] - t)[0]
            u[0] += alpha[e] - beta[e] * u[0]
            t = times[e]
        np.testing.assert_allclose(pop.state()[i], expm_flow(chain, u[None], 10.0 - t)[0], atol=1e-12)


def test_poisson_stream_reaches_campbells_variance():
    """Single-timescale chain (τ = 1 s), ±Δ events at rate r: Var u = r Δ² τ/2 (Campbell). After
    20 τ from rest the population is stationary to e^{-40}; with N = 4000 chains the variance
    estimate has relative SE √(2/N) ≈ 2.2 %, tolerance 4.5 SE = 10 %."""
    chain = LinearChain([1.0], [1.0])
    pop = ChainPopulation(chain, n=4000)
    rng = np.random.default_rng(2)
    delta, rate = 0.5, 10.0
    run_poisson(pop, rate, 20.0, rng, lambda signs, index: (signs * delta, np.zeros_like(signs)), chunk_events=50_000)
    assert pop.time_s == 20.0
    assert np.var(pop.read()) == pytest.approx(rate * delta**2 * 1.0 / 2.0, rel=0.10)


def test_per_step_stream_reaches_the_discrete_variance():
    """One ±Δ event per step dt: just after an event Var u = Δ²/(1 − e^{−2dt/τ}) (geometric sum of
    the decayed kicks); N = 4000, tolerance 10 % (4.5 SE as above)."""
    chain = LinearChain([1.0], [1.0])
    pop = ChainPopulation(chain, n=4000)
    rng = np.random.default_rng(3)
    delta, rate = 0.5, 2.0
    run_per_step(pop, rate, 60, rng, lambda signs, index: (signs * delta, 0.0), chunk_events=40_000)
    assert pop.time_s == pytest.approx(30.0)
    assert np.var(pop.read()) == pytest.approx(delta**2 / (1.0 - np.exp(-2.0 / rate)), rel=0.10)


def test_save_at_reads_at_each_requested_time():
    pop = ChainPopulation(CHAIN, n=3)
    pop.set_state(np.ones((3, 4)))
    reads = pop.save_at([0.5, 2.0, 4.0], lambda p, t0, t1: p.advance(t1), lambda p: p.read().copy())
    for t, u1 in zip([0.5, 2.0, 4.0], reads):
        np.testing.assert_allclose(u1, expm_flow(CHAIN, np.ones((3, 4)), t)[:, 0], rtol=1e-12)


def test_poisson_event_times_are_sorted_uniforms_within_the_interval():
    rng = np.random.default_rng(4)
    counts = np.array([0, 3, 1000, 2])
    times = poisson_event_times(rng, counts, 2.0, 5.0)
    assert times.size == counts.sum() and np.all((times >= 2.0) & (times < 5.0))
    big = times[3:1003]
    assert np.all(np.diff(big) >= 0)
    # uniform on [2, 5): mean 3.5, SE 3/√12/√1000 ≈ 0.027; tolerance 0.15 (5.5 SE)
    assert big.mean() == pytest.approx(3.5, abs=0.15)


def test_markov_population_applies_the_transition_rule():
    """Binary synapse with q = 1: every opposing event switches, so after one event of sign s every
    weight is s; time alone changes nothing."""
    rng = np.random.default_rng(5)
    pop = MarkovPopulation(BinarySynapse(1.0), 1000, rng)
    before = pop.read().copy()
    pop.advance(100.0)
    np.testing.assert_array_equal(pop.read(), before)
    signs = np.where(rng.random(1000) < 0.5, 1, -1).astype(np.int8)
    pop.apply_signs(signs, rng)
    np.testing.assert_array_equal(pop.read(), signs)
    assert pop.level() is None
