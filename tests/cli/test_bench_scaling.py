"""``neuromorph bench step --scaling`` at tiny sizes: it writes the log–log figure and its numbers
(netCDF) under ``-o PREFIX``, reports progress, caps the points that do not fit in memory before
any work, and refuses the run when none fits. Timings are never asserted (benchmarks are not
tests), only what is written and how each point is accounted for."""

import json

import numpy as np
import xarray as xr

from neuromorph.bench._scaling import point_bytes

TINY = ["--scaling", "--scaling-synapses", 1000, 3000, "--scaling-variables", 1, 4, "--synapses", 2000,
        "--variables", 3, "--repeats", 1]


def test_scaling_writes_the_figure_and_its_numbers(run_cli, tmp_path):
    prefix = tmp_path / "out" / "scaling"
    code, out, err = run_cli("bench", "step", *TINY, "-o", prefix)
    assert code == 0, err
    png, nc = prefix.with_suffix(".png"), prefix.with_suffix(".nc")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {png}" in out and f"wrote {nc}" in out
    assert "scaling 4/4" in err  # progress, one line per point
    ds = xr.open_dataset(nc)
    assert list(ds["synapses"].values) == [1000, 3000] and list(ds["variables"].values) == [1, 4]
    for case in ("eigen", "fused", "stream"):
        assert np.all(ds[f"seconds_per_step_{case}_vs_n"].values > 0)
        assert np.all(ds[f"seconds_per_step_{case}_vs_m"].values > 0)
    # bytes of the stream pass: 8·N·(2m + 2), the traffic of one step
    np.testing.assert_array_equal(ds["bytes_per_step_vs_n"].values, [8 * n * (2 * 3 + 2) for n in (1000, 3000)])
    # the bandwidth line comes from the stream pass that moved the most bytes (N = 3000, m = 3 here)
    assert ds.attrs["bandwidth_measured_at"] == "N=3000 m=3"
    biggest = ds["seconds_per_step_stream_vs_n"].values[-1]
    assert ds.attrs["bandwidth_bytes_per_second"] == ds["bytes_per_step_vs_n"].values[-1] / biggest
    assert "cpu" in ds.attrs["backends"]


def test_points_that_do_not_fit_are_capped_before_the_work(run_cli, tmp_path, monkeypatch):
    big = 10**8
    # room for the tiny points, not for N = 10^8
    monkeypatch.setenv("NEUROMORPH_MEMORY_LIMIT", str(int(point_bytes(3000, 3, 2) * 10)))
    code, out, err = run_cli("bench", "step", *TINY[:3], big, *TINY[5:], "-o", tmp_path / "s", "--json")
    assert code == 0, err
    assert f"capped: N = {big:.3g} x m = 3" in err and "NEUROMORPH_MEMORY_LIMIT" in err
    doc = json.loads(out)
    assert [c["synapses"] for c in doc["capped"]] == [big]
    assert big not in [p["synapses"] for p in doc["points"]]
    assert doc["threads"]["numba_threads"] >= 1 and doc["figures"]


def test_scaling_is_refused_when_no_point_fits(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROMORPH_MEMORY_LIMIT", "1k")
    code, out, err = run_cli("bench", "step", *TINY, "-o", tmp_path / "s")
    assert code == 2 and "bench step would need about" in err and "--scaling-synapses" in err
    assert not (tmp_path / "s.png").exists()


def test_an_unusable_output_prefix_is_refused_before_the_work(run_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli("bench", "step", *TINY, "-o", blocker / "s")
    assert code == 2 and "--output" in err and "scaling 1/" not in err


def test_options_of_the_other_mode_are_refused(run_cli, tmp_path):
    code, _, err = run_cli("bench", "step", "--synapses", 2000, "-o", tmp_path / "s")
    assert code == 2 and "--output" in err and "--scaling" in err
    code, _, err = run_cli("bench", "step", *TINY, "--peer", "brian2")
    assert code == 2 and "--peer brian2" in err and "--scaling" in err
