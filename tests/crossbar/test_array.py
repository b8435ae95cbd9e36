"""Crossbar cards and the read path: card errors name the crossbar card's file:line; the ideal MVM
equals NumPy; differential pairs and reference columns hold signed weights within the ADC's
resolution; the IR-drop read tends to the ideal read as the wire resistance goes to zero; the
chains evolve in the array exactly as the core chain does; same seed, same numbers."""

import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg

from neuromorph.config.yamlio import ConfigError
from neuromorph.crossbar.array import CrossbarArray, load_crossbar

ROOT = Path(__file__).resolve().parents[2]
CIRCUITS = sorted((ROOT / "circuits").glob("crossbar_*.yaml"))

# a proton transistor without variation or noise; linear-clipped channel 1..10 µS over ±0.5 V
DEVICE = """\
kind: proton_transistor
compartments: 3
diffusion_coefficient: 1e-13 m^2/s
diffusion_length: 2 um
bridge_cross_section: {first: 1 um^2, ratio: 0.5}
capacity: {volume: {first: 2 um^3, ratio: 2.0}}
gate: {injection_conductance: 0.8 nS, width: 1 ms, saturation: soft}
channel: {g_min: 1 uS, g_max: 10 uS, transfer: {kind: linear_clipped, u_low: -0.5 V, u_high: 0.5 V}}
"""

CROSSBAR = """\
kind: crossbar
device: dev/cell.yaml
size: {{rows: {rows}, columns: {cols}}}
weights: {{scheme: {scheme}}}
dac: {{bits: {dac_bits}, range: [-0.2 V, 0.2 V]}}
adc: {{bits: {adc_bits}, range: auto}}
read_noise: {{cell: 0.0, output: 0 A}}
wires: {{row: {r} Ohm, column: {r} Ohm}}
timing: {{read: 10 us, update: 50 ms}}
"""


def make_card(tmp_path, rows=6, cols=5, scheme="differential", dac_bits=8, adc_bits=10, r=0.0, device=DEVICE,
              extra="") -> Path:
    (tmp_path / "dev").mkdir(exist_ok=True)
    (tmp_path / "dev" / "cell.yaml").write_text(device)
    card = tmp_path / f"xbar_{scheme}_{rows}x{cols}.yaml"
    text = CROSSBAR.format(rows=rows, cols=cols, scheme=scheme, dac_bits=dac_bits, adc_bits=adc_bits, r=r)
    card.write_text(text + textwrap.dedent(extra))
    return card


def errors(path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_crossbar(path)
    return info.value.problems


# --------------------------------------------------------------------------- #
# cards
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("path", CIRCUITS, ids=lambda p: p.stem)
def test_shipped_crossbar_cards_load(path):
    array = CrossbarArray(load_crossbar(path), seed=0)
    # every shipped card builds and reads; wires may be ideal (comparison cards set them to 0 Ω)
    assert array.n_in >= 16 and array.wires.r_row_ohm >= 0 and array.delta_w_min > 0
    x = np.linspace(-1.0, 1.0, array.n_in)
    assert np.all(np.isfinite(array.read(x, ir_drop=array.wires.r_row_ohm > 0).y))


def test_shipped_cards_include_differential_and_reference_column():
    schemes = {CrossbarArray(load_crossbar(p)).scheme for p in CIRCUITS}
    assert schemes == {"differential", "reference_column"}


def test_missing_device_names_the_crossbar_card_line(tmp_path):
    card = make_card(tmp_path)
    card.write_text(card.read_text().replace("dev/cell.yaml", "../nowhere/pt.yaml"))
    (problem,) = errors(card)
    assert problem.startswith(f"{card}:2: device: file '../nowhere/pt.yaml' not found")
    assert "relative to the crossbar card" in problem


def test_invalid_device_card_is_reported_under_the_crossbar_line(tmp_path):
    card = make_card(tmp_path, device=DEVICE.replace("compartments: 3", "compartments: 0"))
    problems = errors(card)
    assert problems[0].startswith(f"{card}:2: device: the device card dev/cell.yaml is invalid")
    assert any("cell.yaml:2: compartments" in p for p in problems[1:])


def test_stochastic_device_is_refused(tmp_path):
    card = make_card(tmp_path, device="kind: binary_stochastic\ntransition_probability: 0.5\n")
    (problem,) = errors(card)
    assert f"{card}:2: device:" in problem and "binary_stochastic" in problem and "chain device" in problem


def test_wrong_unit_and_unknown_field_give_file_line_field(tmp_path):
    card = make_card(tmp_path, extra="read_voltage: 0.1 A\nwirez: 3\n")
    problems = errors(card)
    assert any(p.startswith(f"{card}:10: read_voltage:") and "voltage" in p for p in problems)
    assert any(p.startswith(f"{card}:11: wirez: unknown field") for p in problems)


def test_adc_range_is_auto_or_a_current(tmp_path):
    card = make_card(tmp_path)
    card.write_text(card.read_text().replace("range: auto", "range: 20 uA"))
    assert CrossbarArray(load_crossbar(card)).adc_forward.full_scale_a == pytest.approx(20e-6)
    card.write_text(card.read_text().replace("range: 20 uA", "range: 20 uV"))
    (problem,) = errors(card)
    assert problem.startswith(f"{card}:6: adc.range: expected 'auto' or a full-scale current")


def test_update_slot_shorter_than_the_pulse_train_is_refused(tmp_path):
    card = make_card(tmp_path)
    card.write_text(card.read_text().replace("update: 50 ms", "update: 10 ms"))
    (problem,) = errors(card)
    assert problem.startswith(f"{card}:9: timing.update:") and "31 x 0.001 s" in problem


def test_ideal_chain_device_needs_a_channel_and_a_transistor_refuses_one(tmp_path):
    card = make_card(tmp_path, device="kind: benna_fusi\nn_variables: 4\ncapacities: 1\ncouplings: 0.1\n")
    (problem,) = errors(card)
    assert "channel: required for the ideal chain device" in problem
    card2 = make_card(tmp_path, extra="channel: {g_min: 1 uS, g_max: 2 uS}\n")
    (problem,) = errors(card2)
    assert problem.startswith(f"{card2}:10: channel:") and "own channel" in problem


def test_ideal_chain_device_with_a_channel_builds(tmp_path):
    card = make_card(tmp_path, device="kind: benna_fusi\nn_variables: 4\ncapacities: {first: 1, ratio: 2}\n"
                                      "couplings: {first: 0.25, ratio: 0.5}\nevent_size: 0.05\n",
                     extra="channel: {g_min: 1 uS, g_max: 3 uS, transfer: {kind: linear_clipped, u_low: -1, u_high: 1}}\n")
    array = CrossbarArray(load_crossbar(card))
    assert array.delta_w_min == pytest.approx(0.05)  # Δw = (G(Δ) − G(−Δ))/ΔG = 2Δ/2
    array.update(np.ones(6), np.ones(5), learning_rate=0.05, scheme="deterministic")
    # one event of ±0.05 per cell, then the 50 ms update slot of chain relaxation (time unit 1 s)
    expected = 0.05 * array.device.chain.response_to_unit_event(0.05)
    np.testing.assert_allclose(array.weights(), expected, rtol=1e-9)


# --------------------------------------------------------------------------- #
# read path
# --------------------------------------------------------------------------- #
def programmed(tmp_path, seed=0, w_max=0.9, **kw):
    array = CrossbarArray(load_crossbar(make_card(tmp_path, **kw)), seed=seed)
    w = np.random.default_rng(seed).uniform(-w_max, w_max, (array.n_in, array.n_out))
    array.set_weights(w)
    return array, w


def test_ideal_mvm_equals_numpy(tmp_path):
    array, _ = programmed(tmp_path, dac_bits="null", adc_bits="null", rows=7, cols=4)
    g = np.array(array.conductances())
    x = np.random.default_rng(5).uniform(-1, 1, (7, 3))
    res = array.read(x)
    # independent reference: plain NumPy product of the conductances and the input voltages
    np.testing.assert_allclose(res.line_current_a, g.T @ (0.2 * x), rtol=1e-13)
    w = (g[:, 0::2] - g[:, 1::2]) / 9e-6
    np.testing.assert_allclose(res.y, w.T @ x, rtol=1e-11, atol=1e-14)
    d = np.random.default_rng(6).uniform(-1, 1, 4)
    np.testing.assert_allclose(array.read(d, transposed=True).y, w @ d, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("scheme", ["differential", "reference_column"])
def test_signed_weights_are_represented_within_adc_resolution(tmp_path, scheme):
    array, w = programmed(tmp_path, scheme=scheme, rows=8, cols=6)
    np.testing.assert_allclose(array.weights(), w, atol=1e-12)
    lsb = array.adc_forward.step / array.scale()
    # one-hot rows: the ADC reading of row i is w[i, :] to within half an LSB (inputs ±1 are exact
    # DAC levels; nothing else is lossy on this card)
    for sign in (1.0, -1.0):
        y = array.read(sign * np.eye(8)).y.T
        assert np.max(np.abs(y - sign * w)) <= lsb / 2 * (1 + 1e-9)
    x = np.random.default_rng(2).uniform(-1, 1, (8, 50))
    res = array.read(x)
    assert np.max(np.abs(res.y - w.T @ res.input_q)) <= lsb / 2 * (1 + 1e-9)
    lsb_t = array.adc_transposed.step / array.scale(True)
    d = np.random.default_rng(3).uniform(-1, 1, (6, 50))
    rt = array.read(d, transposed=True)
    assert np.max(np.abs(rt.y - w @ rt.input_q)) <= lsb_t / 2 * (1 + 1e-9)


def test_set_weights_compensates_device_variation(tmp_path):
    device = DEVICE + "variation: {g_min: 0.1, g_max: 0.1, capacity: 0.1}\n"
    # |w| ≤ 0.5 keeps every target inside each cell's own (varied) conductance range
    array, w = programmed(tmp_path, device=device, w_max=0.5)
    assert np.std(array.cell_g_max) > 0
    np.testing.assert_allclose(array.weights(), w, atol=1e-12)


def test_ir_drop_read_tends_to_the_ideal_read_as_wires_vanish(tmp_path):
    x = np.random.default_rng(7).uniform(-1, 1, 6)
    errs = []
    for r in (0.0, 0.1, 1.0, 10.0):
        array, _ = programmed(tmp_path, dac_bits="null", adc_bits="null", r=r)
        ideal = array.read(x, noise=False).line_current_a
        solved = array.read(x, ir_drop=True, noise=False).line_current_a
        errs.append(np.max(np.abs(solved - ideal)) / np.max(np.abs(ideal)))
        if r == 1.0:
            t_ideal = array.read(x[:5], transposed=True).y
            t_solved = array.read(x[:5], transposed=True, ir_drop=True).y
            assert 0 < np.max(np.abs(t_solved - t_ideal)) < 1e-3
    assert errs[0] < 1e-12  # zero resistance: the nodal solve merges all nodes, exact to rounding
    # first order in R (G·R·N² ≪ 1 here): ten times the resistance, ten times the error (±2 %)
    assert errs[2] / errs[1] == pytest.approx(10, rel=0.02)
    assert errs[3] / errs[2] == pytest.approx(10, rel=0.05)


def test_ir_drop_map_loses_current_far_from_driver_and_sense(tmp_path):
    array, _ = programmed(tmp_path, r=20.0, rows=12, cols=10)
    rel, ideal, solved = array.ir_drop_map()
    assert rel.shape == (12, 20) and np.all(rel < 0)
    # the cell at the driver end of the last row (next to the sense amplifiers) loses least; the
    # far corner (row 0, last column) most
    assert rel[-1, 0] > rel[0, -1]
    assert np.all(np.abs(solved) < np.abs(ideal))


def test_read_noise_has_the_configured_statistics(tmp_path):
    card = make_card(tmp_path, dac_bits="null", adc_bits="null")
    card.write_text(card.read_text().replace("read_noise: {cell: 0.0, output: 0 A}",
                                             "read_noise: {cell: 0.02, output: 5 nA}"))
    array = CrossbarArray(load_crossbar(card), seed=1)
    g = np.array(array.conductances())
    x = np.full(6, 0.7)
    samples = np.stack([array.read(x).current_a for _ in range(4000)])
    v = 0.2 * 0.7
    pos, neg = (g[:, 0::2] * v), (g[:, 1::2] * v)
    expected = np.sqrt(0.02**2 * ((pos**2).sum(0) + (neg**2).sum(0)) + 2 * 5e-9**2)
    # 4000 samples: sample std within ~1.1 % (1σ); 6 % is > 5σ
    np.testing.assert_allclose(samples.std(axis=0), expected, rtol=0.06)


def test_stuck_cells_are_frozen_at_their_bounds(tmp_path):
    card = make_card(tmp_path, rows=20, cols=10, extra="stuck: {fraction: 0.05, at: both}\n")
    array = CrossbarArray(load_crossbar(card), seed=3)
    stuck = array.stuck_cells
    assert stuck.size == round(0.05 * 400)
    g = np.array(array.conductances()).ravel()[stuck]
    lo, hi = array.cell_g_min.ravel()[stuck], array.cell_g_max.ravel()[stuck]
    assert np.all((g == lo) | (g == hi)) and np.any(g == lo) and np.any(g == hi)
    for _ in range(5):
        array.update(np.ones(20), np.ones(10), scheme="deterministic")
    np.testing.assert_array_equal(np.array(array.conductances()).ravel()[stuck], g)


def test_chains_evolve_in_the_array_as_the_core_chain(tmp_path):
    """One deterministic update from rest, then waiting: u_1 of a pulsed cell follows
    expm(A t)·(Δu e_1) from scipy (independent of the eigenbasis kernels)."""
    array = CrossbarArray(load_crossbar(make_card(tmp_path, rows=2, cols=2)), seed=0)
    array.update(np.array([1.0, 0.0]), np.array([1.0, 0.0]), learning_rate=3 * array.delta_w_min,
                 scheme="deterministic")
    chain = array.device.chain
    gate = array.device.card.gate
    a = 1 - np.exp(-gate.injection_conductance * gate.width / chain.capacities[0])
    du = 1.0 - (1.0 - a) ** 3  # three soft-saturating pulses from rest towards +1 V
    t0 = array.time_s - array.t_update  # the pulses were applied at the start of the slot
    for wait in (0.0, 7.0, 300.0, 5000.0):
        array.wait(wait)
        t = array.time_s - t0
        expected = (scipy.linalg.expm(chain.operator() * t) @ np.eye(3)[0])[0] * du
        u1 = array.u1()
        assert u1[0, 0] == pytest.approx(expected, rel=1e-10)
        assert u1[0, 1] == pytest.approx(-expected, rel=1e-10)  # G⁻ got the opposite polarity
        assert u1[1, 2] == 0.0


def test_reads_advance_time(tmp_path):
    array, _ = programmed(tmp_path)
    t = array.time_s
    array.read(np.zeros((6, 4)))
    assert array.time_s == pytest.approx(t + 4 * 10e-6)


def test_same_seed_same_numbers_and_different_seed_differs(tmp_path):
    device = DEVICE.replace("saturation: soft}", "saturation: soft, cycle_noise: 0.05}") + \
        "variation: {g_min: 0.05, capacity: 0.05}\n"
    card = make_card(tmp_path, device=device, extra="stuck: {fraction: 0.1}\n")
    card.write_text(card.read_text().replace("cell: 0.0", "cell: 0.01"))

    def run(seed):
        array = CrossbarArray(load_crossbar(card), seed=seed)
        rng = np.random.default_rng(seed)
        for _ in range(5):
            array.update(rng.uniform(-1, 1, 6), rng.uniform(-1, 1, 5))
        return np.array(array.conductances()), array.read(rng.uniform(-1, 1, 6), ir_drop=True).current_a

    a, b, c = run(4), run(4), run(5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_bad_read_and_update_shapes_are_refused(tmp_path):
    array, _ = programmed(tmp_path)
    with pytest.raises(ValueError, match=r"shape \(6,\)"):
        array.read(np.zeros(5))
    with pytest.raises(ValueError, match="within"):
        array.update(np.full(6, 2.0), np.zeros(5))
    with pytest.raises(ValueError, match="shape"):
        array.set_weights(np.zeros((5, 6)))


def test_conductance_reads_measure_the_cells(tmp_path):
    array, _ = programmed(tmp_path, r=50.0)
    g = np.array(array.conductances())
    np.testing.assert_allclose(array.read_conductances(noise=False), g, rtol=1e-13)
    effective = array.read_conductances(ir_drop=True, noise=False)
    assert np.all(effective < g) and np.all(effective > 0.9 * g)  # wires lower what the sense sees


def test_bounds_that_exclude_rest_are_refused(tmp_path):
    card = make_card(tmp_path, device=DEVICE + "bounds: {lower: 0.1, upper: 0.4}\n")
    (problem,) = errors(card)
    assert problem.startswith(f"{card}:2: device: bounds [0.1, 0.4]") and "lower <= 0 <= upper" in problem
