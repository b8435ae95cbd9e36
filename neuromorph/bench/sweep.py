"""Sweep executors and the mean-field shortcut, measured in one run.

1. One 64-point Monte-Carlo sweep (ideal Benna–Fusi chain, grid m × coupling ratio, each point
   a small memory experiment) run three times into fresh stores: serial (this process, numba
   on all threads), local process pool (``--workers`` single-threaded processes) and Dask
   LocalCluster (same count). Reported: wall time (including executor start-up), speedup vs
   serial, the sum of the points' own compute times, per-point overhead = (wall × workers −
   Σ compute)/points (worker time not spent computing: start-up, transfer, storing), and the
   executors' start-up alone (a pool/cluster running one trivial point per worker). The three
   Datasets are checked to be identical (same seeds → same numbers).
2. Mean field vs Monte-Carlo for the linear chain (benna_fusi_m8, N = 1000): time of the exact
   mean-field curve (``predict_memory``) vs the Monte-Carlo experiment that estimates the same
   curve (``--trials`` populations, followed for 4 predicted lifetimes), and their agreement.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..config.arguments import positive_int
from . import best_time
from .report import emit, figure, figure_table

DESCRIPTION = "sweep executors (serial vs process pool vs Dask LocalCluster) and mean field vs Monte-Carlo"
EXAMPLE = "Example: neuromorph bench sweep --workers 2   (add --no-dask without dask installed)"

_CARD = """\
kind: sweep
name: bench
device: {device}
grid:
  n_variables: {m_values}
  couplings.ratio: {ratios}
experiment:
  method: monte_carlo
  synapses: {synapses}
  trials: {trials}
  rate: 1 Hz
  duration: {duration} s
  ages: {{first: 0.5 s, last: {duration} s, count: 20}}
seed: 1
"""


def _points(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 8 or value % 8:
        raise argparse.ArgumentTypeError(f"must be a positive multiple of 8, got {value}")
    return value


def add_arguments(parser) -> None:
    from ..sweep.executors import available_cpus

    parser.add_argument("--points", type=_points, default=64, help="grid points, a multiple of 8 (default 64)")
    parser.add_argument("--workers", type=positive_int, default=available_cpus(),
                        help="pool processes and Dask workers (default: all CPUs)")
    parser.add_argument("--synapses", type=int, default=500, help="N per population at each point (default 500)")
    parser.add_argument("--trials", type=int, default=8, help="Monte-Carlo populations per point (default 8)")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds followed per point (default 600)")
    parser.add_argument("--mc-trials", type=int, default=64,
                        help="trials of the Monte-Carlo run compared with the mean field (default 64)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster case")


def _device_path() -> Path:
    return Path(__file__).resolve().parents[2] / "devices" / "benna_fusi_m8.yaml"


def _startup(spec, plan) -> float:
    """Wall time of an executor that runs one trivial (mean-field, m = 1) point per worker."""
    from ..sweep import compute_point, point_tasks
    from ..sweep.executors import run_tasks

    task = point_tasks(plan, [plan.points[0].index], threads=1)[0]
    task = {**task, "experiment": {**task["experiment"], "method": "mean_field"}}
    start = time.perf_counter()
    run_tasks(compute_point, [dict(task, index=i) for i in range(spec.workers)], spec, lambda r: None)
    return time.perf_counter() - start


def run(args) -> int:
    from ..analysis.memory_theory import predict_memory
    from ..devices.loader import load_device
    from ..sweep import compute_point, point_tasks, run_sweep
    from ..sweep.executors import DASK_HINT, ExecutorSpec, available_cpus
    from ..sweep.grid import plan_sweep
    from ..tasks.memory import MemoryConfig, default_duration, simulate_memory

    if not args.no_dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print(f"neuromorph bench sweep: error: the Dask case needs dask.distributed: {DASK_HINT} "
                  "(or run with --no-dask)", file=sys.stderr)
            return 2
    m_values = list(range(2, 10))
    ratios = [round(float(r), 4) for r in np.linspace(0.3, 0.7, args.points // 8)]
    results: dict = {"config": {"points": args.points, "workers": args.workers, "cpus": available_cpus(),
                                "synapses": args.synapses, "trials": args.trials, "duration_s": args.duration,
                                "load_average_before": os.getloadavg()[0]}}
    with tempfile.TemporaryDirectory(prefix="neuromorph-bench-sweep-") as tmp:
        card = Path(tmp) / "bench.yaml"
        card.write_text(_CARD.format(device=_device_path(), m_values=m_values, ratios=ratios, synapses=args.synapses,
                                     trials=args.trials, duration=args.duration))
        plan = plan_sweep(card)
        compute_point(point_tasks(plan, [0])[0])  # warm-up: load/compile the kernels in this process
        specs = [("serial", ExecutorSpec("serial")), ("process pool", ExecutorSpec("pool", args.workers))]
        if not args.no_dask:
            specs.append(("Dask LocalCluster", ExecutorSpec("dask", args.workers)))
        datasets = {}
        cases = {}
        for name, spec in specs:
            startup = 0.0 if spec.kind == "serial" else _startup(spec, plan)
            start = time.perf_counter()
            ds, stats = run_sweep(plan, Path(tmp) / spec.kind, spec, progress=False, log=None)
            wall = time.perf_counter() - start
            workers = 1 if spec.kind == "serial" else spec.workers
            compute = float(np.sum(stats.compute_s))
            cases[name] = {"wall_s": wall, "compute_sum_s": compute, "workers": workers, "startup_s": startup,
                           "overhead_per_point_ms": 1e3 * (wall * workers - compute) / len(plan.points),
                           "overhead_per_point_ms_excl_startup": 1e3 * max(0.0, (wall - startup) * workers - compute)
                           / len(plan.points)}
            datasets[name] = ds
        base = cases["serial"]["wall_s"]
        for case in cases.values():
            case["speedup_vs_serial"] = base / case["wall_s"]
        names = list(datasets)
        identical = all(datasets[names[0]].identical(datasets[n]) for n in names[1:])
        results["executors"] = cases
        results["identical_numbers"] = identical

    # mean field vs Monte-Carlo, linear chain
    device = load_device(_device_path())
    config = MemoryConfig(n_synapses=1000, trials=args.mc_trials, rate=1.0, n_ages=30)
    duration = default_duration(device, config)
    config = MemoryConfig(**{**config.__dict__, "duration": duration})
    simulate_memory(device, MemoryConfig(**{**config.__dict__, "trials": 1, "duration": 5.0}), seed=0, progress=False)
    start = time.perf_counter()
    mc = simulate_memory(device, config, seed=1, progress=False)
    t_mc = time.perf_counter() - start
    ages = mc["age"].values
    t_mf = best_time(lambda: predict_memory(device, ages, 1000, 1.0), repeats=5, min_time_s=0.2)
    pred = predict_memory(device, ages, 1000, 1.0)
    z = (mc["snr"].values - pred.snr) / mc["snr_se"].values
    events = 1000 * args.mc_trials * duration
    results["mean_field_vs_monte_carlo"] = {
        "device": "benna_fusi_m8", "n_synapses": 1000, "trials": args.mc_trials, "duration_s": duration,
        "events": events, "monte_carlo_s": t_mc, "mean_field_s": t_mf, "ratio": t_mc / t_mf,
        "max_abs_z": float(np.nanmax(np.abs(z))), "lifetime_mc_s": float(mc["lifetime"]),
        "lifetime_mean_field_s": pred.lifetime}
    results["config"]["load_average_after"] = os.getloadavg()[0]
    figures = [figure(f"{name} wall", case["wall_s"], "s", "serial wall", results["executors"]["serial"]["wall_s"])
               for name, case in results["executors"].items() if name != "serial"]
    mf = results["mean_field_vs_monte_carlo"]
    figures.append(figure("mean field curve", mf["mean_field_s"], "s", "Monte-Carlo curve", mf["monte_carlo_s"],
                          note=f"agreement max |z| = {mf['max_abs_z']:.2f} standard errors"))
    results["figures"] = figures
    if emit(args, "sweep", results):
        return 0
    cfg = results["config"]
    print(f"sweep of {cfg['points']} Monte-Carlo points (Benna-Fusi chain, m 2..9 x coupling ratio; each point "
          f"{cfg['synapses']} synapses x {cfg['trials']} trials, {cfg['duration_s']:g} s at 1 Hz), "
          f"{cfg['cpus']} CPUs, {cfg['workers']} workers")
    print(f"{'executor':<18} {'wall s':>8} {'speedup':>8} {'sum compute s':>14} {'start-up s':>11} "
          f"{'overhead/point ms':>18} {'(excl. start-up)':>17}")
    for name, case in results["executors"].items():
        print(f"{name:<18} {case['wall_s']:>8.2f} {case['speedup_vs_serial']:>7.2f}x {case['compute_sum_s']:>14.2f} "
              f"{case['startup_s']:>11.2f} {case['overhead_per_point_ms']:>18.1f} "
              f"{case['overhead_per_point_ms_excl_startup']:>17.1f}")
    print(f"identical numbers across executors: {'yes' if results['identical_numbers'] else 'NO'}; 1-min load "
          f"average {cfg['load_average_before']:.2f} before, {cfg['load_average_after']:.2f} after (other work "
          f"on the machine lowers the parallel speedups)")
    mf = results["mean_field_vs_monte_carlo"]
    print(f"mean field vs Monte-Carlo, benna_fusi_m8, N = 1000, {mf['trials']} trials, {mf['duration_s']:.0f} s "
          f"({mf['events']:.3g} events): Monte-Carlo {mf['monte_carlo_s']:.3g} s, mean field "
          f"{mf['mean_field_s'] * 1e3:.3g} ms -> mean field {mf['ratio']:.3g}x faster; agreement max |z| = "
          f"{mf['max_abs_z']:.2f} SE; lifetime {mf['lifetime_mc_s']:.3g} s (MC) vs {mf['lifetime_mean_field_s']:.3g} s")
    return 0
