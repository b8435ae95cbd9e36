"""Crossbar figures: conductance heatmaps before/after a write sequence with the IR-drop error map
(``neuromorph crossbar``), and the ngspice comparison (``neuromorph spice-check -o``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from .memory import save_figure as _save_and_close

__all__ = ["plot_crossbar_run", "plot_spice_check", "crossbar_run_figure", "spice_check_figure"]


def _heatmap(ax, data, title, cmap, label, vmin=None, vmax=None, fig=None):
    im = ax.imshow(data, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("physical column" if data.shape[1] != data.shape[0] else "column j")
    ax.set_ylabel("row i")
    cb = fig.colorbar(im, ax=ax, shrink=0.9)
    cb.set_label(label)
    return im


def crossbar_run_figure(ds: xr.Dataset, title: str | None = None) -> plt.Figure:
    """Six panels: conductances before and after (same colour scale, µS), the IR-drop error map
    (relative cell-current error with all rows at the read voltage, %), the intended and the
    realised weight change (same symmetric scale), and realised vs intended per weight."""
    g0 = ds["conductance_before"].values * 1e6
    g1 = ds["conductance_after"].values * 1e6
    lo, hi = float(min(g0.min(), g1.min())), float(max(g0.max(), g1.max()))
    fig, axes = plt.subplots(2, 3, figsize=(16, 9), constrained_layout=True)
    _heatmap(axes[0, 0], g0, "conductance before the writes", "viridis", "G [µS]", lo, hi, fig)
    _heatmap(axes[0, 1], g1, f"conductance after {ds.attrs['n_updates']} updates"
             + (f" + {ds.attrs['relax_s']:g} s" if ds.attrs.get("relax_s") else ""), "viridis", "G [µS]", lo, hi, fig)
    err = ds["irdrop_cell_error"].values * 100
    _heatmap(axes[0, 2], err, "IR drop: cell-current error, solved vs ideal\n(all rows at the read voltage)",
             "magma", "relative error [%]", float(err.min()), min(0.0, float(err.max())), fig)
    for ax in axes[0]:
        ax.set_xlabel("physical column (differential: +j, −j interleaved)" if ds.attrs["scheme"] == "differential"
                      else "physical column (last = reference)")
    intended = ds["intended_update"].values
    realised = ds["realised_update"].values
    lim = float(max(np.abs(intended).max(), np.abs(realised).max(), 1e-12))
    _heatmap(axes[1, 0], intended, "intended ΔW = Σ η x δᵀ", "RdBu_r", "Δw", -lim, lim, fig)
    _heatmap(axes[1, 1], realised, "realised ΔW (weights after − before)", "RdBu_r", "Δw", -lim, lim, fig)
    ax = axes[1, 2]
    ax.scatter(intended.ravel(), realised.ravel(), s=8, alpha=0.6, color="tab:blue")
    ax.plot([-lim, lim], [-lim, lim], color="black", lw=1, label="realised = intended")
    ax.set_xlabel("intended Δw")
    ax.set_ylabel("realised Δw")
    corr = ds.attrs.get("update_correlation", np.nan)
    ax.set_title(f"per weight: correlation {corr:.3f}", fontsize=10)
    ax.legend(loc="upper left")
    ax.grid(True, alpha=0.3)
    fig.suptitle(title or f"{ds.attrs['crossbar']} — {ds.attrs['device']} cells, {ds.attrs['scheme']} pairs, "
                 f"{ds.attrs['write_scheme']} updates (BL = {ds.attrs['bit_length']}, η = {ds.attrs['learning_rate']:g}), "
                 f"seed {ds.attrs['seed']}")
    return fig


def plot_crossbar_run(ds: xr.Dataset, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`crossbar_run_figure` to ``path`` (atomically) and close it; returns the path."""
    return _save_and_close(crossbar_run_figure(ds, title), path, dpi=110)


def spice_check_figure(ds: xr.Dataset) -> plt.Figure:
    """Left: sense currents, ngspice vs neuromorph (forward and transposed). Right: RC-ladder node
    voltages from ngspice (markers) and the exact solution (lines), and their difference."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), constrained_layout=True)
    ax = axes[0]
    for name, marker in (("forward", "o"), ("transposed", "s")):
        if f"{name}_ngspice" in ds:
            ax.plot(ds[f"{name}_neuromorph"].values * 1e6, ds[f"{name}_ngspice"].values * 1e6, marker, ms=4,
                    label=f"{name}: max rel. err {ds.attrs[f'{name}_max_rel_error']:.1e}", alpha=0.7)
    ax.axline((0, 0), slope=1, color="black", lw=0.8)
    ax.set_xlabel("neuromorph sense current [µA]")
    ax.set_ylabel("ngspice sense current [µA]")
    ax.set_title("crossbar read with IR drop")
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    if "ladder_ngspice" in ds:
        t = ds["time"].values
        ng, nm = ds["ladder_ngspice"].values, ds["ladder_exact"].values
        cmap = plt.get_cmap("viridis")
        m = ng.shape[0]
        for k in range(m):
            color = cmap(k / max(1, m - 1))
            axes[1].plot(t, nm[k], color=color, lw=1.2, label=f"u_{k + 1}")
            axes[1].plot(t[:: max(1, t.size // 80)], ng[k, :: max(1, t.size // 80)], "o", ms=3, color=color, alpha=0.6)
            axes[2].plot(t, (ng[k] - nm[k]) * 1e6, color=color, lw=0.8, label=f"u_{k + 1}")
        for ax in axes[1:]:
            ax.set_xscale("symlog", linthresh=max(float(t[t > 0].min()) if np.any(t > 0) else 1e-6, 1e-3))
            ax.set_xlabel("time [s]")
            ax.grid(True, alpha=0.3)
        axes[1].set_ylabel("node voltage [V]")
        axes[1].set_title("RC ladder: exact (lines) vs ngspice (dots)")
        axes[1].legend(fontsize="small", ncol=2)
        axes[2].set_ylabel("ngspice − exact [µV]")
        axes[2].set_title(f"max |ΔV| / max |V| = {ds.attrs['ladder_max_rel_error']:.1e}")
    return fig


def plot_spice_check(ds: xr.Dataset, path: str | Path) -> Path:
    """Write :func:`spice_check_figure` to ``path`` (atomically) and close it; returns the path."""
    return _save_and_close(spice_check_figure(ds), path, dpi=110)
