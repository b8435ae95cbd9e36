"""Every script in examples/ runs (each well under a minute on 2 cores), writes the figures the
gallery (docs/gallery.md) shows, and prints what its docstring claims. The scripts write into a
temporary folder here; run them without arguments to refresh docs/figures/examples/."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

#: example -> the figures it writes
FIGURES = {
    "chains": ["chains_kernel"],
    "devices": ["devices_timescales", "devices_simulate"],
    "memory": ["memory_snr"],
    "sweeps": ["sweeps_lifetime_heatmap", "sweeps_snr_curves"],
    "crossbar": ["crossbar_writes", "crossbar_forgetting"],
    "fitting": ["fitting_traces"],
    "familiarity": ["familiarity_metrics"],
    "training": ["training_curves"],
    "continual": ["continual_accuracy"],
}


def test_every_example_is_listed_and_in_the_gallery():
    scripts = {p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_")}
    assert scripts == set(FIGURES)
    gallery = (ROOT / "docs" / "gallery.md").read_text()
    for name, figures in FIGURES.items():
        assert f"examples/{name}.py" in gallery, name
        for figure in figures:
            assert f"figures/examples/{figure}.png" in gallery, figure
            assert (ROOT / "docs" / "figures" / "examples" / f"{figure}.png").exists(), figure


def _run(name: str, out: Path, monkeypatch, capsys) -> str:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / f"{name}.py"), str(out)])
    monkeypatch.chdir(out)  # the examples find their cards from their own location
    sys.modules.pop("_common", None)
    runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")
    return capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_example_runs_and_writes_its_figures(name, tmp_path, monkeypatch, capsys):
    import matplotlib.pyplot as plt

    open_before = set(plt.get_fignums())
    out = _run(name, tmp_path, monkeypatch, capsys)
    for figure in FIGURES[name]:
        path = tmp_path / f"{figure}.png"
        assert path.stat().st_size > 10_000, figure
        assert f"wrote {path}" in out
    assert set(plt.get_fignums()) <= open_before, "the example left a figure open"
    check = CLAIMS.get(name)
    if check:
        check(out)


def _chains(out: str) -> None:
    slope = float(re.search(r"slope between t = 10 and 1e5: (-?[\d.]+)", out).group(1))
    assert abs(slope + 0.5) < 0.01            # t^(-1/2), docs/chains.md
    difference = float(re.search(r"max relative difference ([\d.e+-]+)", out).group(1))
    assert difference < 1e-10                 # eigenbasis vs scipy expm, rounding only


def _devices(out: str) -> None:
    growth = [float(v) for v in re.search(r"growth per added compartment: (.*)", out).group(1).split()]
    assert all(3.5 < g < 7 for g in growth) and abs(growth[-1] - 4) < 0.2   # about 4x per compartment


def _fitting(out: str) -> None:
    assert out.count("inside the 95 % interval") == 4 and "OUTSIDE" not in out


def _memory(out: str) -> None:
    binary = re.search(r"binary_stochastic .*lifetime MC\s+([\d.e+]+) s, theory\s+([\d.e+]+) s", out)
    assert abs(float(binary.group(1)) / float(binary.group(2)) - 1) < 0.3   # 16 trials: MC scatter


CLAIMS = {"chains": _chains, "devices": _devices, "fitting": _fitting, "memory": _memory}
