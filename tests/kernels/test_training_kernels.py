"""The per-pulse arithmetic of the fused tile write (neuromorph.kernels.training, .pulse_gain): the soft
model's gain from the cached one-pulse table a = 1 − e^{−r} is pulse_delta's, bit for bit; the
kernel's frame table taken g₀ slots before the batch (powered by the slot decay) gives what the
NumPy reference gives; the order in which a row's weights are written changes nothing."""

import numpy as np
import pytest

from neuromorph.crossbar import write
from neuromorph.kernels.crossbar import pulse_delta
from neuromorph.kernels.pulse_streams import write_subkeys
from neuromorph.kernels.pulse_gain import _cell_delta, _power, one_pulse_gain, one_pulse_gain_reference
from neuromorph.kernels.training import batch_write, batch_write_reference


@pytest.mark.parametrize("sigma", [0.0, 0.02])
@pytest.mark.parametrize("clip", [False, True])
def test_soft_gain_from_the_cached_table_is_pulse_delta_bit_for_bit(sigma, clip):
    """k = 1: a + σ·a·ξ performs pulse_delta's operations (−expm1(−1·r) = a, e^{−0·r} = √1 = 1
    exactly); k > 1: the same expression with a read from the table. Equality is exact (0 ulp),
    for both polarities, over rates from 1e-4 to 3 and states inside and beyond the bounds."""
    rng = np.random.default_rng(0)
    for _ in range(400):
        r = 10.0 ** rng.uniform(-4, 0.5)
        table = np.empty(1)
        one_pulse_gain(np.array([r]), table)
        a = table[0]
        u1, xi = rng.uniform(-2, 2), rng.normal()
        for c in (1, -1, 2, -3, 7, -31):
            want = pulse_delta(c, u1, r, 0.7, 1, sigma, xi, clip, -1.5, 1.5)
            got = _cell_delta(c, u1, r, a, 0.7, 1, sigma, xi, clip, -1.5, 1.5)
            assert got == want, (c, r, u1, xi)
    # the other modes go through pulse_delta itself (the table is not read)
    for mode in (0, 2):
        assert _cell_delta(3, 0.2, 0.1, np.nan, 0.7, mode, sigma, 0.5, clip, -1.5, 1.5) == \
            pulse_delta(3, 0.2, 0.1, 0.7, mode, sigma, 0.5, clip, -1.5, 1.5)


def _case(rng, slot_offset, n_in=30, n_out=9, b=5, m=5, spread=0):
    """A differential, stochastic batch with per-cell chains (variation) and 10 % stuck cells;
    the cells' frame rows at slots 0 … ``spread`` (rows moved by earlier pulses)."""
    n = n_in * 2 * n_out
    z = rng.normal(size=(n, m))
    readout = rng.uniform(0.5, 1.5, size=(n, m))
    kick = rng.uniform(0.5, 1.5, size=(n, m))
    kick /= np.sum(kick * readout, axis=1, keepdims=True)
    rate = rng.uniform(0.01, 0.2, size=n)
    x = rng.uniform(-1, 1, size=(b, n_in)) * (rng.random((b, n_in)) < 0.8)
    d = rng.uniform(-1, 1, size=(b, n_out))
    dw, eta, bl = 0.01, 0.2, 31
    keys = np.empty((b, 3), np.uint64)
    write_subkeys(rng.integers(0, 2**63, size=b).astype(np.uint64), keys)
    rows_w, cols_w, rs, cs = write.pulse_trains(x, d, write.probability_scale(1.0, 1.0, eta, dw, bl), bl, keys)
    decay_first = np.exp(-rng.uniform(0, 0.5, size=(n, m)))
    frame_slot = rng.integers(0, spread + 1, size=n)
    decay_slot = np.exp(-rng.uniform(0, 0.01, size=(n, m)))
    head = (decay_first, frame_slot, decay_slot, slot_offset, kick, readout, rate, -np.expm1(-rate), 0.7, 1, 0.05,
            True, -1.5, 1.5, True, rows_w, cols_w, rs, cs, x, d, np.abs(d).max(axis=1), eta, dw, bl,
            np.zeros((1, 1), np.int32), np.zeros(1, np.int64), np.ascontiguousarray(keys[:, 2]), True,
            rng.random(n) < 0.1, True)
    return z, head, (b, n_in, n_out)


def _run(kernel, z, head, shape):
    """(state, counts, pulses, clipped, frame table, frame slots) after the batch (inputs copied)."""
    z = z.copy()
    table, slots = head[0].copy(), head[1].copy()
    counts = np.empty(shape, np.int32)
    pulses, clipped = np.empty(shape[1], np.int64), np.empty(shape[1], np.int64)
    kernel(z, table, slots, *head[2:], counts, pulses, clipped)
    return z, counts, pulses, clipped, table, slots


@pytest.mark.parametrize("slot_offset,spread", [(0, 0), (1, 0), (6, 3), (255, 0), (0, 7)])
def test_frame_table_powered_by_the_slot_gap_matches_the_reference(slot_offset, spread):
    """Kernel (F = row ⊙ slot^(g − s_n) by binary powering, a division when the row is ahead of
    the write, ≤ 2·log₂|gap| products; the row then moves to the pulse's slot) vs NumPy
    reference (row ⊙ slot**(g₀ − s_n), then slot by slot, rows moved at the end): counts,
    pulses and table slots exact; states and table rows to 1e-12 relative and absolute — a few
    ulp per product on |z| ≲ 10; e^{-0.01·260} keeps F ≥ 0.07 (no amplification by 1/F beyond
    ~15)."""
    rng = np.random.default_rng(slot_offset + 100 * spread)
    z, head, shape = _case(rng, slot_offset, spread=spread)
    fast = _run(batch_write.serial, z, head, shape)
    ref = _run(batch_write_reference, z, head, shape)
    for a, b in zip(fast[1:4], ref[1:4]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fast[5], ref[5])
    np.testing.assert_allclose(fast[0], ref[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast[4], ref[4], rtol=1e-12, atol=0)
    assert fast[2].sum() > 0 and not np.allclose(fast[0], z)
    moved = fast[5] != head[1]
    assert moved.any() and np.all(fast[5][moved] >= slot_offset)


def test_the_slot_offset_is_the_same_as_a_frame_taken_later():
    """g₀ slots of offset with table T equal offset 0 with the table T ⊙ slot^g₀ (the frame one
    would have built g₀ slots later): the same numbers to rounding (1e-13 relative)."""
    rng = np.random.default_rng(11)
    z, head, shape = _case(rng, 9)
    later = list(head)
    later[0] = head[0] * head[2] ** 9
    later[3] = 0
    a = _run(batch_write.serial, z, head, shape)
    b = _run(batch_write.serial, z, tuple(later), shape)
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_allclose(a[0], b[0], rtol=1e-13, atol=1e-13)


def test_one_pulse_gain_table_matches_its_reference():
    """libm's and NumPy's expm1 agree to ~1 ulp (2e-16 relative; 1e-15 allowed)."""
    rate = 10.0 ** np.random.default_rng(2).uniform(-6, 1, 5000)
    fast, ref = np.empty_like(rate), np.empty_like(rate)
    one_pulse_gain(rate, fast)
    one_pulse_gain_reference(rate, ref)
    np.testing.assert_allclose(fast, ref, rtol=1e-15, atol=0)


@pytest.mark.parametrize("gap", [1, 2, 5, 7, 8, 13])
def test_a_row_behind_the_write_is_powered_as_binary_powering_bit_for_bit(gap):
    """One write on rows ``gap`` slots behind it (gaps below 8 take a branch-free selection of
    the squares, larger ones the loop) writes exactly what rows already moved forward by
    _power(slot, gap) write: the same products in the same order (multiplying by 1.0 is exact).
    (Over several writes the two differ at rounding: a row moved twice carries two products.)"""
    rng = np.random.default_rng(gap)
    z, head, shape = _case(rng, 20, b=1)
    behind = list(head)
    behind[1] = np.full(z.shape[0], 20 - gap, dtype=np.int64)
    moved = list(head)
    moved[1] = np.full(z.shape[0], 20, dtype=np.int64)
    table, slot = head[0], head[2]
    moved[0] = np.array([[f * _power(s, gap) for f, s in zip(fr, sr)] for fr, sr in zip(table, slot)])
    a = _run(batch_write.serial, z, tuple(behind), shape)
    b = _run(batch_write.serial, z, tuple(moved), shape)
    np.testing.assert_array_equal(a[0], b[0])
    pulsed = a[5] == 20                 # the rows the write moved hold the same F
    assert pulsed.any()
    np.testing.assert_array_equal(a[4][pulsed], b[4][pulsed])
