"""The Python API (``neuromorph.*``): every command and its API twin give identical Datasets for
the same seed (compared as written to netCDF, attributes included), cards from dicts are refused
with the same messages as the same cards from files minus ``file:line:``, overrides use the
sweep engine's dotted paths, and the plot helpers return the figures the commands write."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.figure
import numpy as np
import pytest
import xarray as xr
import yaml

import neuromorph as nm
from neuromorph.outputs import dumps_strict, write_netcdf

ROOT = Path(__file__).resolve().parents[1]
FILE_LINE = re.compile(r"^(\s*)\S+\.yaml:\d+: ", re.MULTILINE)


@pytest.fixture(autouse=True)
def _in_repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)


#: measured wall-clock times: the only numbers two runs may not share
CLOCKS = re.compile(r"wall|elapsed|compute_time|seconds_taken")


def _same(cli_nc: Path, api_ds: xr.Dataset, tmp_path: Path) -> None:
    """The command's netCDF file and the API's Dataset written the same way are identical
    (wall-clock measurements aside)."""
    api_nc = write_netcdf(api_ds, tmp_path / "api_twin.nc")
    with xr.open_dataset(cli_nc, engine="h5netcdf") as a, xr.open_dataset(api_nc, engine="h5netcdf") as b:
        a, b = a.load(), b.load()
    clocks = [v for v in a.variables if CLOCKS.search(str(v))]
    a, b = a.drop_vars(clocks), b.drop_vars(clocks, errors="ignore")
    for ds in (a, b):
        ds.attrs = {k: v for k, v in ds.attrs.items() if not CLOCKS.search(k)}
    xr.testing.assert_identical(a, b)


def _draws(ds: xr.Dataset, helper) -> None:
    """The named plot helper and :func:`neuromorph.plots.figure` both draw ``ds``."""
    import matplotlib.pyplot as plt

    for fig in (helper(ds), nm.plots.figure(ds)):
        assert isinstance(fig, matplotlib.figure.Figure) and fig.axes
        plt.close(fig)


# ------------------------------------------------------------------------------ the public surface

def test_top_level_api_is_small_listed_and_typed():
    for name in nm.__all__:
        assert hasattr(nm, name), name
    assert (ROOT / "neuromorph" / "py.typed").exists()
    assert callable(nm.sweep) and hasattr(nm.sweep, "run_sweep")  # the sweep package is also the function
    for name in ("load_device", "simulate", "memory", "sweep", "train", "familiarity", "fit"):
        doc = getattr(nm.api, name).__doc__
        assert "Parameters" in doc and "Returns" in doc, name


def test_plot_helpers_are_functions_even_after_every_plot_module_is_imported():
    import importlib
    import inspect

    for module in ("memory", "simulate", "sweep", "crossbar", "familiarity", "training", "fit"):
        importlib.import_module(f"neuromorph.plots.{module}")
    for name in nm.plots.__all__:
        assert inspect.isfunction(getattr(nm.plots, name)), name


def test_commands_draw_headless_and_notebooks_keep_their_inline_backend():
    pytest.importorskip("IPython")
    pytest.importorskip("matplotlib_inline")
    import os

    code = "import matplotlib, neuromorph.plots; print(matplotlib.get_backend())"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip().lower() == "agg"
    notebook = """
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
import neuromorph as nm
ds = nm.simulate("devices/benna_fusi_m8.yaml", "protocols/alternating.yaml", progress=False)
data, _ = shell.display_formatter.format(nm.plots.simulation(ds))
print(sorted(data))
"""
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"   # what a Jupyter kernel sets
    out = subprocess.run([sys.executable, "-c", notebook], capture_output=True, text=True, check=True, env=env,
                         cwd=ROOT)
    assert "'image/png'" in out.stdout     # the returned figure is shown as an image, once


def test_import_is_light():
    """``import neuromorph`` loads neither numba, xarray nor matplotlib (measured in a fresh process)."""
    code = "import sys, neuromorph; print(sorted(m for m in ('numba', 'xarray', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ------------------------------------------------------------------------ command == API twin

def test_simulate_twin(run_cli, tmp_path):
    code, _, err = run_cli("simulate", "devices/proton_transistor_3.yaml", "--protocol", "protocols/alternating.yaml",
                           "--devices", "3", "--seed", "7", "-o", tmp_path / "cli", "--no-plot", "-q")
    assert code == 0, err
    ds = nm.simulate("devices/proton_transistor_3.yaml", "protocols/alternating.yaml", devices=3, seed=7,
                     progress=False)
    _same(tmp_path / "cli.nc", ds, tmp_path)
    _draws(ds, nm.plots.simulation)


def test_memory_twin(run_cli, tmp_path):
    cards = ["devices/benna_fusi_m8.yaml", "devices/binary_stochastic.yaml"]
    code, _, err = run_cli("memory", *cards, "--synapses", "200", "--trials", "8", "--ages", "12", "--seed", "3",
                           "-o", tmp_path / "cli", "--no-plot", "-q")
    assert code == 0, err
    ds = nm.memory(cards, synapses=200, trials=8, ages=12, seed=3, progress=False)
    _same(tmp_path / "cli.nc", ds, tmp_path)
    _draws(ds, nm.plots.snr)


def test_timescales_twin(run_cli):
    code, out, err = run_cli("timescales", "devices/proton_transistor_5.yaml", "--json")
    assert code == 0, err
    assert json.loads(out) == json.loads(dumps_strict(nm.timescales("devices/proton_transistor_5.yaml")))


SWEEP = """kind: sweep
name: tiny
device: {device}
grid:
  n_variables: [2, 4]
  couplings.ratio: [0.25, 0.5]
experiment: {{method: theory, synapses: 1000, rate: 1 Hz, ages: {{first: 1 s, last: 1e4 s, count: 9}}}}
seed: 4
"""


def test_sweep_twin(run_cli, tmp_path):
    card = tmp_path / "sweep.yaml"
    card.write_text(SWEEP.format(device=ROOT / "devices/benna_fusi_m8.yaml"))
    code, _, err = run_cli("sweep", card, "-o", tmp_path / "cli", "-j", "1", "--no-plot", "-q")
    assert code == 0, err
    ds = nm.sweep(card, output=tmp_path / "api", executor="serial", progress=False)
    _same(tmp_path / "cli" / "sweep.nc", ds, tmp_path)
    _draws(ds, nm.plots.lifetime_heatmap)
    assert isinstance(nm.plots.sweep_snr(ds), matplotlib.figure.Figure)


def test_sweep_card_as_a_dict_with_overrides(tmp_path):
    data = yaml.safe_load(SWEEP.format(device="benna_fusi_m8.yaml"))
    a = nm.sweep(data, output=tmp_path / "a", base_dir=ROOT / "devices", progress=False,
                 **{"experiment.synapses": 4000})
    b = nm.sweep(data, output=tmp_path / "b", base_dir=ROOT / "devices", progress=False)
    np.testing.assert_allclose(a["snr_initial"].values, 2 * b["snr_initial"].values, rtol=1e-12)  # SNR ~ sqrt(N)
    with pytest.raises(nm.ConfigError, match=r"^grid\.n_variabls: unknown field 'n_variabls'"):
        nm.sweep({**data, "grid": {"n_variabls": [2]}}, output=tmp_path / "c", base_dir=ROOT / "devices")


def test_crossbar_twin(run_cli, tmp_path):
    card = "circuits/crossbar_16x16_pt5.yaml"
    code, _, err = run_cli("crossbar", card, "--updates", "5", "--probes", "2", "--seed", "5",
                           "-o", tmp_path / "cli", "--no-plot", "-q")
    assert code == 0, err
    ds = nm.crossbar_writes(card, updates=5, probes=2, seed=5, progress=False)
    _same(tmp_path / "cli.nc", ds, tmp_path)
    _draws(ds, nm.plots.crossbar_run)


def test_netlist_twin(run_cli, tmp_path):
    card = "circuits/crossbar_16x16_pt5.yaml"
    code, _, err = run_cli("netlist", card, "--seed", "2", "--updates", "3", "--transposed", "-o", tmp_path / "x.cir")
    assert code == 0, err
    decks = nm.netlist(card, seed=2, updates=3, transposed=True)
    assert decks["crossbar"] == (tmp_path / "x.cir").read_text()
    assert decks["ladder"] == (tmp_path / "x_ladder.cir").read_text()
    assert nm.netlist("circuits/crossbar_32x32_bf8.yaml")["ladder"] is None   # ideal chain cells: no gate


def test_spice_check_twin(run_cli, tmp_path):
    import os

    from neuromorph.spice.ngspice import find_ngspice

    if find_ngspice() is None:
        if os.environ.get("NEUROMORPH_REQUIRE_NGSPICE", "") not in ("", "0"):
            pytest.fail("ngspice not found (NEUROMORPH_REQUIRE_NGSPICE is set)")
        pytest.skip("ngspice not found: install it with `apt-get install ngspice`")
    card = "circuits/crossbar_16x16_pt5.yaml"
    code, _, err = run_cli("spice-check", card, "--seed", "1", "-o", tmp_path / "cli")
    assert code == 0, err
    ds = nm.spice_check(card, seed=1)
    _same(tmp_path / "cli.nc", ds, tmp_path)
    assert ds.attrs["forward_max_rel_error"] < ds.attrs["crossbar_tolerance"]
    _draws(ds, nm.plots.spice_check)


FAMILIARITY = """kind: familiarity
name: tiny
patterns: rand
protocol: {test_items: 20, fill_in: 64, burn_in: 100}
models:
  - {label: complex, neurons: 12, variables: 3}
  - {label: simple, neurons: 16, variables: 1, q: 0.5}
seed: 1
"""


def test_familiarity_twin(run_cli, tmp_path):
    card = tmp_path / "fam.yaml"
    card.write_text(FAMILIARITY)
    code, _, err = run_cli("familiarity", card, "--seed", "2", "-o", tmp_path / "cli", "--no-plot", "-q")
    assert code == 0, err
    ds = nm.familiarity(card, seed=2, progress=False)
    _same(tmp_path / "cli.nc", ds, tmp_path)
    _draws(ds, nm.plots.familiarity_metrics)


def test_familiarity_capacity_and_crossbar_twins(run_cli, tmp_path):
    capacity = tmp_path / "cap.yaml"
    capacity.write_text("kind: familiarity_capacity\nneurons: [8, 16]\nvariables: [1, 2]\nfixed_neurons: 8\n"
                        "protocol: {test_items: 20, fill_in: 128, burn_in: 200}\n")
    code, _, err = run_cli("familiarity", capacity, "-o", tmp_path / "cap", "-q", "-j", "1", "--no-plot")
    assert code == 0, err
    ds = nm.familiarity(capacity, output=tmp_path / "api.points", progress=False)
    _same(tmp_path / "cap.nc", ds, tmp_path)
    _draws(ds, nm.plots.familiarity_capacity)
    crossbar = tmp_path / "xbar.yaml"
    crossbar.write_text(f"kind: familiarity_crossbar\ncrossbar: {ROOT / 'circuits' / 'crossbar_16x16_pt5.yaml'}\n"
                        "neurons: 8\nrate: 0.1 Hz\npulses_per_item: 5\n"
                        "protocol: {test_items: 20, fill_in: 64, burn_in: 100}\nseed: 3\n")
    code, _, err = run_cli("familiarity", crossbar, "-o", tmp_path / "x", "-q", "--no-plot")
    assert code == 0, err
    _same(tmp_path / "x.nc", nm.familiarity(crossbar, progress=False), tmp_path)


NETWORK = """kind: network
name: tiny
dataset: {name: digits}
layers: [64, 12, 10]
batch_size: 128
epochs: 2
rules:
  - {kind: bp, learning_rate: 0.1}
"""


def test_train_twin(run_cli, tmp_path):
    card = tmp_path / "net.yaml"
    card.write_text(NETWORK)
    code, _, err = run_cli("train", card, "--seed", "3", "-o", tmp_path / "cli", "--no-plot", "-q")
    assert code == 0, err
    ds = nm.train(card, seed=3, progress=False)
    _same(tmp_path / "cli.nc", ds, tmp_path)
    _draws(ds, nm.plots.training_curves)


def test_continual_twin(run_cli, tmp_path):
    (tmp_path / "net.yaml").write_text(NETWORK)
    card = tmp_path / "cl.yaml"
    card.write_text("kind: continual\nname: cl\nnetwork: net.yaml\ntasks: {kind: permuted, count: 2}\n"
                    "epochs_per_task: 1\n")
    code, _, err = run_cli("continual", card, "--seed", "1", "-o", tmp_path / "cli", "--no-plot", "-q")
    assert code == 0, err
    ds = nm.continual(card, seed=1, progress=False)
    _same(tmp_path / "cli.nc", ds, tmp_path)
    _draws(ds, nm.plots.continual)


def test_continual_comparison_twin(run_cli, tmp_path):
    (tmp_path / "net.yaml").write_text(NETWORK)
    (tmp_path / "cl.yaml").write_text("kind: continual\nnetwork: net.yaml\ntasks: {kind: permuted, count: 2}\n"
                                      "epochs_per_task: 1\n")
    card = tmp_path / "cmp.yaml"
    card.write_text("kind: continual_comparison\nname: cmp\ncontinual: cl.yaml\nsubstrates: {float: ideal}\n"
                    "rules: [bp]\nlearning_rates: [0.05, 0.2]\n")
    code, _, err = run_cli("continual", card, "-o", tmp_path / "cli", "--no-plot", "-q")
    assert code == 0, err
    ds = nm.continual(card, output=tmp_path / "api.store", progress=False)
    _same(tmp_path / "cli.nc", ds, tmp_path)
    _draws(ds, nm.plots.continual_comparison)


def test_fit_twin(run_cli, tmp_path):
    base, data = "devices/zhang2024_pedot_nafion_4.yaml", "devices/measurements/zhang2024_synthetic.csv"
    code, out, err = run_cli("fit", base, data, "--free", "diffusion_coefficient,channel.g_min",
                             "-o", tmp_path / "fitted.yaml", "--results", tmp_path / "cli", "--no-plot")
    assert code == 0, err
    result = nm.fit(base, data, ["diffusion_coefficient", "channel.g_min"])
    assert result.report() in out
    _same(tmp_path / "cli.nc", result.dataset(), tmp_path)
    _draws(result.dataset(), nm.plots.fit_traces)


# ------------------------------------------------------------------- cards from dicts, overrides

BAD_DEVICE_CARDS = [
    "kind: benna_fusi\nn_variables: 0\ncapacities: [1]\ncouplings: [1]\n",
    "kind: benna_fusi\nn_variables: 3\ncapacities: [1, 2]\ncouplings: [1, 1, 1]\n",
    "kind: benna_fusi\nn_variabls: 3\n",
    "kind: bena_fusi\n",
    "kind: proton_transistor\ncompartments: 3\ndiffusion_coefficient: 1 m\n",
    "base: proton_transistor_5.yaml\ngate: {cycle_noise: -1}\n",
    "base: proton_transistor_5.yaml\nchannel: {g_min: 10 uS, g_max: 1 uS}\n",
    "kind: single_timescale\ntime_constant: 0 s\n",
]


def _problems(exc: nm.ConfigError) -> str:
    return FILE_LINE.sub(r"\1", str(exc))


@pytest.mark.parametrize("text", BAD_DEVICE_CARDS)
def test_device_card_from_a_dict_gives_the_file_message_minus_file_line(tmp_path, text):
    path = ROOT / "devices" / "_api_test_card.yaml"  # beside the shipped cards, for base:
    path.write_text(text)
    try:
        with pytest.raises(nm.ConfigError) as from_file:
            nm.load_device(path)
    finally:
        path.unlink()
    with pytest.raises(nm.ConfigError) as from_dict:
        nm.load_device(yaml.safe_load(text), base_dir=ROOT / "devices")
    assert re.match(r"\S+_api_test_card\.yaml:\d+: ", str(from_file.value))
    assert "yaml:" not in str(from_dict.value).split(": ")[0]
    assert str(from_dict.value) == _problems(from_file.value)


@pytest.mark.parametrize("text", [
    "segments:\n  - train: {pulses: 0, interval: 1 s}\n",
    "segments:\n  - relax: {duration: 1 m}\n",
    "segments:\n  - jump: {height: 3}\n",
    "segmnts: []\n",
])
def test_protocol_card_from_a_dict_gives_the_file_message_minus_file_line(tmp_path, text):
    path = tmp_path / "protocol.yaml"
    path.write_text(text)
    with pytest.raises(nm.ConfigError) as from_file:
        nm.load_protocol(path)
    with pytest.raises(nm.ConfigError) as from_dict:
        nm.load_protocol(yaml.safe_load(text))
    assert str(from_dict.value) == _problems(from_file.value)


@pytest.mark.parametrize("text", [
    "base: crossbar_16x16_pt5.yaml\ndac: {bits: 0}\n",
    "base: crossbar_16x16_pt5.yaml\ntiming: {read: 10 us, update: 1 us}\n",
    "base: crossbar_16x16_pt5.yaml\ndevice: ../devices/nowhere.yaml\n",
    "base: crossbar_16x16_pt5.yaml\ndevice: ../devices/binary_stochastic.yaml\n",
    "base: crossbar_16x16_pt5.yaml\nchannel: {g_min: 1 uS, g_max: 10 uS}\n",
])
def test_crossbar_card_from_a_dict_gives_the_file_message_minus_file_line(text):
    path = ROOT / "circuits" / "_api_test_crossbar.yaml"
    path.write_text(text)
    try:
        with pytest.raises(nm.ConfigError) as from_file:
            nm.load_crossbar(path)
    finally:
        path.unlink()
    with pytest.raises(nm.ConfigError) as from_dict:
        nm.load_crossbar(yaml.safe_load(text), base_dir=ROOT / "circuits")
    assert str(from_dict.value) == _problems(from_file.value)


@pytest.mark.parametrize("load, text", [
    (nm.train, NETWORK.replace("layers: [64, 12, 10]", "layers: [64, 12, 9]")),
    (nm.train, NETWORK.replace("kind: bp", "kind: backprop")),
    (nm.train, NETWORK + "colour: red\n"),
    (nm.familiarity, FAMILIARITY.replace("variables: 3", "variables: 0")),
    (nm.familiarity, FAMILIARITY.replace("kind: familiarity", "kind: familarity")),
])
def test_task_cards_from_a_dict_give_the_file_message_minus_file_line(tmp_path, load, text):
    path = tmp_path / "card.yaml"
    path.write_text(text)
    with pytest.raises(nm.ConfigError) as from_file:
        load(path, progress=False)
    with pytest.raises(nm.ConfigError) as from_dict:
        load(yaml.safe_load(text), progress=False)
    assert str(from_dict.value) == _problems(from_file.value)


def test_task_cards_from_dicts_and_overrides_run_like_their_files(tmp_path):
    card = tmp_path / "net.yaml"
    card.write_text(NETWORK)
    a = nm.train(card, seed=3, progress=False)
    b = nm.train(yaml.safe_load(NETWORK), seed=3, progress=False)
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    c = nm.train(card, seed=3, progress=False, **{"rules.0.learning_rate": 0.05})
    assert c["rule_learning_rate"].values.tolist() == [0.05]
    continual_card = {"kind": "continual", "network": "net.yaml", "tasks": {"kind": "permuted", "count": 2},
                      "epochs_per_task": 1}
    ds = nm.continual(continual_card, base_dir=tmp_path, seed=1, progress=False)
    assert ds["accuracy_matrix"].shape[-2:] == (2, 2)


def test_a_dict_card_builds_the_same_device_as_its_file():
    path = ROOT / "devices/benna_fusi_m8.yaml"
    data = yaml.safe_load(path.read_text())
    a, b = nm.load_device(path), nm.load_device(data)
    np.testing.assert_array_equal(a.chain.timescales(), b.chain.timescales())
    assert nm.card_data(path) == data


def test_overrides_use_the_sweep_engine_dotted_paths():
    base = "devices/proton_transistor_5.yaml"
    quiet = nm.load_device(base, **{"gate.cycle_noise": 0})
    assert quiet.card.gate.cycle_noise == 0
    assert nm.load_device(base, gate__cycle_noise=0).card == quiet.card           # keyword spelling of a.b
    assert nm.load_device(base, gate={"cycle_noise": 0}).card == quiet.card       # mappings merge key by key
    assert nm.load_device(base, compartments=3).n_variables == 3
    # the override equals editing the card's text
    data = nm.card_data(base)
    data["diffusion_length"] = "1 um"
    np.testing.assert_allclose(nm.load_device(base, diffusion_length="1 um").chain.timescales(),
                               nm.load_device(data).chain.timescales(), rtol=0)


def test_a_bad_override_is_named_as_an_override_of_its_card():
    base = "devices/proton_transistor_5.yaml"
    with pytest.raises(nm.ConfigError, match=r"^devices/proton_transistor_5\.yaml: override gate\.cycle_noise: "
                                             r"Input should be greater than or equal to 0 \(got -1\)$"):
        nm.load_device(base, gate__cycle_noise=-1)
    with pytest.raises(nm.ConfigError, match=r"override gate\.cycle_nose: unknown field 'cycle_nose' of gate"):
        nm.load_device(base, gate__cycle_nose=0)
    with pytest.raises(nm.ConfigError, match=r"^card: override capacities\.9: capacities is a value \(list\)"):
        nm.load_device({"kind": "benna_fusi", "n_variables": 2, "capacities": [1, 2], "couplings": [1, 1]},
                       **{"capacities.9": 3})


def test_memory_reports_every_bad_card():
    with pytest.raises(nm.ConfigError) as exc:
        nm.memory([{"kind": "bena"}, "devices/nowhere.yaml"], progress=False)
    assert len(exc.value.problems) == 2


def test_dict_protocol_and_device_run_like_their_files(tmp_path):
    protocol = yaml.safe_load((ROOT / "protocols/alternating.yaml").read_text())
    a = nm.simulate("devices/benna_fusi_m8.yaml", "protocols/alternating.yaml", seed=1, progress=False)
    b = nm.simulate(yaml.safe_load((ROOT / "devices/benna_fusi_m8.yaml").read_text()), protocol, seed=1,
                    progress=False)
    np.testing.assert_array_equal(a["u"].values, b["u"].values)


# ------------------------------------------------------------------------------------ plot helpers

def test_plot_helpers_return_the_figure_the_command_writes(tmp_path):
    import matplotlib.pyplot as plt

    ds = nm.memory(["devices/benna_fusi_m8.yaml"], synapses=100, trials=4, ages=8, seed=1, progress=False)
    open_before = plt.get_fignums()
    fig = nm.plots.snr(ds)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert plt.get_fignums() == open_before           # detached from pyplot: nothing accumulates
    fig.savefig(tmp_path / "detached.png")            # and still drawable
    assert (tmp_path / "detached.png").stat().st_size > 1000
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert nm.plots.figure(ds).axes[0].get_title() == ax.get_title()
    from neuromorph.plots.memory import plot_memory_snr

    written = plot_memory_snr(ds, tmp_path / "snr.png")
    assert written.stat().st_size > 1000
    sim = nm.simulate("devices/proton_transistor_3.yaml", "protocols/alternating.yaml", progress=False)
    assert isinstance(nm.plots.figure(sim), matplotlib.figure.Figure)
    with pytest.raises(ValueError, match="not a Dataset of a known neuromorph experiment"):
        nm.plots.figure(xr.Dataset({"x": ("t", [1.0])}))
