"""matplotlib figures (Agg backend), one function per figure kind. Plots take xarray Datasets
produced by the tasks and never compute science themselves.

The helpers here take the Dataset a `neuromorph.api` function (or a command's netCDF file)
returns and give back a `matplotlib.figure.Figure`, so figures are reproducible outside
the command line:

```python
import neuromorph as nm

ds = nm.memory(["devices/benna_fusi_m8.yaml"], synapses=1000, seed=1)
fig = nm.plots.snr(ds)
fig.savefig("snr.png")
```

Each is the figure the command writes (``plot_*`` in the sub-modules save the same figure to a
file atomically). `figure` picks the right one for any Dataset. (Helper names differ from
the sub-module names — ``familiarity_metrics``, not ``familiarity`` — because importing a
sub-module sets the package attribute of its name.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import os
import sys

import matplotlib

_NOTEBOOK_BACKEND = any(name in os.environ.get("MPLBACKEND", "") for name in ("inline", "ipympl", "widget"))
if not _NOTEBOOK_BACKEND and "ipykernel" not in sys.modules:
    # headless (the commands only write files); a notebook keeps its inline backend, so the
    # figures the helpers return are shown there
    matplotlib.use("Agg")

if TYPE_CHECKING:  # pragma: no cover - typing only
    import xarray as xr
    from matplotlib.figure import Figure

def _detached(fig: Figure) -> Figure:
    """``fig``, no longer held by pyplot: nothing accumulates in pyplot's list of open figures,
    and a notebook shows the returned figure once (not again as an open pyplot figure)."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    return fig


__all__ = [
    "continual",
    "continual_comparison",
    "crossbar_run",
    "familiarity_capacity",
    "familiarity_metrics",
    "figure",
    "fit_traces",
    "lifetime_heatmap",
    "simulation",
    "snr",
    "spice_check",
    "sweep_snr",
    "training_curves",
]


def snr(ds: xr.Dataset, title: str | None = None) -> Figure:
    """SNR versus time since storage [s], log–log, every device of a `neuromorph.memory`
    Dataset: Monte-Carlo with ±1 SE bars, theory as lines, criterion and lifetimes marked."""
    from .memory import memory_snr_figure

    return _detached(memory_snr_figure(ds, title))


def simulation(ds: xr.Dataset, title: str | None = None) -> Figure:
    """Weight (channel conductance) and every compartment u_k versus time, log time axis, of a
    `neuromorph.simulate` Dataset."""
    from .simulate import protocol_run_figure

    return _detached(protocol_run_figure(ds, title))


def lifetime_heatmap(ds: xr.Dataset, title: str | None = None) -> Figure:
    """Memory lifetime over the grid of a `neuromorph.sweep` Dataset (log colour scale, the
    value in each cell)."""
    from .sweep import lifetime_heatmap_figure

    return _detached(lifetime_heatmap_figure(ds, title))


def sweep_snr(ds: xr.Dataset, title: str | None = None) -> Figure:
    """SNR curves of every sweep point (log–log), one panel per value of the second field."""
    from .sweep import sweep_snr_figure

    return _detached(sweep_snr_figure(ds, title))


def crossbar_run(ds: xr.Dataset, title: str | None = None) -> Figure:
    """Conductances before/after, IR-drop map, intended versus realised update of a
    `neuromorph.crossbar_writes` Dataset."""
    from .crossbar import crossbar_run_figure

    return _detached(crossbar_run_figure(ds, title))


def spice_check(ds: xr.Dataset, title: str | None = None) -> Figure:
    """Sense currents and RC-ladder voltages, ngspice versus neuromorph, of a
    `neuromorph.spice_check` Dataset (``spice-check -o``)."""
    from .crossbar import spice_check_figure

    fig = spice_check_figure(ds)
    if title:
        fig.suptitle(title)
    return _detached(fig)


def familiarity_metrics(ds: xr.Dataset, title: str | None = None) -> Figure:
    """ioSNR/rSNR versus age with theory, ROC curves at three ages and the lifetimes of a
    `neuromorph.familiarity` Dataset."""
    from .familiarity import familiarity_figure

    return _detached(familiarity_figure(ds, title))


def familiarity_capacity(ds: xr.Dataset, title: str | None = None) -> Figure:
    """Lifetime t* versus N and versus m with the fitted exponents (capacity cards)."""
    from .familiarity import familiarity_capacity_figure

    return _detached(familiarity_capacity_figure(ds, title))


def training_curves(ds: xr.Dataset, title: str | None = None) -> Figure:
    """Accuracy versus epoch per rule and the path alignment angle per layer of a
    `neuromorph.train` Dataset."""
    from .training import training_figure

    return _detached(training_figure(ds, title))


def continual(ds: xr.Dataset, title: str | None = None) -> Figure:
    """Every task's accuracy along the training sequence and the accuracy matrix of a
    `neuromorph.continual` Dataset."""
    from .training import continual_figure

    return _detached(continual_figure(ds, title))


def continual_comparison(ds: xr.Dataset, title: str | None = None) -> Figure:
    """Final average accuracy and forgetting per substrate and rule at the selected learning
    rate, and the first task's accuracy along the sequence (comparison cards of
    `neuromorph.continual`)."""
    from .training import comparison_figure

    return _detached(comparison_figure(ds, title))


def fit_traces(ds: xr.Dataset, title: str | None = None) -> Figure:
    """Data, start and fitted model per trace and the residuals (``FitResult.dataset()``)."""
    from .fit import fit_figure

    return _detached(fit_figure(ds, title))


#: Dataset fingerprint (a variable only that experiment writes) → figure helper
_BY_VARIABLE = (("irdrop_cell_error", crossbar_run), ("forward_ngspice", spice_check),
                ("best_average_accuracy", continual_comparison), ("accuracy_matrix", continual), ("alignment_angle_deg", training_curves),
                ("residual", fit_traces), ("u", simulation))


def figure(ds: xr.Dataset, title: str | None = None) -> Figure:
    """The figure the command that made ``ds`` would draw, chosen from its variables.

    Raises
    ------
    ValueError
        If ``ds`` is not a Dataset of a known experiment.
    """
    title_kw = {} if title is None else {"title": title}
    if "familiarity" in str(ds.attrs.get("title", "")) or "iosnr" in ds or "io_snr" in ds:
        return (familiarity_capacity if "run" in ds.dims else familiarity_metrics)(ds, **title_kw)
    for variable, helper in _BY_VARIABLE:
        if variable in ds:
            return helper(ds, **title_kw)
    if "snr_mc" in ds and "device" in ds.dims:
        return snr(ds, **title_kw)
    if "lifetime" in ds and "age" in ds.dims:
        return lifetime_heatmap(ds, **title_kw)
    raise ValueError("not a Dataset of a known neuromorph experiment (no variable that says which); "
                     "call the helper for its figure directly")
