"""Square-wave gate drives integrated exactly: the numba kernel against its NumPy reference, against
a fine pulse-by-pulse simulation (scipy expm between many tiny charge kicks), against a stiff ODE
solve for the saturating gate, against ngspice (RC ladder with a switched source), and through the
protocol runner."""

from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
from scipy.integrate import solve_ivp

from neuromorph.config.protocol_schema import ProtocolCard
from neuromorph.config.device_schema import DeviceCard
from neuromorph.config.yamlio import read_card, validate_card
from neuromorph.devices.loader import build_device, load_device
from neuromorph.errors import InvalidParameterError
from neuromorph.kernels.square_wave import drive_response, drive_response_reference
from neuromorph.spice.ngspice import find_ngspice, ladder_waveforms, run_deck
from neuromorph.spice.square_wave import gate_drive_ladder_deck
from neuromorph.synapses.chain import LinearChain
from neuromorph.tasks.gate_drive import GateDrive, GateParameters, drive_state, gate_parameters
from neuromorph.tasks.protocol import run_protocol

ROOT = Path(__file__).resolve().parents[2]
# the published device's fitted chain (Zhang et al. 2024): g12/C1 = 2^-7.5 /s, C = 1:1:2:4, g halves per bridge
C = np.array([1.0, 1.0, 2.0, 4.0]) * 40e-6
G = C[0] * 2.0**-7.5 * np.array([1.0, 0.5, 0.25, 0.125])
CHAIN = LinearChain(C, G)
DRIVE = GateDrive.join([GateDrive.square_wave(1.0, 1.0, 0.67, 20, start_s=0.1),
                        GateDrive.square_wave(1.0, 1.0, 0.33, 10, start_s=30.0, sign=-1)])


def test_kernel_equals_numpy_reference_for_both_gate_models():
    t = np.sort(np.random.default_rng(0).uniform(0, 200, 400))
    for gate in (GateParameters(CHAIN, 4e-7), GateParameters(CHAIN, 4e-5, "soft")):
        a = drive_state(gate, DRIVE, t)
        b = drive_state(gate, DRIVE, t, reference=True)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)  # same arithmetic up to rounding


def test_drive_response_kernel_equals_reference_on_random_regimes():
    # three regimes with their own bases and sources (as a soft gate at several voltages), random
    # segment edges, samples on edges and beyond the last edge (+inf)
    rng = np.random.default_rng(5)
    m, n_reg = 5, 3
    rates, to_modes, to_state = [], [], []
    for _ in range(n_reg):
        sym = rng.normal(size=(m, m))
        lam, vec = np.linalg.eigh(-(sym @ sym.T) - np.eye(m))
        lam[0] = 0.0  # a zero mode exercises φ(0, τ) = τ
        rates.append(lam), to_modes.append(vec.T), to_state.append(vec)
    rates, to_modes, to_state = np.array(rates), np.array(to_modes), np.array(to_state)
    source = rng.normal(size=(n_reg, m))
    edges = np.concatenate([[0.0], np.sort(rng.uniform(0, 5, 9)), [np.inf]])
    regime = rng.integers(0, n_reg, edges.size - 1).astype(np.int64)
    samples = np.sort(np.concatenate([rng.uniform(0, 8, 40), edges[1:4]]))
    u0 = rng.normal(size=m)
    a, b = np.empty((samples.size, m)), np.empty((samples.size, m))
    assert drive_response(u0, edges, regime, rates, to_modes, to_state, source, samples, a) == samples.size
    assert drive_response_reference(u0, edges, regime, rates, to_modes, to_state, source, samples, b) == samples.size
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_kernel_handles_samples_on_edges_and_after_the_last_pulse():
    gate = GateParameters(CHAIN, 4e-7)
    t = np.concatenate([DRIVE.start_s[:3], DRIVE.end_s[:3], [1e4]])
    t.sort()
    out = np.empty((t.size, 4))
    n = drive_response(np.zeros(4), np.array([0.0, 1.0, np.inf]), np.array([0, 0]), np.zeros((1, 4)),
                       np.eye(4)[None], np.eye(4)[None], np.zeros((1, 4)), t, out)
    assert n == t.size
    u = drive_state(gate, DRIVE, t)
    assert np.all(np.isfinite(u)) and u[0, 0] == 0.0  # nothing injected before the first pulse


def _pulse_by_pulse(chain, drive, g_gate, t_samples, kicks_per_pulse=400):
    """Independent reference: each on-phase as many instantaneous charge kicks (midpoint rule),
    free flow between them with scipy's expm; error O((w/K)^2 λ^2) ≈ 1e-9 here."""
    A = chain.operator()
    kicks_t, kicks_q = [], []
    for start, end, volt in zip(drive.start_s, drive.end_s, drive.voltage_v):
        h = (end - start) / kicks_per_pulse
        kicks_t.append(start + h * (np.arange(kicks_per_pulse) + 0.5))
        kicks_q.append(np.full(kicks_per_pulse, g_gate * volt * h / chain.capacities[0]))
    kicks_t, kicks_q = np.concatenate(kicks_t), np.concatenate(kicks_q)
    events = sorted([(t, 1, q) for t, q in zip(kicks_t, kicks_q)] + [(t, 0, i) for i, t in enumerate(t_samples)])
    u, t_now = np.zeros(chain.n_variables), 0.0
    out = np.empty((len(t_samples), chain.n_variables))
    propagators = {}  # expm(A·dt) per distinct dt (the kicks inside an on-phase share one)
    for t, kind, value in events:
        dt = t - t_now
        if dt not in propagators:
            propagators[dt] = scipy.linalg.expm(A * dt)
        u = propagators[dt] @ u
        t_now = t
        if kind:
            u[0] += value
        else:
            out[value] = u
    return out


def test_square_wave_matches_fine_pulse_by_pulse_simulation_within_1e_3():
    # at the end of every on-phase, inside every off-phase and during the relaxation (inside an
    # on-phase the kicks themselves are the discretisation, half a kick off at worst)
    t = np.sort(np.concatenate([DRIVE.end_s, DRIVE.end_s + 0.1, np.linspace(45.0, 120.0, 16)]))
    exact = drive_state(GateParameters(CHAIN, 4e-7), DRIVE, t)
    fine = _pulse_by_pulse(CHAIN, DRIVE, 4e-7, t)
    scale = np.abs(fine).max()
    assert np.abs(exact - fine).max() / scale < 1e-3  # the tolerance
    assert np.abs(exact - fine).max() / scale < 1e-6  # what the midpoint rule with 400 kicks reaches


def test_saturating_gate_matches_a_stiff_ode_solve():
    gate = GateParameters(CHAIN, 4e-5, "soft")
    t = np.linspace(0.0, 60.0, 61)
    exact = drive_state(gate, DRIVE, t)
    A = CHAIN.operator()
    edges = np.unique(np.concatenate([[0.0], DRIVE.start_s, DRIVE.end_s, [60.0]]))
    edges = edges[edges <= 60.0]
    u, out = np.zeros(4), []
    for a, b in zip(edges[:-1], edges[1:]):
        on = np.flatnonzero((DRIVE.start_s <= a) & (a < DRIVE.end_s))
        volt = DRIVE.voltage_v[on[0]] if on.size else None

        def rhs(_, x, volt=volt):
            dx = A @ x
            if volt is not None:
                dx[0] += 4e-5 * (volt - x[0]) / C[0]
            return dx
        inside = t[(t >= a) & (t < b)] if b < 60.0 else t[(t >= a) & (t <= b)]
        sol = solve_ivp(rhs, (a, b), u, method="Radau", rtol=1e-11, atol=1e-13, dense_output=True)
        if inside.size:
            out.append(sol.sol(inside).T.reshape(-1, 4))
        u = sol.y[:, -1]
    ode = np.concatenate(out)
    assert np.abs(exact - ode).max() / np.abs(ode).max() < 1e-6  # Radau at rtol 1e-11


@pytest.mark.spice
@pytest.mark.skipif(find_ngspice() is None, reason="ngspice not found: install it with `apt-get install ngspice`")
@pytest.mark.parametrize("saturation, g_gate", [("none", 4e-7), ("soft", 4e-5)])
def test_square_wave_matches_ngspice_rc_ladder_with_switched_source(saturation, g_gate):
    deck = gate_drive_ladder_deck(C, G, g_gate, DRIVE, t_stop_s=80.0, t_step_s=0.01, saturation=saturation)
    t, V = ladder_waveforms(run_deck(deck), 4)
    exact = drive_state(GateParameters(CHAIN, g_gate, saturation), DRIVE, t)
    # the deck's edges are 1e-6 of a pulse (second-order effect); ngspice reltol 1e-7
    assert np.abs(exact - V.T).max() / np.abs(exact).max() < 1e-3


def test_one_short_pulse_injects_the_charge_of_one_event():
    gate = GateParameters(CHAIN, 4e-7)
    drive = GateDrive.pulses([1.0], [1.0], [1e-3])
    u = drive_state(gate, drive, [1.0 + 1e-3])
    assert u[0, 0] == pytest.approx(4e-7 * 1.0 * 1e-3 / C[0], rel=1e-4)  # Q/C_1, minus O(w/τ) loss


def test_square_wave_protocol_runs_through_simulate_and_equals_the_drive():
    source = read_card(ROOT / "devices/proton_transistor_3.yaml")
    source.data.pop("variation", None)  # the nominal device (a sampled one differs by its variation)
    source.data["gate"]["cycle_noise"] = 0.0
    source.data["channel"]["read_noise"] = 0.0
    dev = build_device(validate_card(source, DeviceCard), "pt3")
    card = ProtocolCard.model_validate({"segments": [
        {"square_wave": {"pulses": 10, "frequency": "2 Hz", "on_fraction": 0.5}},
        {"relax": {"duration": "100 s"}}], "record": {"per_decade": 5, "decades": 3}})
    ds = run_protocol(dev, card, progress=False)
    gate = dev.card.gate
    drive = GateDrive.square_wave(gate.amplitude, 2.0, 0.5, 10)
    expected = drive_state(gate_parameters(dev), drive, ds.time.values)  # the card's gate saturates (soft)
    np.testing.assert_allclose(ds.u.values[0], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ds.conductance.values[0], dev.readout(expected[:, 0]), rtol=1e-12)
    assert ds.event_count.values[0] == 10


def test_protocol_schema_refuses_two_bodies_and_a_bad_on_fraction():
    with pytest.raises(ValueError, match="exactly one of train, relax, random, square_wave"):
        ProtocolCard.model_validate({"segments": [{"relax": {"duration": 1},
                                                   "square_wave": {"pulses": 1, "frequency": 1, "on_fraction": 0.5}}]})
    with pytest.raises(ValueError, match="on_fraction"):
        ProtocolCard.model_validate({"segments": [{"square_wave": {"pulses": 1, "frequency": 1, "on_fraction": 1.5}}]})


def test_overlapping_pulses_and_devices_without_a_gate_are_refused():
    with pytest.raises(InvalidParameterError, match="overlap"):
        GateDrive.pulses([0.0, 0.5], [1.0, 1.0], [1.0, 1.0])
    dev = load_device(ROOT / "devices/benna_fusi_m8.yaml")
    card = ProtocolCard.model_validate({"segments": [{"square_wave": {"pulses": 2, "frequency": 1, "on_fraction": 0.5}}]})
    with pytest.raises(InvalidParameterError, match="needs a device with a gate"):
        run_protocol(dev, card, progress=False)


def test_square_wave_population_has_variation_and_the_same_seed_gives_the_same_numbers():
    dev = load_device(ROOT / "devices/proton_transistor_3.yaml")  # card with device-to-device variation
    card = ProtocolCard.model_validate({"segments": [
        {"square_wave": {"pulses": 5, "frequency": "1 Hz", "on_fraction": 0.5}}, {"relax": {"duration": "10 s"}}],
        "record": {"per_decade": 3, "decades": 2}})
    a = run_protocol(dev, card, n_devices=4, seed=2, progress=False)
    b = run_protocol(dev, card, n_devices=4, seed=2, progress=False)
    np.testing.assert_array_equal(a.conductance.values, b.conductance.values)
    u1_end = a.u.values[:, -1, 0]
    assert np.unique(np.round(u1_end, 12)).size == 4  # every device its own chain, gate and noise
