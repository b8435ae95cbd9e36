"""``neuromorph sweep`` as a user runs it: check, run, resume, refusals (exit 2, no traceback)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[2]

CARD = f"""\
kind: sweep
name: cli
device: {ROOT / 'devices/benna_fusi_m8.yaml'}
grid:
  n_variables: [2, 6]
  couplings.ratio: [0.3, 0.5, 0.7]
experiment:
  method: mean_field
  synapses: 10000
  ages: {{first: 0.1 s, last: 1e6 s, count: 25}}
seed: 1
"""


def run_any(capsys, *args) -> tuple[int, str, str]:
    from neuromorph.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def card(tmp_path) -> Path:
    path = tmp_path / "sweep_cli.yaml"
    path.write_text(CARD)
    return path


def test_help_has_examples(capsys):
    code, out, _ = run_any(capsys, "sweep", "--help")
    assert code == 0 and "Examples:" in out and "neuromorph sweep circuits/sweep_proton_length_x_compartments.yaml" in out
    assert "--dask-local" in out and "--scheduler" in out and "--workers" in out


def test_check_lists_points_without_work(capsys, card, tmp_path):
    code, out, err = run_any(capsys, "sweep", card, "--check", "-o", tmp_path / "out")
    assert code == 0, err
    assert "6 points over n_variables, couplings.ratio (shape 2 x 3)" in out and "n_variables=6, couplings.ratio=0.7" in out
    assert not (tmp_path / "out").exists()


def test_sweep_writes_dataset_and_figures_and_resumes(capsys, card, tmp_path):
    out_dir = tmp_path / "out"
    code, out, err = run_any(capsys, "sweep", card, "-o", out_dir, "--workers", "1", "-q")
    assert code == 0, err
    assert "6 points, 0 already done, computing 6" in out
    for name in ("sweep.nc", "lifetime_heatmap.png", "snr_curves.png", "manifest.json"):
        assert (out_dir / name).exists()
    with xr.open_dataset(out_dir / "sweep.nc", engine="h5netcdf") as ds:
        assert ds["lifetime"].dims == ("n_variables", "couplings_ratio")
        assert ds["snr"].dims == ("n_variables", "couplings_ratio", "age")
        assert ds["timescales"].sizes["mode"] == 6
        np.testing.assert_allclose(ds["couplings_ratio"].values, [0.3, 0.5, 0.7])
        assert np.isfinite(ds["lifetime"].values).all()
        # a longer chain (6 stages) remembers longer than 2 stages at N = 1e4 (Benna & Fusi 2016)
        assert (ds["lifetime"].sel(n_variables=6) > ds["lifetime"].sel(n_variables=2)).all()
        first = ds["lifetime"].values.copy()
    code, out, err = run_any(capsys, "sweep", card, "-o", out_dir, "--workers", "1", "-q", "--no-plot")
    assert code == 0 and "6 points, 6 already done, computing 0" in out
    with xr.open_dataset(out_dir / "sweep.nc", engine="h5netcdf") as ds:
        np.testing.assert_array_equal(ds["lifetime"].values, first)


def test_other_seed_into_the_same_directory_is_refused_then_restart(capsys, card, tmp_path):
    out_dir = tmp_path / "out"
    assert run_any(capsys, "sweep", card, "-o", out_dir, "--workers", "1", "-q", "--no-plot")[0] == 0
    code, out, err = run_any(capsys, "sweep", card, "-o", out_dir, "--workers", "1", "-q", "--seed", "9")
    assert code == 2 and "different sweep" in err and "seed: 1 (stored) vs 9 (now)" in err and "Traceback" not in err
    code, out, err = run_any(capsys, "sweep", card, "-o", out_dir, "--workers", "1", "-q", "--seed", "9",
                             "--restart", "--no-plot")
    assert code == 0 and "0 already done, computing 6" in out


def test_bad_card_is_refused_before_any_work(capsys, tmp_path):
    card = tmp_path / "bad.yaml"
    card.write_text(CARD.replace("n_variables: [2, 6]", "n_variables: [2, 0]"))
    code, out, err = run_any(capsys, "sweep", card, "-o", tmp_path / "out")
    assert code == 2 and "Traceback" not in err
    assert "sweep point 3 (n_variables=0, couplings.ratio=0.3): n_variables:" in err
    assert f"{card}:5:" in err
    assert not (tmp_path / "out").exists()


def test_executor_options_are_checked(capsys, card, tmp_path):
    code, _, err = run_any(capsys, "sweep", card, "--dask-local", "2", "--scheduler", "tcp://x:1")
    assert code == 2 and "either --scheduler" in err
    code, _, err = run_any(capsys, "sweep", card, "--workers", "0")
    assert code == 2 and "argument --workers/-j: must be >= 1" in err


def test_missing_dask_is_one_clear_error(capsys, card, tmp_path, without_dask):
    code, _, err = run_any(capsys, "sweep", card, "--dask-local", "2", "-o", tmp_path / "out", "-q")
    assert code == 2 and "pip install neuromorph[dask]" in err and "Traceback" not in err
