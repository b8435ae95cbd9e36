"""Figure of a memory-signal experiment: SNR vs time since storage, all devices, log–log."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

__all__ = ["plot_memory_snr", "memory_snr_figure", "save_figure"]


def save_figure(fig, path: str | Path, dpi: int = 130) -> Path:
    """Save atomically (:func:`neuromorph.outputs.save_figure`: temp file in the same directory,
    fsync, rename) and close the figure."""
    from ..outputs import save_figure as write_figure

    try:
        return write_figure(fig, Path(path), dpi=dpi)
    finally:
        plt.close(fig)


def _events_text(ds: xr.Dataset) -> str:
    rate = ds.attrs.get("rate_hz", float("nan"))
    if ds.attrs.get("events") == "per_step":
        return f"one event every {1.0 / rate:.3g} s"
    return f"Poisson events at {rate:.3g} Hz"


def memory_snr_figure(ds: xr.Dataset, title: str | None = None) -> plt.Figure:
    """Log–log SNR(t) of every device: Monte-Carlo (markers, ±1 SE bars) and theory (lines),
    the criterion as a dotted line and each lifetime marked on it (▼ Monte-Carlo, ◆ theory).
    Points whose SNR is not positive cannot be shown on a log axis and are left out."""
    age = ds["age"].values
    criterion = float(ds.attrs.get("criterion", 1.0))
    fig, ax = plt.subplots(figsize=(8.5, 6), constrained_layout=True)
    colors = plt.get_cmap("tab10")
    ymax, ymin = criterion, criterion
    for i, name in enumerate(ds["device"].values):
        d = ds.sel(device=name)
        color = colors(i % 10)
        if "snr_theory" in d and np.isfinite(d["snr_theory"].values).any():
            y = d["snr_theory"].values
            ok = np.isfinite(y) & (y > 0)
            method = str(d["theory_method"].values)
            style = "-" if method != "mean_field_linearised" else "--"
            ax.plot(age[ok], y[ok], style, color=color, lw=2, alpha=0.85)
            if ok.any():
                ymax = max(ymax, np.nanmax(y[ok]))
            life = float(d["lifetime_theory"])
            if np.isfinite(life) and life > 0:
                ax.plot([life], [criterion], marker="D", color=color, ms=7, mec="k", zorder=5)
        if "snr_mc" in d:
            y = d["snr_mc"].values
            se = d["snr_se_mc"].values
            ok = np.isfinite(y) & (y > 0)
            if ok.any():
                lower = np.minimum(se[ok], y[ok] * 0.999)
                ax.errorbar(age[ok], y[ok], yerr=[lower, se[ok]], fmt="o", ms=4, color=color, mfc="white",
                            elinewidth=0.8, capsize=0)
                ymax = max(ymax, np.nanmax(y[ok] + se[ok]))
                ymin = min(ymin, np.nanmin(y[ok]))
            life = float(d["lifetime_mc"])
            if np.isfinite(life) and life > 0:
                ax.plot([life], [criterion], marker="v", color=color, ms=8, mec="k", zorder=6)
        units = str(d["readout_units"].values) if "readout_units" in d else ""
        theory = str(d["theory_method"].values) if "theory_method" in d else "none"
        label = f"{name}" + (f" [{units}]" if units not in ("", "1") else "")
        if theory == "none" and "snr_mc" in d:
            label += " (Monte-Carlo only)"
        ax.plot([], [], "-", color=color, lw=6, alpha=0.6, label=label)
    ax.axhline(criterion, color="0.3", ls=":", lw=1.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(max(ymin * 0.5, criterion * 0.05), ymax * 1.6)
    ax.set_xlim(age[0] * 0.8, age[-1] * 1.2)
    ax.set_xlabel("time since storage t [s]")
    ax.set_ylabel("SNR  =  mean overlap / std of overlap (never-stored pattern)")
    handles, labels = ax.get_legend_handles_labels()
    from matplotlib.lines import Line2D

    handles += [Line2D([], [], color="0.2", marker="o", mfc="white", ls="none", label="Monte-Carlo (±1 SE)"),
                Line2D([], [], color="0.2", ls="-", lw=2, label="mean field (exact) / Markov chain"),
                Line2D([], [], color="0.2", ls="--", lw=2, label="mean field, channel linearised"),
                Line2D([], [], color="0.3", ls=":", label=f"criterion SNR = {criterion:g}"),
                Line2D([], [], color="0.5", marker="v", mec="k", ls="none", label="lifetime, Monte-Carlo"),
                Line2D([], [], color="0.5", marker="D", mec="k", ls="none", label="lifetime, theory")]
    ax.legend(handles=handles, loc="lower left", fontsize="small", framealpha=0.9)
    ax.grid(True, which="major", alpha=0.35)
    ax.grid(True, which="minor", alpha=0.12)
    n = ds.attrs.get("n_synapses", "?")
    trials = ds.attrs.get("trials", None)
    sub = f"N = {n} synapses, {_events_text(ds)}" + (f", {trials} trials" if trials else "")
    ax.set_title(title or f"Memory signal after storing one pattern\n{sub}")
    return fig


def plot_memory_snr(ds: xr.Dataset, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`memory_snr_figure` to ``path`` (atomically) and close it; returns the path."""
    return save_figure(memory_snr_figure(ds, title), path)
