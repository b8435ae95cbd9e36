"""Figures of the familiarity experiment: ioSNR/rSNR versus age (log–log, theory lines), ROC curves
at a few ages, lifetime bars per metric and model; capacity (t* versus N and m) with the fits."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen in plots/__init__.py)
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from ..analysis.familiarity_metrics import THRESHOLDS, fit_capacity_exponent, fit_complexity_exponent, roc_curve  # noqa: E402
from ..outputs import save_figure  # noqa: E402

__all__ = ["plot_familiarity", "plot_familiarity_capacity", "familiarity_figure", "familiarity_capacity_figure"]

_METRIC_LABELS = {"io_snr": "ioSNR", "r_snr": "rSNR", "forced_choice": "forced choice", "fd_accuracy": "FD accuracy",
                  "auc": "ROC AUC", "tpr_at_tnr": "TPR@TNR=.84"}


def _age_axis(ds: xr.Dataset):
    if "age_s" in ds.coords and "rate_hz" in ds.attrs:
        return (ds["age"].values + 1.0) / ds.attrs["rate_hz"], "(age + 1 item) x item interval (s)", 1.0
    return ds["age"].values + 1.0, "age + 1 (items)", 1.0


def _snr_panel(ax, ds: xr.Dataset, name: str, theory: bool) -> None:
    x, label, _ = _age_axis(ds)
    colors = plt.get_cmap("tab10")
    top = THRESHOLDS[name]
    for i, model in enumerate(ds["model"].values):
        y = ds[name].sel(model=model).values
        se = ds[f"{name}_se"].sel(model=model).values
        ok = np.isfinite(y) & (y > 0) & np.isfinite(x)
        if ok.any():
            top = max(top, float(np.max(y[ok])))
        ax.errorbar(x[ok], y[ok], yerr=np.minimum(se[ok], 0.999 * y[ok]), fmt="o", ms=2.5, lw=0.6,
                    color=colors(i % 10), label=str(model))
        if theory and name == "io_snr":
            t = ds["io_snr_theory"].sel(model=model).values
            ok = np.isfinite(t) & (t > 0) & np.isfinite(x)
            if ok.any():
                ax.plot(x[ok], t[ok], "--", color=colors(i % 10), lw=1.5)
    ax.axhline(THRESHOLDS[name], color="k", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(label)
    ax.set_ylabel(_METRIC_LABELS[name])
    ax.set_ylim(0.05, 2.0 * top)


def familiarity_figure(ds: xr.Dataset, title: str | None = None) -> plt.Figure:
    """Four panels: ioSNR and rSNR versus age (markers ±1 SE; dashed: ideal-chain theory; dotted:
    the 0.5 lifetime threshold), ROC curves of the first model at three ages, lifetime bars."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 9), constrained_layout=True)
    _snr_panel(axes[0, 0], ds, "io_snr", theory=True)
    axes[0, 0].set_title("ioSNR (dashed: ideal linear chain theory)")
    axes[0, 0].legend(fontsize=7)
    _snr_panel(axes[0, 1], ds, "r_snr", theory=False)
    axes[0, 1].set_title("rSNR after one recurrent step")
    # ROC
    ax = axes[1, 0]
    ages = ds["age"].values
    picks = np.unique(np.clip(np.searchsorted(ages, [0, np.sqrt(max(ages[-1], 1)), ages[-1] / 4]), 0, ages.size - 1))
    styles = ["-", "--", ":"]
    colors = plt.get_cmap("tab10")
    for i, model in enumerate(ds["model"].values[:4]):
        for style, a in zip(styles, picks):
            fam = ds["r_familiar"].sel(model=model).isel(age=a).values
            nov = ds["r_novel"].sel(model=model).isel(age=a).values
            if not (np.isfinite(fam).all() and np.isfinite(nov).all()):
                continue
            fpr, tpr = roc_curve(fam, nov)
            ax.plot(fpr, tpr, style, color=colors(i % 10), lw=1.2,
                    label=f"{model}, age {int(ages[a])}" if i < 4 else None)
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8)
    ax.set_xlabel("false-positive rate (never-seen called familiar)")
    ax.set_ylabel("true-positive rate")
    ax.set_title("ROC of the r-signal at three ages")
    ax.legend(fontsize=6, ncol=1)
    # lifetime bars
    ax = axes[1, 1]
    metrics = [m for m in _METRIC_LABELS if f"lifetime_{m}" in ds]
    n_models = ds["model"].size
    width = 0.8 / n_models
    for i, model in enumerate(ds["model"].values):
        vals = np.array([float(ds[f"lifetime_{m}"].sel(model=model)) for m in metrics])
        vals = np.where(np.isfinite(vals) & (vals > 0), vals, np.nan)
        ax.bar(np.arange(len(metrics)) + (i - (n_models - 1) / 2) * width, vals, width, bottom=0,
               color=colors(i % 10), label=str(model))
    ax.set_xticks(range(len(metrics)), [_METRIC_LABELS[m] for m in metrics], rotation=20)
    ax.set_yscale("log")
    ax.set_ylabel("lifetime t* (items)" if "age_s" not in ds.coords else "lifetime t* (items; see age_s)")
    ax.set_title("lifetimes (thresholds: SNR 0.5, FC/FD/AUC 0.6, TPR 0.8413)")
    ax.legend(fontsize=7, loc="upper right")
    source = ds.attrs.get("pattern_source", ds.attrs.get("patterns", ""))
    fig.suptitle(title or f"Familiarity detection, protocol 2 — patterns: {source}", fontsize=9)
    return fig


def plot_familiarity(ds: xr.Dataset, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`familiarity_figure` to ``path`` (atomically) and close it; returns the path."""
    return _save(familiarity_figure(ds, title), path)


def familiarity_capacity_figure(ds: xr.Dataset, title: str | None = None) -> plt.Figure:
    """t* (ioSNR) versus N at m = log2 N − 1 (log–log, published fit) and versus m at fixed N
    (semi-log, log2 t* linear in m); ideal-chain theory as lines."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
    ax = axes[0]
    n_runs = ds.sel(run=ds["series"] == "neurons") if "run" in ds.dims else ds
    if n_runs["run"].size:
        n = n_runs["neurons"].values
        for (metric, marker), color in zip((("io_snr", "o"), ("forced_choice", "s")), ("C0", "C2")):
            t = n_runs[f"lifetime_{metric}"].values
            slope, intercept = fit_capacity_exponent(n, t)
            ax.loglog(n, t, marker, color=color, label=f"{_METRIC_LABELS[metric]} (fit slope {slope:.2f})")
            if np.isfinite(slope):
                grid = np.geomspace(n.min(), n.max(), 50)
                ax.loglog(grid, 2 ** (slope * np.log2(grid) + intercept - np.log2(np.log2(grid))), "-", lw=1,
                          color=color)
        th = n_runs["lifetime_io_snr_theory"].values
        slope, _ = fit_capacity_exponent(n, th)
        ax.loglog(n, th, "k--", label=f"ideal-chain theory ioSNR (slope {slope:.2f})")
        if "lifetime_io_snr_theory_extended" in ds:
            ext_n = ds["theory_neurons"].values
            ext = ds["lifetime_io_snr_theory_extended"].values
            ax.loglog(ext_n, ext, ":", color="0.4",
                      label=f"theory to N = {int(ext_n.max()):,} (slope {ds.attrs.get('capacity_exponent_theory_extended', float('nan')):.2f})")
        ax.set_xlabel("neurons N (m = log2 N - 1)")
        ax.set_ylabel("lifetime t* (items)")
        ax.set_title("capacity: fit of log2 t* + log2 log2 N on log2 N")
        ax.legend(fontsize=7)
    ax = axes[1]
    m_runs = ds.sel(run=ds["series"] == "variables")
    if m_runs["run"].size:
        m = m_runs["variables"].values
        for (metric, marker), color in zip((("io_snr", "o"), ("forced_choice", "s")), ("C0", "C2")):
            t = m_runs[f"lifetime_{metric}"].values
            slope, intercept = fit_complexity_exponent(m, t)
            ax.semilogy(m, t, marker, color=color, label=f"{_METRIC_LABELS[metric]} (log2 t* slope {slope:.2f}/variable)")
            if np.isfinite(slope):
                ax.semilogy(m, 2 ** (slope * m + intercept), "-", lw=1, color=color)
        ax.semilogy(m, m_runs["lifetime_io_snr_theory"].values, "k--", label="ideal-chain theory ioSNR")
        ax.set_xlabel(f"variables per synapse m (N = {int(m_runs['neurons'].values[0])})")
        ax.set_ylabel("lifetime t* (items)")
        ax.set_title("synaptic complexity")
        ax.legend(fontsize=7)
    fig.suptitle(title or f"Familiarity capacity — patterns: {ds.attrs.get('pattern_source', '')}", fontsize=9)
    return fig


def plot_familiarity_capacity(ds: xr.Dataset, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`familiarity_capacity_figure` to ``path`` (atomically) and close it; returns the path."""
    return _save(familiarity_capacity_figure(ds, title), path)


def _save(fig, path) -> Path:
    try:
        return save_figure(fig, path, dpi=120)
    finally:
        plt.close(fig)
