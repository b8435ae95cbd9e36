"""Write path: stochastic pulse coincidence delivers the intended outer product on average;
deterministic counts are exact; k compounded pulses equal k single pulses of the device model;
pulse noise variance grows as k; coincidence counts are Binomial(BL, pq); the counter-based pulse
trains and cycle-noise normals have the right statistics; the fused numba kernels equal their
NumPy references and the NumPy write path (core eigen_step)."""

from pathlib import Path

import numpy as np
import pytest

from neuromorph.crossbar import write
from neuromorph.crossbar.array import CrossbarArray, load_crossbar
from neuromorph.devices.base import DeviceParameters, DevicePopulation
from neuromorph.devices.loader import load_device
from neuromorph.kernels import crossbar as xk

ROOT = Path(__file__).resolve().parents[2]

# linear gate (no saturation), no noise, no variation, and chains so slow (τ = L²/D = 4·10^8 s)
# that nothing relaxes during a test: every coincidence adds exactly Δw_min to the weight
LINEAR_DEVICE = """\
kind: proton_transistor
compartments: 2
diffusion_coefficient: 1e-20 m^2/s
diffusion_length: 2 um
bridge_cross_section: 1 um^2
capacity: {volume: 2 um^3}
gate: {injection_conductance: 0.8 nS, width: 1 ms, saturation: none}
channel: {g_min: 1 uS, g_max: 10 uS, transfer: {kind: linear_clipped, u_low: -0.5 V, u_high: 0.5 V}}
"""


def linear_array(tmp_path, rows=16, cols=16, scheme="differential", seed=0, device=LINEAR_DEVICE, stuck=0.0):
    (tmp_path / "cell.yaml").write_text(device)
    card = tmp_path / "xbar.yaml"
    card.write_text(f"kind: crossbar\ndevice: cell.yaml\nsize: {{rows: {rows}, columns: {cols}}}\n"
                    f"weights: {{scheme: {scheme}}}\nread_noise: {{cell: 0}}\nstuck: {{fraction: {stuck}}}\n"
                    "timing: {update: 40 ms}\nwrite: {bit_length: 31, learning_rate: 0.002}\n")
    return CrossbarArray(load_crossbar(card), seed=seed)


@pytest.mark.parametrize("scheme", ["differential", "reference_column"])
def test_stochastic_update_expectation_is_the_intended_outer_product(tmp_path, scheme):
    """R = 400 stochastic updates with the same x, δ on a linear device: the realised ΔW_ij is
    Δw_min × (a sum of R Binomial(BL, p_i q_j) counts), so z_ij = (ΔW − R η x_i δ_j)/σ_ij with
    σ_ij = Δw_min·sqrt(R·BL·p q (1 − p q)) is a standardised variable per cell. Tolerances: the
    mean of 256 z's within ±0.25 (4σ of a mean of 256), max |z| < 5 (p ≈ 1.5·10⁻⁴ for 256 cells),
    χ²/dof within 1 ± 0.35 (4σ for 256 dof)."""
    array = linear_array(tmp_path, scheme=scheme)
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, 16)
    d = rng.uniform(-1, 1, 16)
    eta, reps, bl, dw = 0.002, 400, array.bit_length, array.delta_w_min
    w0 = array.weights()
    for _ in range(reps):
        array.update(x, d, learning_rate=eta)
    realised = array.weights() - w0
    target = reps * eta * np.multiply.outer(x, d)
    c = np.sqrt(eta / (bl * dw))
    pq = np.multiply.outer(c * np.abs(x), c * np.abs(d))
    sigma = dw * np.sqrt(reps * bl * pq * (1 - pq))
    z = (realised - target) / sigma
    assert abs(z.mean()) < 0.25
    assert np.abs(z).max() < 5
    assert 0.65 < np.mean(z**2) < 1.35
    # and in aggregate: the realised update carries the intended one with unit gain (±3 %)
    assert np.sum(realised * target) / np.sum(target**2) == pytest.approx(1.0, abs=0.03)


def test_deterministic_counts_are_exact(tmp_path):
    array = linear_array(tmp_path, rows=5, cols=4)
    x = np.array([1.0, -0.5, 0.25, 0.0, 0.8])
    d = np.array([0.3, -1.0, 0.6, 0.05])
    eta = 10 * array.delta_w_min
    counts = array.pulse_counts(x, d, eta, "deterministic")
    np.testing.assert_array_equal(counts, np.rint(10 * np.multiply.outer(x, d)))
    w0 = array.weights()
    array.update(x, d, learning_rate=eta, scheme="deterministic")
    # linear device, linear channel: every pulse is exactly Δw_min (relaxation < 1e-9 in 40 ms)
    np.testing.assert_allclose(array.weights() - w0, counts * array.delta_w_min, atol=1e-9)
    big = array.pulse_counts(np.ones(5), np.ones(4), 100 * array.delta_w_min, "deterministic")
    assert np.all(big == array.bit_length)  # at most BL pulses fit in one update slot


def test_learning_rate_beyond_one_slot_is_refused(tmp_path):
    array = linear_array(tmp_path)
    with pytest.raises(ValueError, match="pulse probabilities up to"):
        array.update(np.ones(16), np.ones(16), learning_rate=2 * array.bit_length * array.delta_w_min)


def test_k_compounded_soft_pulses_equal_k_single_device_pulses():
    """The closed form 1 − (1 − a)^k against k sequential single pulses computed by the device
    model itself (ProtonTransistor.event_coefficients), from varied starting states."""
    device = load_device(ROOT / "devices/proton_transistor_5.yaml")
    gate = device.card.gate.model_copy(update={"cycle_noise": 0.0})
    device = type(device)(device.card.model_copy(update={"gate": gate}))
    rng = np.random.default_rng(0)
    n = 200
    population = device.sample_population(n, rng)
    counts = rng.integers(-31, 32, n)
    u1 = rng.uniform(-0.6, 0.6, n)
    rate = device.pulse_rate(population)
    model = write.PulseModel("soft", target_v=gate.amplitude, rate=rate)
    alpha, beta = write.pulse_coefficients(model, counts, None)
    compounded = u1 + alpha - beta * u1
    sequential = u1.copy()
    for step in range(31):
        signs = np.where(np.abs(counts) > step, np.sign(counts), 0)
        a1, b1 = device.event_coefficients(signs, population, rng)
        sequential += a1 - b1 * sequential
    np.testing.assert_allclose(compounded, sequential, rtol=1e-12, atol=1e-15)


def test_pulse_noise_variance_grows_linearly_with_the_count():
    """Linear gate: α = s·T·r·(k + σ√k ξ); Var α / k must not depend on k (Monte Carlo, 40 000
    draws: 1σ of a variance ratio ≈ 1 %, tolerance 5 %)."""
    model = write.PulseModel("linear", target_v=1.0, rate=np.array([0.01]), cycle_noise=0.05)
    rng = np.random.default_rng(1)
    per_k = []
    for k in (1, 4, 16):
        alpha, _ = write.pulse_coefficients(model, np.full(40_000, k), rng)
        assert alpha.mean() == pytest.approx(0.01 * k, rel=0.01)
        per_k.append(alpha.var() / k)
    np.testing.assert_allclose(per_k, (0.01 * 0.05) ** 2, rtol=0.05)


def test_soft_pulse_noise_matches_sequential_noisy_pulses():
    """First-order noise propagation of the compounded soft pulse against a Monte Carlo of k
    sequential noisy single pulses of the device model (σ = 2 %, k = 6, 40 000 cells: the two
    std's agree within 4 %; the means within 0.1 % of the step)."""
    device = load_device(ROOT / "devices/proton_transistor_5.yaml")
    rng = np.random.default_rng(2)
    n, k = 40_000, 6
    params = DeviceParameters(injection_conductance_s=np.full(n, 0.8e-9), capacitance_1_f=np.full(n, 8e-11))
    population = DevicePopulation(device.chain, params)
    u_seq = np.full(n, 0.1)
    for _ in range(k):
        a1, b1 = device.event_coefficients(np.ones(n), population, rng)
        u_seq += a1 - b1 * u_seq
    gate = device.card.gate
    model = write.PulseModel("soft", target_v=1.0, rate=np.full(n, 0.8e-9 * gate.width / 8e-11),
                             cycle_noise=gate.cycle_noise)
    alpha, beta = write.pulse_coefficients(model, np.full(n, k), rng)
    u_cmp = 0.1 + alpha - beta * 0.1
    step = u_seq.mean() - 0.1
    assert u_cmp.mean() - 0.1 == pytest.approx(step, rel=1e-3)
    assert u_cmp.std() == pytest.approx(u_seq.std(), rel=0.04)


def test_stuck_cells_receive_no_pulses(tmp_path):
    array = linear_array(tmp_path, stuck=0.1)
    cells = array.cell_counts(np.ones((16, 16), dtype=np.int32))
    assert np.all(cells[array.stuck_cells] == 0) and np.count_nonzero(cells) == array.n_cells - array.stuck_cells.size


def test_fused_update_equals_numpy_path_with_core_kernel():
    """Soft saturation, cycle noise, variation, stuck cells: the fused pulse kernel and the
    (α, β) + core eigen_step path give the same state to rounding, with the same noise draws."""
    card = load_crossbar(ROOT / "circuits/crossbar_16x16_pt5.yaml")
    states = []
    for fused in (True, False):
        array = CrossbarArray(card, seed=3)
        rng = np.random.default_rng(4)
        for _ in range(25):
            counts = array.pulse_counts(rng.uniform(-1, 1, 16), rng.uniform(-1, 1, 16))
            array.apply_pulses(array.cell_counts(counts), fused=fused)
            array.wait(rng.uniform(0, 20))
        states.append(array.u1())
    # the array caches e^{λ dt} per step length rounded to 12 significant digits (relative time
    # error ≤ 5e-13), the core kernel uses the exact dt: agreement to ~1e-12 of |u| ≈ 0.1 V
    np.testing.assert_allclose(states[0], states[1], rtol=0, atol=2e-13)
    assert np.abs(states[0]).max() > 0.05


# --------------------------------------------------------------------------- #
# kernels against their NumPy references
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("mode", [xk.MODE_LINEAR, xk.MODE_SOFT, xk.MODE_IDEAL])
@pytest.mark.parametrize("n", [50, 5000])  # serial and parallel builds
@pytest.mark.parametrize("shared", [True, False])
def test_pulse_step_kernel_matches_reference(mode, n, shared):
    rng = np.random.default_rng(mode * 10 + n)
    m = 4
    rows = 1 if shared else n
    z = rng.normal(0, 0.1, (n, m))
    decay = np.exp(-rng.uniform(0, 1, (rows, m)))
    kick = rng.normal(0, 1, (rows, m))
    readout = rng.normal(0, 1, (rows, m))
    counts = rng.integers(-5, 6, n).astype(np.int32)
    rate = rng.uniform(0.005, 0.02, rows)
    xi = rng.standard_normal(n)
    for clip in (False, True):
        z1, z2 = z.copy(), z.copy()
        o1, o2 = np.empty(n), np.empty(n)
        args = (counts, rate, 0.8, mode, 0.03, xi, clip, -0.3, 0.3)
        xk.pulse_step(z1, decay, kick, readout, *args, o1)
        xk.pulse_step_reference(z2, decay, kick, readout, *args, o2)
        np.testing.assert_allclose(z1, z2, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(o1, o2, rtol=1e-12, atol=1e-14)


def test_advance_read_kernel_matches_reference():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(6000, 3))
    decay, readout = np.exp(-rng.uniform(0, 1, (6000, 3))), rng.normal(size=(1, 3))
    z2 = z.copy()
    o1, o2 = np.empty(6000), np.empty(6000)
    xk.advance_read_u1(z, decay, readout, o1)
    xk.advance_read_u1_reference(z2, decay, readout, o2)
    np.testing.assert_allclose(z, z2, rtol=1e-15)
    np.testing.assert_allclose(o1, o2, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("length", [1, 31, 64, 65, 200])
def test_coincidence_counts_kernel_matches_references(length):
    rng = np.random.default_rng(length)
    rows = rng.random((9, length)) < 0.4
    cols = rng.random((7, length)) < 0.6
    rs = rng.choice(np.array([-1, 0, 1], np.int8), 9)
    cs = rng.choice(np.array([-1, 1], np.int8), 7)
    out, ref = np.empty((9, 7), np.int32), np.empty((9, 7), np.int32)
    xk.coincidence_counts(xk.pack_bits(rows), xk.pack_bits(cols), rs, cs, out)
    xk.coincidence_counts_reference(xk.pack_bits(rows), xk.pack_bits(cols), rs, cs, ref)
    direct = (rows.astype(int) @ cols.T.astype(int)) * np.multiply.outer(rs, cs)  # plain 0/1 product
    np.testing.assert_array_equal(out, direct)
    np.testing.assert_array_equal(ref, direct)


def test_coincidence_counts_are_binomial():
    """R = 4000 writes of the same x, δ: n_ij ~ Binomial(BL, p_i q_j) with p = C|x|, q = C|δ|.
    Per cell, the sample mean within 5 standard errors of BL·pq and the sample variance within
    5 of its standard errors (σ²·sqrt(2/(R−1) + γ₂/R), γ₂ = (1 − 6pq(1 − pq))/(BL·pq(1 − pq))
    the binomial's excess kurtosis) of BL·pq(1 − pq); over the 48 cells the
    standardised mean errors have mean square 1 ± 0.6 (χ²/dof, 48 dof: ≈ 3σ)."""
    x = np.array([1.0, -0.8, 0.55, 0.3, -0.1, 0.0])
    d = np.array([1.0, -0.7, 0.4, 0.12, -0.05, 0.9, 0.25, -0.33])
    eta, dw, bl, reps = 0.1, 0.004, 31, 4000
    rng = np.random.default_rng(21)
    counts = np.array([write.stochastic_counts(x, d, eta, dw, bl, rng) for _ in range(reps)])
    c = write.probability_scale(1.0, 1.0, eta, dw, bl)
    pq = np.multiply.outer(c * np.abs(x), c * np.abs(d))
    mean, var = bl * pq, bl * pq * (1 - pq)
    n = np.abs(counts)
    live = var > 0
    z_mean = (n.mean(axis=0) - mean)[live] / np.sqrt(var[live] / reps)
    assert np.abs(z_mean).max() < 5
    assert 0.4 < np.mean(z_mean**2) < 1.6
    kurtosis = (1 - 6 * pq * (1 - pq))[live] / var[live]
    se_var = var[live] * np.sqrt(2 / (reps - 1) + kurtosis / reps)
    assert np.all(np.abs(n.var(axis=0, ddof=1)[live] - var[live]) < 5 * se_var)
    assert np.all(n[:, ~live] == 0)           # x_i = 0: the row never fires
    # and E[ΔW] = η x δᵀ: mean signed count × Δw_min
    signed = counts.mean(axis=0) * dw
    se = dw * np.sqrt(var / reps)
    assert np.all(np.abs(signed - eta * np.multiply.outer(x, d)) < 5 * se + 1e-15)


def test_pulse_trains_kernel_matches_reference_and_fires_with_probability_p():
    """Trains of the numba kernel and the NumPy reference are bit-identical (integer hash, exact
    comparisons), bits beyond BL are zero, and each bit fires with probability p (2000 writes ×
    31 bits per line: the fraction within 5 binomial standard errors)."""
    from neuromorph.kernels import pulse_streams as ps

    rng = np.random.default_rng(4)
    for bl in (1, 31, 64, 65, 100):
        probs = np.tile(np.array([0.0, 0.05, 0.5, 0.93, 1.0]), 3)       # 3 writes x 5 lines
        keys = rng.integers(0, 2**63, size=3).astype(np.uint64)
        fast = np.empty((15, ps.train_words(bl)), np.uint64)
        ref = np.empty_like(fast)
        ps.pulse_trains(probs, keys, bl, fast)
        ps.pulse_trains_reference(probs, keys, bl, ref)
        np.testing.assert_array_equal(fast, ref)
        bits = np.unpackbits(fast.reshape(3, 5, -1).view(np.uint8), axis=2, bitorder="little")
        assert not bits[:, :, bl:].any() and not bits[:, 0].any() and bits[:, 4, :bl].all()
    n_writes, bl = 2000, 31
    p = np.array([0.05, 0.5, 0.93])
    words = np.empty((n_writes * 3, 1), np.uint64)
    ps.pulse_trains(np.tile(p, n_writes), rng.integers(0, 2**63, size=n_writes).astype(np.uint64), bl, words)
    bits = np.unpackbits(words.reshape(n_writes, 3, 1).view(np.uint8), axis=2, bitorder="little")[:, :, :bl]
    frac = bits.mean(axis=(0, 2))
    assert np.all(np.abs(frac - p) < 5 * np.sqrt(p * (1 - p) / (n_writes * bl)))


def test_cycle_noise_normals_match_reference_and_are_standard_normal():
    """Kernel vs NumPy (libm log/cos/sin vs NumPy's: 1e-14 relative), the 2·10⁵ draws of a write
    key have mean 0 ± 5·SE, variance 1 ± 5·sqrt(2/n), kurtosis 3 ± 0.05 (≈ 5·sqrt(24/n)), and
    the pair members (cos, sin of one Box–Muller draw) are uncorrelated (|r| < 5/sqrt(n/2))."""
    from numba import njit

    from neuromorph.kernels import pulse_streams as ps

    @njit
    def draw(key, n):
        out = np.empty(n)
        for k in range(n):
            out[k] = ps.cycle_normal(key, k)
        return out

    n = 200_000
    key = np.uint64(0x1234_5678_9ABC_DEF1)
    fast = draw(key, n)
    np.testing.assert_allclose(fast, ps.cycle_normal_reference(key, np.arange(n)), rtol=1e-14, atol=1e-14)
    assert abs(fast.mean()) < 5 / np.sqrt(n)
    assert abs(fast.var() - 1) < 5 * np.sqrt(2 / n)
    assert abs(np.mean(fast**4) / fast.var() ** 2 - 3) < 0.05
    assert abs(np.corrcoef(fast[0::2], fast[1::2])[0, 1]) < 5 / np.sqrt(n / 2)


def test_write_subkeys_kernel_matches_reference():
    from neuromorph.kernels import pulse_streams as ps

    keys = np.random.default_rng(0).integers(0, 2**63, size=5).astype(np.uint64)
    fast, ref = np.empty((5, 3), np.uint64), np.empty((5, 3), np.uint64)
    ps.write_subkeys(keys, fast)
    ps.write_subkeys_reference(keys, ref)
    np.testing.assert_array_equal(fast, ref)
    assert len(np.unique(fast)) == 15


def test_stochastic_counts_are_those_update_writes(tmp_path):
    """pulse_counts() and update() take the same write key from the same stream position."""
    a, b = linear_array(tmp_path, seed=5), linear_array(tmp_path, seed=5)
    rng = np.random.default_rng(6)
    x, d = rng.uniform(-1, 1, 16), rng.uniform(-1, 1, 16)
    np.testing.assert_array_equal(a.pulse_counts(x, d), b.update(x, d).counts)


def test_stochastic_counts_are_reproducible_and_bounded():
    x = np.linspace(-1, 1, 12)
    d = np.linspace(1, -1, 9)
    a = write.stochastic_counts(x, d, 0.1, 0.02, 31, np.random.default_rng(9))
    b = write.stochastic_counts(x, d, 0.1, 0.02, 31, np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a).max() <= 31
    assert np.all(np.sign(a) * np.sign(np.multiply.outer(x, d)) >= 0)  # polarity = sign(x_i δ_j)


def test_device_bounds_clip_u1_in_the_array(tmp_path):
    array = linear_array(tmp_path, rows=3, cols=3, device=LINEAR_DEVICE + "bounds: {lower: -0.05, upper: 0.05}\n")
    for _ in range(10):  # 10 x 3 pulses of 10 mV would reach 0.3 V without the bounds
        array.update(np.ones(3), np.ones(3), learning_rate=3 * array.delta_w_min, scheme="deterministic")
    u1 = array.u1()
    np.testing.assert_allclose(u1[:, 0::2], 0.05, rtol=1e-6)
    np.testing.assert_allclose(u1[:, 1::2], -0.05, rtol=1e-6)
