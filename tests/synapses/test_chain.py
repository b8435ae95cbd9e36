"""The linear chain against independent references: scipy's expm and solve_ivp, the analytic
single compartment, and charge conservation of the closed chain."""

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from neuromorph.synapses.chain import LinearChain


def geometric_chain(m, c_ratio=2.0, g_ratio=0.5, leak=True):
    g = 0.25 * g_ratio ** np.arange(m)
    if not leak:
        g[-1] = 0.0
    return LinearChain(c_ratio ** np.arange(m), g)


def test_operator_is_the_communicating_vessels_equation():
    # C_k du_k/dt = g_{k-1,k}(u_{k-1}-u_k) + g_{k,k+1}(u_{k+1}-u_k), written out for m = 3
    c, g = np.array([1.0, 2.0, 4.0]), np.array([0.5, 0.25, 0.1])
    u = np.array([0.3, -0.7, 1.1])
    by_hand = np.array([
        g[0] * (u[1] - u[0]) / c[0],
        (g[0] * (u[0] - u[1]) + g[1] * (u[2] - u[1])) / c[1],
        (g[1] * (u[1] - u[2]) + g[2] * (0.0 - u[2])) / c[2],
    ])
    np.testing.assert_allclose(LinearChain(c, g).operator() @ u, by_hand, rtol=1e-14)


@pytest.mark.parametrize("m", [1, 2, 5, 12])
@pytest.mark.parametrize("dt", [1e-3, 0.7, 50.0])
def test_propagator_matches_scipy_expm(m, dt):
    chain = geometric_chain(m)
    # eigenbasis vs Padé scaling-and-squaring: agree to ~1e-12 of the largest entry (=1)
    np.testing.assert_allclose(chain.propagator(dt), scipy.linalg.expm(chain.operator() * dt), atol=1e-12)


def test_eigenvalues_match_dense_solver():
    chain = geometric_chain(10)
    dense = np.sort(np.linalg.eigvals(chain.operator()).real)
    np.testing.assert_allclose(np.sort(chain.eigenbasis.rates), dense, rtol=1e-9)
    np.testing.assert_allclose(np.sort(chain.timescales()), np.sort(-1.0 / dense), rtol=1e-9)


def test_eigenbasis_transforms_are_inverse():
    basis = geometric_chain(8).eigenbasis
    np.testing.assert_allclose(basis.to_state @ basis.to_modes, np.eye(8), atol=1e-12)
    assert basis.readout @ basis.kick == pytest.approx(1.0, abs=1e-12)


def test_single_compartment_decays_exponentially():
    # C du/dt = -g u  →  u(t) = u0 exp(-g t / C), τ = C/g
    chain = LinearChain([3.0], [0.5], time_unit_s=2.0)
    t = np.linspace(0, 20, 7)
    np.testing.assert_allclose(chain.response_to_unit_event(t), np.exp(-0.5 * t / 3.0), rtol=1e-14)
    assert chain.timescales()[0] == pytest.approx(6.0 * 2.0)  # τ in seconds = 6 time units × 2 s


def test_response_matches_solve_ivp():
    chain = geometric_chain(6)
    t_eval = np.logspace(-1, 4, 30)
    sol = scipy.integrate.solve_ivp(lambda t, u: chain.operator() @ u, (0, t_eval[-1]), np.eye(6)[0],
                                    t_eval=t_eval, method="Radau", rtol=1e-11, atol=1e-14)
    # Radau at rtol 1e-11: agreement to 1e-8 absolute on a response of order 1e-2..1
    np.testing.assert_allclose(chain.response_to_unit_event(t_eval), sol.y[0], atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(
    capacities=st.lists(st.floats(0.1, 100.0), min_size=1, max_size=8),
    seed=st.integers(0, 2**32 - 1),
    dt=st.floats(1e-3, 1e3),
)
def test_closed_chain_conserves_charge(capacities, seed, dt):
    rng = np.random.default_rng(seed)
    m = len(capacities)
    g = rng.uniform(0.01, 10.0, size=m)
    g[-1] = 0.0  # no leak
    chain = LinearChain(capacities, g)
    u0 = rng.normal(size=m)
    u1 = chain.propagator(dt) @ u0
    # Σ C_k u_k is invariant: relative error at rounding level of the propagator
    assert chain.total_charge(u1) == pytest.approx(chain.total_charge(u0), rel=1e-9, abs=1e-9)


def test_closed_chain_equilibrates_to_the_capacity_weighted_mean():
    chain = geometric_chain(5, leak=False)
    u0 = np.array([1.0, 0, 0, 0, 0])
    assert chain.timescales()[0] == np.inf  # the conserved mode
    final = chain.propagator(1e6) @ u0  # > 3000 × the slowest finite timescale (~290)
    np.testing.assert_allclose(final, np.full(5, 1.0 / chain.capacities.sum()), rtol=1e-9)


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(capacities=[1.0, -1.0], couplings=[1.0, 1.0]), "capacities must be finite and > 0"),
    (dict(capacities=[1.0, 1.0], couplings=[1.0]), "one entry per variable"),
    (dict(capacities=[1.0, 1.0], couplings=[0.0, 1.0]), "split in two"),
    (dict(capacities=[1.0], couplings=[-1.0]), "couplings must be finite and >= 0"),
])
def test_unphysical_chains_are_refused(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        LinearChain(**kwargs)


@pytest.mark.parametrize("row, column, value, fragment", [
    ("capacities", 1, 0.0, "capacities must be finite and > 0"),
    ("capacities", 2, -1.0, "capacities must be finite and > 0"),
    ("capacities", 0, np.nan, "capacities must be finite and > 0"),
    ("capacities", 3, np.inf, "capacities must be finite and > 0"),
    ("couplings", 3, -1e-9, "couplings must be finite, >= 0"),
    ("couplings", 0, np.nan, "couplings must be finite, >= 0"),
    ("couplings", 3, np.inf, "couplings must be finite, >= 0"),
    ("couplings", 1, 0.0, "non-zero inside the chain"),
])
def test_unphysical_chain_batches_are_refused(row, column, value, fragment):
    """One bad entry among 200 chains (checked by min/max reductions, NaN included) is refused;
    a closed chain (leak 0) is not."""
    from neuromorph.synapses.chain import ChainBatch

    arrays = {"capacities": np.ones((200, 4)), "couplings": np.ones((200, 4))}
    arrays["couplings"][7, -1] = 0.0  # a closed chain is fine
    ChainBatch(**arrays)
    arrays[row][123, column] = value
    with pytest.raises(ValueError, match=fragment):
        ChainBatch(**arrays)


def test_batched_eigenbasis_matches_chain_by_chain():
    rng = np.random.default_rng(9)
    caps = rng.uniform(0.5, 4.0, size=(50, 5))
    gs = rng.uniform(0.05, 1.0, size=(50, 5))
    gs[3, -1] = 0.0  # one closed chain among them
    from neuromorph.synapses.chain import ChainBatch

    batch = ChainBatch(caps, gs)
    for i in (0, 3, 49):
        single = LinearChain(caps[i], gs[i])
        np.testing.assert_allclose(batch.eigenbasis.rates[i], single.eigenbasis.rates, rtol=1e-10, atol=1e-14)
        # eigenvectors are defined up to sign: compare the propagators they build
        b = batch.eigenbasis
        prop = (b.to_state[i] * np.exp(b.rates[i] * 0.8)) @ b.to_modes[i]
        np.testing.assert_allclose(prop, scipy.linalg.expm(single.operator() * 0.8), atol=1e-12)
        np.testing.assert_allclose(batch.timescales()[i], single.timescales(), rtol=1e-10)


def test_batch_integrator_needs_no_eigenvectors_until_it_changes_representation():
    """An eigen integrator over a ChainBatch takes rates, kick and readout from
    ChainBatch.modes (O(N·m) memory; Newton on the Sturm recurrence) — the rows of the full QL
    eigenbasis to rounding: rates within 1e-14·‖S‖ (both backward stable, Weyl), first
    components within the Davis–Kahan bound 100·m·ε·‖S‖/gap, same sign — and decomposes the
    (N, m, m) transforms only when encode/decode need them; stepping from the lazily encoded state
    agrees with expm (1e-12, rounding of 20 steps)."""
    from neuromorph.synapses.chain import ChainBatch
    from neuromorph.synapses.integrators import EigenIntegrator

    rng = np.random.default_rng(7)
    caps = 2.0 ** np.arange(4) * rng.uniform(0.8, 1.2, (30, 4))
    gs = 0.5 ** np.arange(4) * rng.uniform(0.8, 1.2, (30, 4))
    lazy_batch, full_batch = ChainBatch(caps, gs), ChainBatch(caps, gs)
    full = full_batch.eigenbasis
    integ = EigenIntegrator(lazy_batch)
    assert "eigenbasis" not in lazy_batch.__dict__
    norm = np.abs(full.rates).max(axis=1, keepdims=True)
    assert np.all(np.abs(integ.rates - full.rates) <= 1e-14 * norm)
    gaps = np.diff(full.rates, axis=1)
    gap = np.minimum(np.concatenate([gaps, gaps[:, -1:]], axis=1), np.concatenate([gaps[:, :1], gaps], axis=1))
    bound = 100 * 4 * np.finfo(float).eps * norm / gap  # on the first components v_1k
    root = np.sqrt(caps[:, :1])
    assert np.all(np.abs(integ.kick - full.kick) <= bound * root)
    assert np.all(np.abs(integ.readout - full.readout) <= bound / root)
    u0 = rng.normal(size=(30, 4))
    x = integ.encode(u0)
    assert "eigenbasis" in lazy_batch.__dict__
    for _ in range(20):
        integ.step(x, 0.3, 0.0)
    for i in (0, 17, 29):
        expected = scipy.linalg.expm(LinearChain(caps[i], gs[i]).operator() * 6.0) @ u0[i]
        np.testing.assert_allclose(integ.decode(x)[i], expected, atol=1e-12)
