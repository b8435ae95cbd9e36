"""Every numba chain kernel against its NumPy reference and against the exact propagator
(scipy.linalg.expm), with shared and per-synapse parameters, events and bounds."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from neuromorph.kernels import chain as kern
from neuromorph.synapses.chain import LinearChain
from neuromorph.synapses.integrators import EigenIntegrator, UnstableStepError, make_integrator

M = 6
CHAIN = LinearChain(2.0 ** np.arange(M), 0.25 * 0.5 ** np.arange(M))
RNG = np.random.default_rng(42)


def random_population(n=257, scale=0.3):
    u0 = RNG.normal(scale=scale, size=(n, M))
    alpha = RNG.choice([-1.0, 0.0, 1.0], size=n) * 0.2
    beta = RNG.uniform(0, 0.1, size=n)
    return u0, alpha, beta


def exact_step(u0, dt, alpha, beta, bounds=None):
    """Independent reference: scipy expm, event on u_1, clipping of everything."""
    u = u0 @ scipy.linalg.expm(CHAIN.operator() * dt).T
    u[:, 0] += alpha - beta * u[:, 0]
    if bounds is not None:
        u = np.clip(u, *bounds)
    return u


@pytest.mark.parametrize("bounds", [None, (-0.5, 0.5)])
def test_eigen_step_matches_reference_and_expm(bounds):
    u0, alpha, beta = random_population()
    basis = CHAIN.eigenbasis
    clip, lo, hi = (bounds is not None, *(bounds or (0.0, 0.0)))
    decay = np.exp(basis.rates * 0.9)[None]
    z_nb = u0 @ basis.to_modes.T
    z_np = z_nb.copy()
    w_nb, w_np = np.empty(len(u0)), np.empty(len(u0))
    kern.eigen_step(z_nb, decay, basis.kick[None], basis.readout[None], alpha, beta, clip, lo, hi, w_nb)
    kern.eigen_step_reference(z_np, decay, basis.kick[None], basis.readout[None], alpha, beta, clip, lo, hi, w_np)
    np.testing.assert_allclose(z_nb, z_np, atol=1e-13)
    np.testing.assert_allclose(w_nb, w_np, atol=1e-13)
    if bounds is None:
        # exact integrator: equals expm to rounding
        np.testing.assert_allclose(z_nb @ basis.to_state.T, exact_step(u0, 0.9, alpha, beta), atol=1e-12)


def test_eigen_bounds_are_exact_when_the_box_contains_zero():
    # exp(A t) is non-negative with row sums <= 1, so only events can leave the box [lo, hi] ∋ 0:
    # clipping u_1 at events (O(m)) equals clipping every variable after every step.
    bounds = (-0.4, 0.6)
    u0 = np.clip(RNG.normal(scale=0.3, size=(100, M)), *bounds)
    eig = make_integrator("eigen", CHAIN, bounds)
    dense = make_integrator("dense", CHAIN, bounds)
    x, y = eig.encode(u0), dense.encode(u0)
    for _ in range(200):
        alpha = RNG.choice([-0.3, 0.3], size=100)
        eig.step(x, 0.5, alpha)
        dense.step(y, 0.5, alpha)
    np.testing.assert_allclose(eig.decode(x), y, atol=1e-10)
    assert y.min() >= bounds[0] and y.max() <= bounds[1]


def test_eigen_refuses_bounds_that_exclude_zero():
    with pytest.raises(ValueError, match="lower <= 0 <= upper"):
        EigenIntegrator(CHAIN, (0.1, 1.0))


@pytest.mark.parametrize("bounds", [None, (-0.3, 0.3)])
def test_dense_step_matches_reference_and_expm(bounds):
    u0, alpha, beta = random_population()
    clip, lo, hi = (bounds is not None, *(bounds or (0.0, 0.0)))
    prop = CHAIN.propagator(2.5)
    a, b = u0.copy(), u0.copy()
    w1, w2 = np.empty(len(u0)), np.empty(len(u0))
    kern.dense_step(a, prop, alpha, beta, clip, lo, hi, w1)
    kern.dense_step_reference(b, prop, alpha, beta, clip, lo, hi, w2)
    np.testing.assert_allclose(a, b, atol=1e-14)
    np.testing.assert_allclose(a, exact_step(u0, 2.5, alpha, beta, bounds), atol=1e-12)


@pytest.mark.parametrize("bounds", [None, (-0.3, 0.3)])
def test_implicit_euler_thomas_matches_banded_solver(bounds):
    u0, alpha, beta = random_population()
    clip, lo, hi = (bounds is not None, *(bounds or (0.0, 0.0)))
    dt = 3.0
    sub, inv_pivot, upper_mod = kern.thomas_factor(CHAIN.capacities, CHAIN.couplings, dt)
    a, b = u0.copy(), u0.copy()
    w1, w2 = np.empty(len(u0)), np.empty(len(u0))
    kern.implicit_euler_step(a, CHAIN.capacities, sub, inv_pivot, upper_mod, alpha, beta, clip, lo, hi, w1)
    kern.implicit_euler_step_reference(b, CHAIN.capacities, CHAIN.couplings, dt, alpha, beta, clip, lo, hi, w2)
    np.testing.assert_allclose(a, b, atol=1e-13)
    # and it is (I - dt A)^-1 u: checked against a dense solve
    if bounds is None:
        expected = np.linalg.solve(np.eye(M) - dt * CHAIN.operator(), u0.T).T
        expected[:, 0] += alpha - beta * expected[:, 0]
        np.testing.assert_allclose(a, expected, atol=1e-12)


@pytest.mark.parametrize("bounds", [None, (-0.3, 0.3)])
def test_explicit_euler_matches_reference(bounds):
    u0, alpha, beta = random_population()
    clip, lo, hi = (bounds is not None, *(bounds or (0.0, 0.0)))
    a, b = u0.copy(), u0.copy()
    w1, w2 = np.empty(len(u0)), np.empty(len(u0))
    kern.explicit_euler_step(a, CHAIN.capacities, CHAIN.couplings, 0.3, alpha, beta, clip, lo, hi, w1)
    kern.explicit_euler_step_reference(b, CHAIN.capacities, CHAIN.couplings, 0.3, alpha, beta, clip, lo, hi, w2)
    np.testing.assert_allclose(a, b, atol=1e-14)
    if bounds is None:
        expected = u0 + 0.3 * u0 @ CHAIN.operator().T
        expected[:, 0] += alpha - beta * expected[:, 0]
        np.testing.assert_allclose(a, expected, atol=1e-14)


@pytest.mark.parametrize("name, order", [("implicit_euler", 1), ("explicit_euler", 1)])
def test_euler_integrators_converge_at_first_order(name, order):
    u0 = RNG.normal(size=(4, M))
    t_end = 8.0
    exact = u0 @ CHAIN.propagator(t_end).T
    errors = []
    for dt in (0.2, 0.1, 0.05):
        integ = make_integrator(name, CHAIN, max_dt=dt)
        x = integ.encode(u0)
        integ.advance(x, t_end)
        errors.append(np.abs(integ.decode(x) - exact).max())
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    # first-order methods: halving dt halves the error (observed order within 0.15 of 1)
    np.testing.assert_allclose(rates, order, atol=0.15)


def test_explicit_euler_refuses_steps_above_the_stability_limit():
    limit = CHAIN.stability_limit()
    assert limit == pytest.approx(2.0 / np.max(np.abs(np.linalg.eigvals(CHAIN.operator()))), rel=1e-9)
    integ = make_integrator("explicit_euler", CHAIN)
    x = integ.encode(np.zeros((2, M)))
    with pytest.raises(UnstableStepError, match=r"exceeds the stability limit 2/max\|λ\| = 4\.993 s"):
        integ.step(x, 1.01 * limit, 0.0)
    integ.step(x, 0.99 * limit, 0.0)  # just below is accepted
    with pytest.raises(UnstableStepError):
        make_integrator("explicit_euler", CHAIN, max_dt=3 * limit)


def test_explicit_euler_really_is_unstable_above_the_limit():
    # the refusal is not cosmetic: the reference kernel blows up beyond 2/max|λ|
    u = RNG.normal(size=(1, M))
    w = np.empty(1)
    for _ in range(400):
        kern.explicit_euler_step_reference(u, CHAIN.capacities, CHAIN.couplings, 1.1 * CHAIN.stability_limit(),
                                           np.zeros(1), np.zeros(1), False, 0.0, 0.0, w)
    assert np.abs(u).max() > 1e3


def test_event_driven_matches_stepping_and_skips_empty_time():
    n = 40
    chains = [LinearChain(CHAIN.capacities * f, CHAIN.couplings) for f in RNG.uniform(0.8, 1.2, n)]
    integ = EigenIntegrator(chains)
    counts = RNG.integers(0, 30, size=n)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    times = np.concatenate([np.sort(RNG.uniform(0, 1e4, c)) for c in counts])
    alpha = RNG.choice([-1.0, 1.0], size=times.size)
    beta = np.zeros(times.size)
    z_nb = integ.encode(np.zeros((n, M)))
    z_np = z_nb.copy()
    w_nb = integ.run_events(z_nb, offsets, times, alpha, beta, 0.0, 2e4)
    w_np = np.empty(times.size)
    kern.eigen_event_driven_reference(z_np, integ.rates, integ.kick, integ.readout, offsets, times, alpha, beta,
                                      False, 0.0, 0.0, 0.0, 2e4, w_np)
    np.testing.assert_allclose(z_nb, z_np, atol=1e-12)
    np.testing.assert_allclose(w_nb, w_np, atol=1e-12)
    # the kernel called directly, both builds (serial below PARALLEL_MIN_ROWS, parallel forced)
    for build in (kern.eigen_event_driven, kern.eigen_event_driven.parallel):
        z_direct, w_direct = integ.encode(np.zeros((n, M))), np.empty(times.size)
        build(z_direct, integ.rates, integ.kick, integ.readout, offsets, times, alpha, beta, False, 0.0, 0.0,
              0.0, 2e4, w_direct)
        np.testing.assert_allclose(z_direct, z_np, atol=1e-12)
        np.testing.assert_allclose(w_direct, w_np, atol=1e-12)
    # independent reference: per device, expm jumps between events with scipy
    for i in (0, 7, n - 1):
        u = np.zeros(M)
        t_prev = 0.0
        for e in range(offsets[i], offsets[i + 1]):
            u = scipy.linalg.expm(chains[i].operator() * (times[e] - t_prev)) @ u
            u[0] += alpha[e]
            assert u[0] == pytest.approx(w_nb[e], abs=1e-10)
            t_prev = times[e]
        u = scipy.linalg.expm(chains[i].operator() * (2e4 - t_prev)) @ u
        np.testing.assert_allclose(integ.decode(z_nb)[i], u, atol=1e-10)


def test_per_synapse_parameters_match_one_chain_at_a_time():
    n = 30
    chains = [LinearChain(CHAIN.capacities * f, CHAIN.couplings / f) for f in RNG.uniform(0.5, 2.0, n)]
    integ = EigenIntegrator(chains)
    u0 = RNG.normal(size=(n, M))
    alpha = RNG.normal(size=n)
    x = integ.encode(u0)
    integ.step(x, 1.3, alpha)
    for i in range(n):
        expected = chains[i].propagator(1.3) @ u0[i]
        expected[0] += alpha[i]
        np.testing.assert_allclose(integ.decode(x)[i], expected, atol=1e-12)


@pytest.mark.parametrize("bounds", [None, (-0.6, 0.6)])
@pytest.mark.parametrize("n", [300, 5000])  # serial and parallel builds
def test_fused_run_equals_repeated_steps(bounds, n):
    basis = CHAIN.eigenbasis
    clip, lo, hi = (bounds is not None, *(bounds or (0.0, 0.0)))
    steps = 25
    alpha = RNG.choice([-0.4, 0.0, 0.4], size=(steps, n))
    beta = RNG.uniform(0, 0.1, size=(steps, n))
    decay = np.exp(basis.rates * 0.6)[None]
    z0 = RNG.normal(scale=0.1, size=(n, M)) @ basis.to_modes.T
    z_run, z_ref, z_step = z0.copy(), z0.copy(), z0.copy()
    w_run, w_ref = np.empty((steps, n)), np.empty((steps, n))
    args = (decay, basis.kick[None], basis.readout[None])
    kern.eigen_run(z_run, *args, alpha, beta, clip, lo, hi, w_run)
    kern.eigen_run_reference(z_ref, *args, alpha, beta, clip, lo, hi, w_ref)
    w_step = np.empty(n)
    for t in range(steps):
        kern.eigen_step(z_step, *args, alpha[t], beta[t], clip, lo, hi, w_step)
        np.testing.assert_allclose(w_run[t], w_step, atol=1e-13)
    np.testing.assert_allclose(z_run, z_ref, atol=1e-13)
    np.testing.assert_allclose(w_run, w_ref, atol=1e-13)
    np.testing.assert_allclose(z_run, z_step, atol=1e-13)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 9), steps=st.integers(1, 30))
def test_closed_chain_kernel_conserves_charge_plus_events(seed, m, steps):
    # with the leak off, Σ C_k u_k changes only by C_1·Δu_1 at each event
    rng = np.random.default_rng(seed)
    g = rng.uniform(0.01, 2.0, m)
    g[-1] = 0.0
    chain = LinearChain(rng.uniform(0.1, 10.0, m), g)
    integ = EigenIntegrator(chain)
    u0 = rng.normal(size=(7, m))
    x = integ.encode(u0)
    alpha = rng.normal(size=(steps, 7))
    integ.run(x, rng.uniform(0.01, 100.0), alpha)
    expected = chain.total_charge(u0) + chain.capacities[0] * alpha.sum(axis=0)
    np.testing.assert_allclose(chain.total_charge(integ.decode(x)), expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("m", [1, 5, 10, 16])
@pytest.mark.parametrize("per_synapse", [False, True])
def test_eigen_step_builds_agree_exactly_with_reassociated_sums(m, per_synapse):
    """The step sums r·z with reassociation allowed (SIMD): the order is fixed when the kernel is
    compiled, so the parallel and serial builds must still give identical bits, and both agree
    with the NumPy reference to rounding (m·eps relative, the sum's worst case)."""
    rng = np.random.default_rng(m)
    n = 5000
    rows = n if per_synapse else 1
    decay, kick = rng.uniform(0.2, 1.0, (rows, m)), rng.normal(size=(rows, m))
    readout = np.asfortranarray(rng.normal(size=(rows, m)))  # a non-C-contiguous parameter is copied
    alpha, beta = rng.normal(size=n), rng.uniform(0, 0.1, n)
    z = rng.normal(size=(n, m))
    z_par, z_ser, z_ref = z.copy(), z.copy(), z.copy()
    w_par, w_ser, w_ref = np.empty(n), np.empty(n), np.empty(n)
    kern.eigen_step.parallel(z_par, decay, kick, readout, alpha, beta, False, 0.0, 0.0, w_par)
    kern.eigen_step.serial(z_ser, decay, kick, readout, alpha, beta, False, 0.0, 0.0, w_ser)
    kern.eigen_step_reference(z_ref, decay, kick, readout, alpha, beta, False, 0.0, 0.0, w_ref)
    assert np.array_equal(z_par, z_ser) and np.array_equal(w_par, w_ser)
    scale = np.abs(readout * decay * z).sum(axis=1) + np.abs(alpha)
    assert np.all(np.abs(w_ser - w_ref) <= 4 * m * np.finfo(float).eps * scale * (1 + np.abs(beta)))
    np.testing.assert_allclose(z_ser, z_ref, rtol=0, atol=8 * m * np.finfo(float).eps * scale.max() * np.abs(kick).max())
