"""Training throughput, measured in one run: samples per second of the Fashion-MNIST
784-256-256-10 network (batch 64) with BP and with PFA (k = 10), on float weights and on
proton-transistor tiles (every learned matrix an array of the crossbar card's device and
periphery, resized), and the fused per-batch update kernel against its NumPy reference.

* ``float``   the NumPy reference network (plain SGD, as on the tiles), over ``--float-samples``
              training images (default 60,000: one full epoch)
* ``tiles``   the same network on arrays: batched tile reads (DAC, noise, ADC), the rule's
              feedback reads, B rank-1 pulse writes per tile per batch in one fused call, over
              ``--tile-samples`` images (default 60,000; the rate is per sample, so a shorter
              run measures the same rate)
* ``kernel``  one batch (64 writes) of ``CrossbarArray.update_batch`` on a 784 × 256 tile: the
              fused numba write (:func:`neuromorph.kernels.training.batch_write`: pulse trains,
              coincidences, cycle noise and lazy relaxation) vs its NumPy reference (the same
              trains and draws, slot-by-slot relaxation)

``--json [FILE]`` (added by :mod:`neuromorph.cli.bench`) writes the common report of
:mod:`neuromorph.bench.report`: tile vs float samples/s per rule (ratio = tiles/float, the
target is ≥ 0.1) and the fused update vs its reference.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from ..kernels import thread_count
from . import best_time
from .report import emit, figure, figure_table

DESCRIPTION = "training samples/s: 784-256-256-10 BP and PFA on float weights vs proton-transistor tiles; fused batch update kernel vs NumPy"
EXAMPLE = "Example: neuromorph bench train --tile-samples 2048"
DEFAULT_CARD = Path(__file__).resolve().parents[2] / "circuits" / "crossbar_16x16_pt5.yaml"
LAYERS = [784, 256, 256, 10]


def add_arguments(parser) -> None:
    parser.add_argument("--card", default=str(DEFAULT_CARD), help="crossbar card of the tiles (default proton_transistor_5)")
    parser.add_argument("--float-samples", type=int, default=60000, help="images trained on float weights (default 60000)")
    parser.add_argument("--tile-samples", type=int, default=60000, help="images trained on tiles (default 60000)")
    parser.add_argument("--batch", type=int, default=64, help="batch size (default 64)")
    parser.add_argument("--repeats", type=int, default=3, help="kernel timing rounds, best kept (default 3)")
    parser.add_argument("--seed", type=int, default=0)


def _train(net, x, y, batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, y.size, batch):
        net.train_batch(x[i:i + batch], y[i:i + batch], 0)
    return y.size / (time.perf_counter() - start)


def run(args) -> int:
    from ..crossbar import CrossbarArray, load_crossbar
    from ..learning import Network, RuleSettings
    from ..learning.tiles import TileNetwork
    from ..tasks.datasets import load_fashion_mnist

    data = load_fashion_mnist(validation=0.0)
    order = np.random.default_rng(args.seed).permutation(data.y_train.size)
    configs = {}

    def make_tile(name, rows, columns, seed):
        if (rows, columns) not in configs:
            configs[rows, columns] = load_crossbar(args.card, rows=rows, columns=columns)
        return CrossbarArray(configs[rows, columns], seed=seed)

    results = {}
    for kind in ("bp", "pfa"):
        settings = RuleSettings(kind, learning_rate=0.05, momentum=0.0, weight_decay=0.0, expansion=10)
        n_f = min(args.float_samples, order.size)
        n_t = min(args.tile_samples, order.size)
        net = Network(LAYERS, settings, seed=args.seed)
        float_rate = _train(net, data.x_train[order[:n_f]], data.y_train[order[:n_f]], args.batch)
        start = time.perf_counter()
        tiles = TileNetwork(LAYERS, settings, make_tile, seed=args.seed)
        build_s = time.perf_counter() - start
        tile_rate = _train(tiles, data.x_train[order[:n_t]], data.y_train[order[:n_t]], args.batch)
        results[kind] = {"float_samples": n_f, "float_samples_per_s": float_rate, "tile_samples": n_t,
                         "tile_samples_per_s": tile_rate, "tile_build_s": build_s,
                         "slowdown_tiles_vs_float": float_rate / tile_rate,
                         "tile_cells": int(sum(a.n_cells for a in tiles.arrays()))}
    array_a = CrossbarArray(load_crossbar(args.card, rows=784, columns=256), seed=args.seed)
    array_b = CrossbarArray(load_crossbar(args.card, rows=784, columns=256), seed=args.seed)
    rng = np.random.default_rng(args.seed)
    x = rng.uniform(0, 1, (args.batch, 784))
    d = rng.uniform(-1, 1, (args.batch, 256)) * 0.05
    eta = 0.5 * array_a.learning_rate
    fused_s = best_time(lambda: array_a.update_batch(x, d, eta, fused=True), repeats=args.repeats, min_time_s=0.2)
    ref_s = best_time(lambda: array_b.update_batch(x, d, eta, fused=False), repeats=args.repeats, min_time_s=0.2)
    kernel = {"cells": array_a.n_cells, "writes": args.batch, "fused_s": fused_s, "reference_s": ref_s,
              "speedup": ref_s / fused_s}
    meta = {"card": str(args.card), "cpu_count": os.cpu_count(), "numba_threads": thread_count(),
            "layers": LAYERS, "batch": args.batch}
    figures = [figure(f"{kind} tile training", r["tile_samples_per_s"], "samples/s", f"{kind} float weights",
                      r["float_samples_per_s"], lower_is_better=False,
                      note="target: tiles within 10x of float (ratio >= 0.1)") for kind, r in results.items()]
    figures.append(figure("fused batch update", fused_s, "s/batch", "NumPy reference", ref_s,
                          note="target >= 5x"))
    if emit(args, "train", {"config": meta, "results": {"rules": results, "kernel": kernel}, "figures": figures}):
        return 0
    print(f"training throughput, Fashion-MNIST {'-'.join(map(str, LAYERS))}, batch {args.batch}, "
          f"{Path(args.card).name} tiles, {meta['cpu_count']} CPUs, {meta['numba_threads']} numba threads")
    print(f"{'rule':<5} {'float samples/s':>16} {'tile samples/s':>15} {'tiles slower by':>16} {'tile cells':>11} "
          f"{'measured on':>22}")
    for kind, r in results.items():
        print(f"{kind:<5} {r['float_samples_per_s']:>16.0f} {r['tile_samples_per_s']:>15.1f} "
              f"{r['slowdown_tiles_vs_float']:>15.1f}x {r['tile_cells']:>11,} "
              f"{r['float_samples']:>9} / {r['tile_samples']:<9}")
    print(f"fused batch update ({kernel['writes']} rank-1 writes on {kernel['cells']:,} cells): numba "
          f"{kernel['fused_s'] * 1e3:.1f} ms, NumPy reference {kernel['reference_s'] * 1e3:.1f} ms -> "
          f"{kernel['speedup']:.1f}x")
    print(figure_table(figures))
    return 0
