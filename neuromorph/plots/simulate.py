"""Figure of a pulse-protocol simulation: weight (conductance) and every compartment vs time."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from .memory import save_figure as _save_and_close

__all__ = ["plot_protocol_run", "protocol_run_figure"]


def protocol_run_figure(ds: xr.Dataset, title: str | None = None) -> plt.Figure:
    """Two panels on a log time axis: weight of every device (mean in black when several) and
    the mean state of each compartment u_k."""
    t = ds["time"].values
    keep = t > 0
    fig, (ax_w, ax_u) = plt.subplots(2, 1, figsize=(8, 7), sharex=True, constrained_layout=True)
    readout = ds[ds.attrs.get("readout", "weight")]  # weight [1] or conductance [S]
    weight = readout.values[:, keep]
    w_units = readout.attrs.get("units", "")
    scale, prefix = _si_scale(np.nanmax(np.abs(weight)) if weight.size else 1.0, w_units)
    n_dev = weight.shape[0]
    for row in weight[: min(n_dev, 50)]:
        ax_w.plot(t[keep], row * scale, color="tab:blue", alpha=0.25 if n_dev > 1 else 1.0, lw=0.8)
    if n_dev > 1:
        ax_w.plot(t[keep], weight.mean(axis=0) * scale, color="black", lw=1.8, label=f"mean of {n_dev} devices")
        ax_w.legend(loc="best")
    ax_w.set_xscale("log")
    name = readout.attrs.get("long_name", readout.name)
    ax_w.set_ylabel(f"{name} [{prefix}{w_units}]" if w_units not in ("", "1") else name)
    u = ds["u"].values[:, keep, :].mean(axis=0)
    cmap = plt.get_cmap("viridis")
    m = u.shape[1]
    for k in range(m):
        ax_u.plot(t[keep], u[:, k], color=cmap(k / max(1, m - 1)), label=f"u_{k + 1}")
    ax_u.set_xscale("log")
    ax_u.set_xlabel("time since protocol start [s]")
    u_units = ds["u"].attrs.get("units", "")
    ax_u.set_ylabel(f"compartment state [{u_units}]" if u_units not in ("", "1") else "compartment state u_k")
    ax_u.legend(loc="best", ncol=min(4, m), fontsize="small")
    for ax in (ax_w, ax_u):
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(title or f"{ds.attrs.get('device_name', '')} — {ds.attrs.get('protocol', '')}")
    return fig


def plot_protocol_run(ds: xr.Dataset, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`protocol_run_figure` to ``path`` (atomically) and close it; returns the path."""
    return _save_and_close(protocol_run_figure(ds, title), path, dpi=120)


def _si_scale(max_abs: float, units: str) -> tuple[float, str]:
    if units in ("", "1") or not np.isfinite(max_abs) or max_abs == 0:
        return 1.0, ""
    for factor, prefix in ((1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, "")):
        if max_abs < 1000 * factor:
            return 1.0 / factor, prefix
    return 1.0, ""
