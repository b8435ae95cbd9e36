"""A run of single writes reuses the write frame (neuromorph.crossbar.batch_write._frame): the
decay table e^{λ dt_e} is built once and later writes power the slot decay from it, instead of
N·m exponentials per update — with the numbers of a table rebuilt at every write."""

from pathlib import Path

import numpy as np

from neuromorph.crossbar import CrossbarArray, load_crossbar

ROOT = Path(__file__).resolve().parents[2]


def _pair(card="crossbar_16x16_pt5.yaml", rows=12, columns=7):
    config = load_crossbar(ROOT / "circuits" / card, rows=rows, columns=columns)
    return CrossbarArray(config, seed=3), CrossbarArray(config, seed=3)


def test_consecutive_updates_reuse_the_frame_and_write_what_a_rebuilt_frame_writes():
    """Eight updates after a wait, then a read and eight more: the reusing array keeps one table
    per frame (same object between reads), the other rebuilds it at every write (cache
    cleared). Counts are identical (same draws); weights agree to 1e-12 of |w| ≲ 1: F differs by
    the powering's few ulp per slot and the clock's rounding of dt (|λ|·8ε·t per addition)."""
    reuse, rebuild = _pair()
    rng = np.random.default_rng(0)
    for array in (reuse, rebuild):
        array.wait(2.0)
    tables = []
    for phase in range(2):
        for _ in range(8):
            x, d = rng.uniform(-1, 1, reuse.n_in), rng.uniform(-1, 1, reuse.n_out)
            rebuild._write_decay_cache.clear()
            a, b = reuse.update(x, d), rebuild.update(x, d)
            np.testing.assert_array_equal(a.counts, b.counts)
            tables.append(id(reuse._write_decay_cache["frame"][1]))
        np.testing.assert_allclose(reuse.weights(), rebuild.weights(), rtol=0, atol=1e-12)
        reuse.read(rng.uniform(-1, 1, reuse.n_in))
        rebuild.read(rng.uniform(-1, 1, reuse.n_in))
    # the first phase (after the wait) kept one table for all eight writes
    assert len(set(tables[:8])) == 1
    assert np.abs(reuse.weights()).max() > 1e-3


def test_a_read_between_writes_reuses_the_frame_when_the_step_repeats():
    """Write, read, write, read…: each write lands one read slot after the refresh that advanced
    the chains, so dt repeats and the table is reused (g₀ = 0) — as training's batches do."""
    array, _ = _pair()
    rng = np.random.default_rng(1)
    seen = []
    for _ in range(4):
        array.read(rng.uniform(-1, 1, array.n_in), noise=False)
        array.update(rng.uniform(-1, 1, array.n_in), rng.uniform(-1, 1, array.n_out))
        seen.append(id(array._write_decay_cache["frame"][1]))
    assert array.population.time_s > 0
    assert len(set(seen[1:])) == 1


def test_moved_frame_rows_stay_within_1e12_of_the_exact_decay():
    """After 300 updates without a read, every row of the frame table (moved by repeated
    multiplication with powers of the slot decay, a few ulp per move) equals e^{λ_n (dt_f +
    s_n·Δt_slot)} to 1e-12 relative — the accuracy the rebuild every FRAME_REBUILD_WRITES writes
    keeps."""
    array, _ = _pair(rows=6, columns=5)
    rng = np.random.default_rng(4)
    for _ in range(300):
        array.update(rng.uniform(-1, 1, array.n_in), rng.uniform(-1, 1, array.n_out))
    dt_f, table, slots, writes = array._write_decay_cache["frame"]
    assert writes == 300 and slots.max() >= 290
    exact = np.exp(array.integrator.rates * (dt_f + slots[:, None] * array.t_update / array.time_unit_s))
    np.testing.assert_allclose(table, exact, rtol=1e-12, atol=0)
