"""The fused per-batch tile update: kernel vs NumPy reference, and update_batch vs B sequential
update() calls of the same array (same draws, same relaxation between the writes)."""

import copy
from pathlib import Path

import numpy as np
import pytest

from neuromorph.crossbar import CrossbarArray, load_crossbar
from neuromorph.kernels.training import batch_pulse_step, batch_pulse_step_reference

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("clip", [False, True])
def test_batch_kernel_matches_numpy_reference(mode, clip):
    rng = np.random.default_rng(mode)
    n, m, b = 300, 4, 7
    z = rng.normal(size=(n, m))
    decay_first = np.exp(-rng.uniform(0, 0.5, size=(1, m)))
    log_decay_slot = -rng.uniform(0, 0.1, size=(n, m))            # per-cell (variation)
    readout = rng.normal(size=(1, m))
    kick = rng.normal(size=(n, m))
    kick /= kick @ readout.T          # an event of size Δ moves u_1 = r·z by Δ (r·kick = 1), as in a chain
    counts = rng.integers(-5, 6, size=(b, n)).astype(np.int32)
    counts[rng.random((b, n)) < 0.6] = 0                            # sparse, as stochastic updates are
    rate = rng.uniform(0.01, 0.2, size=n)
    xi = rng.normal(size=(b, n))
    args = (decay_first, log_decay_slot, kick, readout, counts, rate, 0.7, mode, 0.05, xi, clip, -1.5, 1.5)
    z_ref, u_ref = z.copy(), np.empty(n)
    batch_pulse_step_reference(z_ref, *args, u_ref)
    z_fast, u_fast = z.copy(), np.empty(n)
    batch_pulse_step(z_fast, *args, u_fast)
    # slot-by-slot products vs one e^{g λ Δt} per gap, einsum vs loop: rounding only
    np.testing.assert_allclose(z_fast, z_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(u_fast, u_ref, rtol=1e-12, atol=1e-12)
    assert not np.allclose(z_fast, z)


@pytest.mark.parametrize("card", ["crossbar_16x16_pt5.yaml", "crossbar_32x32_bf8.yaml"])
@pytest.mark.parametrize("fused", [True, False])
def test_update_batch_equals_sequential_rank_one_updates(card, fused):
    config = load_crossbar(ROOT / "circuits" / card, rows=8, columns=5)
    rng = np.random.default_rng(1)
    w0 = rng.uniform(-0.3, 0.3, size=(8, 5))
    x = rng.uniform(-1, 1, size=(6, 8))
    d = rng.uniform(-1, 1, size=(6, 5))
    eta = 0.5 * config.card.write.learning_rate
    one, batch = CrossbarArray(config, seed=4), CrossbarArray(config, seed=4)
    for arr in (one, batch):
        arr.set_weights(w0)
        arr.wait(3.0)
    pulses = 0
    for b in range(6):
        result = one.update(x[b], d[b], eta)
        pulses += int(np.abs(one.cell_counts(result.counts)).sum())
    got = batch.update_batch(x, d, eta, fused=fused)
    assert batch.time_s == pytest.approx(one.time_s, rel=1e-15)
    assert got.pulses == pulses > 0
    # decay factors for one slot are computed once instead of from accumulated times: rounding only
    np.testing.assert_allclose(batch.weights(), one.weights(), rtol=1e-10, atol=1e-12)
    assert not np.allclose(batch.weights(), w0, atol=1e-3)


def test_update_batch_relaxes_between_writes():
    """With a leaky device the first write of a batch has relaxed for B-1 slots by the end:
    the result differs from writing the summed counts at once."""
    config = load_crossbar(ROOT / "circuits" / "crossbar_32x32_bf8.yaml", rows=4, columns=3)
    a, b = CrossbarArray(config, seed=0), CrossbarArray(config, seed=0)
    x = np.full((8, 4), 0.5)
    d = np.full((8, 3), 0.5)
    result = a.update_batch(x, d, 0.2)          # 0.2 * 0.25 / dw_min(0.05) = 1 pulse per weight and write
    assert np.all(result.counts == 1)
    wa = a.weights()
    b.apply_pulses(b.cell_counts(np.full((4, 3), 8)))   # the same 8 pulses in one slot
    b.wait(7 * b.t_update)
    wb = b.weights()
    assert 0 < wb.max() < 0.9                             # below saturation (u_1 range +-20)
    # later writes had less time to spread into the deeper compartments: u_1 (the weight) is higher
    assert np.all(wa > wb * 1.005)


@pytest.mark.parametrize("differential", [True, False])
def test_cell_scatter_and_noise_fill_match_their_references(differential):
    from neuromorph.kernels.training import (fill_pulse_noise, fill_pulse_noise_reference, scatter_cell_counts,
                                             scatter_cell_counts_reference)

    rng = np.random.default_rng(3)
    counts = rng.integers(-3, 4, size=(7, 5)).astype(np.int32)
    n = 7 * (10 if differential else 5)
    stuck = rng.random(n) < 0.2
    fast, ref = np.empty(n, np.int32), np.empty(n, np.int32)
    assert scatter_cell_counts(counts, differential, stuck, fast) == \
        scatter_cell_counts_reference(counts, differential, stuck, ref)
    np.testing.assert_array_equal(fast, ref)
    draws = rng.normal(size=np.count_nonzero(ref))
    xi_fast, xi_ref = np.zeros(n), np.zeros(n)
    fill_pulse_noise(fast, draws, xi_fast)
    fill_pulse_noise_reference(ref, draws, xi_ref)
    np.testing.assert_array_equal(xi_fast, xi_ref)
