"""Continual learning: one network per rule learns a sequence of tasks, one after another.

:func:`continual_experiment` trains every rule of the network card on the tasks of the
continual card (permuted pixels — domain-incremental; split classes — task-incremental with one
head per task, or class-incremental with one shared head) for ``epochs_per_task`` epochs each,
and evaluates every task's test accuracy after every epoch. Returned ``xarray.Dataset``:

    accuracy_matrix   (rule, trained, task)   R[i, j]: accuracy on task j after training task i
    baseline          (rule, task)            accuracy of the untrained network (for FWT)
    accuracy_curve    (rule, step_epoch, task) every task's accuracy along the whole sequence
    average_accuracy, backward_transfer, forward_transfer, forgetting   (rule)
                                              see :mod:`neuromorph.analysis.continual_metrics`

The learning-rate schedule restarts with every task (epochs counted within the task); the
weight-decay schedule counts optimiser steps over the whole sequence (its high-decay phase is at
the start of the first task only). The data order of task t, epoch e is drawn from
(seed, t, e); all rules start from the same weights. A checkpoint after every epoch (so after
every task) lets an interrupted run resume with identical numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ..analysis.continual_metrics import continual_summary
from ..config.network_schema import ContinualCard, NetworkCard, describe_substrates
from .datasets import Task, load_dataset, permuted_tasks, split_tasks
from .training import (_blas_threads, card_fingerprint, load_checkpoint, make_network, network_state, rule_settings,
                       run_epoch, save_checkpoint)

__all__ = ["build_tasks", "continual_experiment", "comparison_point"]


def build_tasks(card: ContinualCard, network: NetworkCard, seed: int) -> list[Task]:
    data = load_dataset(card.dataset or network.dataset.name, network.dataset.validation)
    if card.tasks.kind == "permuted":
        return permuted_tasks(data, card.tasks.count, seed)
    return split_tasks(data, card.tasks.count, card.tasks.scenario)


def _evaluate_all(net, tasks: list[Task]) -> np.ndarray:
    """Accuracy on every task: test (row 0) and validation (row 1; NaN without a validation split)."""
    test = [net.evaluate(t.data.x_test, t.data.y_test, t.classes)[1] for t in tasks]
    val = [net.evaluate(t.data.x_val, t.data.y_val, t.classes)[1] if t.data.y_val.size else np.nan for t in tasks]
    return np.array([test, val])


def continual_experiment(card: ContinualCard, network: NetworkCard, seed: int | None = None,
                         checkpoint_dir: str | Path | None = None, progress: bool = True,
                         stop_after_epochs: int | None = None) -> xr.Dataset:
    """Run the task sequence for every rule; see the module docstring."""
    with _blas_threads(network.layers):
        return _run(card, network, seed, checkpoint_dir, progress, stop_after_epochs)


def _run(card, network, seed, checkpoint_dir, progress, stop_after_epochs) -> xr.Dataset:
    from tqdm.auto import tqdm

    seed = card.seed if seed is None else int(seed)
    tasks = build_tasks(card, network, seed)
    n_tasks, per = len(tasks), card.epochs_per_task
    fingerprint = card_fingerprint(card, network, seed)
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    total_batches = sum(-(-t.data.y_train.size // network.batch_size) for t in tasks) * per
    budget = stop_after_epochs
    results = []
    for rule in network.rules:
        settings = rule_settings(rule)
        net = make_network(network, settings, seed)
        curve = np.full((n_tasks * per + 1, 2, n_tasks), np.nan)
        done = 0
        ckpt = folder / f"{settings.name}.npz" if folder is not None else None
        saved = load_checkpoint(ckpt, fingerprint) if ckpt is not None else None
        if saved is not None:
            net.load_state(network_state(saved))
            curve = np.array(saved["curve"])
            done = int(saved["epoch"])
        else:
            curve[0] = _evaluate_all(net, tasks)
        done_batches = sum(-(-tasks[i // per].data.y_train.size // network.batch_size) for i in range(done))
        bar = tqdm(total=total_batches, initial=done_batches, disable=not progress, unit="batch", leave=False,
                   dynamic_ncols=True)
        for step in range(done, n_tasks * per):
            if budget is not None and budget <= 0:
                break
            t, e = divmod(step, per)
            task = tasks[t]
            bar.set_description_str(f"{settings.name} task {t + 1}/{n_tasks} ({task.name}) epoch {e + 1}/{per}")
            run_epoch(net, task.data.x_train, task.data.y_train, e, network.batch_size, [seed, 3, t, e],
                      classes=task.classes, bar=bar)
            curve[step + 1] = _evaluate_all(net, tasks)
            if ckpt is not None:
                save_checkpoint(ckpt, net.state() | {"curve": curve, "epoch": np.array(step + 1),
                                                     "fingerprint": np.array(fingerprint)})
            if budget is not None:
                budget -= 1
        bar.close()
        results.append(curve)
    return _dataset(card, network, seed, tasks, results)


def _dataset(card, network, seed, tasks, curves) -> xr.Dataset:
    per, n = card.epochs_per_task, len(tasks)
    names = [r.name for r in network.rules]
    both = np.stack(curves)                      # (rule, step_epoch, test|val, task)
    curves = both[:, :, 0, :]
    matrices = curves[:, per::per, :]            # after the last epoch of every task
    val_matrices = both[:, per::per, 1, :]
    baseline = curves[:, 0, :]
    ds = xr.Dataset(
        {"accuracy_curve": (("rule", "step_epoch", "task"), curves),
         "accuracy_matrix": (("rule", "trained", "task"), matrices),
         "val_accuracy_matrix": (("rule", "trained", "task"), val_matrices),
         "baseline": (("rule", "task"), baseline)},
        coords={"rule": names, "task": [t.name for t in tasks], "trained": [t.name for t in tasks],
                "step_epoch": np.arange(curves.shape[1])})
    for key in ("average_accuracy", "backward_transfer", "forward_transfer", "forgetting"):
        ds[key] = ("rule", [np.nan] * len(names))
    ds["val_average_accuracy"] = ("rule", val_matrices[:, -1, :].mean(axis=1))
    for i in range(len(names)):
        if np.isfinite(matrices[i]).all():
            for key, value in continual_summary(matrices[i], baseline[i]).items():
                ds[key][i] = value
    ds["rule_kind"] = ("rule", [r.kind for r in network.rules])
    ds["rule_learning_rate"] = ("rule", [r.learning_rate for r in network.rules])
    ds["accuracy_curve"].attrs["note"] = "step_epoch 0 = untrained; task t spans step_epoch t*E+1 .. (t+1)*E"
    ds.attrs.update({"card": card.name or "", "network": network.name or "", "dataset": tasks[0].data.name,
                     "tasks_kind": card.tasks.kind, "scenario": card.tasks.scenario or "",
                     "epochs_per_task": per, "seed": seed, "layers": list(network.layers),
                     "batch_size": network.batch_size,
                     "weights": describe_substrates(network),
                     "heads": "multi-head (task given)" if card.tasks.scenario == "task" else "single head"})
    return ds


def comparison_point(task: dict) -> dict:
    """One point of a continual comparison (pure: same task, same numbers): the continual card's
    task sequence learned by one rule at one learning rate on one substrate, plain SGD without
    momentum or weight decay (on arrays the devices' own relaxation is the only decay)."""
    from ..config.network_schema import ContinualCard, NetworkCard
    from ..errors import NeuromorphError
    from ..kernels import set_thread_count

    if task.get("threads"):
        set_thread_count(task["threads"])
    card = ContinualCard.model_validate(task["continual"])
    network = NetworkCard.model_validate(task["network"])
    rule = {"kind": task["rule"], "learning_rate": task["learning_rate"], "momentum": 0.0,
            "weight_decay": {"value": 0.0}, "expansion": task.get("expansion", 10)}
    weights = "ideal" if task["crossbar"] is None else {"crossbar": task["crossbar"], "weight_decay": "relaxation",
                                                         "cells_per_weight": task.get("cells_per_weight", 1)}
    network = NetworkCard.model_validate({**network.model_dump(mode="json"), "weights": weights, "rules": [rule]})
    out = {"index": int(task["index"]), "error": ""}
    try:
        ds = continual_experiment(card, network, seed=task["seed"], progress=False)
    except (NeuromorphError, FloatingPointError) as exc:
        n = card.tasks.count
        out.update({"accuracy_matrix": np.full((n, n), np.nan), "val_accuracy_matrix": np.full((n, n), np.nan),
                    "accuracy_curve": np.full((n * card.epochs_per_task + 1, n), np.nan), "error": str(exc)})
        for key in ("average_accuracy", "backward_transfer", "forward_transfer", "forgetting", "val_average_accuracy"):
            out[key] = np.nan
        return out
    for key in ("accuracy_matrix", "val_accuracy_matrix", "accuracy_curve"):
        out[key] = ds[key].values[0]
    for key in ("average_accuracy", "backward_transfer", "forward_transfer", "forgetting", "val_average_accuracy"):
        out[key] = float(ds[key].values[0])
    return out
