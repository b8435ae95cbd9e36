"""``neuromorph memory`` as a user runs it: outputs side by side, help with an example, one clear
error (exit 2, no traceback) for bad input and nothing half-written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[2]


def test_help_text_mentions_example(capsys):
    from neuromorph.cli import main

    with pytest.raises(SystemExit):
        main(["memory", "--help"])
    out = capsys.readouterr().out
    assert "Examples:" in out and "neuromorph memory devices/benna_fusi_m8.yaml" in out


def test_memory_writes_netcdf_and_figure_side_by_side(run_cli, tmp_path):
    prefix = tmp_path / "mem"
    code, out, err = run_cli("memory", ROOT / "devices/benna_fusi_m8.yaml", ROOT / "devices/binary_stochastic.yaml",
                             "--synapses", "100", "--trials", "8", "--ages", "8", "--duration", "20 s",
                             "--seed", "2", "-o", prefix, "-q")
    assert code == 0, err
    assert (tmp_path / "mem.nc").exists() and (tmp_path / "mem.png").exists()
    assert "benna_fusi_m8" in out and "binary_stochastic" in out and "mean_field" in out and "markov" in out
    with xr.open_dataset(tmp_path / "mem.nc", engine="h5netcdf") as ds:
        assert list(ds["device"].values) == ["benna_fusi_m8", "binary_stochastic"]
        assert ds.attrs["seed"] == 2 and ds.attrs["n_synapses"] == 100
        assert ds["age"].attrs["units"] == "s"
        for name in ("snr_mc", "snr_se_mc", "snr_theory", "lifetime_mc", "lifetime_theory", "noise_mc"):
            assert name in ds
        # theory: binary SNR(0) = √N q = 10 × 0.1
        assert float(ds["snr_initial_theory"].sel(device="binary_stochastic")) == pytest.approx(1.0)
        first = ds["snr_mc"].values.copy()
    # same seed → same numbers
    code, _, _ = run_cli("memory", ROOT / "devices/benna_fusi_m8.yaml", ROOT / "devices/binary_stochastic.yaml",
                         "--synapses", "100", "--trials", "8", "--ages", "8", "--duration", "20 s",
                         "--seed", "2", "-o", tmp_path / "again", "-q", "--no-plot")
    assert code == 0 and not (tmp_path / "again.png").exists()
    with xr.open_dataset(tmp_path / "again.nc", engine="h5netcdf") as ds:
        np.testing.assert_array_equal(ds["snr_mc"].values, first)


def test_theory_only_and_per_step(run_cli, tmp_path):
    code, out, err = run_cli("memory", ROOT / "devices/benna_fusi_m12.yaml", "--method", "theory",
                             "--events", "per-step", "--synapses", "100000", "-o", tmp_path / "t", "-q")
    assert code == 0, err
    with xr.open_dataset(tmp_path / "t.nc", engine="h5netcdf") as ds:
        assert "snr_mc" not in ds and ds.attrs["events"] == "per_step"
        assert np.all(np.diff(np.rint(ds["age"].values)) > 0)  # whole steps of 1 s


def run_any(capsys, *args) -> tuple[int, str]:
    """Run the CLI in-process; argparse errors (SystemExit) and user errors both give (code, stderr)."""
    from neuromorph.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["devices/nope.yaml"], "file not found"),
    (["devices/benna_fusi_m8.yaml", "--rate", "3 m"], "expected frequency"),
    (["devices/benna_fusi_m8.yaml", "--synapses", "0"], "must be >= 1"),
    (["devices/benna_fusi_m8.yaml", "--duration", "-1 s"], "must be > 0 s"),
    (["devices/benna_fusi_m8.yaml", "--criterion", "0"], "must be > 0"),
])
def test_bad_input_is_one_clear_error(capsys, tmp_path, args, message):
    args = [ROOT / a if a.startswith("devices/") else a for a in args]
    code, err = run_any(capsys, "memory", *args, "-o", tmp_path / "bad", "-q")
    assert code == 2 and message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_chain_without_leak_is_refused_without_writing(run_cli, tmp_path):
    card = tmp_path / "closed.yaml"
    card.write_text(f"base: {ROOT / 'devices/benna_fusi_m8.yaml'}\nname: closed\nleak: false\n")
    code, out, err = run_cli("memory", card, "-o", tmp_path / "closed", "-q")
    assert code == 2
    assert "no stationary state" in err and "leak" in err and "Traceback" not in err
    assert not (tmp_path / "closed.nc").exists() and not (tmp_path / "closed.png").exists()
