"""Crossbar throughput, measured in one run: read (MVM) and outer-product update rates of arrays of
proton-transistor cells, the read path before/after fusing, optionally aihwkit's analog tile
beside it, and the IR-drop solve against ngspice on the same deck.

For every size N (N × N weights on N × 2N differential cells of the crossbar card's device):

* ``stream``       one STREAM-style numba pass over the array's chain state (z read and written,
                   :mod:`neuromorph.kernels.stream`): the memory-bandwidth unit a full read is
                   measured in (target: full read ≤ 3 passes)
* ``read 1 <path>`` one full read of one input vector — chain sync of every cell to the read
                   time, conductances, DAC, Gᵀv, read noise (cell and output), ADC — by three paths
                   measured in the same run:
                   ``exact-unfused`` the path before (advance-and-read kernel, then the channel
                   and G² in NumPy, new arrays every read, BLAS Gᵀv and (G²)ᵀv²);
                   ``fused`` one numba pass for the refresh into reused buffers and one pass over G
                   for the line currents and the cell-noise sums (exact: tolerance 0);
                   ``lazy`` the fused path with the default refresh tolerance (1e-6 of the
                   conductance range: :mod:`neuromorph.crossbar.refresh`) — the refresh is skipped
                   while no cell can have moved by more than that; its refresh fraction is printed
* ``read 64 <path>`` the same for a batch of 64 vectors (per vector; Gᵀv and (G²)ᵀv² by BLAS)
* ``numpy G^T v``  baseline: the bare matrix–vector product on the same conductances (BLAS)
* ``update``       one stochastic outer-product update (BL bit streams, coincidence counts, fused
                   numba pulse+decay kernel over every cell)
* ``update ref``   the same update through the NumPy path (α, β arrays + the core's eigen_step)

``--peer aihwkit`` times aihwkit's ``AnalogTile`` (soft-bounds device, stochastic-compressed
pulses matched to our bit length, learning rate and Δw_min, default forward IO settings; see
:mod:`neuromorph.bench._aihwkit_peer`) on the same sizes in the same run: one-vector and
64-vector reads and one rank-1 update, with the ratios. torch runs on the numba thread count,
both simulators' BLAS/OpenMP pools on ``--blas-threads``.

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

from ..errors import InvalidParameterError
from ..kernels import thread_count
from ..kernels.stream import stream_bytes, stream_pass
from . import best_time
from .report import emit, figure, figure_table

DESCRIPTION = ("crossbar read (exact vs fused vs lazy refresh, against a STREAM pass) and update throughput "
               "(256^2..2048^2), optionally beside aihwkit; IR-drop solve vs ngspice")
EXAMPLE = ("Example: neuromorph bench crossbar --sizes 256 512 1024 2048 --ir-size 0 --peer aihwkit "
           "(aihwkit needs the `peers` extra: docs/performance.md)")

DEFAULT_CARD = Path(__file__).resolve().parents[2] / "circuits" / "crossbar_16x16_pt5.yaml"

#: the read paths timed for every size (before/after in one run)
READ_PATHS = ("exact-unfused", "fused", "lazy")
PEERS = ("aihwkit",)


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
                        help="array sizes N (N x N weights on N x 2N cells; default 256 512 1024; 2048 needs "
                             "~1.5 GB and ~40 s to build)")
    parser.add_argument("--ir-size", type=_count(0), default=64,
                        help="N of the IR-drop vs ngspice comparison (0 skips it; ngspice needs ~13 s at 64, "
                             "~5 min at 128; default 64)")
    parser.add_argument("--ir-scale-sizes", type=_count(1), nargs="*", default=[],
                        help="N of the IR-drop direct-vs-iterative comparison on N x 2N cells, one vector and a "
                             "batch of 64, e.g. --ir-scale-sizes 256 1024 (the direct solve needs ~40 s for one "
                             "vector and ~2 min and ~10 GB for 64 at 1024; default: skipped)")
    parser.add_argument("--peer", choices=PEERS, default=None,
                        help="also time this simulator on the same sizes in the same run (aihwkit: needs the "
                             "`peers` extra, built as docs/performance.md describes)")
    parser.add_argument("--repeats", type=_count(1), default=3, help="timing rounds, best is kept (default 3)")
    parser.add_argument("--seed", type=int, default=0)


def _array(card, n, seed):
    from ..crossbar.array import CrossbarArray, load_crossbar

    return CrossbarArray(load_crossbar(card, rows=n, columns=n), seed=seed)


def _read_path(array, path: str) -> None:
    from ..crossbar.refresh import DEFAULT_READ_TOLERANCE

    array.fused_read = path != "exact-unfused"
    array.read_tolerance = DEFAULT_READ_TOLERANCE if path == "lazy" else 0.0


def _stream_seconds(state: np.ndarray, repeats: int) -> float:
    """Best time of one STREAM-style pass over a copy of ``state`` (freed on return)."""
    z = state.copy()
    alpha, w_out = np.ones(z.shape[0]), np.empty(z.shape[0])
    return best_time(lambda: stream_pass(z, 1.0, alpha, w_out), repeats=repeats, min_time_s=0.1)


def bench_size(card, n: int, seed: int, repeats: int) -> dict:
    t0 = time.perf_counter()
    array = _array(card, n, seed)
    build_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    d = rng.uniform(-1, 1, n)
    batch = rng.uniform(-1, 1, (n, 64))
    pulses = float(np.abs(array.update(x, d).counts).mean())
    g = np.array(array.conductances())
    v = array.dac.voltages(x)
    vb = array.dac.voltages(batch)
    macs = g.size
    out = {"n": n, "cells": array.n_cells, "build_s": build_s, "compartments": int(array.population.x.shape[1]),
           "mean_pulses_per_weight_per_update": pulses}

    # one pass over the chain state: the bandwidth unit of a full read
    t_stream = _stream_seconds(array.population.x, repeats)
    state_bytes = stream_bytes(*array.population.x.shape)
    out["stream"] = {"seconds": t_stream, "bytes": state_bytes, "bytes_per_second": state_bytes / t_stream}

    for path in READ_PATHS:
        _read_path(array, path)
        for label, inputs, per in (("1", x, 1), ("64", batch, 64)):
            cache = array._g_cache
            before = (cache.refreshes, cache.skips)
            seconds = best_time(lambda inputs=inputs: array.read(inputs), repeats=repeats, min_time_s=0.1) / per
            refreshed = cache.refreshes - before[0]
            calls = refreshed + cache.skips - before[1]
            out[f"read {label} {path}"] = {"seconds": seconds, "per_second": 1.0 / seconds,
                                           "macs_per_second": macs / seconds,
                                           "refresh_fraction": refreshed / calls if calls else None}
    _read_path(array, "lazy")

    def update_ref():
        array.apply_pulses(array.cell_counts(array.pulse_counts(x, d)), fused=False)

    cases = {
        "numpy G^T v": (lambda: g.T @ v, 1),
        "numpy G^T V (64)": (lambda: g.T @ vb, 64),
        "update": (lambda: array.update(x, d), None),
        "update ref": (update_ref, None),
    }
    for name, (fn, per) in cases.items():
        seconds = best_time(fn, repeats=repeats, min_time_s=0.1)
        if per is None:
            out[name] = {"seconds": seconds, "per_second": 1.0 / seconds,
                         "cell_updates_per_second": array.n_cells / seconds}
        else:
            out[name] = {"seconds": seconds / per, "per_second": per / seconds, "macs_per_second": macs * per / seconds}
    # compatibility names: the full read as users call it (the default path) and its overheads
    out["mvm 1"], out["mvm 64"] = out["read 1 lazy"], out["read 64 lazy"]
    out["mvm_overhead_vs_numpy"] = out["mvm 1"]["seconds"] / out["numpy G^T v"]["seconds"]
    out["mvm64_overhead_vs_numpy"] = out["mvm 64"]["seconds"] / out["numpy G^T V (64)"]["seconds"]
    out["fused_update_speedup"] = out["update ref"]["seconds"] / out["update"]["seconds"]
    out["full_read_over_stream"] = {path: out[f"read 1 {path}"]["seconds"] / t_stream for path in READ_PATHS}
    out["fused_read_speedup"] = {label: out[f"read {label} exact-unfused"]["seconds"] / out[f"read {label} fused"]["seconds"]
                                 for label in ("1", "64")}
    out["lazy_read_speedup"] = {label: out[f"read {label} exact-unfused"]["seconds"] / out[f"read {label} lazy"]["seconds"]
                                for label in ("1", "64")}
    out["_array_params"] = (array.delta_w_min, array.learning_rate, array.bit_length)
    return out


def bench_peer(n: int, params: tuple, seed: int, repeats: int) -> dict:
    """aihwkit's tile of the same size, matched to the array's Δw_min, η and bit length."""
    from ._aihwkit_peer import time_peer

    dw_min, eta, bl = params
    return time_peer(n, dw_min, eta, bl, seed, repeats, best_time)


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


def _peer_threads(args):
    """Check the peer before any work (exit 2 naming the extra when it is missing) and put it on
    the same thread counts: (record, limiter) or (None, None)."""
    if args.peer is None:
        return None, None
    from ._aihwkit_peer import missing_reason, set_threads

    reason = missing_reason()
    if reason is not None:
        raise InvalidParameterError(reason, option="--peer")
    return set_threads(thread_count(), getattr(args, "blas_threads", 1))


def _figures(sizes: list[dict], peers: list[dict]) -> list[dict]:
    out = []
    for res in sizes:
        n = res["n"]
        for label, unit in (("1", "s/read"), ("64", "s/vector")):
            base = res[f"read {label} exact-unfused"]["seconds"]
            for path in ("fused", "lazy"):
                out.append(figure(f"{n}: read {label} {path}", res[f"read {label} {path}"]["seconds"], unit,
                                  "read exact-unfused (before)", base))
        out.append(figure(f"{n}: read 1 fused vs pass", res["read 1 fused"]["seconds"], "s",
                          "STREAM pass over state", res["stream"]["seconds"],
                          note="target: read <= 3 passes, i.e. ratio >= 0.33"))
        out.append(figure(f"{n}: update", res["update"]["seconds"], "s/update", "update ref (NumPy path)",
                          res["update ref"]["seconds"]))
    for ours, peer in peers:
        n = ours["n"]
        for label in ("1", "64"):
            out.append(figure(f"{n}: read {label} vs aihwkit", ours[f"read {label} lazy"]["seconds"], "s/vector",
                              f"aihwkit forward {label}", peer[f"read {label}"],
                              note="target: within 2x, i.e. ratio >= 0.5"))
            out.append(figure(f"{n}: read {label} exact vs aihwkit", ours[f"read {label} fused"]["seconds"],
                              "s/vector", f"aihwkit forward {label}", peer[f"read {label}"]))
        out.append(figure(f"{n}: update vs aihwkit", ours["update"]["seconds"], "s/update", "aihwkit update",
                          peer["update"], note="target: at least as fast, ratio >= 1"))
    return out


def run(args) -> int:
    peer_threads, limiter = _peer_threads(args)
    try:
        sizes = [bench_size(args.card, n, args.seed, args.repeats) for n in args.sizes]
        peers = []
        if args.peer is not None:
            peers = [(res, bench_peer(res["n"], res["_array_params"], args.seed, args.repeats)) for res in sizes]
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
    for res in sizes:
        del res["_array_params"]
    ir = bench_ir(args.card, args.ir_size, args.seed, args.repeats) if args.ir_size else None
    ir_scaling = [bench_ir_scaling(args.card, n, args.seed, args.repeats) for n in args.ir_scale_sizes]
    meta = {"card": str(args.card), "cpu_count": os.cpu_count(), "numba_threads": thread_count(),
            "read_paths": list(READ_PATHS), "peer": args.peer, "peer_threads": peer_threads}
    figures = _figures(sizes, peers)
    payload = {"config": meta, "sizes": sizes, "peer": [p for _, p in peers] or None, "irdrop_vs_ngspice": ir,
               "irdrop_direct_vs_iterative": ir_scaling, "figures": figures}
    if emit(args, "crossbar", payload):
        return 0
    print(f"crossbar throughput ({Path(args.card).name} device and periphery, differential pairs), "
          f"{meta['cpu_count']} CPUs, {meta['numba_threads']} numba threads")
    print(f"{'N':>6} {'cells':>10} {'case':<22} {'ms/op':>9} {'ops/s':>10} {'GMAC/s | Mcell-upd/s':>22}")
    names = [f"read {label} {path}" for label in ("1", "64") for path in READ_PATHS]
    for res in sizes:
        for name in names + ["numpy G^T v", "numpy G^T V (64)", "update", "update ref"]:
            r = res[name]
            rate = r.get("macs_per_second", r.get("cell_updates_per_second")) / (1e9 if "macs_per_second" in r else 1e6)
            print(f"{res['n']:>6} {res['cells']:>10,} {name:<22} {r['seconds'] * 1e3:>9.3f} {r['per_second']:>10.3g} "
                  f"{rate:>22.3g}")
        st, ratio = res["stream"], res["full_read_over_stream"]
        lazy = res["read 1 lazy"]["refresh_fraction"]
        print(f"{'':>6} {'':>10} one pass over the state ({st['bytes'] / 1e6:.0f} MB): {st['seconds'] * 1e3:.2f} ms "
              f"({st['bytes_per_second'] / 1e9:.1f} GB/s); full read / pass = {ratio['exact-unfused']:.2f}x before, "
              f"{ratio['fused']:.2f}x fused, {ratio['lazy']:.2f}x lazy (target <= 3x)")
        print(f"{'':>6} {'':>10} fused read speedup {res['fused_read_speedup']['1']:.2f}x (1), "
              f"{res['fused_read_speedup']['64']:.2f}x (64); lazy {res['lazy_read_speedup']['1']:.2f}x (1), "
              f"{res['lazy_read_speedup']['64']:.2f}x (64), refreshing on "
              f"{'-' if lazy is None else f'{100 * lazy:.0f} %'} of one-vector reads; fused update speedup "
              f"{res['fused_update_speedup']:.2f}x; {res['mean_pulses_per_weight_per_update']:.2f} pulses/weight/update; "
              f"build {res['build_s']:.1f} s")
    if peers:
        pools = ", ".join(f"{p['library']} {p['threads']}" for p in peer_threads["pools"])
        print(f"beside aihwkit (float32 AnalogTile, soft bounds, stochastic-compressed pulses matched to BL, eta, "
              f"dw_min; default forward IO): torch {peer_threads['torch_threads']} threads = numba "
              f"{meta['numba_threads']}, BLAS {peer_threads['blas_threads']}; pools: {pools}")
        print(f"{'N':>6} {'case':<10} {'neuromorph ms':>14} {'exact ms':>9} {'aihwkit ms':>11} {'ratio':>8}")
        for ours, peer in peers:
            for label, key in (("read 1", "read 1"), ("read 64", "read 64"), ("update", "update")):
                mine = ours[f"{key} lazy"]["seconds"] if key != "update" else ours["update"]["seconds"]
                exact = ours[f"{key} fused"]["seconds"] if key != "update" else mine
                print(f"{ours['n']:>6} {label:<10} {mine * 1e3:>14.3f} {exact * 1e3:>9.3f} {peer[key] * 1e3:>11.3f} "
                      f"{mine / peer[key]:>7.2f}x")
        print("  (ratio = neuromorph / aihwkit time; reads per vector; neuromorph = lazy default path, exact = tolerance 0)")
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
    print(figure_table(figures))
    return 0
