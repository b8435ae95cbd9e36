"""``neuromorph familiarity``: cards validated with file:line naming the field (exit 2), outputs,
seed reproducibility, capacity points resumed from the store."""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neuromorph.cli import main

ROOT = Path(__file__).resolve().parents[2]
TINY = """\
kind: familiarity
name: tiny
patterns: {patterns}
protocol: {{test_items: 20, fill_in: 128, burn_in: 200}}
models:
  - {{label: complex, neurons: {neurons}, variables: 3}}
  - {{label: simple, neurons: 20, variables: 1, q: 0.5}}
seed: 1
"""


def _card(tmp_path, text, name="card.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, expected", [
    (TINY.format(patterns="rand", neurons=12).replace("variables: 3", "variables: 0"),
     ":6: models[0].variables: Input should be greater than or equal to 1"),
    (TINY.format(patterns="rand", neurons=12).replace("q: 0.5", "q: 1.5"), ":7: models[1].q:"),
    (TINY.format(patterns="rand", neurons=12).replace("test_items: 20", "test_items: 21"), ":4: protocol:"),
    (TINY.format(patterns="rand", neurons=12).replace("seed: 1", "seed: 1\ncolour: red"), ":9: colour: unknown field"),
    (TINY.format(patterns="genface", neurons=700), "at most 625 neurons"),
    (TINY.format(patterns="rand", neurons=12).replace("kind: familiarity", "kind: familarity"), ":1: kind:"),
    (TINY.format(patterns="rand", neurons=12).replace("label: simple", "label: complex"), "labels must be unique"),
])
def test_bad_cards_are_refused_naming_the_field(tmp_path, capsys, text, expected):
    card = _card(tmp_path, text)
    assert main(["familiarity", str(card), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert str(card) in err or "kind" in expected
    assert not (tmp_path / "out.nc").exists()


def test_bad_options_exit_2(tmp_path, capsys):
    card = _card(tmp_path, TINY.format(patterns="rand", neurons=12))
    with pytest.raises(SystemExit) as exc:
        main(["familiarity", str(card), "--seed", "-3"])
    assert exc.value.code == 2
    (tmp_path / "file").write_text("x")
    assert main(["familiarity", str(card), "-o", str(tmp_path / "file" / "run")]) == 2
    assert "--output" in capsys.readouterr().err


def test_run_writes_netcdf_and_figure_and_same_seed_gives_same_numbers(tmp_path, capsys):
    card = _card(tmp_path, TINY.format(patterns="rand", neurons=12))
    assert main(["familiarity", str(card), "-o", str(tmp_path / "a"), "-q"]) == 0
    assert main(["familiarity", str(card), "-o", str(tmp_path / "b"), "-q", "--no-plot"]) == 0
    assert main(["familiarity", str(card), "-o", str(tmp_path / "c"), "-q", "--no-plot", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "patterns: i.i.d. random" in out and "t* io_snr" in out
    assert (tmp_path / "a.png").stat().st_size > 10_000
    a, b, c = (xr.load_dataset(tmp_path / f"{x}.nc") for x in "abc")
    assert np.array_equal(a["io_familiar"].values, b["io_familiar"].values, equal_nan=True)
    assert not np.array_equal(a["io_familiar"].values, c["io_familiar"].values, equal_nan=True)
    assert "random" in a.attrs["pattern_source"]
    for name in ("io_snr", "r_snr", "forced_choice", "fd_accuracy", "auc", "tpr_at_tnr"):
        assert name in a and f"lifetime_{name}" in a


def test_genface_outputs_say_which_source_was_used(tmp_path, capsys):
    text = TINY.format(patterns="genface", neurons=12).replace("seed: 1", "real_face_probes: true\nseed: 1")
    card = _card(tmp_path, text)
    assert main(["familiarity", str(card), "-o", str(tmp_path / "f"), "-q", "--no-plot"]) == 0
    ds = xr.load_dataset(tmp_path / "f.nc")
    assert "lfw_subset" in ds.attrs["pattern_source"] and "real LFW faces" in ds.attrs["pattern_source"]
    assert "lfw_subset" in capsys.readouterr().out


def test_long_streams_checkpoint_and_resume(tmp_path):
    """A checkpointed run gives the same numbers as an uninterrupted one, and a rerun resumes
    from the finished checkpoint without recomputing."""
    card = _card(tmp_path, TINY.format(patterns="rand", neurons=12) + "checkpoint_every: 50\n")
    assert main(["familiarity", str(card), "-o", str(tmp_path / "k"), "-q", "--no-plot"]) == 0
    ckpt = tmp_path / "k.ckpt"
    assert sorted(p.name for p in ckpt.glob("*.npz")) == ["complex.npz", "simple.npz"]  # each with its .sha256
    first = xr.load_dataset(tmp_path / "k.nc")
    assert main(["familiarity", str(card), "-o", str(tmp_path / "k"), "-q", "--no-plot"]) == 0
    again = xr.load_dataset(tmp_path / "k.nc")
    assert np.array_equal(first["r_familiar"].values, again["r_familiar"].values, equal_nan=True)
    plain = _card(tmp_path, TINY.format(patterns="rand", neurons=12), "plain.yaml")
    assert main(["familiarity", str(plain), "-o", str(tmp_path / "p"), "-q", "--no-plot"]) == 0
    assert np.array_equal(first["io_familiar"].values, xr.load_dataset(tmp_path / "p.nc")["io_familiar"].values,
                          equal_nan=True)


def test_capacity_points_are_stored_and_resumed(tmp_path, capsys):
    card = _card(tmp_path, "kind: familiarity_capacity\nneurons: [8, 16]\nvariables: [1, 2]\nfixed_neurons: 8\n"
                           "protocol: {test_items: 20, fill_in: 256, burn_in: 300}\n")
    assert main(["familiarity", str(card), "-o", str(tmp_path / "cap"), "-q", "-j", "1"]) == 0
    points = sorted((tmp_path / "cap.points" / "points").iterdir())
    assert len(points) == 4
    stamp = [p.stat().st_mtime_ns for p in points]
    assert main(["familiarity", str(card), "-o", str(tmp_path / "cap"), "-q", "-j", "1"]) == 0
    assert [p.stat().st_mtime_ns for p in points] == stamp          # nothing recomputed
    ds = xr.load_dataset(tmp_path / "cap.nc")
    assert list(ds["series"].values) == ["neurons", "neurons", "variables", "variables"]
    assert "capacity_exponent_io_snr" in ds.attrs
    assert "capacity fit" in capsys.readouterr().out


def test_shipped_cards_validate():
    from neuromorph.tasks.familiarity.cards import load_familiarity_card

    for path in sorted((ROOT / "circuits").glob("familiarity_*.yaml")):
        load_familiarity_card(path)


CROSSBAR = """\
kind: familiarity_crossbar
crossbar: {crossbar}
neurons: 8
rate: {rate}
pulses_per_item: 5
protocol: {{test_items: 20, fill_in: 64, burn_in: 100}}
seed: 3
"""


def test_proton_crossbar_runs_and_reports_seconds(tmp_path, capsys):
    card = _card(tmp_path, CROSSBAR.format(crossbar=ROOT / "circuits" / "crossbar_16x16_pt5.yaml", rate="0.1 Hz"))
    assert main(["familiarity", str(card), "-o", str(tmp_path / "x"), "-q"]) == 0
    ds = xr.load_dataset(tmp_path / "x.nc")
    assert ds.attrs["rate_hz"] == 0.1 and np.allclose(ds["age_s"].values, ds["age"].values * 10.0)
    assert ds.attrs["device"] == "proton_transistor_5"
    assert np.isfinite(ds["io_snr_theory"].values).all()
    # just-stored items are recognised on the devices: r-signal of familiar > never-seen at age 0
    assert ds["r_familiar"].isel(age=0).mean() > ds["r_novel"].isel(age=0).mean() + 0.2
    assert "stream rate 0.1 Hz" in capsys.readouterr().out


def test_crossbar_rate_faster_than_the_update_slot_is_refused(tmp_path, capsys):
    card = _card(tmp_path, CROSSBAR.format(crossbar=ROOT / "circuits" / "crossbar_16x16_pt5.yaml", rate="100 Hz"))
    assert main(["familiarity", str(card), "-o", str(tmp_path / "x"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "rate: 100 Hz" in err and "timing.update" in err


def test_crossbar_network_writes_hebbian_pulses_off_the_diagonal():
    from neuromorph.crossbar import CrossbarArray, load_crossbar
    from neuromorph.tasks.familiarity.crossbar import CrossbarFamiliarityNetwork

    config = load_crossbar(ROOT / "circuits" / "crossbar_32x32_bf8.yaml", rows=7, columns=6)
    array = CrossbarArray(config, seed=0)
    before = array.weights().copy()
    net = CrossbarFamiliarityNetwork(array, rate_hz=1.0 / (2 * array.t_update + 1e-9), pulses_per_item=1)
    x = np.array([[1, -1, 1, 1, -1, -1]], dtype=np.int8)
    net.store(x)
    change = array.weights() - before
    hebb = np.outer(x[0], x[0]).astype(float)
    off = ~np.eye(6, dtype=bool)
    assert np.all(np.sign(change[:6][off]) == hebb[off])              # w_ji moves by sign x_j x_i
    assert np.all(np.sign(change[6]) == x[0])                          # bias row: sign x_i
    assert np.allclose(change[:6][~off], 0.0, atol=1e-12)              # no self-synapse writes


def test_a_network_too_big_for_memory_is_refused_before_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NEUROMORPH_MEMORY_LIMIT", "2G")
    card = _card(tmp_path, "kind: familiarity\nmodels:\n  - {label: huge, neurons: 8192, variables: 16}\n")
    assert main(["familiarity", str(card), "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "'huge'" in err and "GiB" in err


def test_capacity_numbers_do_not_depend_on_the_executor(tmp_path):
    """Serial (this process) and a local pool of 2 spawned workers give identical Datasets."""
    card = _card(tmp_path, "kind: familiarity_capacity\nneurons: [8, 16]\nvariables: []\n"
                           "protocol: {test_items: 20, fill_in: 128, burn_in: 100}\n")
    assert main(["familiarity", str(card), "-o", str(tmp_path / "serial"), "-q", "--no-plot", "-j", "1"]) == 0
    assert main(["familiarity", str(card), "-o", str(tmp_path / "pool"), "-q", "--no-plot", "-j", "2"]) == 0
    a = xr.load_dataset(tmp_path / "serial.nc")
    b = xr.load_dataset(tmp_path / "pool.nc")
    for name in ("io_snr", "r_snr", "lifetime_io_snr", "lifetime_forced_choice"):
        assert np.array_equal(a[name].values, b[name].values, equal_nan=True)
