"""``neuromorph bench step --scaling``: seconds per chain step against N and against m, log–log.

Two sweeps, each point measured like ``bench step`` (best of ``--repeats`` rounds after a warm-up):

* against N (``--scaling-synapses``, default 10³ … 10⁸) at m = ``--variables``;
* against m (``--scaling-variables``, default 1 … 16) at N = ``--synapses``.

At every point: the O(m) eigen step (``eigen_step``, one step per call), the fused step
(``eigen_run``, ``--scaling-fused-steps`` steps per call, time per step), and the STREAM-style pass
over the same bytes (:mod:`neuromorph.kernels.stream`, 8·N·(2m + 2) bytes). The figure draws the
three, and the **bandwidth line** t = bytes / B, where B is the bandwidth of the stream pass at the
point that moves the most bytes (the one least likely to fit in cache, so B is the memory
bandwidth): a step whose state lives in memory cannot lie below the line; points small enough to
stay in a cache can.

Memory cap. One point holds z (N × m), the events and weights of one step (N each) and of the
fused call (2 × fused-steps × N), float64, plus the draws that make them:
:func:`point_bytes`. Points whose estimate exceeds 80 % of the available memory
(``args.memory_limit_bytes``, set by :mod:`neuromorph.cli.bench` from
:func:`neuromorph.cli._options.available_memory_bytes`; ``NEUROMORPH_MEMORY_LIMIT`` overrides it)
are capped — listed before any work starts and left out; the command is refused (exit 2) only
when no point fits. With the default 2 fused steps, N = 10⁸ at m = 10 needs about 15 GiB: it fits
a 24 GB machine only when little else runs on it; N = 10⁸ at m = 16 needs about 19 GiB.

Backends: the CPU (numba) backend is measured. When :mod:`neuromorph.kernels.backend` reports
other usable backends, they are recorded as available but not measured by this sweep.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from . import best_time

__all__ = ["add_scaling_arguments", "point_bytes", "scaling_bytes", "run_scaling", "measure_point"]

DEFAULT_SYNAPSES = [10**3, 10**4, 10**5, 10**6, 10**7, 10**8]
DEFAULT_VARIABLES = [1, 2, 4, 8, 10, 12, 16]


def add_scaling_arguments(parser) -> None:
    group = parser.add_argument_group("scaling figure (--scaling)")
    group.add_argument("--scaling", action="store_true",
                       help="measure seconds per step vs N (at --variables) and vs m (at --synapses) and write "
                            "the log-log figure PREFIX.png and its numbers PREFIX.nc")
    group.add_argument("-o", "--output", default=None, metavar="PREFIX",
                       help="with --scaling: output prefix (default bench_step_scaling; DIR/ writes inside DIR)")
    group.add_argument("--scaling-synapses", type=int, nargs="+", default=DEFAULT_SYNAPSES, metavar="N",
                       help="N of the sweep against N (default 1e3 1e4 1e5 1e6 1e7 1e8; points that do not fit "
                            "in memory are capped)")
    group.add_argument("--scaling-variables", type=int, nargs="+", default=DEFAULT_VARIABLES, metavar="M",
                       help="m of the sweep against m (default 1 2 4 8 10 12 16)")
    group.add_argument("--scaling-fused-steps", type=int, default=2,
                       help="steps per fused call in the sweep (default 2)")


def point_bytes(n: int, m: int, fused_steps: int) -> float:
    """Memory of one scaling point (float64): z (N × m); alpha, w (N); alpha_run, w_run
    (fused-steps × N); one (fused-steps × N) array of random draws and one of signs while the
    events are drawn."""
    return 8.0 * n * (m + 2.0) + 8.0 * n * fused_steps * 4.0


def _points(args) -> list[tuple[str, int, int]]:
    pts = [("N", int(n), int(args.variables)) for n in sorted(set(args.scaling_synapses))]
    pts += [("m", int(args.synapses), int(m)) for m in sorted(set(args.scaling_variables))]
    return pts


def scaling_bytes(args) -> float:
    """What the command checks before it starts: the smallest point (the others are capped
    one by one, see the module docstring)."""
    return min(point_bytes(n, m, args.scaling_fused_steps) for _, n, m in _points(args))


def measure_point(n: int, m: int, fused_steps: int, event_fraction: float, repeats: int, seed: int,
                  min_time_s: float = 0.2) -> dict:
    """Seconds per step of the eigen step, the fused step and the stream pass at (N, m)."""
    from ..kernels import chain as kern
    from ..kernels import stream as stream_kern
    from .step import _chain

    basis = _chain(m).eigenbasis
    rng = np.random.default_rng(seed)
    alpha = np.where(rng.random(n) < event_fraction, rng.choice([-1.0, 1.0], size=n), 0.0)
    alpha_run = np.where(rng.random((fused_steps, n)) < event_fraction,
                         rng.choice([-1.0, 1.0], size=(fused_steps, n)), 0.0)
    decay = np.exp(basis.rates)[None, :]
    kick, readout = basis.kick[None, :], basis.readout[None, :]
    z, w, w_run = np.zeros((n, m)), np.empty(n), np.empty((fused_steps, n))
    beta, beta_run = np.zeros(1), np.zeros((fused_steps, 1))
    # the smallest sizes run in microseconds: keep min_time_s, the largest in ~1 s: one round is enough
    times = {
        "eigen": best_time(lambda: kern.eigen_step(z, decay, kick, readout, alpha, beta, False, 0.0, 0.0, w),
                           repeats=repeats, min_time_s=min_time_s),
        "fused": best_time(lambda: kern.eigen_run(z, decay, kick, readout, alpha_run, beta_run, False, 0.0, 0.0,
                                                  w_run), repeats=repeats, min_time_s=min_time_s) / fused_steps,
        "stream": best_time(lambda: stream_kern.stream_pass(z, 1.0, alpha, w), repeats=repeats,
                            min_time_s=min_time_s),
    }
    return {**times, "bytes": float(stream_kern.stream_bytes(n, m))}


#: the files ``--scaling`` writes: default prefix and suffixes (resolved and checked by the harness,
#: :mod:`neuromorph.cli.bench`, before the work starts, and handed over as ``args.output_target``)
OUTPUTS = ("bench_step_scaling", (".png", ".nc"))


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def run_scaling(args) -> int:
    from ..outputs import write_netcdf
    from ..plots.bench import plot_step_scaling
    from .report import emit, figure, figure_table

    target = args.output_target
    limit = 0.8 * args.memory_limit_bytes
    points, capped = [], []
    for sweep, n, m in _points(args):
        need = point_bytes(n, m, args.scaling_fused_steps)
        (points if need <= limit else capped).append((sweep, n, m, need))
    for sweep, n, m, need in capped:
        print(f"capped: N = {n:.3g} x m = {m} would need about {_gib(need)}, more than 80% of the "
              f"{_gib(limit / 0.8)} available (NEUROMORPH_MEMORY_LIMIT overrides); left out",
              file=sys.stderr)
    measured = []
    start = time.perf_counter()
    for i, (sweep, n, m, _) in enumerate(points, 1):
        print(f"scaling {i}/{len(points)}: N = {n:.3g}, m = {m} ...", end="", file=sys.stderr, flush=True)
        res = measure_point(n, m, args.scaling_fused_steps, args.event_fraction, args.repeats, args.seed)
        measured.append((sweep, n, m, res))
        print(f" {res['eigen'] * 1e3:.3g} ms/step ({time.perf_counter() - start:.0f} s so far)", file=sys.stderr,
              flush=True)
    ds = _dataset(args, measured, capped)
    figures = []
    for sweep, n, m, res in measured:
        figures.append(figure(f"eigen numba N={n:.0e} m={m}", res["eigen"], "s/step", "stream pass, same bytes",
                              res["stream"], note="ratio = fraction of the memory bandwidth reached"))
    payload = {"config": {"variables_at_fixed_m": args.variables, "synapses_at_fixed_n": args.synapses,
                          "fused_steps": args.scaling_fused_steps, "event_fraction": args.event_fraction,
                          "repeats": args.repeats},
               "points": [{"sweep": s, "synapses": n, "variables": m, "seconds_per_step": r}
                          for s, n, m, r in measured],
               "capped": [{"synapses": n, "variables": m, "bytes": need} for _, n, m, need in capped],
               "bandwidth_bytes_per_second": ds.attrs["bandwidth_bytes_per_second"],
               "bandwidth_measured_at": ds.attrs["bandwidth_measured_at"],
               "backends": ds.attrs["backends"], "figures": figures}
    nc, png = target.path(".nc"), target.path(".png")
    write_netcdf(ds, nc)
    plot_step_scaling(ds, png)
    if emit(args, "step", payload):
        return 0
    print(target.wrote(nc))
    print(target.wrote(png))
    print(f"chain step scaling, CPU backend: bandwidth line at {ds.attrs['bandwidth_bytes_per_second'] / 1e9:.2f} "
          f"GB/s (the stream pass at {ds.attrs['bandwidth_measured_at']}, the most bytes of this run); "
          f"{len(capped)} point(s) capped by memory")
    print(figure_table(figures))
    return 0


def _dataset(args, measured, capped):
    import xarray as xr

    from ..kernels import thread_count

    def sweep(name, key):
        rows = [(n if name == "N" else m, r) for s, n, m, r in measured if s == name]
        coord = np.array([c for c, _ in rows], dtype=np.int64)
        return coord, {case: np.array([r[case] for _, r in rows]) for case in ("eigen", "fused", "stream", "bytes")}

    n_coord, n_vals = sweep("N", "synapses")
    m_coord, m_vals = sweep("m", "variables")
    data = {}
    for suffix, dim, vals in (("vs_n", "synapses", n_vals), ("vs_m", "variables", m_vals)):
        for case, values in vals.items():
            name = f"bytes_per_step_{suffix}" if case == "bytes" else f"seconds_per_step_{case}_{suffix}"
            attrs = {"units": "B"} if case == "bytes" else {"units": "s", "long_name": f"{case} seconds per step"}
            data[name] = xr.Variable((dim,), values, attrs)
    largest = max(measured, key=lambda p: p[3]["bytes"], default=None)
    try:
        from ..kernels.backend import available_backends

        backends = available_backends()
    except ImportError:
        backends = ["cpu"]
    attrs = {"variables_at_fixed_m": int(args.variables), "synapses_at_fixed_n": int(args.synapses),
             "fused_steps": int(args.scaling_fused_steps), "numba_threads": thread_count(),
             "bandwidth_bytes_per_second": (largest[3]["bytes"] / largest[3]["stream"]) if largest else float("nan"),
             "bandwidth_measured_at": f"N={largest[1]} m={largest[2]}" if largest else "none",
             "backends": ",".join(backends), "measured_backends": "cpu",
             "capped_points": "; ".join(f"N={n} m={m}" for _, n, m, _ in capped) or "none",
             "kind": "bench_step_scaling"}
    return xr.Dataset(data, coords={"synapses": n_coord, "variables": m_coord}, attrs=attrs)
