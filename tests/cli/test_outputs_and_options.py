"""Outputs appear atomically or not at all, output locations are checked before any work, option
values are checked at parse time with the option named, and big work is refused up front with
its estimate."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neuromorph.cli import _options as opts
from neuromorph.errors import OutputError, ResourceError
from neuromorph.outputs import atomic_path, dumps_strict, save_figure, write_json, write_netcdf, write_text

ROOT = Path(__file__).resolve().parents[2]
DEVICE = ROOT / "devices/benna_fusi_m8.yaml"


# ---------------------------------------------------------------------------------------------
# atomic writer


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "result.nc"
    target.write_text("previous result")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half of the new")
            raise RuntimeError("writer died")
    assert target.read_text() == "previous result"
    assert [p.name for p in tmp_path.iterdir()] == ["result.nc"]


def test_every_writer_goes_through_the_same_directory_temporary(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((Path(src).parent, Path(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    paths = [write_netcdf(xr.Dataset({"x": ("t", np.arange(3.0))}), tmp_path / "a.nc"),
             write_text("* deck\n.end\n", tmp_path / "deck.cir"), write_json({"a": 1}, tmp_path / "a.json"),
             save_figure(fig, tmp_path / "a.png")]
    plt.close(fig)
    assert [dst for _, dst in seen] == paths
    assert all(parent == tmp_path for parent, _ in seen)
    assert xr.open_dataset(paths[0], engine="h5netcdf")["x"].size == 3
    assert paths[3].read_bytes()[:4] == b"\x89PNG"


def test_writing_under_a_file_is_an_output_error_naming_it(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="file/sub/a.txt"):
        write_text("x", tmp_path / "file" / "sub" / "a.txt")


def test_strict_json_has_no_nan_or_infinity_and_says_why():
    text = dumps_strict({"lifetime_s": float("inf"), "snr": np.float64("nan"), "curve": np.array([1.0, -np.inf]),
                         "count": np.int64(3)})
    def refuse(constant):
        raise AssertionError(f"non-standard JSON constant {constant}")

    data = json.loads(text, parse_constant=refuse)  # strict parse: NaN/Infinity would raise
    assert data["lifetime_s"] is None and "infinity" in data["lifetime_s_note"]
    assert data["snr"] is None and "NaN" in data["snr_note"]
    assert data["curve"] == [1.0, None] and "-infinity" in data["curve_note"]
    assert data["count"] == 3


# ---------------------------------------------------------------------------------------------
# output locations


def test_prefix_gets_suffixes_and_a_given_nc_suffix_is_not_doubled(tmp_path):
    out = opts.output_prefix(str(tmp_path / "run.nc"), "out/memory")
    assert out.path(".nc") == tmp_path / "run.nc" and out.path(".png") == tmp_path / "run.png"


def test_trailing_slash_or_existing_directory_writes_inside_with_the_default_name(tmp_path):
    assert opts.output_prefix(str(tmp_path / "new") + "/", "out/memory").path(".nc") == tmp_path / "new/memory.nc"
    assert (tmp_path / "new").is_dir()  # created before any work
    assert opts.output_prefix(str(tmp_path), "out/memory").path(".png") == tmp_path / "memory.png"


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_output_is_refused(value):
    with pytest.raises(OutputError, match="empty output location"):
        opts.output_prefix(value, "out/memory")


def test_output_under_a_file_is_refused_before_work(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        opts.output_prefix(str(tmp_path / "taken" / "run"), "out/memory")


def test_output_that_is_a_directory_for_a_file_is_refused(tmp_path):
    (tmp_path / "run.nc").mkdir()
    with pytest.raises(OutputError, match="is a directory"):
        opts.output_prefix(str(tmp_path / "run"), "out/memory")


def test_a_directory_that_cannot_be_created_is_refused():
    with pytest.raises(OutputError, match="--output /proc/neuromorph-test: cannot create the directory"):
        opts.output_prefix("/proc/neuromorph-test/run", "out/memory")


def test_an_existing_directory_without_write_access_is_refused(tmp_path):
    """The probe creates and removes a file. /proc/self exists but takes no files, even for root
    (which ignores chmod); with an ordinary user a read-only directory is tried as well."""
    with pytest.raises(OutputError, match="--output /proc/self: directory is not writable"):
        opts.output_prefix("/proc/self/run", "out/memory")
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(OutputError, match="directory is not writable"):
                opts.output_prefix(str(locked / "run"), "out/memory")
        finally:
            locked.chmod(0o700)


def test_existing_outputs_are_replaced_and_the_command_says_so(tmp_path):
    (tmp_path / "run.nc").write_text("old")
    out = opts.output_prefix(str(tmp_path / "run"), "out/memory")
    assert out.wrote(out.path(".nc")) == f"wrote {tmp_path / 'run.nc'} (replaced the previous file)"
    assert out.wrote(out.path(".png")) == f"wrote {tmp_path / 'run.png'}"


def test_memory_command_refuses_an_output_under_a_file_before_computing(run_cli, tmp_path):
    (tmp_path / "taken").write_text("x")
    start = time.perf_counter()
    code, _, err = run_cli("memory", DEVICE, "--synapses", "100", "--trials", "4", "-q",
                           "-o", tmp_path / "taken" / "mem")
    assert code == 2 and "is a file" in err and "Traceback" not in err
    assert time.perf_counter() - start < 10  # refused up front (the experiment itself is not run)


def test_repeating_a_command_says_it_replaced_the_outputs(run_cli, tmp_path):
    args = ("simulate", DEVICE, "-p", ROOT / "protocols/single_event.yaml", "--no-plot", "-q", "-o", tmp_path / "s")
    assert run_cli(*args)[0] == 0
    code, out, _ = run_cli(*args)
    assert code == 0 and "(replaced the previous file)" in out


# ---------------------------------------------------------------------------------------------
# option types


def test_seed_range_is_the_same_for_every_command():
    assert opts.seed("0") == 0 and opts.seed(str(opts.SEED_MAX)) == 2**32 - 1
    for bad in ("-1", str(2**32), "1.5", "abc", "nan"):
        with pytest.raises(argparse.ArgumentTypeError):
            opts.seed(bad)


def test_bounded_int_accepts_scientific_whole_numbers_and_names_the_bound():
    convert = opts.bounded_int(1, 1000)
    assert convert("1e3") == 1000 and convert("1_000") == 1000
    with pytest.raises(argparse.ArgumentTypeError, match="must be <= 1000, got 1001"):
        convert("1001")
    with pytest.raises(argparse.ArgumentTypeError, match="must be >= 1, got 0"):
        convert("0")
    with pytest.raises(argparse.ArgumentTypeError, match="whole number"):
        convert("2.5")


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "0", "-1"])
def test_positive_float_refuses_non_finite_and_non_positive(text):
    with pytest.raises(argparse.ArgumentTypeError):
        opts.positive_float(text)


@pytest.mark.parametrize("args, message", [
    (("--seed", "-1"), "argument --seed: must be >= 0, got -1"),
    (("--seed", "4294967296"), "argument --seed: must be <= 4294967295"),
    (("--devices", "0"), "argument --devices/-n: must be >= 1, got 0"),
    (("--max-step", "1 V"), "argument --max-step"),
])
def test_simulate_options_are_checked_at_parse_time_with_their_name(run_cli, tmp_path, args, message):
    code, _, err = run_cli("simulate", DEVICE, "-p", ROOT / "protocols/single_event.yaml", "-o", tmp_path / "s",
                           *args)
    assert code == 2 and message in err
    assert not any(tmp_path.iterdir())


# ---------------------------------------------------------------------------------------------
# resources


def test_check_memory_refuses_with_the_estimate_and_the_option(monkeypatch):
    monkeypatch.setenv("NEUROMORPH_MEMORY_LIMIT", "1G")
    assert opts.available_memory_bytes() == 2**30
    opts.check_memory(100e6, "small", "lower --devices")
    with pytest.raises(ResourceError, match=r"would need about 9.31 GiB .* 1 GiB available; lower --devices"):
        opts.check_memory(10e9, "big", "lower --devices")


def test_simulate_refuses_a_population_that_does_not_fit_in_memory(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROMORPH_MEMORY_LIMIT", "1G")
    code, _, err = run_cli("simulate", DEVICE, "-p", ROOT / "protocols/random_stream.yaml", "--devices", "1000000",
                           "-q", "-o", tmp_path / "s")
    assert code == 2 and "would need about" in err and "--devices" in err
    assert not any(tmp_path.iterdir())


def test_very_long_euler_integration_states_steps_and_is_refused_unless_asked(run_cli, tmp_path):
    proto = tmp_path / "long.yaml"
    proto.write_text("kind: protocol\nsegments:\n  - train: {pulses: 1, interval: 1 s}\n  - relax: {duration: 1e10 s}\n")
    code, _, err = run_cli("simulate", DEVICE, "-p", proto, "--integrator", "explicit_euler", "-q",
                           "-o", tmp_path / "s")
    assert code == 2 and "steps" in err and "--allow-long" in err
    assert not (tmp_path / "s.nc").exists()


def test_stepped_integration_prints_its_step_count_before_starting(run_cli, tmp_path):
    proto = tmp_path / "short.yaml"
    proto.write_text("kind: protocol\nsegments:\n  - train: {pulses: 2, interval: 1 s}\n  - relax: {duration: 100 s}\n")
    code, out, err = run_cli("simulate", DEVICE, "-p", proto, "--integrator", "implicit_euler", "--no-plot", "-q",
                             "-o", tmp_path / "s")
    # 102 s in steps of 0.1 x the fastest timescale (2.5 s): about 410 steps
    assert code == 0, err
    assert "simulate: 409 steps, expected to take about" in out


@pytest.mark.parametrize("extra", [("--rate", "1e300"), ("--duration", "1e300"), ("--rate", "1e9", "--duration", "1e9")])
def test_memory_refuses_an_absurd_number_of_events_up_front(run_cli, tmp_path, extra):
    start = time.perf_counter()
    code, _, err = run_cli("memory", DEVICE, "--synapses", "100", "--trials", "4", "-q", "-o", tmp_path / "m", *extra)
    assert code == 2 and "plasticity events" in err and "--allow-long" in err
    assert time.perf_counter() - start < 30 and not any(tmp_path.iterdir())


def test_netlist_with_a_bad_ladder_time_writes_no_deck(run_cli, tmp_path):
    code, _, err = run_cli("netlist", ROOT / "circuits/crossbar_16x16_pt5.yaml", "-o", tmp_path / "deck.cir",
                           "--ladder-time", "1 ns")
    assert code == 2 and "too short" in err
    assert not any(tmp_path.iterdir())


def test_bench_step_refuses_arrays_that_do_not_fit(run_cli, monkeypatch):
    monkeypatch.setenv("NEUROMORPH_MEMORY_LIMIT", "1G")
    code, _, err = run_cli("bench", "step", "--synapses", "1e8", "--repeats", "1")
    assert code == 2 and "bench step would need about" in err and "--synapses" in err
