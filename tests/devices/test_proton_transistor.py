"""Proton transistor → chain mapping (DESIGN §2.2): g_k = c_v·D·A_k/L_k, C_k = c_v·A_k·L_k (geometry)
or given; timescale scaling laws, gate pulses, channel transfer and device variation."""

import numpy as np
import pytest
import scipy.integrate

from neuromorph.config.device_schema import ProtonTransistorCard
from neuromorph.devices.proton_transistor import ProtonTransistor

C_V = 4e7  # F/m^3


def device(**overrides) -> ProtonTransistor:
    card = dict(
        kind="proton_transistor", compartments=4, diffusion_coefficient="1e-13 m^2/s",
        diffusion_length="2 um", bridge_cross_section="1 um^2", volumetric_capacitance=C_V,
        gate={"injection_conductance": "1 nS", "width": "1 ms", "amplitude": "1 V"},
        channel={"g_min": "1 uS", "g_max": "10 uS"},
    )
    card.update(overrides)
    return ProtonTransistor(ProtonTransistorCard.model_validate(card))


def test_bridge_conductance_and_capacity_follow_geometry():
    dev = device(compartments=2, diffusion_length=["1 um", "3 um"], bridge_cross_section=["2 um^2", "1 um^2"])
    np.testing.assert_allclose(dev.chain.couplings, C_V * 1e-13 * np.array([2e-12 / 1e-6, 1e-12 / 3e-6]))
    np.testing.assert_allclose(dev.chain.capacities, C_V * np.array([2e-12 * 1e-6, 1e-12 * 3e-6]))


def test_single_compartment_time_constant_is_diffusion_time():
    dev = device(compartments=1)
    # τ = C/g = (c_v A L)/(c_v D A / L) = L²/D = (2e-6)² / 1e-13 = 40 s
    assert dev.chain.timescales()[0] == pytest.approx(40.0, rel=1e-12)


@pytest.mark.parametrize("n", [1, 3, 5])
def test_geometric_compartments_scale_as_length_squared_over_diffusivity(n):
    reference = device(compartments=n).chain.timescales()[0] * 1e-13 / (2e-6) ** 2
    for length_um, diffusivity in [(1.0, 1e-13), (4.0, 1e-13), (2.0, 3e-12), (8.0, 5e-15)]:
        dev = device(compartments=n, diffusion_length=f"{length_um} um", diffusion_coefficient=diffusivity)
        tau = dev.chain.timescales()[0]
        # τ_slowest = const(n) · L²/D exactly (the chain operator is (D/L²) × a fixed matrix)
        assert tau * diffusivity / (length_um * 1e-6) ** 2 == pytest.approx(reference, rel=1e-9)


@pytest.mark.parametrize("n", [1, 3, 5])
def test_independent_capacities_scale_as_length_times_capacity_over_diffusivity_area(n):
    def tau(length, diffusivity, area, capacitance):
        dev = device(compartments=n, diffusion_length=length, diffusion_coefficient=diffusivity,
                     bridge_cross_section=area, capacity={"capacitance": capacitance})
        return dev.chain.timescales()[0]

    base = tau(2e-6, 1e-13, 1e-12, 1e-10)
    # τ ∝ L·C/(D·A): doubling L or C doubles τ; doubling D or A halves it; τ is linear in L, not L²
    assert tau(4e-6, 1e-13, 1e-12, 1e-10) == pytest.approx(2 * base, rel=1e-9)
    assert tau(2e-6, 1e-13, 1e-12, 3e-10) == pytest.approx(3 * base, rel=1e-9)
    assert tau(2e-6, 4e-13, 1e-12, 1e-10) == pytest.approx(base / 4, rel=1e-9)
    assert tau(2e-6, 1e-13, 5e-12, 1e-10) == pytest.approx(base / 5, rel=1e-9)
    if n == 1:
        assert base == pytest.approx(2e-6 * 1e-10 / (C_V * 1e-13 * 1e-12), rel=1e-12)


def test_adding_geometric_compartments_extends_the_longest_timescale_geometrically():
    longest = [device(compartments=n, capacity={"volume": {"first": "2 um^3", "ratio": 2}},
                      bridge_cross_section={"first": "1 um^2", "ratio": 0.5}).chain.timescales()[0]
               for n in range(3, 10)]
    growth = np.exp(np.diff(np.log(longest)))
    # stage time constants grow by V ratio / A ratio = 2/0.5 = 4 per compartment; the slowest
    # chain mode follows within 10% from n = 3 on (4.39, 4.18, ...) and tends to 4 from above
    np.testing.assert_allclose(growth, 4.0, rtol=0.1)
    assert np.all(np.diff(growth) < 0) and growth[-1] == pytest.approx(4.0, rel=0.02)


def test_linear_gate_pulse_injects_g_v_w_over_c():
    dev = device(compartments=3)
    pop = dev.sample_population(3, np.random.default_rng(0))
    alpha, beta = dev.event_coefficients(np.array([1, -1, 0]), pop, np.random.default_rng(0))
    dq = 1e-9 * 1.0 * 1e-3  # Q = g_gate·V·w
    np.testing.assert_allclose(alpha, np.array([1, -1, 0]) * dq / dev.chain.capacities[0], rtol=1e-12)
    np.testing.assert_array_equal(beta, 0.0)


def test_soft_saturating_pulse_is_exact_charging_of_compartment_one():
    dev = device(compartments=1, gate={"injection_conductance": "50 nS", "width": "1 ms", "amplitude": "1 V",
                                       "saturation": "soft"})
    c1, g, w = dev.chain.capacities[0], 50e-9, 1e-3
    pop = dev.sample_population(1, np.random.default_rng(0))
    for u_start in (-0.5, 0.0, 0.7):
        alpha, beta = dev.event_coefficients(np.array([1]), pop, np.random.default_rng(0))
        after = u_start + alpha[0] - beta[0] * u_start
        # independent: integrate C du/dt = g (V - u) over the pulse width
        sol = scipy.integrate.solve_ivp(lambda t, u: g * (1.0 - u) / c1, (0, w), [u_start], rtol=1e-12, atol=1e-14)
        assert after == pytest.approx(sol.y[0, -1], abs=1e-9)


def test_polarity_flips_the_update():
    pos = device(gate={"injection_conductance": "1 nS", "polarity": 1})
    neg = device(gate={"injection_conductance": "1 nS", "polarity": -1})
    rng = np.random.default_rng(0)
    a_pos, _ = pos.event_coefficients(np.array([1]), pos.sample_population(1, rng), rng)
    a_neg, _ = neg.event_coefficients(np.array([1]), neg.sample_population(1, rng), rng)
    assert a_pos[0] == -a_neg[0] > 0


def test_channel_transfer_functions():
    lin = device(channel={"g_min": "1 uS", "g_max": "3 uS", "transfer": {"kind": "linear_clipped",
                                                                        "u_low": -1, "u_high": 1}})
    np.testing.assert_allclose(lin.readout(np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 5.0])),
                               [1e-6, 1e-6, 2e-6, 2.5e-6, 3e-6, 3e-6])
    sig = device(channel={"g_min": 0, "g_max": "1 S", "transfer": {"kind": "sigmoid", "u_mid": 0.2, "u_slope": 0.1}})
    u = np.array([0.2, 0.3, -1.0])
    np.testing.assert_allclose(sig.readout(u), 1.0 / (1.0 + np.exp(-(u - 0.2) / 0.1)), rtol=1e-9)


def test_device_variation_has_the_requested_relative_spread():
    dev = device(compartments=2, variation={"diffusion_coefficient": 0.2, "g_max": 0.1})
    pop = dev.sample_population(4000, np.random.default_rng(5))
    tau = pop.chains.timescales()[:, 0]
    # τ ∝ 1/D with D lognormal of relative std 0.2: std(1/D)/mean(1/D) = 0.2 exactly for a lognormal
    assert np.std(tau) / np.mean(tau) == pytest.approx(0.2, abs=0.02)
    assert np.mean(pop.parameters.g_max_s) == pytest.approx(10e-6, rel=0.01)
    assert np.std(pop.parameters.g_max_s) / 10e-6 == pytest.approx(0.1, abs=0.01)


def test_lognormal_jitter_has_mean_one_and_the_relative_std_and_draws_in_place():
    """value × exp(μ + s·ξ) with s² = ln(1 + σ²), μ = −s²/2: mean value, relative std σ (the
    lognormal moments; tolerances 4 standard errors at 400,000 draws), and exactly NumPy's
    ``value * exp(rng.normal(μ, s))`` of the same stream (drawn into the result, not a copy)."""
    from neuromorph.devices.base import lognormal_jitter

    sigma, value = 0.3, np.array([2.0, 5.0])
    x = lognormal_jitter(np.random.default_rng(3), np.broadcast_to(value, (200_000, 2)), sigma)
    np.testing.assert_allclose(x.mean(axis=0), value, rtol=4 * sigma / np.sqrt(200_000))
    # standard error of a sample std: σ·√((κ − 1)/(4n)), κ = μ₄/σ⁴ of the lognormal
    s2 = np.log1p(sigma**2)
    kurtosis = np.exp(4 * s2) + 2 * np.exp(3 * s2) + 3 * np.exp(2 * s2) - 3
    np.testing.assert_allclose(x.std(axis=0) / value, sigma, rtol=4 * np.sqrt((kurtosis - 1) / (4 * 200_000)))
    assert np.all(x > 0)
    for shape_args in [(np.broadcast_to(value, (50, 2)), None), (7.0, 300), (2.5, None)]:
        expected = np.asarray(shape_args[0]) * np.exp(
            np.random.default_rng(8).normal(-0.5 * s2, np.sqrt(s2), size=np.shape(shape_args[0]) if shape_args[1] is None
                                            else shape_args[1]))
        np.testing.assert_array_equal(lognormal_jitter(np.random.default_rng(8), *shape_args[:1], sigma, shape_args[1]),
                                      expected)


def test_large_lognormal_draws_are_chunked_streams_independent_of_the_thread_count():
    """Above 2·DRAW_CHUNK entries every chunk has its own stream spawned from one seed drawn
    from rng: bit for bit the same numbers on 1 and 2 threads, still lognormal of mean 1 and
    relative std σ (4 standard errors at 5·10⁵ draws), and the chunks are not copies of each
    other (independent streams)."""
    from neuromorph.devices.base import lognormal_jitter
    from neuromorph.devices.draws import DRAW_CHUNK
    from neuromorph.kernels._jit import set_thread_count, thread_count

    value = np.broadcast_to(np.array([1.0, 3.0, 9.0, 27.0, 81.0]), (100_000, 5))
    before = thread_count()
    try:
        set_thread_count(1)
        one = lognormal_jitter(np.random.default_rng(4), value, 0.1)
        set_thread_count(2)
        two = lognormal_jitter(np.random.default_rng(4), value, 0.1)
    finally:
        set_thread_count(before)
    np.testing.assert_array_equal(one, two)
    factor = (one / value).reshape(-1)
    assert factor.size > 2 * DRAW_CHUNK
    assert abs(factor.mean() - 1.0) < 4 * 0.1 / np.sqrt(factor.size)
    s2 = np.log1p(0.1**2)
    kurtosis = np.exp(4 * s2) + 2 * np.exp(3 * s2) + 3 * np.exp(2 * s2) - 3
    assert abs(factor.std() / 0.1 - 1.0) < 4 * np.sqrt((kurtosis - 1) / (4 * factor.size))
    assert not np.array_equal(factor[:DRAW_CHUNK], factor[DRAW_CHUNK:2 * DRAW_CHUNK])
    # a different seed gives different cells
    assert not np.array_equal(one, lognormal_jitter(np.random.default_rng(5), value, 0.1))


def test_the_diffusion_coefficient_is_one_draw_per_device():
    """D is a property of the device's proton conductor: one draw per device scales every bridge
    of that device alike (g_k/g_k,nominal the same for all k when only D varies), and the
    capacities are untouched; N draws, not N·n."""
    dev = device(compartments=4, variation={"diffusion_coefficient": 0.2})
    pop = dev.sample_population(500, np.random.default_rng(2))
    factor = pop.chains.couplings / dev.chain.couplings
    np.testing.assert_allclose(factor, factor[:, :1] * np.ones((1, 4)), rtol=1e-15)
    assert np.std(factor[:, 0]) > 0.1
    np.testing.assert_array_equal(pop.chains.capacities, np.broadcast_to(dev.chain.capacities, (500, 4)))
    # the draws are the first 500 normals of the stream
    s2 = np.log1p(0.2**2)
    xi = np.random.default_rng(2).standard_normal(500)
    np.testing.assert_allclose(factor[:, 0], np.exp(-0.5 * s2 + np.sqrt(s2) * xi), rtol=1e-14)


def test_read_noise_is_relative_and_unbiased():
    dev = device(channel={"g_min": "1 uS", "g_max": "10 uS", "read_noise": 0.05})
    g = dev.readout(np.zeros(100_000), rng=np.random.default_rng(1))
    assert np.mean(g) == pytest.approx(5.5e-6, rel=0.002)
    assert np.std(g) / 5.5e-6 == pytest.approx(0.05, rel=0.02)
