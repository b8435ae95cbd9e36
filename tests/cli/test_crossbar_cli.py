"""`neuromorph crossbar`, `netlist` and `bench crossbar` as a user runs them: outputs side by side,
same seed → same numbers, one clear error without traceback, --help with an example."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[2]
CARD = ROOT / "circuits/crossbar_16x16_pt5.yaml"
REF_CARD = ROOT / "circuits/crossbar_16x16_pt5_ref.yaml"


def test_crossbar_writes_netcdf_and_figure_side_by_side(run_cli, tmp_path):
    prefix = tmp_path / "run"
    code, out, err = run_cli("crossbar", CARD, "--updates", 20, "--seed", 1, "-o", prefix, "-q")
    assert code == 0, err
    ds = xr.load_dataset(prefix.with_suffix(".nc"))
    assert ds.conductance_after.dims == ("row", "line") and ds.sizes["line"] == 32
    assert ds.conductance_after.attrs["units"] == "S"
    assert ds.weight_after.shape == (16, 16) and ds.attrs["n_updates"] == 20
    # the writes did something, in the intended direction
    assert ds.attrs["update_correlation"] > 0.5
    assert np.abs(ds.realised_update).max() > 0.05
    assert prefix.with_suffix(".png").stat().st_size > 30_000
    assert "realised vs intended" in out and f"wrote {prefix}.nc" in out


def test_same_seed_same_numbers(run_cli, tmp_path):
    runs = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        code, _, err = run_cli("crossbar", REF_CARD, "--updates", 5, "--seed", seed, "-o", tmp_path / name,
                               "-q", "--no-plot", "--relax", 30)
        assert code == 0, err
        runs.append(xr.load_dataset(tmp_path / f"{name}.nc"))
    for var in ("conductance_after", "mvm_irdrop_after", "conductance_read_before", "pulse_count"):
        np.testing.assert_array_equal(runs[0][var].values, runs[1][var].values)
    assert not np.array_equal(runs[0].conductance_after.values, runs[2].conductance_after.values)
    assert not (tmp_path / "a.png").exists()


def test_json_summary(run_cli, tmp_path):
    code, out, _ = run_cli("crossbar", REF_CARD, "--updates", 3, "--json", "--no-plot", "-o", tmp_path / "j",
                           "--scheme", "deterministic")
    info = json.loads(out)
    assert code == 0 and info["scheme"] == "reference_column" and info["write_scheme"] == "deterministic"
    assert info["physical_columns"] == 17 and info["irdrop_worst_cell_error"] < 0


@pytest.mark.parametrize("args, message", [
    (("--updates", "-1"), "argument --updates/-n: must be >= 0"),
    (("--learning-rate", "50"), "learning rate 50 needs pulse probabilities"),
])
def test_bad_options_give_one_error(run_cli, tmp_path, args, message):
    code, _, err = run_cli("crossbar", CARD, "-o", tmp_path / "x", "-q", *args)
    assert code == 2 and message in err
    assert not (tmp_path / "x.nc").exists()


def test_bad_card_exits_2_with_file_line_and_no_traceback(tmp_path):
    card = tmp_path / "bad.yaml"
    card.write_text(f"kind: crossbar\ndevice: {ROOT}/devices/proton_transistor_5.yaml\nsize: {{rows: 4, columns: 0}}\n"
                    "wires: {row: 3 V}\n")
    proc = subprocess.run([sys.executable, "-m", "neuromorph", "crossbar", str(card)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"{card}:3: size.columns:" in proc.stderr and f"{card}:4: wires.row:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_netlist_writes_both_decks(run_cli, tmp_path):
    code, out, _ = run_cli("netlist", REF_CARD, "-o", tmp_path / "n" / "ref.cir", "--transposed", "--updates", 2)
    assert code == 0
    deck = (tmp_path / "n" / "ref.cir").read_text()
    assert "transposed" in deck and deck.count("\nVsense_") == 16 and deck.count("\nVin_") == 17
    ladder = (tmp_path / "n" / "ref_ladder.cir").read_text()
    assert ladder.count("\nC") == 5 and "PULSE(" in ladder and ".ic " in ladder


def test_shipped_netlists_are_what_the_command_writes(run_cli, tmp_path):
    """netlists/ holds the decks of the shipped cards at their defaults (regenerate with
    `neuromorph netlist circuits/<card>.yaml`)."""
    for card in (CARD, REF_CARD):
        code, _, _ = run_cli("netlist", card, "-o", tmp_path / f"{card.stem}.cir")
        assert code == 0
        for suffix in (".cir", "_ladder.cir"):
            shipped = (ROOT / "netlists" / f"{card.stem}{suffix}").read_text().split()
            written = (tmp_path / f"{card.stem}{suffix}").read_text().split()
            assert len(shipped) == len(written)
            for a, b in zip(shipped, written):
                # numbers to 1e-9 (a NumPy release may round a random draw differently), text exactly
                try:
                    assert float(a) == pytest.approx(float(b), rel=1e-9, abs=0), (card, a, b)
                except ValueError:
                    assert a == b, (card, a, b)


def test_help_has_an_example(capsys):
    from neuromorph.cli import main

    for command in (["crossbar"], ["netlist"], ["spice-check"], ["bench", "crossbar"]):
        with pytest.raises(SystemExit):
            main(command + ["--help"])
        assert "Example" in capsys.readouterr().out


def test_bench_crossbar_reports_ratios_measured_in_one_run(run_cli):
    code, out, _ = run_cli("bench", "crossbar", "--sizes", "8", "--ir-size", "0", "--repeats", "1", "--json")
    info = json.loads(out)
    assert code == 0
    (size,) = info["sizes"]
    assert size["n"] == 8 and size["cells"] == 128
    assert size["update"]["seconds"] > 0 and size["fused_update_speedup"] > 0 and size["mvm_overhead_vs_numpy"] > 0
