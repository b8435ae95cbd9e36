"""The comparison users come for (issue 12, Deliver 8), on the sweep engine: one continual run
per (substrate, rule, learning rate) point, computed by
:func:`neuromorph.tasks.continual.comparison_point` on the chosen executor (serial, local
process pool, Dask) and stored at once in a :class:`~neuromorph.sweep.store.PointStore`, so an
interrupted comparison computes only its missing points when started again. Every point uses
the card's seed (same data order and initial weights everywhere), so numbers do not depend on
the executor. A substrate is float weights, a crossbar card, or a crossbar card with
``cells_per_weight`` m > 1 (every weight the mean of m independent cells: the matched-variables
baseline, :mod:`neuromorph.learning.replicated`). For every (substrate, rule) the learning rate with the best final average
*validation* accuracy is selected; its test metrics are the comparison's result."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import numpy as np
import xarray as xr

from ..tasks.continual import comparison_point
from .executors import ExecutorSpec
from .resumable import run_stored_points

__all__ = ["continual_comparison", "comparison_tasks"]

SCALARS = ("average_accuracy", "backward_transfer", "forward_transfer", "forgetting", "val_average_accuracy")


def _substrate(value) -> dict:
    """Task fields of one substrate of :func:`~neuromorph.config.network_schema.load_comparison_card`:
    None (float), a crossbar path, or {crossbar, cells_per_weight}. ``cells_per_weight`` appears
    only where m > 1, so the points (and stores) of one-cell substrates keep their fingerprint."""
    if value is None or isinstance(value, str):
        return {"crossbar": value}
    m = int(value.get("cells_per_weight", 1))
    return {"crossbar": value["crossbar"]} | ({"cells_per_weight": m} if m > 1 else {})


def comparison_tasks(card, continual, network, substrates: dict, seed: int) -> list[dict]:
    grid = itertools.product(substrates.items(), card.rules, card.learning_rates)
    return [{"index": i, "substrate": label, **_substrate(value), "rule": rule, "learning_rate": lr,
             "expansion": card.expansion, "seed": seed, "continual": continual.model_dump(mode="json"),
             "network": network.model_dump(mode="json")}
            for i, ((label, value), rule, lr) in enumerate(grid)]


def continual_comparison(card, continual, network, substrates: dict, store_dir: str | Path, seed: int | None = None,
                         executor: ExecutorSpec = ExecutorSpec("serial"), restart: bool = False,
                         progress: bool = True) -> xr.Dataset:
    """Run (or resume) every point; Dataset with dims (substrate, rule, learning_rate) and the
    best-learning-rate selection (see the module docstring)."""
    seed = card.seed if seed is None else int(seed)
    tasks = comparison_tasks(card, continual, network, substrates, seed)
    fingerprint = hashlib.sha256(json.dumps(tasks, sort_keys=True, default=str).encode()).hexdigest()[:16]
    results = run_stored_points(comparison_point, tasks, store_dir, fingerprint,
                                {"card": card.name or "", "seed": seed, "shape": [len(tasks)]},
                                executor, restart, progress, "continual comparison")
    return _assemble(card, continual, substrates, tasks, results, seed)


def _assemble(card, continual, substrates, tasks, results, seed) -> xr.Dataset:
    labels, rules, rates = list(substrates), list(card.rules), list(card.learning_rates)
    shape = (len(labels), len(rules), len(rates))
    n = continual.tasks.count
    names = [f"perm{t}" if continual.tasks.kind == "permuted" else f"task{t}" for t in range(n)]
    data = {k: np.full(shape, np.nan) for k in SCALARS}
    matrix = np.full(shape + (n, n), np.nan)
    curve = np.full(shape + (results[0]["accuracy_curve"].shape[0], n), np.nan)
    errors = np.full(shape, "", dtype=object)
    for task, res in zip(tasks, results):
        at = (labels.index(task["substrate"]), rules.index(task["rule"]), rates.index(task["learning_rate"]))
        for k in SCALARS:
            data[k][at] = float(res[k])
        matrix[at] = res["accuracy_matrix"]
        curve[at] = res["accuracy_curve"]
        errors[at] = str(res.get("error", ""))
    dims = ("substrate", "rule", "learning_rate")
    ds = xr.Dataset({k: (dims, v) for k, v in data.items()},
                    coords={"substrate": labels, "rule": rules, "learning_rate": rates, "task": names,
                            "trained": names, "step_epoch": np.arange(curve.shape[3])})
    ds["accuracy_matrix"] = (dims + ("trained", "task"), matrix)
    ds["accuracy_curve"] = (dims + ("step_epoch", "task"), curve)
    ds["error"] = (dims, errors.astype(str))
    val = ds["val_average_accuracy"].fillna(-1.0)
    best = val.argmax("learning_rate")
    ds["best_learning_rate"] = ds["learning_rate"][best].drop_vars("learning_rate")
    for k in ("average_accuracy", "backward_transfer", "forward_transfer", "forgetting"):
        ds[f"best_{k}"] = ds[k].isel(learning_rate=best)
    ds["cells_per_weight"] = ("substrate", [0 if substrates[k] is None else 1 if isinstance(substrates[k], str)
                                            else int(substrates[k].get("cells_per_weight", 1)) for k in labels])
    ds["cells_per_weight"].attrs["note"] = "replicas per weight, read as their mean (0: float weights)"
    ds.attrs.update({"card": card.name or "", "seed": seed, "tasks_kind": continual.tasks.kind,
                     "scenario": continual.tasks.scenario or "", "epochs_per_task": continual.epochs_per_task,
                     "dataset": continual.dataset or "", "substrate_cards": json.dumps(substrates),
                     "selection": "learning rate with the best final average validation accuracy",
                     "optimiser": "plain SGD, no momentum, no weight decay (arrays: the devices' own relaxation)"})
    return ds
