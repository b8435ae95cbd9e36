"""`neuromorph netlist` / `spice-check`: the crossbar decks and the RC-ladder deck run through
ngspice for real and agree with neuromorph (IR-drop currents 1e-6 relative, ladder transient 1e-3
relative). Without ngspice these tests skip with the install hint (tests/spice/conftest.py), or
fail when NEUROMORPH_REQUIRE_NGSPICE is set (CI)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neuromorph.spice.scenarios import input_vector, prepare_array
from neuromorph.spice.check import check_crossbar, check_ladder

ROOT = Path(__file__).resolve().parents[2]
CARDS = [ROOT / "circuits/crossbar_16x16_pt5.yaml", ROOT / "circuits/crossbar_16x16_pt5_ref.yaml"]


@pytest.mark.spice
@pytest.mark.parametrize("card", CARDS, ids=lambda p: p.stem)
@pytest.mark.parametrize("transposed", [False, True], ids=["forward", "transposed"])
def test_irdrop_read_agrees_with_ngspice(card, transposed, tmp_path):
    array = prepare_array(card, seed=2, updates=5)
    x = input_vector(array, "random", 2, transposed)
    result = check_crossbar(array, x, transposed, tmp_path)
    # the deck carries 17 significant digits and the circuit is linear: both sides solve the same
    # equations to ~1e-13 (measured); the criterion is 1e-6
    assert result["max_rel_error"] < 1e-6
    assert result["max_elementwise_rel_error"] < 1e-6
    assert result["currents_ngspice_a"].shape == ((16,) if transposed else (array.n_lines,))
    assert (tmp_path / ("transposed" if transposed else "forward") / "deck.cir").exists()


@pytest.mark.spice
def test_irdrop_with_large_wire_resistance_agrees_with_ngspice(tmp_path):
    """A strongly resistive array (IR drop of tens of %), where a wrong topology would show."""
    card = tmp_path / "lossy.yaml"
    card.write_text(f"base: {CARDS[0]}\nwires: {{row: 2 kOhm, column: 1 kOhm, driver: 50 Ohm, sense: 0 Ohm}}\n")
    array = prepare_array(card, seed=0, updates=0)
    x = np.ones(array.n_in)
    ideal = array.read(x, noise=False).line_current_a
    result = check_crossbar(array, x, False)
    assert np.min(result["currents_ngspice_a"] / ideal) < 0.8  # the drop is large
    assert result["max_rel_error"] < 1e-6


@pytest.mark.spice
def test_rc_ladder_transient_agrees_with_ngspice(tmp_path):
    array = prepare_array(CARDS[0], seed=0, updates=0)
    result = check_ladder(array.device, workdir=tmp_path)
    # ngspice's trapezoidal steps at reltol 1e-6 against the exact solution: ~4e-5 on node 1
    # (measured); the criterion is 1e-3 per node
    assert result["ok"] and np.max(result["per_node_rel_error"]) < 1e-3
    assert result["points"] > 500
    # the exact side really is the device's chain: a node-1 voltage that moved (pulse, drain)
    assert result["exact_v"][0].max() > 0.25 and result["exact_v"][0].min() < 0.01


@pytest.mark.spice
def test_spice_check_command_passes_and_writes_outputs(run_cli, tmp_path):
    code, out, err = run_cli("spice-check", CARDS[1], "--seed", 1, "--updates", 3, "-o", tmp_path / "sc",
                             "--keep", tmp_path / "decks")
    assert code == 0, err
    assert out.count(" ok ") >= 3 and "all comparisons within tolerance" in out
    assert (tmp_path / "sc.nc").exists() and (tmp_path / "sc.png").stat().st_size > 10_000
    assert (tmp_path / "decks" / "ladder" / "deck.cir").exists()
    code, out, _ = run_cli("spice-check", CARDS[0], "--json")
    info = json.loads(out)
    assert code == 0 and info["ok"] and info["forward"]["max_rel_error"] < 1e-6


@pytest.mark.spice
def test_netlist_decks_run_in_ngspice_as_written(run_cli, tmp_path):
    from neuromorph.spice.ngspice import crossbar_currents, ladder_waveforms, run_deck

    code, out, _ = run_cli("netlist", CARDS[0], "-o", tmp_path / "x.cir", "--input", "ones")
    assert code == 0 and "x_ladder.cir" in out
    deck = (tmp_path / "x.cir").read_text()
    assert deck.count("\nRcell_") == 16 * 32 and "Rrow_0_0" in deck and ".op" in deck
    currents = crossbar_currents(run_deck(deck), 32)
    array = prepare_array(CARDS[0], seed=0, updates=0)
    np.testing.assert_allclose(currents, array.read(np.ones(16), ir_drop=True, noise=False).line_current_a,
                               rtol=1e-9)
    t, v = ladder_waveforms(run_deck((tmp_path / "x_ladder.cir").read_text()), 5)
    assert t[-1] == pytest.approx(100.0) and v.shape[0] == 5


def test_spice_check_without_ngspice_says_how_to_install(tmp_path):
    env = {"NEUROMORPH_NGSPICE": str(tmp_path / "no-such-ngspice"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "neuromorph", "spice-check", str(CARDS[0])],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert "apt-get install ngspice" in proc.stderr and "Traceback" not in proc.stderr
