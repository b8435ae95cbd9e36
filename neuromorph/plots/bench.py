"""Figure of ``neuromorph bench step --scaling``: seconds per chain step against N and against m,
log–log, with the memory-bandwidth line (:mod:`neuromorph.bench._scaling` makes the Dataset)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

__all__ = ["step_scaling_figure", "plot_step_scaling"]

_CASES = (("eigen", "O(m) eigen step (1 step/call)", "o-"), ("fused", "O(m) eigen step, fused", "s-"),
          ("stream", "STREAM-style pass, same bytes", "^:"))


def step_scaling_figure(ds: xr.Dataset) -> plt.Figure:
    """Two log–log panels: seconds per step vs N (at fixed m) and vs m (at fixed N), each case
    as markers, and the bandwidth line t = bytes / B (B: the stream pass that moved the most bytes)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), constrained_layout=True)
    bandwidth = float(ds.attrs["bandwidth_bytes_per_second"])
    panels = (("vs_n", "synapses", f"synapses N (m = {ds.attrs['variables_at_fixed_m']})"),
              ("vs_m", "variables", f"variables per synapse m (N = {ds.attrs['synapses_at_fixed_n']:.3g})"))
    for ax, (suffix, dim, xlabel) in zip(axes, panels):
        x = ds[dim].values
        if x.size == 0:
            ax.set_visible(False)
            continue
        for case, label, style in _CASES:
            ax.plot(x, ds[f"seconds_per_step_{case}_{suffix}"].values, style, label=label)
        if np.isfinite(bandwidth) and bandwidth > 0:
            ax.plot(x, ds[f"bytes_per_step_{suffix}"].values / bandwidth, "k--", lw=1,
                    label=f"bandwidth line ({bandwidth / 1e9:.1f} GB/s at {ds.attrs.get('bandwidth_measured_at', '?')})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("time per step (s)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"chain step scaling, {ds.attrs.get('measured_backends', 'cpu')} backend, "
                 f"numba threads: {ds.attrs.get('numba_threads', '?')}")
    return fig


def plot_step_scaling(ds: xr.Dataset, path: str | Path) -> Path:
    """Write :func:`step_scaling_figure` to ``path`` atomically."""
    from .memory import save_figure

    return save_figure(step_scaling_figure(ds), path)
