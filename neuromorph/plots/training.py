"""Training figures: accuracy vs epoch per rule with the path alignment angle vs epoch per layer
(``neuromorph train``), and a continual-learning run: every task's accuracy along the whole
training sequence with the accuracy matrix (``neuromorph continual``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen in plots/__init__.py)
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from ..outputs import save_figure  # noqa: E402


def _save(fig, path) -> Path:
    try:
        return save_figure(fig, path, dpi=120)
    finally:
        plt.close(fig)

__all__ = ["plot_training", "plot_continual", "training_figure", "continual_figure", "comparison_figure"]


def training_figure(ds: xr.Dataset, title: str | None = None) -> plt.Figure:
    """Left: test (solid) and training (dashed, running) accuracy vs epoch, one colour per rule.
    Right: path alignment angle vs epoch, one panel column per layer with a path (layers ≥ 2)."""
    layers = [int(l) for l in ds["layer"].values
              if np.isfinite(ds["alignment_angle_deg"].sel(layer=l).values).any()]
    ncols = 1 + max(len(layers), 1)
    fig, axes = plt.subplots(1, ncols, figsize=(4.6 * ncols, 4.2), constrained_layout=True, squeeze=False)
    axes = axes[0]
    epochs = ds["epoch"].values
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, rule in enumerate(ds["rule"].values):
        c = colours[i % len(colours)]
        d = ds.sel(rule=rule)
        axes[0].plot(epochs, 100 * d["test_accuracy"].values, color=c, label=f"{rule} (best {100 * float(d['best_test_accuracy']):.1f} %)")
        axes[0].plot(epochs, 100 * d["train_accuracy"].values, color=c, ls="--", lw=0.8)
        for ax, layer in zip(axes[1:], layers):
            ax.plot(epochs, d["alignment_angle_deg"].sel(layer=layer).values, color=c, label=str(rule))
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("accuracy [%]  (solid: test, dashed: training)")
    lo = 100 * float(np.nanmin(ds["test_accuracy"].sel(epoch=ds["epoch"] >= 1).values)) if len(epochs) > 1 else 0
    axes[0].set_ylim(max(0.0, min(lo, 90.0) - 2), 100.5)
    axes[0].legend(fontsize=8, loc="lower right")
    axes[0].grid(alpha=0.3)
    axes[0].set_title(f"{ds.attrs.get('dataset', '')} {'-'.join(map(str, ds.attrs.get('layers', [])))}, "
                      f"seed {ds.attrs.get('seed')}", fontsize=10)
    for ax, layer in zip(axes[1:], layers):
        ax.set_xlabel("epoch")
        ax.set_ylabel("path alignment angle [deg]")
        ax.set_title(f"layer {layer}: angle(W, effective feedback)", fontsize=10)
        ax.set_ylim(-2, 92)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if not layers:
        axes[1].set_axis_off()
    if title:
        fig.suptitle(title)
    return fig


def plot_training(ds: xr.Dataset, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`training_figure` to ``path`` (atomically) and close it; returns the path."""
    return _save(training_figure(ds, title), path)


def continual_figure(ds: xr.Dataset, title: str | None = None) -> plt.Figure:
    """Top: accuracy on every task (one colour per task) along the training sequence, one panel
    per rule, task boundaries dashed. Bottom: the accuracy matrix R[i, j] per rule."""
    rules = list(ds["rule"].values)
    tasks = list(ds["task"].values)
    fig, axes = plt.subplots(2, len(rules), figsize=(5.0 * len(rules), 8.2), constrained_layout=True, squeeze=False)
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(tasks)))
    x = ds["step_epoch"].values
    per_task = int(ds.attrs["epochs_per_task"])
    for col, rule in enumerate(rules):
        ax = axes[0, col]
        curve = ds["accuracy_curve"].sel(rule=rule).values
        for j, task in enumerate(tasks):
            ax.plot(x, 100 * curve[:, j], color=colours[j], label=str(task))
        for b in range(1, len(tasks)):
            ax.axvline(b * per_task, color="grey", ls="--", lw=0.7)
        ax.set_xlabel("epochs of training (all tasks, in order)")
        ax.set_ylabel("test accuracy [%]")
        ax.set_ylim(0, 101)
        ax.set_title(f"{rule}: ACC {100 * float(ds['average_accuracy'].sel(rule=rule)):.1f} %, "
                     f"BWT {100 * float(ds['backward_transfer'].sel(rule=rule)):+.1f} pts", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2, title="task", title_fontsize=7)
        ax = axes[1, col]
        r = 100 * ds["accuracy_matrix"].sel(rule=rule).values
        im = ax.imshow(r, vmin=0, vmax=100, cmap="magma")
        for i in range(r.shape[0]):
            for j in range(r.shape[1]):
                ax.text(j, i, f"{r[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if r[i, j] < 60 else "black")
        ax.set_xticks(range(len(tasks)), tasks, rotation=45, fontsize=7)
        ax.set_yticks(range(len(tasks)), tasks, fontsize=7)
        ax.set_xlabel("evaluated task j")
        ax.set_ylabel("after training task i")
        ax.set_title("accuracy matrix R[i, j] [%]", fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.8)
    kind = " ".join(p for p in (ds.attrs.get("tasks_kind", ""), ds.attrs.get("scenario", "")) if p)
    fig.suptitle(title or f"{ds.attrs.get('card', '')}: {kind} tasks on {ds.attrs.get('dataset', '')}, "
                 f"{ds.attrs.get('heads', '')}, seed {ds.attrs.get('seed')}")
    return fig


def plot_continual(ds: xr.Dataset, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`continual_figure` to ``path`` (atomically) and close it; returns the path."""
    return _save(continual_figure(ds, title), path)


def comparison_figure(ds: xr.Dataset, title: str | None = None) -> plt.Figure:
    """Left: final average accuracy (ACC) per substrate and rule at the selected learning rate,
    with forgetting as hatched bars. Right: accuracy on the first task along the sequence."""
    subs, rules = list(ds["substrate"].values), list(ds["rule"].values)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), constrained_layout=True)
    width = 0.8 / len(rules)
    x = np.arange(len(subs))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, rule in enumerate(rules):
        acc = 100 * ds["best_average_accuracy"].sel(rule=rule).values
        forg = 100 * ds["best_forgetting"].sel(rule=rule).values
        axes[0].bar(x + i * width, acc, width * 0.9, color=colours[i], label=f"{rule}: ACC")
        axes[0].bar(x + i * width, forg, width * 0.45, color="none", edgecolor="black", hatch="//", lw=0.8,
                    label=f"{rule}: forgetting")
    axes[0].set_xticks(x + 0.4 - width / 2, subs, rotation=15, fontsize=8)
    axes[0].set_ylabel("percent (final average accuracy; forgetting in points)")
    axes[0].set_ylim(0, 100)
    axes[0].legend(fontsize=8)
    axes[0].grid(alpha=0.3, axis="y")
    axes[0].set_title("each at its best learning rate (validation)", fontsize=10)
    for j, sub in enumerate(subs):
        for i, rule in enumerate(rules):
            d = ds.sel(substrate=sub, rule=rule)
            best = float(d["best_learning_rate"])
            curve = 100 * d["accuracy_curve"].sel(learning_rate=best).isel(task=0).values
            axes[1].plot(curve, color=colours[j % len(colours)], ls="-" if i == 0 else "--",
                         label=f"{sub} {rule} (lr {best:g})")
    per = int(ds.attrs["epochs_per_task"])
    for b in range(1, ds.sizes["task"]):
        axes[1].axvline(b * per, color="grey", lw=0.6, ls=":")
    axes[1].set_xlabel("epochs of training (all tasks in order)")
    axes[1].set_ylabel("test accuracy on the first task [%]")
    axes[1].set_ylim(0, 101)
    axes[1].grid(alpha=0.3)
    axes[1].legend(fontsize=7)
    fig.suptitle(title or f"{ds.attrs.get('card', '')}: {ds.attrs['tasks_kind']} tasks, seed {ds.attrs['seed']}")
    return fig


def plot_comparison(ds: xr.Dataset, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`comparison_figure` to ``path`` (atomically) and close it; returns the path."""
    return _save(comparison_figure(ds, title), path)
