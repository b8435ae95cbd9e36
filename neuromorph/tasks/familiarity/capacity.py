"""Capacity runs: lifetime t* versus N (at m = log2 N − 1, the published co-variation) and versus m
at fixed N. Each run is one independent point (:func:`capacity_point`, a pure function of its task
dict) so the sweep executors can run them on local processes or Dask and the store can resume."""

from __future__ import annotations

import math
import time

import numpy as np

from ...analysis.familiarity_metrics import THRESHOLDS, familiarity_metrics
from ...analysis.familiarity_theory import io_lifetime_theory
from .experiment import METRICS, ModelSpec, ProtocolSpec, run_model
from .network import published_chain
from .protocol import FAMILIAR, NOVEL

__all__ = ["capacity_tasks", "capacity_point"]


def capacity_tasks(card, seed: int) -> list[dict]:
    """One task per run: the N series (m = log2 N − 1), then the m series (N = fixed_neurons)."""
    bound = card.bound if card.bound != "auto" else ((card.levels - 1) / 2.0 if card.levels else 0.0)
    p = card.protocol
    protocol = {"test_items": p.test_items, "fill_in": p.fill_in, "block": p.block,
                "burn_in": -1 if p.burn_in == "auto" else int(p.burn_in)}
    runs = [("neurons", n, int(math.log2(n)) - 1) for n in card.neurons]
    runs += [("variables", card.fixed_neurons, m) for m in card.variables]
    return [{"index": i, "series": series, "neurons": int(n), "variables": int(m), "levels": int(card.levels),
             "bound": float(bound), "patterns": card.patterns, "seed": int(seed), **protocol}
            for i, (series, n, m) in enumerate(runs)]


def capacity_point(task: dict) -> dict:
    """Run protocol 2 for one (N, m); returns lifetimes, ioSNR curve and the theory lifetime."""
    from ...kernels import set_thread_count

    if task.get("threads"):
        set_thread_count(task["threads"])
    start = time.perf_counter()
    label = f"N={task['neurons']} m={task['variables']}"
    model = ModelSpec(label, task["neurons"], task["variables"], levels=task["levels"], bound=task["bound"])
    protocol = ProtocolSpec(test_items=task["test_items"], fill_in=task["fill_in"], block=task["block"],
                            burn_in=None if task["burn_in"] < 0 else task["burn_in"])
    res = run_model(model, protocol, task["patterns"], task["seed"], progress=False)
    sig = res["signals"]
    ages = res["schedule"].ages
    rng = np.random.default_rng(np.random.SeedSequence([task["seed"], 0x3E7, task["index"]]))
    metrics = familiarity_metrics(ages, sig[FAMILIAR, 0], sig[FAMILIAR, 1], sig[NOVEL, 0], rng)
    out = {"index": task["index"], "series": task["series"], "neurons": task["neurons"],
           "variables": task["variables"], "age": ages, "io_snr": metrics.io_snr, "r_snr": metrics.r_snr,
           "forced_choice": metrics.forced_choice, "burn_in": res["burn_in"],
           "lifetime_io_snr_theory": io_lifetime_theory(published_chain(task["variables"]), task["neurons"],
                                                        THRESHOLDS["io_snr"]),
           "compute_time_s": time.perf_counter() - start}
    for name in METRICS:
        out[f"lifetime_{name}"] = metrics.lifetimes[name]
        out[f"censored_{name}"] = metrics.censored[name]
    return out
