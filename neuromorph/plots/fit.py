"""Figure of a fit: measured conductance, the model before and after the fit, and the residuals,
one column per trace (log time axis: ramps take seconds, relaxation hours)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from .memory import save_figure as _save_and_close

__all__ = ["plot_fit", "fit_figure"]


def _time_axis(ax, t: np.ndarray) -> None:
    if np.all(t > 0):
        ax.set_xscale("log")
    else:
        positive = t[t > 0]
        ax.set_xscale("symlog", linthresh=float(positive.min()) if positive.size else 1.0)


def fit_figure(ds: xr.Dataset, title: str | None = None) -> plt.Figure:
    """Top row: data (dots), model with the start values (grey) and fitted model (line) per trace
    [mS]; bottom row: residuals data − fit [µS] with ±2 rms bands."""
    names = list(dict.fromkeys(ds["trace"].values.tolist()))
    n = len(names)
    cols = min(n, 5)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(2 * rows, cols, figsize=(3.3 * cols + 0.6, 5.4 * rows), squeeze=False,
                             gridspec_kw={"height_ratios": [2.2, 1.0] * rows}, constrained_layout=True)
    rms = float(ds.attrs.get("rms_residual_S", np.sqrt(np.mean(ds["residual"].values ** 2))))
    for k, name in enumerate(names):
        r, c = divmod(k, cols)
        ax, ax_res = axes[2 * r, c], axes[2 * r + 1, c]
        sel = ds["trace"].values == name
        t = ds["time"].values[sel]
        ax.plot(t, ds["measured"].values[sel] * 1e3, ".", ms=3, color="tab:blue", label="data")
        ax.plot(t, ds["start"].values[sel] * 1e3, "-", lw=1.0, color="0.6", label="start card")
        ax.plot(t, ds["fitted"].values[sel] * 1e3, "-", lw=1.6, color="tab:red", label="fit")
        ax.set_title(name, fontsize=10)
        _time_axis(ax, t)
        _time_axis(ax_res, t)
        ax_res.plot(t, ds["residual"].values[sel] * 1e6, ".", ms=3, color="tab:blue")
        ax_res.axhline(0.0, color="black", lw=0.8)
        for sign in (-2, 2):
            ax_res.axhline(sign * rms * 1e6, color="0.5", lw=0.8, ls="--")
        ax_res.set_xlabel("time since trace start [s]")
        if c == 0:
            ax.set_ylabel("conductance [mS]")
            ax_res.set_ylabel("data − fit [µS]")
        if k == 0:
            ax.legend(fontsize=8, loc="best")
    for k in range(n, rows * cols):
        r, c = divmod(k, cols)
        axes[2 * r, c].set_visible(False)
        axes[2 * r + 1, c].set_visible(False)
    values = ", ".join(f"{p}={v:.3g}" for p, v in zip(ds["parameter"].values, ds["value"].values))
    fig.suptitle(title or f"fit of {Path(str(ds.attrs.get('base_card', ''))).name} to "
                 f"{Path(str(ds.attrs.get('data_file', ''))).name}\n{values}  (rms {rms * 1e6:.3g} µS, dashed ±2 rms)",
                 fontsize=9)
    return fig


def plot_fit(ds: xr.Dataset, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`fit_figure` to ``path`` (atomically) and close it; returns the path."""
    return _save_and_close(fit_figure(ds, title), path, dpi=110)
