"""The `neuromorph timescales` and `neuromorph simulate` commands as a user runs them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[2]


def test_timescales_json_lists_eigen_timescales(run_cli):
    code, out, _ = run_cli("timescales", ROOT / "devices/proton_transistor_1.yaml", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["relaxation_timescales_s"] == pytest.approx([40.0])  # L²/D = (2 µm)² / 1e-13 m²/s


def test_timescales_table_for_several_devices(run_cli):
    code, out, _ = run_cli("timescales", ROOT / "devices/proton_transistor_5.yaml", ROOT / "devices/cascade.yaml")
    assert code == 0
    assert "relaxation timescales" in out and "L_k^2/D" in out and "stochastic synapse" in out


def test_simulate_writes_netcdf_and_png_side_by_side(run_cli, tmp_path):
    prefix = tmp_path / "run"
    code, out, _ = run_cli("simulate", ROOT / "devices/proton_transistor_3.yaml", "--protocol",
                           ROOT / "protocols/alternating.yaml", "--devices", 3, "--seed", 2, "-o", prefix, "-q")
    assert code == 0, out
    ds = xr.load_dataset(prefix.with_suffix(".nc"))
    assert ds.u.dims == ("device", "time", "compartment") and ds.sizes["compartment"] == 3
    # one meaning per name: a proton transistor reads out its channel conductance [S], not a "weight"
    assert ds.attrs["readout"] == "conductance" and ds.conductance.attrs["units"] == "S"
    assert "weight" not in ds
    assert prefix.with_suffix(".png").stat().st_size > 10_000


def test_bad_card_exits_2_with_a_message_and_no_traceback(tmp_path):
    card = tmp_path / "bad.yaml"
    card.write_text("kind: proton_transistor\ncompartments: 0\n")
    proc = subprocess.run([sys.executable, "-m", "neuromorph", "timescales", str(card)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"{card}:2: compartments:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unstable_explicit_step_is_refused_by_the_cli(run_cli, tmp_path):
    protocol = tmp_path / "p.yaml"
    protocol.write_text("segments:\n  - relax: {duration: 10 s}\n")
    common = ("simulate", ROOT / "devices/benna_fusi_m8.yaml", "-p", protocol, "--integrator", "explicit_euler",
              "-o", tmp_path / "x", "-q")
    # the fastest mode of the m = 8 chain is 2.5 s: explicit Euler is stable up to 4.99 s
    code, _, err = run_cli(*common, "--max-step", "6")
    assert code == 2 and "exceeds the stability limit" in err and "4.99" in err
    assert not (tmp_path / "x.nc").exists()
    code, _, err = run_cli(*common, "--max-step", "4")
    assert code == 0, err


def test_help_has_an_example():
    proc = subprocess.run([sys.executable, "-m", "neuromorph", "simulate", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "Example" in proc.stdout
