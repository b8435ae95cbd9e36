"""The published-device cards (Zhang et al., arXiv 2401.15045): their chain is the paper's fitted
model, and the checks (transfer out of u_1 after one write; return to baseline after an 80-pulse
ramp) computed from the exact drive agree with independent references."""

from pathlib import Path

import numpy as np
import pytest
import scipy.linalg

from neuromorph.devices.loader import load_device
from neuromorph.tasks.fit.checks import return_to_baseline, single_write_transfer
from neuromorph.tasks.gate_drive import GateDrive, drive_state, gate_parameters

ROOT = Path(__file__).resolve().parents[2]
FOUR = load_device(ROOT / "devices/zhang2024_pedot_nafion_4.yaml")
TWO = load_device(ROOT / "devices/zhang2024_pedot_nafion_2.yaml")


def test_cards_carry_the_papers_chain_model():
    c, g = FOUR.chain.capacities, FOUR.chain.couplings
    assert g[0] / c[0] == pytest.approx(2.0**-7.5, rel=1e-9)                  # g12/C1 = 2^-7.5 1/s
    np.testing.assert_allclose(g[:3] / g[0], [1.0, 2.0**-1, 2.0**-2], rtol=1e-12)  # 2^-6 : 2^-7 : 2^-8
    np.testing.assert_allclose(c / c[0], [1, 1, 2, 4], rtol=1e-12)             # C1:C2:C3:C4 = 1:1:2:4
    np.testing.assert_allclose(TWO.chain.capacities, c[:2])
    np.testing.assert_allclose(TWO.chain.couplings, g[:2])


@pytest.mark.parametrize("device", [FOUR, TWO], ids=["4", "2"])
def test_fraction_moved_out_of_u1_after_160_s_matches_expm_of_a_short_write(device):
    short = single_write_transfer(device, width_s=1e-3, delay_s=160.0)
    kick = np.zeros(device.n_variables)
    kick[0] = 1.0
    u = scipy.linalg.expm(device.chain.operator() * 160.0) @ kick  # instantaneous write, independent of the kernel
    assert short["fraction_moved_out_of_u1"] == pytest.approx(1.0 - u[0], abs=1e-4)  # O(w/τ) = 1e-3/181
    published = single_write_transfer(device)  # 0.5 s write (1 Hz, 50 %): differs by O(w/τ) only
    assert published["fraction_moved_out_of_u1"] == pytest.approx(1.0 - u[0], abs=3e-3)
    fractions = published["charge_fraction_per_compartment"]
    assert sum(fractions) + published["charge_fraction_leaked"] == pytest.approx(1.0, abs=1e-12)  # charge is conserved


def test_return_to_baseline_is_the_first_crossing_and_four_compartments_remember_longer():
    times = {}
    for name, device in (("4", FOUR), ("2", TWO)):
        result = return_to_baseline(device, fractions=(0.05,))
        t_back = result["times_s"][0.05]
        gate = gate_parameters(device)
        drive = GateDrive.square_wave(1.0, 1.0, 0.5, 80)
        grid = 80.0 + np.arange(0.0, 1.2 * t_back, 1.0)
        change = np.abs(device.readout(drive_state(gate, drive, grid)[:, 0]) - result["rest_conductance_s"])
        first = grid[np.argmax(change < 0.05 * abs(result["peak_change_s"]))] - 80.0
        assert t_back == pytest.approx(first, abs=1.0)  # 1 s grid
        times[name] = t_back
    assert times["4"] > 5 * times["2"]  # the slow compartments hold the ramp for hours, not minutes
