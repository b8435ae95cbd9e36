"""The fused per-batch tile write: kernel vs NumPy reference (same trains, same noise, lazy vs
slot-by-slot relaxation), update_batch vs B sequential update() calls of the same array (same
draws), independence of the thread count, and relaxation between the writes of a batch."""

import copy
from pathlib import Path

import numpy as np
import pytest

from neuromorph.crossbar import CrossbarArray, load_crossbar, write
from neuromorph.kernels import set_thread_count, thread_count
from neuromorph.kernels.pulse_streams import write_subkeys
from neuromorph.kernels.training import batch_write, batch_write_reference

ROOT = Path(__file__).resolve().parents[2]


def _batch_case(rng, mode, clip, differential, stochastic, shared, n_in=40, n_out=7, b=9, m=4, bl=31,
                slot_offset=3):
    """Kernel arguments of one batch on a synthetic array: chains with a kick normalised so that an
    event of size Δ moves u_1 = r·z by Δ (r·kick = 1, as in a chain), 10 % stuck cells, inputs
    with zeros (rows and columns that fire nothing); the frame table taken ``slot_offset`` slots
    before the batch (the kernel powers the slot decay from there)."""
    lines = 2 * n_out if differential else n_out
    n = n_in * lines
    rows = 1 if shared else n
    z = rng.normal(size=(n, m))
    decay_first = np.exp(-rng.uniform(0, 0.5, size=(rows, m)))
    decay_slot = np.exp(-rng.uniform(0, 0.1, size=(rows, m)))
    readout = rng.uniform(0.5, 1.5, size=(1, m))
    kick = rng.uniform(0.5, 1.5, size=(n, m))
    kick /= kick @ readout.T      # no cancellation in r·kick: |z| stays O(1) (rounding is what is tested)
    rate = rng.uniform(0.01, 0.2, size=rows)
    x = rng.uniform(-1, 1, size=(b, n_in)) * (rng.random((b, n_in)) < 0.7)
    d = rng.uniform(-1, 1, size=(b, n_out)) * (rng.random((b, n_out)) < 0.8)
    dw, eta = 0.01, 0.2
    keys = np.empty((b, 3), np.uint64)
    write_subkeys(rng.integers(0, 2**63, size=b).astype(np.uint64), keys)
    if stochastic:
        c = write.probability_scale(1.0, 1.0, eta, dw, bl)
        rows_w, cols_w, rs, cs = write.pulse_trains(x, d, c, bl, keys)
    else:
        rows_w = cols_w = np.zeros((1, 1, 1), np.uint64)
        rs = cs = np.zeros((1, 1), np.int8)
    nonzero = d != 0
    col_list = np.ascontiguousarray(np.argsort(~nonzero, axis=1, kind="stable").astype(np.int32))
    stuck = rng.random(n) < 0.1
    head = (decay_first, np.zeros(rows, np.int64), decay_slot, slot_offset, kick, readout, rate, -np.expm1(-rate),
            0.7, mode, 0.05, clip, -1.5, 1.5,
            stochastic, rows_w, cols_w, rs, cs, x, d, np.abs(d).max(axis=1), eta, dw, bl, col_list,
            nonzero.sum(axis=1), np.ascontiguousarray(keys[:, 2]), differential, stuck, True)
    return z, head, (b, n_in, n_out)


def _run(kernel, z, head, shape):
    z = z.copy()
    head = (head[0].copy(), head[1].copy()) + tuple(head[2:])      # the kernel moves per-cell frame rows
    counts = np.empty(shape, np.int32)
    pulses, clipped = np.empty(shape[1], np.int64), np.empty(shape[1], np.int64)
    kernel(z, *head, counts, pulses, clipped)
    return z, counts, pulses, clipped


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("differential,stochastic,shared", [(True, True, False), (False, True, True),
                                                            (True, False, True), (False, False, False)])
def test_batch_kernel_matches_numpy_reference(mode, clip, differential, stochastic, shared):
    """Same pulse counts, pulses and clipped counters (integers: exact); states (in the frame of
    the population's clock) to 1e-12 relative, 1e-12 absolute: e^{λ(t_s − t_0)}·(e^{λΔt})^b by
    binary powering and the kick divided by it, vs slot-by-slot decay of every cell and one
    division at the end — rounding only, a few ulp per slot of |z| ≲ 10 (the absolute floor is
    for entries near zero)."""
    rng = np.random.default_rng(mode + 3 * clip + 7 * differential + 11 * stochastic)
    z, head, shape = _batch_case(rng, mode, clip, differential, stochastic, shared)
    fast = _run(batch_write, z, head, shape)
    ref = _run(batch_write_reference, z, head, shape)
    for a, b in zip(fast[1:4], ref[1:4]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(fast[0], ref[0], rtol=1e-12, atol=1e-12)
    assert fast[2].sum() > 0 and np.count_nonzero(fast[1]) > 0
    assert not np.allclose(fast[0], z)
    if not stochastic:  # η·|x δ|/Δw_min reaches 20 > BL + ½ for none, so the counts are the rounded products
        assert fast[3].sum() == 0


def test_clipped_weights_are_counted_as_the_intended_count_over_the_bit_length():
    rng = np.random.default_rng(5)
    z, head, shape = _batch_case(rng, 1, True, True, False, True, bl=6)
    head = list(head)
    fast = _run(batch_write, z, head, shape)
    ref = _run(batch_write_reference, z, head, shape)
    x, d, eta, dw = head[19], head[20], head[22], head[23]
    expected = np.count_nonzero(np.abs(eta * (x[:, :, None] * d[:, None, :])) / dw > 6.5)
    assert fast[3].sum() == ref[3].sum() == expected > 0
    assert np.abs(fast[1]).max() == 6


def test_batch_kernel_does_not_depend_on_the_thread_count():
    """The parallel build with 1 and with all threads, and the serial build: bit-identical."""
    rng = np.random.default_rng(8)
    z, head, shape = _batch_case(rng, 1, True, True, True, False, n_in=400, n_out=8)
    assert z.shape[0] >= 4096
    before = thread_count()
    try:
        set_thread_count(1)
        one = _run(batch_write.parallel, z, head, shape)
        set_thread_count(None)
        many = _run(batch_write.parallel, z, head, shape)
    finally:
        set_thread_count(before)
    serial = _run(batch_write.serial, z, head, shape)
    for a, b, c in zip(one, many, serial):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("card", ["crossbar_16x16_pt5.yaml", "crossbar_32x32_bf8.yaml"])
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("scheme", ["stochastic", "deterministic"])
def test_update_batch_equals_sequential_rank_one_updates(card, fused, scheme):
    """Write b of a batch takes the b-th write key of the stream, as the b-th update() call does:
    the same counts (exact) and, relaxation by one (e^{λΔt})^g per gap instead of slot by slot,
    the same weights to rounding (1e-10 relative, 1e-12 absolute on |w| ≲ 1)."""
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
    pulses, counts = 0, []
    for b in range(6):
        result = one.update(x[b], d[b], eta, scheme)
        counts.append(result.counts)
        pulses += int(np.abs(one.cell_counts(result.counts)).sum())
    got = batch.update_batch(x, d, eta, scheme, fused=fused)
    np.testing.assert_array_equal(got.counts, np.array(counts))
    assert batch.time_s == pytest.approx(one.time_s, rel=1e-15)
    assert got.pulses == pulses > 0
    np.testing.assert_allclose(batch.weights(), one.weights(), rtol=1e-10, atol=1e-12)
    assert not np.allclose(batch.weights(), w0, atol=1e-3)
    # and the streams continue identically: one more write on each
    np.testing.assert_array_equal(one.update(x[0], d[0], eta, scheme).counts,
                                  batch.update_batch(x[:1], d[:1], eta, scheme).counts[0])


def test_update_batch_without_counts_writes_the_same():
    config = load_crossbar(ROOT / "circuits" / "crossbar_16x16_pt5.yaml", rows=12, columns=6)
    rng = np.random.default_rng(2)
    x, d = rng.uniform(0, 1, size=(10, 12)), rng.uniform(-1, 1, size=(10, 6))
    a, b = CrossbarArray(config, seed=1), CrossbarArray(config, seed=1)
    ra = a.update_batch(x, d, 0.05)
    rb = b.update_batch(x, d, 0.05, keep_counts=False)
    assert rb.counts is None and (ra.pulses, ra.clipped) == (rb.pulses, rb.clipped)
    np.testing.assert_array_equal(a.u1(), b.u1())


def test_writes_do_not_depend_on_when_the_chains_are_advanced():
    """Batches written with a read (which advances every cell to the array's time) after each,
    and the same batches with no reads — the cells stay in the frame of an older clock, and the
    long waits (200 s ≫ 40 τ_fastest = 100 s of the Benna–Fusi card) force the advance that
    bounds that frame: the same weights to 1e-12 of |w| ≲ 1 (rounding of the frame changes)."""
    config = load_crossbar(ROOT / "circuits" / "crossbar_32x32_bf8.yaml", rows=10, columns=4)
    rng = np.random.default_rng(3)
    batches = [(rng.uniform(0, 1, size=(16, 10)), rng.uniform(-1, 1, size=(16, 4))) for _ in range(4)]
    read, unread = CrossbarArray(config, seed=2), CrossbarArray(config, seed=2)
    for k, (x, d) in enumerate(batches):
        for array in (read, unread):
            array.update_batch(x, d, 0.05)
            array.wait(200.0 if k % 2 else 0.3)
        read.u1()
    assert unread.population.time_s > 0 and unread.population.time_s < unread.time_s
    np.testing.assert_allclose(unread.weights(), read.weights(), rtol=0, atol=1e-12)
    assert np.abs(read.weights()).max() > 0.01


def test_update_batch_relaxes_between_writes():
    """With a leaky device the first write of a batch has relaxed for B-1 slots by the end:
    the result differs from writing the summed counts at once."""
    config = load_crossbar(ROOT / "circuits" / "crossbar_32x32_bf8.yaml", rows=4, columns=3)
    a, b = CrossbarArray(config, seed=0), CrossbarArray(config, seed=0)
    x = np.full((8, 4), 0.5)
    d = np.full((8, 3), 0.5)
    result = a.update_batch(x, d, 0.2, "deterministic")  # 0.2 * 0.25 / dw_min(0.05) = 1 pulse per weight and write
    assert np.all(result.counts == 1)
    wa = a.weights()
    b.apply_pulses(b.cell_counts(np.full((4, 3), 8)))   # the same 8 pulses in one slot
    b.wait(7 * b.t_update)
    wb = b.weights()
    assert 0 < wb.max() < 0.9                             # below saturation (u_1 range +-20)
    # later writes had less time to spread into the deeper compartments: u_1 (the weight) is higher
    assert np.all(wa > wb * 1.005)


@pytest.mark.parametrize("differential", [True, False])
def test_cell_scatter_matches_its_reference(differential):
    from neuromorph.kernels.training import scatter_cell_counts, scatter_cell_counts_reference

    rng = np.random.default_rng(3)
    counts = rng.integers(-3, 4, size=(7, 5)).astype(np.int32)
    n = 7 * (10 if differential else 5)
    stuck = rng.random(n) < 0.2
    fast, ref = np.empty(n, np.int32), np.empty(n, np.int32)
    assert scatter_cell_counts(counts, differential, stuck, fast) == \
        scatter_cell_counts_reference(counts, differential, stuck, ref)
    np.testing.assert_array_equal(fast, ref)


def test_an_empty_batch_writes_nothing_and_takes_no_time():
    config = load_crossbar(ROOT / "circuits" / "crossbar_16x16_pt5.yaml", rows=4, columns=3)
    array = CrossbarArray(config, seed=0)
    before = array.u1()
    result = array.update_batch(np.zeros((0, 4)), np.zeros((0, 3)))
    assert result.counts.shape == (0, 4, 3) and result.pulses == 0 and array.time_s == 0.0
    np.testing.assert_array_equal(array.u1(), before)
