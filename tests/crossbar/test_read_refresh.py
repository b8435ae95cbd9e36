"""The read side of CrossbarArray (neuromorph/crossbar/refresh.py): the fused conductance refresh
gives the conductances of the existing exact path, and the lazy refresh keeps every read within
its stated tolerance of the exact read, while the chains themselves stay exact.

The arrays are the shipped proton-transistor card (circuits/crossbar_16x16_pt5.yaml) resized:
five-compartment chains with 5 % device-to-device variation (one chain per cell), 1 % stuck
cells, 0.5 % cell read noise, 2 nA output noise, 8-bit DAC and 10-bit ADC; plus a sigmoid
channel on a reference-column array."""

import textwrap
from pathlib import Path

import numpy as np
import pytest

from neuromorph.crossbar.array import CrossbarArray, load_crossbar
from neuromorph.crossbar.refresh import DEFAULT_READ_TOLERANCE
from neuromorph.devices.channel import channel_transfer

ROOT = Path(__file__).resolve().parents[2]
PT5 = ROOT / "circuits" / "crossbar_16x16_pt5.yaml"
EPS = np.finfo(float).eps

SIGMOID_DEVICE = """\
kind: proton_transistor
compartments: 4
diffusion_coefficient: 1e-13 m^2/s
diffusion_length: 2 um
bridge_cross_section: {first: 1 um^2, ratio: 0.5}
capacity: {volume: {first: 2 um^3, ratio: 2.0}}
gate: {injection_conductance: 0.8 nS, width: 1 ms, saturation: soft, cycle_noise: 0.02}
channel: {g_min: 1 uS, g_max: 10 uS, transfer: {kind: sigmoid, u_mid: 0.05 V, u_slope: 0.2 V}, read_noise: 0.005}
variation: {diffusion_length: 0.05, g_min: 0.05, g_max: 0.05}
"""


def sigmoid_card(tmp_path, rows, cols) -> Path:
    (tmp_path / "cell.yaml").write_text(SIGMOID_DEVICE)
    card = tmp_path / "xbar_ref.yaml"
    card.write_text(textwrap.dedent(f"""\
        kind: crossbar
        device: cell.yaml
        size: {{rows: {rows}, columns: {cols}}}
        weights: {{scheme: reference_column}}
        dac: {{bits: 8, range: [-0.2 V, 0.2 V]}}
        adc: {{bits: 10, range: auto}}
        read_noise: {{output: 2 nA}}
        stuck: {{fraction: 0.02, at: both}}
        timing: {{read: 10 us, update: 50 ms}}
        write: {{scheme: stochastic, bit_length: 31, learning_rate: 0.1}}
        """))
    return card


def arrays(card, n_in, n_out, tolerances, fused=(True,)):
    """Identical arrays (same card and seed) with the given read tolerances / fused flags."""
    out = []
    for tol, fu in zip(tolerances, fused * len(tolerances) if len(fused) == 1 else fused):
        a = CrossbarArray(load_crossbar(card, rows=n_in, columns=n_out), seed=3)
        a.read_tolerance, a.fused_read = tol, fu
        out.append(a)
    return out


def train_some(arrays_, steps, rng):
    """The same writes on every array (same inputs; each array's own, identical, write stream)."""
    n_in, n_out = arrays_[0].n_in, arrays_[0].n_out
    for _ in range(steps):
        x, d = rng.uniform(-1, 1, n_in), rng.uniform(-1, 1, n_out)
        for a in arrays_:
            a.update(x, d)


def exact_conductances(array) -> np.ndarray:
    """Independent of the read path: G = G_min + (G_max − G_min)·s(u_1) of every cell from the
    population's exact u_1, stuck cells at their stuck value, the reference column at G_ref."""
    cells = array._cells
    g = cells.g_min_s + (cells.g_max_s - cells.g_min_s) * channel_transfer(array.u1().ravel(), array.transfer)
    g[cells.stuck] = cells.stuck_value_s
    return array.layout.with_reference(g.reshape(array.n_in, array.n_cell_lines))


@pytest.mark.parametrize("which", ["pt5-differential", "sigmoid-reference-column"])
def test_fused_refresh_gives_the_exact_conductances(which, tmp_path):
    """Tolerance 0: after writes and waits the fused pass, the unfused path it replaces and the
    conductances recomputed from the population's u_1 agree to rounding (u_1 is a sum of m
    products summed in another order: m·ε·Σ|r z|·ΔG·L_s, below 1e-14 of G_max here)."""
    card = PT5 if which.startswith("pt5") else sigmoid_card(tmp_path, 24, 20)
    fused, unfused = arrays(card, 24, 20, (0.0, 0.0), fused=(True, False))
    rng = np.random.default_rng(0)
    for step in range(4):
        train_some([fused, unfused], 3, rng)
        for a in (fused, unfused):
            a.wait(7.0 * step)
        g_f, g_u = np.array(fused.conductances()), np.array(unfused.conductances())
        np.testing.assert_allclose(g_f, g_u, rtol=0, atol=1e-14 * g_u.max())
        np.testing.assert_allclose(g_f, exact_conductances(fused), rtol=0, atol=1e-14 * g_u.max())
    # the chains agree to rounding: the two paths form e^{λΔt} from Δt keyed to 12 digits (the
    # population's cache) or to the clock's rounding (the refresh's): relative 1e-12 at most
    np.testing.assert_allclose(fused.population.x, unfused.population.x, rtol=1e-12,
                               atol=1e-12 * np.abs(unfused.population.x).max())


@pytest.mark.parametrize("which", ["pt5-differential", "sigmoid-reference-column"])
def test_fused_and_unfused_reads_give_the_same_numbers(which, tmp_path):
    """Same card, seed and calls: forward and transposed, one vector and a batch, noise on. The
    line sums are BLAS on one path and a row-ordered numba sum on the other, so analog currents
    agree to 1e-12 of the full scale; ADC codes agree exactly unless a current lies within that
    of a rounding boundary (none does here)."""
    card = PT5 if which.startswith("pt5") else sigmoid_card(tmp_path, 24, 20)
    fused, unfused = arrays(card, 24, 20, (0.0, 0.0), fused=(True, False))
    rng = np.random.default_rng(1)
    train_some([fused, unfused], 5, rng)
    for shape, transposed in [((24,), False), ((24, 8), False), ((20,), True), ((20, 8), True)]:
        x = rng.uniform(-1, 1, shape)
        r_f, r_u = fused.read(x, transposed=transposed), unfused.read(x, transposed=transposed)
        full_scale = (fused.adc_transposed if transposed else fused.adc_forward).full_scale_a
        np.testing.assert_allclose(r_f.current_a, r_u.current_a, rtol=0, atol=1e-12 * full_scale)
        np.testing.assert_array_equal(r_f.y, r_u.y)


def test_lazy_reads_stay_within_the_tolerance_of_the_exact_reads():
    """A sequence of 300 one-vector reads 10 µs apart, with writes, waits and batch reads between:
    with the default tolerance (1e-6 of G_max − G_min) the refresh is skipped on most reads, yet
    every conductance a read used is within 1e-6·ΔG of the exact one, every analog current within
    the bound that implies (Σ_i 1e-6·ΔG·|v_i| per line, ×2 for the pair, plus the noise std's own
    change), and every ADC code equal to the exact one or, only where the exact current lies
    within that bound of a rounding boundary, one step away. The chains stay exact: u_1 agrees
    with the exact array's at the end (rounding of e^{λ(a+b)} against e^{λa}e^{λb})."""
    n = 32
    lazy, exact = arrays(PT5, n, n, (DEFAULT_READ_TOLERANCE, 0.0))
    rng = np.random.default_rng(5)
    train_some([lazy, exact], 4, rng)
    dg = lazy.layout.delta_g_s
    adc = lazy.adc_forward
    sigma = lazy.noise.cell
    codes_off = near_boundary = 0
    for k in range(300):
        if k in (100, 200):
            train_some([lazy, exact], 1, rng)
        if k == 150:
            for a in (lazy, exact):
                a.wait(0.2)
        if k == 250:
            xb = rng.uniform(-1, 1, (n, 16))
            np.testing.assert_allclose(lazy.read(xb).current_a, exact.read(xb).current_a, rtol=0,
                                       atol=2 * DEFAULT_READ_TOLERANCE * dg * 0.2 * n * (1 + 6 * sigma))
        x = rng.uniform(-1, 1, n)
        r_l, r_e = lazy.read(x), exact.read(x)
        g_l, _ = lazy._g_cache.get(lazy.time_s - lazy.t_read, lazy._version)  # what the read used
        g_e = exact_conductances_at(exact, exact.time_s - exact.t_read)
        assert np.max(np.abs(g_l - g_e)) <= DEFAULT_READ_TOLERANCE * dg * (1 + 1e-9)
        v = np.abs(lazy.dac.voltages(x))
        bound = 2 * DEFAULT_READ_TOLERANCE * dg * (v.sum() + 6 * sigma * np.sqrt(np.sum(v**2)))
        assert np.max(np.abs(r_l.current_a - r_e.current_a)) <= bound
        off = r_l.y != r_e.y
        if np.any(off):
            codes_off += int(off.sum())
            assert np.all(np.abs(r_l.adc_current_a - r_e.adc_current_a)[off] <= adc.step * (1 + 1e-9))
            frac = r_e.current_a[off] / adc.step
            assert np.all(np.abs(frac - np.floor(frac) - 0.5) * adc.step <= bound)
            near_boundary += int(off.sum())
    cache = lazy._g_cache
    assert cache.skips > 200 and cache.refreshes >= 3, (cache.skips, cache.refreshes)  # the lazy path ran
    assert exact._g_cache.skips == 0
    np.testing.assert_allclose(lazy.u1(), exact.u1(), rtol=0, atol=1e-12)
    print(f"lazy: {cache.refreshes} refreshes, {cache.skips} skipped; ADC codes off by one step: {codes_off}")
    assert codes_off <= 0.01 * 300 * n  # in practice none; a 10-bit step is ~500x the bound here


def exact_conductances_at(array, t_s):
    """The exact conductances at an earlier time t_s of an exact array whose cache holds them (it
    refreshed at that read): tolerance 0 means the cache is exactly G(t_s)."""
    g, _ = array._g_cache.get(t_s, array._version)
    assert array._g_cache._time_s == t_s
    return g.copy()


def test_the_tolerance_0_path_refreshes_at_every_read_and_handed_out_arrays_never_change():
    (a,) = arrays(PT5, 16, 16, (0.0,))
    train_some([a], 2, np.random.default_rng(2))
    g = a.conductances()
    kept = np.array(g)
    assert not g.flags.writeable
    x = np.linspace(-1, 1, 16)
    for _ in range(5):
        a.read(x)
    a.wait(30.0)
    a.read(x)
    np.testing.assert_array_equal(g, kept)  # later refreshes wrote other buffers
    # one refresh for conductances(), none for the first read (same time), one per later read
    assert a._g_cache.skips == 0 and a._g_cache.refreshes == 1 + 4 + 1
    assert not np.array_equal(np.array(a.conductances()), kept)  # 30 s of relaxation changed them


def test_read_tolerance_rejects_negative_or_nan():
    (a,) = arrays(PT5, 4, 4, (0.0,))
    for bad in (-1e-6, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="read_tolerance"):
            a.read_tolerance = bad


def test_a_read_interval_equal_within_the_clocks_rounding_reuses_its_decay():
    """Late in a run the difference of two clock readings carries the clock's rounding (ε·t), so
    a fixed read interval is not bit-identical from read to read. The refresh reuses e^{λΔt} for
    intervals equal within 8 ulp of the clock (a new one costs an exp over every cell and mode)
    and computes a new one for a genuinely different interval; the conductances stay those of
    the population's exact u_1 (1e-14 of G_max)."""
    (a,) = arrays(PT5, 16, 16, (0.0,))
    train_some([a], 2, np.random.default_rng(8))
    cache, t = a._g_cache, 3600.0
    first = cache._decay(1e-5, t)
    assert cache._decay(1e-5 * (1 + 4e-13), t) is first        # |Δ| = 4e-18 s < 8·ε·3600 s
    assert cache._decay(1e-5 * (1 + 1e-6), t) is not first     # another interval
    np.testing.assert_array_equal(cache._decay(1e-5 * (1 + 1e-6), t), np.exp(a.integrator.rates * 1e-5 * (1 + 1e-6)))
    a.wait(t)
    x = np.linspace(-1, 1, 16)
    for _ in range(5):
        a.read(x)
    g = np.array(a.conductances())
    np.testing.assert_allclose(g, exact_conductances(a), rtol=0, atol=1e-14 * g.max())


def test_a_new_decay_table_reuses_the_evicted_buffer_and_is_exact():
    """The refresh keeps two decay tables; a third step length is computed into the buffer of the
    oldest (no fresh N×m allocation to fault in) and is exactly e^{λΔt}; the table still held is
    untouched."""
    (a,) = arrays(PT5, 8, 8, (0.0,))
    cache, rates, t = a._g_cache, a.integrator.rates, 1.0
    first, second = cache._decay(1e-5, t), cache._decay(2e-5, t)
    kept = second.copy()
    third = cache._decay(3e-5, t)
    assert third is first                                   # the evicted buffer, rewritten
    np.testing.assert_array_equal(third, np.exp(rates * 3e-5))
    np.testing.assert_array_equal(cache._decay(2e-5, t), kept)
    assert cache._decay(2e-5, t) is second
    fourth = cache._decay(4e-5, t)
    assert fourth is second
    np.testing.assert_array_equal(fourth, np.exp(rates * 4e-5))
