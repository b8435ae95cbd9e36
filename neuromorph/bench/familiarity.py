"""Familiarity-network throughput at the published complex size (N = 512 neurons, m = 8:
2.1 × 10⁶ synapse variables per item), numba kernels against their NumPy references in one run,
and the Hebbian store's synapse-variable updates per second against the chain stepping kernel of
``bench step`` (:func:`neuromorph.kernels.chain.eigen_step`) on the same number of variables.

Cases:

* ``store numba fused``  ``--items`` items per call (:func:`store_items`; each neuron's row of
  synapses stays in cache across the items)
* ``store numba 1/call`` one item per call (what dense probing early in protocol 2 needs)
* ``store numpy``        :func:`store_items_reference`, one item at a time, vectorised
* ``probe numba`` / ``probe numpy``  one recurrent read-out per probe (r- and io-signal)
* ``chain step numba``   ``eigen_step`` on N² synapses × m variables, every synapse an event

Every store updates all m·N² variables (dense Hebbian: every synapse gets an event every item),
with 32-level stochastic rounding and clamping as published.
"""

from __future__ import annotations

import os

import numpy as np

from ..kernels import chain as chain_kernels
from ..kernels import familiarity as fk
from ..kernels import thread_count
from ..tasks.familiarity.network import SynapseModel, key_from_seed, published_chain
from . import best_time
from .report import emit, figure, figure_table

DESCRIPTION = "familiarity network: items stored and probed per second (N=512, m=8), numba vs NumPy reference"
EXAMPLE = "Example: neuromorph bench familiarity --neurons 512 --variables 8 --items 64"


def _bounded(low: int, high: int):
    """argparse type: a whole number in [low, high] (argparse names the option in the error)."""
    import argparse

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value

    convert.__name__ = "whole number"
    return convert


def add_arguments(parser) -> None:
    parser.add_argument("--neurons", "-N", type=_bounded(2, 4096), default=512, help="N (default 512)")
    parser.add_argument("--variables", "-m", type=_bounded(1, 16), default=8, help="m (default 8)")
    parser.add_argument("--items", type=_bounded(1, 1 << 16), default=64, help="items per fused store call (default 64)")
    parser.add_argument("--probes", type=_bounded(1, 1 << 16), default=8, help="probes per read-out call (default 8)")
    parser.add_argument("--levels", type=_bounded(0, 1 << 20), default=32,
                        help="levels of the stochastic rounding, 0 = continuous (default 32)")
    parser.add_argument("--repeats", type=_bounded(1, 1000), default=3, help="timing rounds, best kept (default 3)")
    parser.add_argument("--seed", type=_bounded(0, 2**32 - 1), default=0)


def run(args) -> int:
    n, m = args.neurons, args.variables
    synapse = SynapseModel(published_chain(m), levels=args.levels, bound=(args.levels - 1) / 2 if args.levels else 0.0)
    diag, lower, upper = synapse.tridiagonal()
    rng = np.random.default_rng(args.seed)
    mask = np.ones((n, n), dtype=bool)
    items = np.where(rng.random((args.items, n)) < 0.5, 1, -1).astype(np.int8)
    probes = np.where(rng.random((args.probes, n)) < 0.5, 1, -1).astype(np.int8)
    key = key_from_seed(args.seed)
    state = np.zeros((n, n, m))
    ref_state = np.zeros((n, n, m))
    counter = {"item": 0}
    q, levels, bound = 1.0, int(synapse.levels), float(synapse.bound)

    def store(batch, reference=False):
        def call():
            first = counter["item"]
            counter["item"] += batch.shape[0]
            kernel = fk.store_items_reference if reference else fk.store_items
            kernel(ref_state if reference else state, mask, batch, first, key, lower, diag, upper, q, levels, bound)
        return call

    n_conn = float(n * (n - 1))
    # chain stepping baseline on the same number of variables (eigen basis of the same chain)
    basis = published_chain(m).eigenbasis
    z = np.zeros((n * n, m))
    w = np.empty(n * n)
    alpha = np.where(rng.random(n * n) < 0.5, 1.0, -1.0)
    decay = np.exp(basis.rates)[None, :]
    cases = {
        "store numba fused": (store(items), args.items, "store"),
        "store numba 1/call": (store(items[:1]), 1, "store"),
        "store numpy": (store(items[:1], reference=True), 1, "store"),
        "probe numba": (lambda: fk.recurrent_readout(state, mask, probes, n_conn), args.probes, "probe"),
        "probe numpy": (lambda: fk.recurrent_readout_reference(state, mask, probes, n_conn), args.probes, "probe"),
        "chain step numba": (lambda: chain_kernels.eigen_step(z, decay, basis.kick[None, :], basis.readout[None, :],
                                                              alpha, np.zeros(1), False, 0.0, 0.0, w), 1, "step"),
    }
    results = {}
    for name, (fn, per_call, kind) in cases.items():
        repeats = 1 if "numpy" in name else args.repeats
        seconds = best_time(fn, repeats=repeats, min_time_s=0.05 if "numpy" in name else 0.2) / per_call
        res = {"seconds_per_item": seconds, "items_per_second": 1.0 / seconds}
        if kind in ("store", "step"):
            res["variable_updates_per_second"] = n * n * m / seconds
        results[name] = res
    t_store = results["store numba 1/call"]["seconds_per_item"]
    t_probe = results["probe numba"]["seconds_per_item"]
    t_store_ref = results["store numpy"]["seconds_per_item"]
    t_probe_ref = results["probe numpy"]["seconds_per_item"]
    summary = {
        "items_stored_and_probed_per_second_numba": 1.0 / (t_store + t_probe),
        "items_stored_and_probed_per_second_numpy": 1.0 / (t_store_ref + t_probe_ref),
        "store_fused_speedup_vs_numpy": t_store_ref / results["store numba fused"]["seconds_per_item"],
        "probe_speedup_vs_numpy": t_probe_ref / t_probe,
        "store_vs_chain_step": results["store numba fused"]["variable_updates_per_second"]
        / results["chain step numba"]["variable_updates_per_second"],
    }
    meta = {"neurons": n, "variables": m, "variables_per_item": n * n * m, "levels": levels,
            "items_per_fused_call": args.items, "probes_per_call": args.probes, "cpu_count": os.cpu_count(),
            "numba_threads": thread_count()}
    t = {name: res["seconds_per_item"] for name, res in results.items()}
    figures = [figure("store numba fused", t["store numba fused"], "s/item", "store numpy", t["store numpy"]),
               figure("store numba 1/call", t["store numba 1/call"], "s/item", "store numpy", t["store numpy"]),
               figure("probe numba", t["probe numba"], "s/probe", "probe numpy", t["probe numpy"]),
               figure("store numba fused", results["store numba fused"]["variable_updates_per_second"],
                      "updates/s", "chain step numba", results["chain step numba"]["variable_updates_per_second"],
                      lower_is_better=False)]
    if emit(args, "familiarity", {"config": meta, "results": results, "summary": summary, "figures": figures}):
        return 0
    print(f"familiarity network, N = {n} neurons x m = {m} variables = {n * n * m:,} variables per item, "
          f"{levels} levels; {meta['cpu_count']} CPUs, {meta['numba_threads']} numba threads")
    print(f"{'case':<20} {'ms/item':>10} {'items/s':>10} {'var updates/s':>14}")
    for name, res in results.items():
        ups = res.get("variable_updates_per_second")
        print(f"{name:<20} {res['seconds_per_item'] * 1e3:>10.3f} {res['items_per_second']:>10.3g} "
              f"{(f'{ups:.3g}' if ups else '-'):>14}")
    print(f"items stored and probed per second: numba {summary['items_stored_and_probed_per_second_numba']:.3g}, "
          f"NumPy reference {summary['items_stored_and_probed_per_second_numpy']:.3g}")
    print(f"fused store vs NumPy reference: {summary['store_fused_speedup_vs_numpy']:.1f}x; "
          f"read-out: {summary['probe_speedup_vs_numpy']:.1f}x")
    print(f"Hebbian store (with stochastic rounding) vs chain stepping (eigen_step, no rounding) on the same "
          f"number of variables: {summary['store_vs_chain_step']:.2f}x the variable updates per second")
    print(figure_table(figures))
    return 0
