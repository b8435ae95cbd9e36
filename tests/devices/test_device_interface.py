"""The device interface (neuromorph/devices/base.py): every device kind implements all of it, and
the affine-event data of ``linear_model`` agrees with the card's physics and with the device's own
event coefficients."""

from pathlib import Path

import numpy as np
import pytest

from neuromorph.config.device_schema import ProtonTransistorCard
from neuromorph.devices.base import (
    Device,
    DeviceParameters,
    DevicePopulation,
    NotAChainDevice,
    NotAMarkovDevice,
)
from neuromorph.devices.loader import load_device
from neuromorph.devices.proton_transistor import ProtonTransistor

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted(p.stem for p in (ROOT / "devices").glob("*.yaml"))


def pt(**overrides) -> ProtonTransistor:
    card = dict(kind="proton_transistor", compartments=3, diffusion_coefficient="1e-13 m^2/s",
                diffusion_length="2 um", bridge_cross_section="1 um^2", volumetric_capacitance=4e7,
                gate={"injection_conductance": "1 nS", "width": "1 ms", "amplitude": "0.8 V", "polarity": -1},
                channel={"g_min": "1 uS", "g_max": "9 uS",
                         "transfer": {"kind": "linear_clipped", "u_low": -0.5, "u_high": 0.5}})
    card.update(overrides)
    return ProtonTransistor(ProtonTransistorCard.model_validate(card))


@pytest.mark.parametrize("card", CARDS)
def test_every_shipped_device_implements_the_whole_interface(card):
    device = load_device(ROOT / "devices" / f"{card}.yaml")
    assert isinstance(device, Device)
    assert device.name and device.kind and device.dynamics in ("chain", "markov")
    assert device.n_variables >= 1 and device.polarity in (1.0, -1.0)
    assert device.readout_units in ("1", "S") and device.state_units in ("1", "V")
    assert device.channel.is_identity == (device.readout_units == "1")
    rng = np.random.default_rng(0)
    population = device.sample_population(6, rng)
    assert isinstance(population, DevicePopulation)
    if device.dynamics == "chain":
        assert device.chain.n_variables == device.n_variables
        assert device.nominal_event_size() > 0
        alpha, beta = device.event_coefficients(np.array([1, -1, 0, 1, 1, -1]), population, rng)
        assert alpha.shape == (6,) and np.shape(beta) in ((6,), ())
        assert alpha[2] == 0.0  # sign 0 is no event
        assert np.all(np.sign(alpha[[0, 3, 4]]) == device.polarity)
        assert device.readout(np.zeros(6), population).shape == (6,)
        linear = device.linear_model(population)
        assert linear.mode in ("ideal", "linear", "soft") and np.all(linear.a > 0)
        with pytest.raises(NotAMarkovDevice, match=device.name):
            device.markov_model()
    else:
        markov = device.markov_model()
        q, p = markov.synapse.probabilities()
        assert np.all((0 < q) & (q <= 1)) and p.shape == q.shape
        for call in (device.nominal_event_size, lambda: device.linear_model(population),
                     lambda: device.event_coefficients(np.ones(6), population, rng), lambda: device.chain):
            with pytest.raises(NotAChainDevice, match=device.name):
                call()


def test_linear_gate_model_is_the_charge_of_one_pulse():
    """linear gate: a = V_gate·g_gate·w/C_1, b = 0 (DESIGN §2.2), written out from the card."""
    device = pt()
    population = device.sample_population(4, np.random.default_rng(1))
    linear = device.linear_model(population)
    c1 = 4e7 * 1e-12 * 2e-6  # c_v·A·L of compartment 1 [F]
    np.testing.assert_allclose(linear.a, 0.8 * 1e-9 * 1e-3 / c1, rtol=1e-12)
    np.testing.assert_array_equal(linear.b, 0.0)
    assert linear.mode == "linear" and linear.target == pytest.approx(-0.8) and linear.exact is False
    # channel linearised at rest: dG/du_1 = (G_max − G_min)/(u_high − u_low), G(0) mid-range
    np.testing.assert_allclose(linear.slope, 8e-6 / 1.0, rtol=1e-12)
    np.testing.assert_allclose(linear.w_rest, 5e-6, rtol=1e-12)


def test_soft_gate_model_matches_the_device_event_coefficients():
    """soft saturation: Δu_1 = (π V_gate s − u_1)(1 − e^{−r}); the linear model's (a, b) and the
    device's own (α, β) describe the same event (no cycle noise)."""
    device = pt(gate={"injection_conductance": "20 nS", "width": "1 ms", "amplitude": "0.8 V", "polarity": -1,
                      "saturation": "soft"})
    population = device.sample_population(3, np.random.default_rng(2))
    linear = device.linear_model(population)
    r = 20e-9 * 1e-3 / (4e7 * 1e-12 * 2e-6)
    np.testing.assert_allclose(linear.b, -np.expm1(-r), rtol=1e-12)
    np.testing.assert_allclose(linear.a, 0.8 * linear.b, rtol=1e-12)
    signs = np.array([1.0, -1.0, 1.0])
    alpha, beta = device.event_coefficients(signs, population, np.random.default_rng(3))
    np.testing.assert_allclose(alpha, device.polarity * signs * linear.a, rtol=1e-12)
    np.testing.assert_allclose(beta, linear.b, rtol=1e-12)


def test_ideal_chain_has_the_identity_channel_and_fixed_events():
    device = load_device(ROOT / "devices/benna_fusi_m8.yaml")
    linear = device.linear_model(device.sample_population(10, np.random.default_rng(0)))
    assert device.channel.is_identity and device.gate_pulse() is None and device.stage_table() is None
    assert linear.mode == "ideal" and linear.target == device.event_size and linear.exact
    np.testing.assert_array_equal(linear.a, device.event_size)
    np.testing.assert_array_equal(device.readout(np.array([0.3, -2.0])), [0.3, -2.0])


def test_device_parameters_take_and_tile_keep_devices_together():
    params = DeviceParameters(g_min_s=np.array([1.0, 2.0, 3.0]), capacitance_1_f=np.array([4.0, 5.0, 6.0]))
    taken = params.take(np.array([2, 0, 2]))
    np.testing.assert_array_equal(taken.g_min_s, [3.0, 1.0, 3.0])
    np.testing.assert_array_equal(taken.capacitance_1_f, [6.0, 4.0, 6.0])
    assert taken.g_max_s is None and taken.injection_conductance_s is None
    np.testing.assert_array_equal(params.tile(2).g_min_s, [1.0, 2.0, 3.0, 1.0, 2.0, 3.0])
    assert params.column().g_min_s.shape == (3, 1)


def test_varied_population_tiles_its_chains_with_its_parameters():
    device = pt(variation={"diffusion_coefficient": 0.2, "g_max": 0.1})
    population = device.sample_population(5, np.random.default_rng(4))
    assert not population.shared_chain
    tiled = population.tile(3)
    assert len(tiled.chains) == 15
    np.testing.assert_array_equal(tiled.chains.capacities[10:15], population.chains.capacities)
    np.testing.assert_array_equal(tiled.parameters.g_max_s[5:10], population.parameters.g_max_s)


def test_with_variation_overrides_only_the_given_parameters():
    device = pt(variation={"g_max": 0.1})
    varied = device.with_variation({"diffusion_coefficient": 0.3})
    assert varied.card.variation.diffusion_coefficient == 0.3 and varied.card.variation.g_max == 0.1
    assert device.card.variation.diffusion_coefficient == 0.0
