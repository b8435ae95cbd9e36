"""Synapse-variable updates per second of the chain integrators, measured in one run.

Cases (all exact, same chain, same events: every synapse gets a ±Δ event with probability
``--event-fraction`` per step):

* ``eigen numba``      O(m) mode-space step (the production kernel, parallel over synapses)
* ``eigen numpy``      the NumPy reference of the same algorithm (vectorised, single pass per op)
* ``dense numba``      u ← expm(A dt)·u with the dense propagator, O(m²)
* ``dense numpy``      the NumPy reference of the dense step (BLAS matmul)
* ``eigen numba fused`` ``--fused-steps`` steps in one call (``eigen_run``, used by per-step
  Monte-Carlo runs): blocks of synapses stay in cache for all steps
* ``eigen numpy fused`` its NumPy reference (the same steps, one vectorised step at a time)
* ``stream numba``     the hardware limit: a STREAM-style numba pass over the same bytes one step
  moves (:mod:`neuromorph.kernels.stream`: z read and written, one event read and one weight
  written per synapse); the table gives each case's fraction of that bandwidth,
  ``t_stream / t_step`` (1 = the step runs at the machine's memory bandwidth)

On the 2-core reference machine the single-step kernel is compute-bound, not memory-bound:
fusing steps saves no time there (it reads per-step event arrays with a stride instead).
"""

from __future__ import annotations

import os

import numpy as np

from ..kernels import chain as kern
from ..kernels import stream as stream_kern
from ..kernels import thread_count
from ..synapses.chain import LinearChain
from . import best_time
from .report import emit, figure, figure_table

DESCRIPTION = "chain time-stepping throughput: O(m) numba kernel vs NumPy reference vs dense propagator"
EXAMPLE = "Example: neuromorph bench step --synapses 1000000 --variables 10"


def add_arguments(parser) -> None:
    parser.add_argument("--synapses", type=int, default=1_000_000, help="N (default 10^6)")
    parser.add_argument("--variables", type=int, default=10, help="m (default 10)")
    parser.add_argument("--event-fraction", type=float, default=0.5,
                        help="fraction of synapses receiving an event each step (default 0.5)")
    parser.add_argument("--fused-steps", type=int, default=20,
                        help="steps per call in the fused cases (default 20)")
    parser.add_argument("--repeats", type=int, default=5, help="timing rounds, best is kept (default 5)")
    parser.add_argument("--seed", type=int, default=0)


def step_bytes(args) -> float:
    """Memory of one ``bench step`` run: z, u (N x m), w, alpha (N), and the fused run's alpha_run,
    w_run and random draws (steps x N, a few copies), float64."""
    n, m, steps = float(args.synapses), float(args.variables), float(args.fused_steps)
    return 8.0 * n * (2.0 * m + 3.0) + 8.0 * steps * n * 4.0


def run(args) -> int:
    n, m = args.synapses, args.variables
    chain = LinearChain(2.0 ** np.arange(m), 0.25 * 0.5 ** np.arange(m))
    basis = chain.eigenbasis
    dt = 1.0
    rng = np.random.default_rng(args.seed)
    alpha = np.where(rng.random(n) < args.event_fraction, rng.choice([-1.0, 1.0], size=n), 0.0)
    beta = np.zeros(1)
    decay = np.exp(basis.rates * dt)[None, :]
    kick, readout = basis.kick[None, :], basis.readout[None, :]
    prop = np.ascontiguousarray(chain.propagator(dt))
    z = np.zeros((n, m))
    u = np.zeros((n, m))
    w = np.empty(n)

    steps = args.fused_steps
    alpha_run = np.where(rng.random((steps, n)) < args.event_fraction, rng.choice([-1.0, 1.0], size=(steps, n)), 0.0)
    beta_run = np.zeros((steps, 1))
    w_run = np.empty((steps, n))
    cases = {
        "eigen numba": lambda: kern.eigen_step(z, decay, kick, readout, alpha, beta, False, 0.0, 0.0, w),
        "eigen numpy": lambda: kern.eigen_step_reference(z, decay, kick, readout, alpha, beta, False, 0.0, 0.0, w),
        "dense numba": lambda: kern.dense_step(u, prop, alpha, beta, False, 0.0, 0.0, w),
        "dense numpy": lambda: kern.dense_step_reference(u, prop, alpha, beta, False, 0.0, 0.0, w),
        "eigen numba fused": lambda: kern.eigen_run(z, decay, kick, readout, alpha_run, beta_run, False, 0.0, 0.0,
                                                    w_run),
        "eigen numpy fused": lambda: kern.eigen_run_reference(z, decay, kick, readout, alpha_run, beta_run, False,
                                                              0.0, 0.0, w_run),
    }
    cases["stream numba"] = lambda: stream_kern.stream_pass(z, 1.0, alpha, w)
    results = {}
    for name, fn in cases.items():
        per_call = steps if "fused" in name else 1
        seconds = best_time(fn, repeats=args.repeats) / per_call
        results[name] = {"seconds_per_step": seconds, "updates_per_second": n * m / seconds}
    base = results["eigen numba"]["updates_per_second"]
    step_bytes = stream_kern.stream_bytes(n, m)
    stream_s = results["stream numba"]["seconds_per_step"]
    for res in results.values():
        res["eigen_numba_speedup"] = base / res["updates_per_second"]
        res["bandwidth_fraction"] = stream_s / res["seconds_per_step"]
    bandwidth = {"bytes_per_step": step_bytes, "stream_bytes_per_second": step_bytes / stream_s,
                 "eigen_numba_fraction": results["eigen numba"]["bandwidth_fraction"]}
    meta = {"synapses": n, "variables": m, "event_fraction": args.event_fraction, "fused_steps": steps,
            "repeats": args.repeats, "dt": dt, "cpu_count": os.cpu_count(), "numba_threads": thread_count()}
    figures = _figures(results)
    if emit(args, "step", {"config": meta, "results": results, "bandwidth": bandwidth, "figures": figures}):
        return 0
    print(f"chain stepping, N = {n:,} synapses x m = {m} variables, {meta['cpu_count']} CPUs, "
          f"{meta['numba_threads']} numba threads")
    print(f"{'case':<18} {'ms/step':>10} {'updates/s':>12} {'eigen-numba speedup':>20} {'of bandwidth':>13}")
    for name, res in results.items():
        print(f"{name:<18} {res['seconds_per_step'] * 1e3:>10.2f} {res['updates_per_second']:>12.3g} "
              f"{res['eigen_numba_speedup']:>19.2f}x {res['bandwidth_fraction']:>12.0%}")
    print(f"hardware limit: a numba STREAM-style pass over the step's {step_bytes / 1e6:.0f} MB took "
          f"{stream_s * 1e3:.2f} ms ({bandwidth['stream_bytes_per_second'] / 1e9:.1f} GB/s); the O(m) step reaches "
          f"{bandwidth['eigen_numba_fraction']:.0%} of it")
    fused = results["eigen numba fused"]["updates_per_second"] / results["eigen numpy fused"]["updates_per_second"]
    single = results["eigen numba"]["updates_per_second"] / results["eigen numpy"]["updates_per_second"]
    print(f"O(m) numba kernel vs its NumPy reference: {single:.2f}x per single step, "
          f"{fused:.2f}x fused over {steps} steps")
    print(figure_table(figures))
    return 0


def _figures(results: dict) -> list[dict]:
    """Each numba case against its NumPy reference, the O(m) step against the dense BLAS step,
    and the O(m) step against the STREAM pass over the same bytes (ratio = bandwidth fraction)."""
    t = {name: res["seconds_per_step"] for name, res in results.items()}
    pairs = [("eigen numba", "eigen numpy"), ("eigen numba", "dense numpy"), ("dense numba", "dense numpy"),
             ("eigen numba fused", "eigen numpy fused"), ("eigen numba", "stream numba")]
    out = []
    for name, base in pairs:
        if name in t and base in t:
            note = "ratio = fraction of the memory bandwidth reached" if base == "stream numba" else None
            out.append(figure(name, t[name], "s/step", base, t[base], note=note))
    return out

