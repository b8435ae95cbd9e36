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

``--peer brian2`` adds, in the same run, the same network simulated by Brian2 (forward Euler and
Brian2's exact linear method, numpy and cython runtime targets, one thread; see
:mod:`neuromorph.bench._brian2_peer`), the O(m) step on one numba thread, and the largest error of
each against the exact solution (dense propagator ``scipy.linalg.expm(A dt)``) after
``--peer-steps`` steps on the first ``--peer-subset`` synapses.

``--backend cuda`` instead times the step on the GPU against the CPU kernel on the same problem
(:mod:`neuromorph.bench._gpu_step`).

``--scaling`` instead measures seconds per step against N at fixed m and against m at fixed N and
writes the log–log figure (:mod:`neuromorph.bench._scaling`).
"""

from __future__ import annotations

import os
import sys

import numpy as np

from ..kernels import chain as kern
from ..kernels import stream as stream_kern
from ..kernels import thread_count
from ..synapses.chain import LinearChain
from . import best_time, best_times
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
    peer = parser.add_argument_group("peer simulator (same network, same events, same run)")
    peer.add_argument("--peer", choices=["brian2"], default=None,
                      help="also simulate the network with Brian2 (needs the `bench` extra in its own virtual "
                           "environment: Brian2 2.9 needs NumPy < 2.4; see docs/performance.md)")
    peer.add_argument("--peer-steps", type=int, default=20,
                      help="steps checked against the exact solution, then timed (default 20)")
    peer.add_argument("--peer-subset", type=int, default=1000,
                      help="synapses whose error is checked against the exact solution (default 1000)")
    peer.add_argument("--peer-methods", nargs="+", choices=list(PEER_METHODS), default=list(PEER_METHODS),
                      help="Brian2 integration methods (default: euler exact)")
    peer.add_argument("--peer-targets", nargs="+", choices=list(PEER_TARGETS), default=list(PEER_TARGETS),
                      help="Brian2 runtime code-generation targets (default: numpy cython)")
    peer.add_argument("--peer-substeps", type=int, nargs="+", default=[1], metavar="K",
                      help="Brian2 Euler steps of dt/K per step dt, one case per K, to see what accuracy costs "
                           "(default 1; e.g. 1 10 100)")
    peer.add_argument("--peer-timeout", type=float, default=180.0,
                      help="seconds allowed to each Brian2 case, code generation included (default 180)")
    gpu = parser.add_argument_group("backend")
    gpu.add_argument("--backend", choices=["cpu", "cuda"], default="cpu",
                     help="cuda: the O(m) step on the GPU (state resident there) against the CPU kernel on the "
                          "same problem, with the bandwidth reached and its fraction of the GPU's peak (needs the "
                          "`cuda` extra and an NVIDIA GPU; docs/gpu.md). Default cpu: the table above")
    gpu.add_argument("--gpu-peak-gbs", type=float, default=None,
                     help="the GPU's peak memory bandwidth in GB/s, when the driver does not report it")
    from ._scaling import add_scaling_arguments

    add_scaling_arguments(parser)


#: Brian2 methods and targets (:mod:`neuromorph.bench._brian2_peer`; listed here so that --help
#: works without Brian2)
PEER_METHODS = ("euler", "exact")
PEER_TARGETS = ("numpy", "cython")


def step_bytes(args) -> float:
    """Memory of one ``bench step`` run: z, u (N x m), w, alpha (N), and the fused run's alpha_run,
    w_run and random draws (steps x N, a few copies), float64."""
    n, m, steps = float(args.synapses), float(args.variables), float(args.fused_steps)
    total = 8.0 * n * (2.0 * m + 3.0) + 8.0 * steps * n * 4.0
    if getattr(args, "peer", None):  # the events of 4 x peer-steps steps (and their draws), Brian2's state
        total += 3 * 8.0 * 4 * float(args.peer_steps) * n + 2 * 8.0 * n * m
    return total


def _chain(m: int) -> LinearChain:
    """The benchmark chain: C_k = 2^(k-1), g_k,k+1 = 0.25·2^-(k-1) (the last one the leak)."""
    return LinearChain(2.0 ** np.arange(m), 0.25 * 0.5 ** np.arange(m))


def outputs(args):
    """The files this run writes (``--scaling`` only): default prefix and suffixes; the harness
    resolves ``-o`` and checks it before the work (``args.output_target``)."""
    if getattr(args, "scaling", False):
        from ._scaling import OUTPUTS

        return OUTPUTS
    return None


def check(args) -> str | None:
    """Before any work (called by the harness): with ``--peer brian2``, Brian2's version, or exit 2
    naming the `bench` extra and the install command when Brian2 cannot be imported; options that
    belong to the other mode (``-o`` without ``--scaling``, ``--peer`` with it) exit 2."""
    from ..errors import InvalidParameterError

    if getattr(args, "output", None) is not None and not args.scaling:
        raise InvalidParameterError(f"--output {args.output}: only --scaling writes files; add --scaling or drop "
                                    "--output (use --json FILE for the figures of a single run)", option="--output")
    if args.scaling and args.peer:
        raise InvalidParameterError(f"--peer {args.peer}: the peer comparison and --scaling are separate runs; "
                                    "drop one of them", option="--peer")
    if getattr(args, "backend", "cpu") == "cuda":
        if args.scaling or args.peer:
            raise InvalidParameterError("--backend cuda: runs its own GPU-vs-CPU comparison; drop --scaling and "
                                        "--peer", option="--backend")
        from ..kernels.backend import resolve_backend

        resolve_backend("cuda")          # exit 2 naming --backend, the reason and the install command
    if getattr(args, "peer", None) == "brian2":
        from ._brian2_peer import require_brian2

        return require_brian2()
    return None


def run(args) -> int:
    if getattr(args, "scaling", False):
        from ._scaling import run_scaling

        return run_scaling(args)
    peer_version = check(args)
    if getattr(args, "backend", "cpu") == "cuda":
        from ._gpu_step import print_cuda_step, run_cuda_step

        payload = run_cuda_step(args)
        if not emit(args, "step", payload):
            print_cuda_step(payload)
            print(figure_table(payload["figures"]))
        return 0
    n, m = args.synapses, args.variables
    chain = _chain(m)
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
        seconds, cpu_seconds = (t / per_call for t in best_times(fn, repeats=args.repeats))
        results[name] = {"seconds_per_step": seconds, "updates_per_second": n * m / seconds}
        if "numba" in name:  # CPU time too: robust to other tenants of a shared machine
            results[name]["cpu_seconds_per_step"] = cpu_seconds
    base = results["eigen numba"]["updates_per_second"]
    step_bytes = stream_kern.stream_bytes(n, m)
    stream_s = results["stream numba"]["seconds_per_step"]
    stream_cpu_s = results["stream numba"]["cpu_seconds_per_step"]
    for res in results.values():
        res["eigen_numba_speedup"] = base / res["updates_per_second"]
        res["bandwidth_fraction"] = stream_s / res["seconds_per_step"]
        if "cpu_seconds_per_step" in res:
            res["cpu_bandwidth_fraction"] = stream_cpu_s / res["cpu_seconds_per_step"]
    bandwidth = {"bytes_per_step": step_bytes, "stream_bytes_per_second": step_bytes / stream_s,
                 "eigen_numba_fraction": results["eigen numba"]["bandwidth_fraction"],
                 "eigen_numba_cpu_fraction": results["eigen numba"]["cpu_bandwidth_fraction"],
                 "fused_numba_cpu_fraction": results["eigen numba fused"]["cpu_bandwidth_fraction"]}
    meta = {"synapses": n, "variables": m, "event_fraction": args.event_fraction, "fused_steps": steps,
            "repeats": args.repeats, "dt": dt, "cpu_count": os.cpu_count(), "numba_threads": thread_count()}
    figures = _figures(results)
    payload = {"config": meta, "results": results, "bandwidth": bandwidth, "figures": figures}
    if args.peer:
        payload["peer"] = _peer(args, chain, dt, peer_version, results)
        figures.extend(_peer_figures(payload["peer"]))
    if emit(args, "step", payload):
        return 0
    print(f"chain stepping, N = {n:,} synapses x m = {m} variables, {meta['cpu_count']} CPUs, "
          f"{meta['numba_threads']} numba threads")
    print(f"{'case':<18} {'ms/step':>10} {'updates/s':>12} {'eigen-numba speedup':>20} {'of bandwidth':>13} "
          f"{'CPU ms/step':>12} {'of bandwidth (CPU)':>19}")
    for name, res in results.items():
        cpu = (f" {res['cpu_seconds_per_step'] * 1e3:>12.2f} {res['cpu_bandwidth_fraction']:>19.0%}"
               if "cpu_seconds_per_step" in res else "")
        print(f"{name:<18} {res['seconds_per_step'] * 1e3:>10.2f} {res['updates_per_second']:>12.3g} "
              f"{res['eigen_numba_speedup']:>19.2f}x {res['bandwidth_fraction']:>12.0%}{cpu}")
    print(f"hardware limit: a numba STREAM-style pass over the step's {step_bytes / 1e6:.0f} MB took "
          f"{stream_s * 1e3:.2f} ms ({bandwidth['stream_bytes_per_second'] / 1e9:.1f} GB/s); the O(m) step reaches "
          f"{bandwidth['eigen_numba_fraction']:.0%} of it in wall time, {bandwidth['eigen_numba_cpu_fraction']:.0%} in "
          f"CPU time (the fused kernel {bandwidth['fused_numba_cpu_fraction']:.0%}); CPU-time ratios hold on a shared "
          f"machine, wall-time ratios only on an idle one")
    fused = results["eigen numba fused"]["updates_per_second"] / results["eigen numpy fused"]["updates_per_second"]
    single = results["eigen numba"]["updates_per_second"] / results["eigen numpy"]["updates_per_second"]
    print(f"O(m) numba kernel vs its NumPy reference: {single:.2f}x per single step, "
          f"{fused:.2f}x fused over {steps} steps")
    if args.peer:
        _print_peer(payload["peer"])
    print(figure_table(figures))
    return 0


# ---------------------------------------------------------------------------------------------
# the Brian2 peer


def _peer(args, chain: LinearChain, dt: float, version: str, results: dict) -> dict:
    """Brian2 on the same network and events, and our O(m) step on one thread, each with its
    largest error against the exact solution after ``--peer-steps`` steps."""
    import scipy.linalg

    from ..kernels import set_thread_count
    from ._brian2_peer import exact_reference, run_case

    n, m, steps = args.synapses, args.variables, args.peer_steps
    subset = min(args.peer_subset, n)
    rng = np.random.default_rng(args.seed + 1)
    draw = rng.random((4 * steps, n)) < args.event_fraction
    events = np.where(draw, rng.choice([-1.0, 1.0], size=(4 * steps, n)), 0.0)
    del draw
    exact = exact_reference(scipy.linalg.expm(chain.operator() * dt), events[:steps, :subset])
    basis = chain.eigenbasis
    decay = np.exp(basis.rates * dt)[None, :]
    # our O(m) step on the same events: error after `steps` steps (each synapse's arithmetic does not
    # depend on N or on the threads, so the subset gives the same numbers as the full run)
    z = np.zeros((subset, m))
    w = np.empty(subset)
    for t in range(steps):
        kern.eigen_step(z, decay, basis.kick[None, :], basis.readout[None, :], np.ascontiguousarray(events[t, :subset]),
                        np.zeros(1), False, 0.0, 0.0, w)
    ours_error = float(np.max(np.abs(z @ basis.to_state.T - exact)))
    z_full, w_full, alpha = np.zeros((n, m)), np.empty(n), np.ascontiguousarray(events[0])
    threads = thread_count()
    expm_sub = {k: scipy.linalg.expm(chain.operator() * dt / k) for k in sorted(set(args.peer_substeps)) if k > 1}

    def ours_one_thread() -> float:
        set_thread_count(1)
        try:
            return best_time(lambda: kern.eigen_step(z_full, decay, basis.kick[None, :], basis.readout[None, :],
                                                     alpha, np.zeros(1), False, 0.0, 0.0, w_full), repeats=args.repeats)
        finally:
            set_thread_count(threads)

    cases = []
    for target in args.peer_targets:
        for method in args.peer_methods:
            for k in sorted(set(args.peer_substeps)) if method == "euler" else [1]:
                print(f"brian2 {method} ({target} target, {k} substep(s) per step): running {(1 + 3 * args.repeats) * steps} steps of "
                      f"N = {n:,} ...", file=sys.stderr, flush=True)
                reference = exact if k == 1 else exact @ expm_sub[k].T
                case = run_case(chain.capacities, chain.couplings, dt, events, steps, method, target, subset,
                                reference, args.peer_timeout, substeps=k, rounds=args.repeats)
                # our one-thread step again, right after the Brian2 case: the same machine load
                case["neuromorph_1_thread_seconds_per_step"] = ours_one_thread()
                cases.append(case)
    del z_full
    return {"simulator": "brian2", "version": version, "runtime_mode": "runtime", "threads": 1, "steps": steps,
            "checked_synapses": subset, "dt": dt, "max_abs_u_exact": float(np.max(np.abs(exact))),
            "reference": "dense propagator scipy.linalg.expm(A dt), stepped in float64",
            "neuromorph": {"eigen numba": {"seconds_per_step": results["eigen numba"]["seconds_per_step"],
                                           "threads": threads, "max_abs_error": ours_error},
                           "eigen numba 1 thread": {"seconds_per_step": min(c["neuromorph_1_thread_seconds_per_step"]
                                                                            for c in cases), "threads": 1,
                                                    "max_abs_error": ours_error}},
            "cases": cases}


def _peer_figures(peer: dict) -> list[dict]:
    """Each Brian2 case that ran: our O(m) step (all threads, and one thread) against it, in
    seconds per step and in max error against the exact solution."""
    ours = peer["neuromorph"]
    out = []
    for case in peer["cases"]:
        if case["status"] not in ("ok", "unresolved"):
            continue
        label = f"brian2 {case['method']} {case['target']}" + (f" dt/{case['substeps']}" if case["substeps"] > 1 else "")
        if case["status"] == "ok":
            out.append(figure("eigen numba", ours["eigen numba"]["seconds_per_step"], "s/step", label,
                              case["seconds_per_step"]))
            out.append(figure("eigen numba 1 thread", case["neuromorph_1_thread_seconds_per_step"], "s/step", label,
                              case["seconds_per_step"], note="ours on one thread, measured right after this case"))
        out.append(figure("eigen numba error", ours["eigen numba"]["max_abs_error"], "max|du|", f"{label} error",
                          case["max_abs_error"], note="largest |u - u_exact| after the checked steps"))
    return out


def _print_peer(peer: dict) -> None:
    ours = peer["neuromorph"]
    print(f"peer: Brian2 {peer['version']}, runtime mode, 1 thread; same chain, same events; error = max |u - "
          f"u_exact| over all variables of {peer['checked_synapses']} synapses after {peer['steps']} steps "
          f"(max |u_exact| = {peer['max_abs_u_exact']:.3g})")
    print(f"{'simulator':<32} {'ms/step':>10} {'setup s':>9} {'max error':>11}  note")
    for name, res in ours.items():
        print(f"{'neuromorph ' + name + ' (' + str(res['threads']) + ' thr)':<32} {res['seconds_per_step'] * 1e3:>10.3f} "
              f"{'-':>9} {res['max_abs_error']:>11.2e}")
    for case in peer["cases"]:
        label = f"brian2 {case['method']} ({case['target']}" + (f", dt/{case['substeps']})" if case["substeps"] > 1
                                                               else ")")
        if case["status"] == "ok":
            print(f"{label:<32} {case['seconds_per_step'] * 1e3:>10.3f} {case['setup_s']:>9.2f} "
                  f"{case['max_abs_error']:>11.2e}  ours on 1 thread right after: "
                  f"{case['neuromorph_1_thread_seconds_per_step'] * 1e3:.3f} ms")
        else:
            print(f"{label:<32} {'-':>10} {'-':>9} {'-':>11}  {case['status']}: {case['note']}")


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
    cpu = {name: res["cpu_seconds_per_step"] for name, res in results.items() if "cpu_seconds_per_step" in res}
    for name in ("eigen numba", "eigen numba fused"):
        if name in cpu and "stream numba" in cpu:
            out.append(figure(f"{name} (CPU time)", cpu[name], "CPU s/step", "stream numba (CPU time)",
                              cpu["stream numba"], note="ratio = fraction of the memory bandwidth reached, in CPU time"))
    if "eigen numba fused" in cpu and "eigen numba" in cpu:
        out.append(figure("eigen numba fused (CPU time)", cpu["eigen numba fused"], "CPU s/step",
                          "eigen numba (CPU time)", cpu["eigen numba"], note="fused multi-step vs single step, per step"))
    return out

