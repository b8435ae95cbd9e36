"""The lazy-refresh staleness bound of the read path (neuromorph/crossbar/refresh.py).

After a refresh at t_0 the cache records S = max_n ΔG_n ρ_n Σ_k Λ_k |r_nk z_nk(t_0)| and claims
that no cell's conductance moves by more than L_s·Δt·S in the next Δt without events
(``ConductanceCache.drift_bound``). Checked here against the exact evolution of every cell's
chain, z_nk(t_0 + Δt) = e^{λ_nk Δt} z_nk(t_0), for random arrays, write histories, waits and
Δt from 10 ns to a day (hypothesis), on the shipped proton-transistor card (linear-clipped
channel, per-cell rates spread by the 5 % device variation, stuck cells) and on a sigmoid
reference-column card. The only slack granted is the rounding of the two exact conductances,
4ε·G_max. Then the bound must not be loose where it matters (right after writes, small Δt: within
10 % of the fastest actual drift on the shipped card), and lazy reads over random sequences of
reads, writes, waits and batches must stay within the tolerance of the exact reads.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuromorph.crossbar.refresh import DEFAULT_READ_TOLERANCE
from neuromorph.devices.channel import channel_transfer
from test_read_refresh import PT5, arrays, exact_conductances_at, sigmoid_card, train_some

EPS = np.finfo(float).eps


@pytest.fixture(scope="module")
def cards(tmp_path_factory):
    return {"pt5-differential": PT5, "sigmoid-reference-column": sigmoid_card(tmp_path_factory.mktemp("card"), 8, 6)}


def cell_conductances(array, z) -> np.ndarray:
    """G of every plastic cell (N_cells,) from a mode-space state z, independently of the cache:
    u_1 = Σ_k r_k z_k, G = G_min + ΔG·s(u_1), stuck cells at their stuck value."""
    cells, integ = array._cells, array.population.integrator
    u1 = np.sum(np.broadcast_to(integ.readout, z.shape) * z, axis=1)
    g = cells.g_min_s + (cells.g_max_s - cells.g_min_s) * channel_transfer(u1, array.transfer)
    g[cells.stuck] = cells.stuck_value_s
    return g


def exact_drift(array, dt_units: float) -> np.ndarray:
    """|G_n(t_0 + Δt) − G_n(t_0)| of every cell, the chains evolved exactly from the cache's state."""
    z0 = array.population.x
    z1 = z0 * np.exp(array.population.integrator.rates * dt_units)
    return np.abs(cell_conductances(array, z1) - cell_conductances(array, z0))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(["pt5-differential", "sigmoid-reference-column"]),
       n_in=st.integers(1, 8), n_out=st.integers(1, 6), writes=st.integers(0, 4),
       wait_s=st.sampled_from([0.0, 1e-3, 3.0, 600.0, 3e4]), seed=st.integers(0, 2**16),
       log_dt=st.floats(-8.0, 5.0))
def test_no_cell_moves_more_than_the_bound(cards, which, n_in, n_out, writes, wait_s, seed, log_dt):
    (a,) = arrays(cards[which], n_in, n_out, (DEFAULT_READ_TOLERANCE,))
    rng = np.random.default_rng(seed)
    train_some([a], writes, rng)
    a.wait(wait_s)
    a.conductances()                      # a refresh now: records S, the chains sit at t_0
    cache = a._g_cache
    assert cache._time_s == a.time_s == a.population.time_s
    dt_s = 10.0**log_dt
    moved = exact_drift(a, dt_s / a.population.time_unit_s)
    bound = cache.drift_bound(dt_s) * a.layout.delta_g_s
    rounding = 4 * EPS * a._cells.g_max_s.max()
    assert moved.max() <= bound + rounding, (moved.max(), bound)


def test_the_bound_is_within_10_percent_of_the_fastest_drift_after_writes():
    """64 × 64 weights of the shipped card, one write, Δt = one read slot: the bound is the
    fastest cell's actual change to first order (its chain's modes all relax the same way after
    a kick, so no |·| is loose), and the earlier bound (max ΔG · max Σ_k Λ_k|r z|, from different
    cells) was ≥ 1.5x looser."""
    (a,) = arrays(PT5, 64, 64, (DEFAULT_READ_TOLERANCE,))
    train_some([a], 1, np.random.default_rng(0))
    a.conductances()
    cache, dt_s = a._g_cache, a.t_read
    moved = exact_drift(a, dt_s / a.population.time_unit_s).max()
    bound = cache.drift_bound(dt_s) * a.layout.delta_g_s
    assert moved <= bound <= 1.1 * moved, (moved, bound)
    integ = a.population.integrator
    terms = np.abs(np.broadcast_to(integ.readout, a.population.x.shape) * a.population.x)
    old = cache._gain * cache._span.max() * (terms @ cache._rate_max).max() * dt_s * a.layout.delta_g_s
    assert old >= 1.5 * bound, (old, bound)


OPS = st.lists(st.sampled_from(["read", "read", "read", "read", "write", "wait", "batch", "transposed"]),
               min_size=5, max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(["pt5-differential", "sigmoid-reference-column"]), ops=OPS, seed=st.integers(0, 2**16))
def test_lazy_reads_stay_within_the_tolerance_over_random_sequences(cards, which, ops, seed):
    """A lazy array and an exact one (tolerance 0) get the same calls; after every read the
    conductances the lazy read used are within 1e-6·ΔG (+ rounding, 4ε·G_max) of the exact
    ones at that read's time."""
    lazy, exact = arrays(cards[which], 8, 6, (DEFAULT_READ_TOLERANCE, 0.0))
    rng = np.random.default_rng(seed)
    train_some([lazy, exact], 1, rng)
    dg, rounding = lazy.layout.delta_g_s, 4 * EPS * lazy._cells.g_max_s.max()
    for op in ops:
        if op == "write":
            train_some([lazy, exact], 1, rng)
            continue
        if op == "wait":
            dt = float(rng.choice([1e-5, 1e-3, 0.5, 100.0]))
            for a in (lazy, exact):
                a.wait(dt)
            continue
        transposed = op == "transposed"
        shape = (lazy.n_out if transposed else lazy.n_in,) + ((4,) if op == "batch" else ())
        x = rng.uniform(-1, 1, shape)
        for a in (lazy, exact):
            a.read(x, transposed=transposed)
        t_read = lazy.time_s - (shape[1] if len(shape) > 1 else 1) * lazy.t_read
        g_lazy, _ = lazy._g_cache.get(t_read, lazy._version)       # what the lazy read used
        g_exact = exact_conductances_at(exact, t_read)
        assert np.max(np.abs(g_lazy - g_exact)) <= DEFAULT_READ_TOLERANCE * dg + rounding
