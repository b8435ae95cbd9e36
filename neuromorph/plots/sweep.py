"""Figures of a parameter sweep: lifetime heatmap over the grid, SNR curves coloured by parameter."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.colors import LogNorm, Normalize

from .memory import save_figure

__all__ = ["plot_lifetime_heatmap", "plot_sweep_snr", "lifetime_heatmap_figure", "sweep_snr_figure", "format_si"]

_PREFIXES = [(1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k"),
             (1e6, "M"), (1e9, "G")]


def format_si(value, unit: str = "") -> str:
    """``2e-6, 'm'`` → ``'2 µm'``; strings pass through; no unit → plain number."""
    if isinstance(value, str) or not isinstance(value, (int, float, np.floating, np.integer)):
        return str(value)
    value = float(value)
    if not unit or unit == "1":
        return f"{value:g}"
    if value == 0 or not math.isfinite(value) or unit in ("s",):
        return f"{value:.3g} {unit}"
    scale, prefix = 1.0, ""
    for s, p in _PREFIXES:
        if abs(value) >= s * 0.9999:
            scale, prefix = s, p
    return f"{value / scale:.3g} {prefix}{unit}"


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "> range" if seconds > 0 else "-"
    if seconds == 0:
        return "0"
    for unit, size in (("yr", 365.25 * 86400.0), ("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            value = seconds / size
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:.0f} {unit}"
    return f"{seconds:.3g} s"


def _events(ds: xr.Dataset) -> str:
    rate = float(ds.attrs.get("rate_hz", float("nan")))
    if ds.attrs.get("events") == "per_step":
        return f"one event every {1.0 / rate:.3g} s"
    return f"Poisson events at {rate:.3g} Hz"


def _fields(ds: xr.Dataset) -> list[str]:
    return [d for d in ds["lifetime"].dims]


def _axis_label(ds: xr.Dataset, dim: str) -> str:
    return ds[dim].attrs.get("path", dim)


def _tick_labels(ds: xr.Dataset, dim: str) -> list[str]:
    unit = ds[dim].attrs.get("units", "")
    return [format_si(v.item() if hasattr(v, "item") else v, unit) for v in ds[dim].values]


def _heatmap(ax, da: xr.DataArray, ds: xr.Dataset, norm, criterion: float, t_max: float):
    ydim, xdim = da.dims
    values = da.values.astype(float)
    shown = np.where(np.isfinite(values) & (values > 0), values, np.nan)
    mesh = ax.pcolormesh(np.arange(values.shape[1] + 1) - 0.5, np.arange(values.shape[0] + 1) - 0.5, shown,
                         norm=norm, cmap="viridis", shading="flat")
    for (i, j), v in np.ndenumerate(values):
        if np.isinf(v):
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", ec="0.4", lw=0))
            text, color = f"> {format_duration(t_max)}", "k"
        elif v == 0:
            text, color = "0", "k"
        elif np.isnan(v):
            text, color = "n/a", "0.4"
        else:
            text = format_duration(v)
            rgba = mesh.cmap(norm(v))
            color = "k" if (0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]) > 0.55 else "w"
        ax.text(j, i, text, ha="center", va="center", fontsize=7.5, color=color)
    ax.set_xticks(range(values.shape[1]), _tick_labels(ds, xdim), rotation=30 if values.shape[1] > 6 else 0)
    ax.set_yticks(range(values.shape[0]), _tick_labels(ds, ydim))
    ax.set_xlabel(_axis_label(ds, xdim))
    ax.set_ylabel(_axis_label(ds, ydim))
    return mesh


def lifetime_heatmap_figure(ds: xr.Dataset, title: str | None = None) -> plt.Figure:
    """Memory lifetime over the grid: heatmap (log colour scale, value in every cell) for two
    fields; one heatmap per combination of any further fields; a line for a single field."""
    life = ds["lifetime"]
    dims = _fields(ds)
    criterion = float(ds.attrs.get("criterion", 1.0))
    t_max = float(ds["age"].values[-1])
    finite = life.values[np.isfinite(life.values) & (life.values > 0)]
    label = f"memory lifetime [s] (first age with SNR < {criterion:g})"
    head = title or (f"{ds.attrs.get('title', 'sweep')}\nmemory lifetime of N = {ds.attrs.get('n_synapses')} synapses, "
                     f"{_events(ds)}")
    if len(dims) == 1:
        dim = dims[0]
        fig, ax = plt.subplots(figsize=(7, 4.8), constrained_layout=True)
        x = ds[dim].values
        numeric = x.dtype.kind in "fiu"
        xs = x if numeric else np.arange(x.size)
        y = life.values.astype(float)
        ok = np.isfinite(y) & (y > 0)
        ax.plot(xs[ok], y[ok], "o-", color="tab:blue")
        over = np.isinf(y)
        if over.any():
            ax.plot(xs[over], np.full(over.sum(), t_max), "^", color="tab:red", label=f"> {format_duration(t_max)} (range)")
            ax.legend()
        ax.set_yscale("log")
        if numeric and np.all(x > 0) and x.max() / x.min() > 20:
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(xs, _tick_labels(ds, dim))
        unit = ds[dim].attrs.get("units", "")
        ax.set_xlabel(_axis_label(ds, dim) + (f" [{unit}]" if unit else ""))
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.set_title(head)
        return fig
    norm = LogNorm(vmin=finite.min(), vmax=finite.max()) if finite.size and finite.max() > finite.min() else (
        Normalize(vmin=(finite.min() if finite.size else 0) * 0.9, vmax=(finite.max() if finite.size else 1) * 1.1 + 1e-12))
    extra = dims[2:]
    combos = list(itertools.product(*[range(ds.sizes[d]) for d in extra])) or [()]
    combos = combos[:12]
    ncols = min(3, len(combos))
    nrows = math.ceil(len(combos) / ncols)
    ny, nx = ds.sizes[dims[0]], ds.sizes[dims[1]]
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(6.5, 0.9 * nx + 3) * ncols, (0.55 * ny + 2.2) * nrows),
                             constrained_layout=True, squeeze=False)
    mesh = None
    for ax, combo in zip(axes.flat, combos):
        sel = {d: i for d, i in zip(extra, combo)}
        da = life.isel(sel).transpose(dims[0], dims[1])
        mesh = _heatmap(ax, da, ds, norm, criterion, t_max)
        if sel:
            ax.set_title(", ".join(f"{ds[d].attrs.get('path', d)} = {_tick_labels(ds, d)[i]}" for d, i in sel.items()),
                         fontsize="small")
    for ax in list(axes.flat)[len(combos):]:
        ax.set_visible(False)
    if mesh is not None:
        fig.colorbar(mesh, ax=axes, label=label, shrink=0.9)
    fig.suptitle(head)
    return fig


def plot_lifetime_heatmap(ds: xr.Dataset, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`lifetime_heatmap_figure` to ``path`` (atomically) and close it; returns the path."""
    return save_figure(lifetime_heatmap_figure(ds, title), path)


def sweep_snr_figure(ds: xr.Dataset, title: str | None = None) -> plt.Figure:
    """SNR(t) of every point on log–log axes, coloured by the first swept field; one panel per
    value of the second field (if any; further fields at their first value)."""
    dims = _fields(ds)
    snr = ds["snr"]
    cdim = dims[0]
    pdim = dims[1] if len(dims) > 1 else None
    fixed = {d: 0 for d in dims[2:]}
    panels = range(ds.sizes[pdim]) if pdim else [None]
    n = len(panels)
    ncols = min(4, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols + 1.2, 3.6 * nrows + 0.8), sharex=True, sharey=True,
                             constrained_layout=True, squeeze=False)
    age = ds["age"].values
    criterion = float(ds.attrs.get("criterion", 1.0))
    cmap = plt.get_cmap("viridis")
    ncol = ds.sizes[cdim]
    cvals = ds[cdim].values
    numeric = cvals.dtype.kind in "fiu"
    if numeric and np.all(cvals > 0) and cvals.max() / cvals.min() >= 4:
        cnorm = LogNorm(vmin=cvals.min(), vmax=cvals.max())
    elif numeric and cvals.max() > cvals.min():
        cnorm = Normalize(vmin=cvals.min(), vmax=cvals.max())
    else:
        cnorm = Normalize(vmin=0, vmax=max(1, ncol - 1))
    ymax = criterion
    positive = snr.values[np.isfinite(snr.values) & (snr.values > 0)]
    if positive.size:
        ymax = max(ymax, positive.max())
    for ax, pi in zip(axes.flat, panels):
        for ci in range(ncol):
            sel = {cdim: ci, **fixed}
            if pdim:
                sel[pdim] = pi
            y = snr.isel(sel).values
            ok = np.isfinite(y) & (y > 0)
            color = cmap(cnorm(cvals[ci] if numeric else ci))
            ax.plot(age[ok], y[ok], color=color, lw=1.6)
            if "snr_se_mc" in ds and ds.attrs.get("method") in ("monte_carlo", "both"):
                se = ds["snr_se_mc"].isel(sel).values
                ok2 = ok & np.isfinite(se)
                ax.fill_between(age[ok2], np.clip(y[ok2] - se[ok2], 1e-300, None), y[ok2] + se[ok2], color=color,
                                alpha=0.15, lw=0)
        ax.axhline(criterion, color="0.3", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(criterion * 0.05, ymax * 1.5)
        ax.grid(True, which="major", alpha=0.3)
        if pdim is not None:
            ax.set_title(f"{ds[pdim].attrs.get('path', pdim)} = {_tick_labels(ds, pdim)[pi]}", fontsize="small")
    for ax in axes[-1]:
        ax.set_xlabel("time since storage [s]")
    for ax in axes[:, 0]:
        ax.set_ylabel("SNR")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    mappable = plt.cm.ScalarMappable(norm=cnorm, cmap=cmap)
    bar = fig.colorbar(mappable, ax=axes, shrink=0.9)
    bar.set_label(_axis_label(ds, cdim))
    if numeric:
        bar.set_ticks(cvals, labels=_tick_labels(ds, cdim))
        bar.ax.minorticks_off()
    else:
        bar.set_ticks(range(ncol), labels=_tick_labels(ds, cdim))
    head = title or (f"{ds.attrs.get('title', 'sweep')}: SNR after storing one pattern, N = "
                     f"{ds.attrs.get('n_synapses')} synapses, {_events(ds)} (dotted: SNR = {criterion:g})")
    if fixed:
        head += "\n(" + ", ".join(f"{ds[d].attrs.get('path', d)} = {_tick_labels(ds, d)[0]}" for d in fixed) + ")"
    fig.suptitle(head)
    return fig


def plot_sweep_snr(ds: xr.Dataset, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`sweep_snr_figure` to ``path`` (atomically) and close it; returns the path."""
    return save_figure(sweep_snr_figure(ds, title), path)
