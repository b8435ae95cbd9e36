"""Crossbar throughput, measured in one run: read (MVM) and outer-product update rates of arrays of
proton-transistor cells, and the IR-drop solve against ngspice on the same deck.

For every size N (N × N weights on N × 2N differential cells of the crossbar card's device):

* ``mvm 1``       one full read of one input vector: chain state → conductances (exact
                  advance of every cell by the read time), DAC, Gᵀv, read noise, ADC
* ``mvm 64``      the same for a batch of 64 vectors (per vector)
* ``numpy Gᵀv``   baseline: the bare matrix–vector product on the same conductances (BLAS)
* ``update``      one stochastic outer-product update (BL bit streams, coincidence counts, fused
                  numba pulse+decay kernel over every cell)
* ``update ref``  the same update through the NumPy path (α, β arrays + the core's eigen_step)

Then the IR-drop solve against ngspice ``.op`` on the same deck (one ngspice run; ngspice's time
includes parsing the deck) for an ``--ir-size`` array, and, for every ``--ir-scale-sizes`` N, the
IR-drop solve of the N × 2N cells before/after in the same run: ``direct`` (sparse LU, SuperLU) and
``iterative`` (conjugate gradients on the line Schur complement, rtol 1e-10), one vector and a
batch of 64, each with its peak resident-memory growth (Linux VmHWM after resetting it) and the
largest difference of the two answers.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from ..outputs import dumps_strict
from ..kernels import thread_count
from . import best_time

DESCRIPTION = "crossbar MVM and outer-product update throughput (256^2..1024^2), IR-drop solve vs ngspice"
EXAMPLE = "Example: neuromorph bench crossbar --sizes 256 512 1024 --ir-size 64 --ir-scale-sizes 256 1024"

DEFAULT_CARD = Path(__file__).resolve().parents[2] / "circuits" / "crossbar_16x16_pt5.yaml"


def _count(minimum: int):
    def parse(text: str) -> int:
        import argparse

        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def add_arguments(parser) -> None:
    parser.add_argument("--card", default=str(DEFAULT_CARD),
                        help="crossbar card whose device and periphery are used (default circuits/crossbar_16x16_pt5.yaml)")
    parser.add_argument("--sizes", type=_count(1), nargs="+", default=[256, 512, 1024],
                        help="array sizes N (N x N weights; default 256 512 1024)")
    parser.add_argument("--ir-size", type=_count(0), default=64,
                        help="N of the IR-drop vs ngspice comparison (0 skips it; ngspice needs ~13 s at 64, "
                             "~5 min at 128; default 64)")
    parser.add_argument("--ir-scale-sizes", type=_count(1), nargs="*", default=[],
                        help="N of the IR-drop direct-vs-iterative comparison on N x 2N cells, one vector and a "
                             "batch of 64, e.g. --ir-scale-sizes 256 1024 (the direct solve needs ~40 s for one "
                             "vector and ~2 min and ~10 GB for 64 at 1024; default: skipped)")
    parser.add_argument("--repeats", type=_count(1), default=3, help="timing rounds, best is kept (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def _array(card, n, seed):
    from ..crossbar.array import CrossbarArray, load_crossbar

    return CrossbarArray(load_crossbar(card, rows=n, columns=n), seed=seed)


def bench_size(card, n: int, seed: int, repeats: int) -> dict:
    t0 = time.perf_counter()
    array = _array(card, n, seed)
    build_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    d = rng.uniform(-1, 1, n)
    batch = rng.uniform(-1, 1, (n, 64))
    array.update(x, d)
    g = np.array(array.conductances())
    v = array.dac.voltages(x)
    vb = array.dac.voltages(batch)
    macs = g.size

    def update_ref():
        array.apply_pulses(array.cell_counts(array.pulse_counts(x, d)), fused=False)

    cases = {
        "mvm 1": (lambda: array.read(x), 1),
        "mvm 64": (lambda: array.read(batch), 64),
        "numpy G^T v": (lambda: g.T @ v, 1),
        "numpy G^T V (64)": (lambda: g.T @ vb, 64),
        "update": (lambda: array.update(x, d), None),
        "update ref": (update_ref, None),
    }
    out = {"n": n, "cells": array.n_cells, "build_s": build_s}
    for name, (fn, per) in cases.items():
        seconds = best_time(fn, repeats=repeats, min_time_s=0.1)
        if per is None:
            out[name] = {"seconds": seconds, "per_second": 1.0 / seconds,
                         "cell_updates_per_second": array.n_cells / seconds}
        else:
            out[name] = {"seconds": seconds / per, "per_second": per / seconds, "macs_per_second": macs * per / seconds}
    out["mvm_overhead_vs_numpy"] = out["mvm 1"]["seconds"] / out["numpy G^T v"]["seconds"]
    out["mvm64_overhead_vs_numpy"] = out["mvm 64"]["seconds"] / out["numpy G^T V (64)"]["seconds"]
    out["fused_update_speedup"] = out["update ref"]["seconds"] / out["update"]["seconds"]
    return out


def bench_ir(card, n: int, seed: int, repeats: int) -> dict:
    from ..crossbar.irdrop import solve_read
    from ..spice.netlist import crossbar_deck
    from ..spice.ngspice import NgspiceError, NgspiceNotFound, crossbar_currents, run_deck

    array = _array(card, n, seed)
    g = np.array(array.conductances())
    v = array.dac.voltages(np.random.default_rng(seed).uniform(-1, 1, n))
    deck = crossbar_deck(g, v, array.wires, title=f"neuromorph bench crossbar {n}x{2 * n}")
    ours_s = best_time(lambda: solve_read(g, v, array.wires), repeats=repeats, min_time_s=0.1)
    ours = solve_read(g, v, array.wires).output_current_a
    result = {"n": n, "cells": int(g.size), "unknowns": 2 * int(g.size), "neuromorph_s": ours_s}
    try:
        ng = run_deck(deck, timeout_s=1800)
    except (NgspiceNotFound, NgspiceError) as exc:
        result["ngspice_error"] = str(exc).splitlines()[0]
        return result
    theirs = crossbar_currents(ng, g.shape[1])
    result.update({"ngspice_s": ng.elapsed_s, "speedup": ng.elapsed_s / ours_s,
                   "max_rel_error": float(np.max(np.abs(theirs - ours)) / np.max(np.abs(ours)))})
    return result


def _peak_rss_growth(fn) -> tuple[float, float, object]:
    """(seconds, peak resident-memory growth in bytes or NaN where Linux's VmHWM cannot be
    reset, result) of one call of ``fn``; glibc's free heap is trimmed first, so that memory freed
    by an earlier case and kept by the allocator does not hide this call's allocations."""

    def status_kb(field):
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field):
                    return float(line.split()[1]) * 1024.0
        raise OSError(field)

    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)  # freed heap pages back to the OS: RSS = live memory
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current RSS
        before = status_kb("VmRSS:")
    except OSError:
        before = None
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    growth = float("nan") if before is None else status_kb("VmHWM:") - before
    return seconds, growth, result


def bench_ir_scaling(card, n: int, seed: int, repeats: int, batch: int = 64) -> dict:
    """Direct vs iterative IR-drop solve of the N x 2N cells of the card's array, one vector and a
    batch, in one run. The direct batch solve runs once at N >= 1024 (~70 s)."""
    from ..crossbar.irdrop import solve_read

    array = _array(card, n, seed)
    g = np.array(array.conductances())
    wires = array.wires
    del array
    rng = np.random.default_rng(seed)
    inputs = {"1": rng.uniform(0.0, 0.2, n), str(batch): rng.uniform(0.0, 0.2, (n, batch))}
    out = {"n": n, "cells": int(g.size), "unknowns": 2 * int(g.size)}
    for label, v in inputs.items():
        answers = {}
        for method in ("direct", "iterative"):
            rounds = 1 if (method == "direct" and g.size * v.size // n >= 1024 * 2048 * 64) else repeats
            best, peak = float("inf"), 0.0
            for _ in range(rounds):
                seconds, growth, sol = _peak_rss_growth(lambda v=v, method=method: solve_read(g, v, wires, method=method))
                best, peak = min(best, seconds), max(peak, growth)
                answers[method] = sol.output_current_a
                del sol
            out[f"{method} {label}"] = {"seconds": best, "peak_rss_growth_bytes": peak, "rounds": rounds}
        ref = answers["direct"]
        out[f"speedup {label}"] = out[f"direct {label}"]["seconds"] / out[f"iterative {label}"]["seconds"]
        out[f"max_rel_difference {label}"] = float(np.max(np.abs(answers["iterative"] - ref)) / np.max(np.abs(ref)))
    return out


def run(args) -> int:
    sizes = [bench_size(args.card, n, args.seed, args.repeats) for n in args.sizes]
    ir = bench_ir(args.card, args.ir_size, args.seed, args.repeats) if args.ir_size else None
    ir_scaling = [bench_ir_scaling(args.card, n, args.seed, args.repeats) for n in args.ir_scale_sizes]
    meta = {"card": str(args.card), "cpu_count": os.cpu_count(), "numba_threads": thread_count()}
    if args.json:
        print(dumps_strict({"config": meta, "sizes": sizes, "irdrop_vs_ngspice": ir,
                          "irdrop_direct_vs_iterative": ir_scaling}))
        return 0
    print(f"crossbar throughput ({Path(args.card).name} device and periphery, differential pairs), "
          f"{meta['cpu_count']} CPUs, {meta['numba_threads']} numba threads")
    print(f"{'N':>6} {'cells':>9} {'case':<18} {'ms/op':>9} {'ops/s':>10} {'GMAC/s | Mcell-upd/s':>22}")
    for res in sizes:
        for name in ("mvm 1", "mvm 64", "numpy G^T v", "numpy G^T V (64)", "update", "update ref"):
            r = res[name]
            rate = r.get("macs_per_second", r.get("cell_updates_per_second")) / (1e9 if "macs_per_second" in r else 1e6)
            print(f"{res['n']:>6} {res['cells']:>9,} {name:<18} {r['seconds'] * 1e3:>9.3f} {r['per_second']:>10.3g} {rate:>22.3g}")
        print(f"{'':>6} {'':>9} ratios: full read / bare G^T v = {res['mvm_overhead_vs_numpy']:.1f}x (1 vector), "
              f"{res['mvm64_overhead_vs_numpy']:.1f}x (64); fused update speedup over NumPy path = "
              f"{res['fused_update_speedup']:.2f}x; build {res['build_s']:.1f} s")
    if ir:
        if "ngspice_error" in ir:
            print(f"IR drop {ir['n']}x{2 * ir['n']}: neuromorph {ir['neuromorph_s'] * 1e3:.1f} ms; ngspice not run: "
                  f"{ir['ngspice_error']}")
        else:
            print(f"IR drop {ir['n']}x{2 * ir['n']} cells ({ir['unknowns']:,} unknowns), same deck: neuromorph "
                  f"{ir['neuromorph_s'] * 1e3:.1f} ms, ngspice {ir['ngspice_s']:.2f} s (one run) -> "
                  f"{ir['speedup']:.0f}x faster; max|dI|/max|I| = {ir['max_rel_error']:.1e}")
    if ir_scaling:
        print("IR drop, same run: direct (SuperLU) vs iterative (PCG, rtol 1e-10); peak RSS growth in MB")
        print(f"{'N':>6} {'cells':>10} {'inputs':>6} {'direct s':>9} {'MB':>7} {'iter s':>8} {'MB':>7} "
              f"{'speedup':>8} {'max|dI|/max|I|':>15}")
        for res in ir_scaling:
            for label in ("1", "64"):
                d, it = res[f"direct {label}"], res[f"iterative {label}"]
                print(f"{res['n']:>6} {res['cells']:>10,} {label:>6} {d['seconds']:>9.3f} "
                      f"{d['peak_rss_growth_bytes'] / 1e6:>7.0f} {it['seconds']:>8.3f} "
                      f"{it['peak_rss_growth_bytes'] / 1e6:>7.0f} {res[f'speedup {label}']:>7.1f}x "
                      f"{res[f'max_rel_difference {label}']:>15.1e}")
    return 0
