"""Pulse protocols: the exact event-driven path against the dense-propagator time-line walk and
against the chain's analytic linear response."""

from pathlib import Path

import numpy as np
import pytest

from neuromorph.config.protocol_schema import ProtocolCard
from neuromorph.config.yamlio import load_card
from neuromorph.devices.loader import load_device
from neuromorph.tasks.protocol import expand_protocol, run_protocol

ROOT = Path(__file__).resolve().parents[2]


def protocol(*segments, per_decade=10, decades=6):
    return ProtocolCard.model_validate({"segments": list(segments),
                                        "record": {"per_decade": per_decade, "decades": decades}})


def test_single_event_response_equals_the_linear_response_kernel():
    dev = load_device(ROOT / "devices/benna_fusi_m8.yaml")
    ds = run_protocol(dev, protocol({"train": {"pulses": 1, "interval": 1e-3}}, {"relax": {"duration": 1e6}}),
                      progress=False)
    t = ds.time.values
    after = t > 0
    expected = dev.chain.response_to_unit_event(t[after] / dev.chain.time_unit_s)
    np.testing.assert_allclose(ds.weight.values[0, after], expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("card", ["benna_fusi_m8", "single_timescale"])
def test_event_driven_path_equals_dense_propagator_walk(card):
    dev = load_device(ROOT / f"devices/{card}.yaml")
    prot = protocol({"train": {"pulses": 30, "sign": "alternate", "interval": 0.5}},
                    {"random": {"duration": 200.0, "rate": 0.3}}, {"relax": {"duration": 1e3}})
    a = run_protocol(dev, prot, n_devices=6, seed=4, integrator="eigen", progress=False)
    b = run_protocol(dev, prot, n_devices=6, seed=4, integrator="dense", progress=False)
    np.testing.assert_allclose(a.u.values, b.u.values, atol=1e-10)


def test_soft_saturation_keeps_the_proton_transistor_below_the_gate_voltage():
    dev = load_device(ROOT / "devices/proton_transistor_1.yaml")
    ds = run_protocol(dev, protocol({"train": {"pulses": 5000, "interval": 1e-3}}), n_devices=2, progress=False)
    u1 = ds.u.values[:, :, 0]
    assert u1.max() < 1.0  # the gate amplitude is 1 V
    assert u1[:, -1].min() > 0.5  # and a long fast train does drive it close


def test_random_stream_has_poisson_counts():
    prot = protocol({"random": {"duration": 1000.0, "rate": 2.0}})
    plan = expand_protocol(prot, 500, np.random.default_rng(0))
    counts = np.diff(plan.offsets)
    # Poisson(2000): mean within 5 standard errors, variance ≈ mean
    assert counts.mean() == pytest.approx(2000, abs=5 * np.sqrt(2000 / 500))
    assert counts.var() / counts.mean() == pytest.approx(1.0, abs=0.2)


def test_same_seed_same_numbers_and_variation_differs_between_devices():
    dev = load_device(ROOT / "devices/proton_transistor_3.yaml")
    prot = load_card(ROOT / "protocols/random_stream.yaml", ProtocolCard)
    a = run_protocol(dev, prot, n_devices=4, seed=11, progress=False)
    b = run_protocol(dev, prot, n_devices=4, seed=11, progress=False)
    np.testing.assert_array_equal(a.conductance.values, b.conductance.values)
    assert np.ptp(a.conductance.values[:, -1]) > 0


@pytest.mark.parametrize("card", ["binary_stochastic", "cascade"])
def test_stochastic_devices_follow_a_potentiation_train(card):
    dev = load_device(ROOT / f"devices/{card}.yaml")
    ds = run_protocol(dev, protocol({"train": {"pulses": 200, "interval": 1.0}}), n_devices=300, seed=2,
                      progress=False)
    # after 200 potentiating events nearly every synapse is in the + state
    assert ds.weight.values[:, -1].mean() > 0.95


def test_shipped_protocols_load():
    for path in sorted((ROOT / "protocols").glob("*.yaml")):
        assert load_card(path, ProtocolCard).segments
