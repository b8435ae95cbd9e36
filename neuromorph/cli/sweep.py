"""``neuromorph sweep``: a grid over device fields → timescales, SNR curves and lifetimes."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InvalidParameterError
from ..outputs import write_netcdf
from ._options import bounded_int, output_directory, positive_float, seed

#: local worker processes (pool or Dask LocalCluster) are at most this many, and never more than points
MAX_WORKERS = 256

EXAMPLE = """Examples:
  neuromorph sweep circuits/sweep_proton_length_x_compartments.yaml
  neuromorph sweep circuits/sweep_benna_fusi_m_x_ratio.yaml --workers 4 -o out/sweep/bf
  neuromorph sweep circuits/sweep_benna_fusi_m_x_ratio.yaml --dask-local 8
  neuromorph sweep circuits/sweep_benna_fusi_m_x_ratio.yaml --scheduler tcp://scheduler-host:8786
  neuromorph sweep circuits/sweep_proton_length_x_compartments.yaml --check

Every grid point's device card is validated before any work starts (unknown field, empty grid,
unphysical value: one message per problem, naming the point and the field). Each finished point
is stored at once (OUT/points/, atomic); a sweep that was interrupted or killed computes only the
missing points when started again. Results of another card or seed are never mixed in (use
another -o, or --restart). Same seed, same numbers, whichever executor runs it.

Writes OUT/sweep.nc (swept fields as coordinates: lifetime, SNR curves, timescales),
OUT/lifetime_heatmap.png and OUT/snr_curves.png."""


def register(sub) -> None:
    parser = sub.add_parser(
        "sweep", help="parameter sweep over device fields (local processes or Dask); resumable; netCDF + PNG",
        description="Run the memory experiment over a grid of device-card fields given by dotted path.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("card", help="sweep card (circuits/sweep_*.yaml)")
    parser.add_argument("--output", "-o", default=None,
                        help="output directory (default out/sweep/<card name>); stored points of the same sweep "
                             "are resumed, sweep.nc and the figures are replaced")
    parser.add_argument("--workers", "-j", type=bounded_int(1, MAX_WORKERS), default=None,
                        help="local worker processes (default: all CPUs; 1 runs serially in this process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on a Dask distributed cluster, e.g. tcp://host:8786 (needs neuromorph[dask])")
    parser.add_argument("--scheduler-timeout", type=positive_float, default=20.0, metavar="SECONDS",
                        help="how long to wait for the Dask scheduler before giving up (default 20)")
    parser.add_argument("--dask-local", type=bounded_int(1, MAX_WORKERS), default=None, metavar="N",
                        help="start a Dask LocalCluster of N worker processes (needs neuromorph[dask])")
    parser.add_argument("--seed", type=seed, default=None, metavar="N",
                        help="random seed, 0 to 2^32-1 (default: the card's seed)")
    parser.add_argument("--restart", action="store_true",
                        help="start from scratch: discard every stored point in the output directory")
    parser.add_argument("--check", action="store_true", help="validate the card and every point, list them, stop")
    parser.add_argument("--no-plot", action="store_true", help="write only the netCDF file")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def _spec(args):
    from ..sweep.executors import ExecutorSpec, available_cpus

    if args.scheduler is not None and args.dask_local:
        raise InvalidParameterError("give either --scheduler (a running Dask cluster) or --dask-local N, not both",
                                    option="--scheduler")
    if args.scheduler is not None and not args.scheduler.strip():
        raise InvalidParameterError("--scheduler: empty address; give e.g. tcp://host:8786", option="--scheduler")
    if args.scheduler or args.dask_local:
        from ..sweep.executors import _import_distributed, check_scheduler

        _import_distributed()  # refuse before any store is opened
        if args.scheduler:
            check_scheduler(args.scheduler, args.scheduler_timeout)
    if args.scheduler:
        return ExecutorSpec("dask", 1, args.scheduler, timeout_s=args.scheduler_timeout)
    if args.dask_local:
        return ExecutorSpec("dask", args.dask_local)
    workers = args.workers if args.workers is not None else available_cpus()
    return ExecutorSpec("serial" if workers == 1 else "pool", workers)


def run(args) -> int:
    from ..sweep import run_sweep
    from ..sweep.grid import plan_sweep

    spec = _spec(args)
    plan = plan_sweep(args.card, seed=args.seed)
    if args.check:
        print(f"{args.card}: {len(plan.points)} points over {', '.join(plan.fields)} "
              f"(shape {' x '.join(map(str, plan.shape))}); device {plan.device_path}; "
              f"{plan.ages.size} ages {plan.ages[0]:.3g} .. {plan.ages[-1]:.3g} s; all points valid")
        for point in plan.points:
            print(f"  {point.index:4d}  {point.label()}")
        return 0
    out = output_directory(args.output, Path("out/sweep") / plan.name)
    if spec.kind == "pool" and spec.workers > len(plan.points):
        spec = type(spec)("pool", max(1, len(plan.points)))
    if spec.kind == "dask" and not spec.scheduler and spec.workers > len(plan.points):
        spec = type(spec)("dask", max(1, len(plan.points)))
    fresh = not (out / "manifest.json").exists()
    try:
        ds, stats = run_sweep(plan, out, spec, restart=args.restart, progress=not args.quiet)
    except BaseException:
        if fresh:  # a run refused or failed before storing anything leaves no store behind
            _remove_empty_store(out)
        raise
    nc = write_netcdf(ds, out / "sweep.nc")
    print(f"computed {stats.computed} points in {stats.wall_s:.3g} s "
          f"({stats.already_done} were already stored); wrote {nc}")
    if not args.no_plot:
        from ..plots.sweep import plot_lifetime_heatmap, plot_sweep_snr

        print(f"wrote {plot_lifetime_heatmap(ds, out / 'lifetime_heatmap.png')}")
        print(f"wrote {plot_sweep_snr(ds, out / 'snr_curves.png')}")
    print(_table(ds))
    return 0


def _remove_empty_store(out: Path) -> None:
    points = out / "points"
    if points.is_dir() and any(p.name.startswith("point_") for p in points.iterdir()):
        return
    for name in ("manifest.json", "checksums.log", "lock", "lock.info"):
        (out / name).unlink(missing_ok=True)
    for directory in (points, out):
        try:
            directory.rmdir()  # only if empty
        except OSError:
            pass


def _table(ds) -> str:
    from ..plots.sweep import format_duration, format_si

    life = ds["lifetime"]
    dims = list(life.dims)
    crit = ds.attrs.get("criterion", 1.0)
    if len(dims) == 1:
        d = dims[0]
        rows = [f"memory lifetime (SNR < {crit:g}) vs {ds[d].attrs.get('path', d)}:"]
        for i, v in enumerate(ds[d].values):
            rows.append(f"  {format_si(v.item() if hasattr(v, 'item') else v, ds[d].attrs.get('units', '')):>12}  "
                        f"{format_duration(float(life.values[i]))}")
        return "\n".join(rows)
    ydim, xdim = dims[0], dims[1]
    sub = life.isel({d: 0 for d in dims[2:]}).transpose(ydim, xdim)
    xl = [format_si(v.item() if hasattr(v, "item") else v, ds[xdim].attrs.get("units", "")) for v in ds[xdim].values]
    yl = [format_si(v.item() if hasattr(v, "item") else v, ds[ydim].attrs.get("units", "")) for v in ds[ydim].values]
    width = max(9, *(len(x) for x in xl))
    ywidth = max(len(ds[ydim].attrs.get("path", ydim)), *(len(y) for y in yl))
    rows = [f"memory lifetime (SNR < {crit:g}); rows {ds[ydim].attrs.get('path', ydim)}, "
            f"columns {ds[xdim].attrs.get('path', xdim)}" + (" (further fields at their first value)" if len(dims) > 2 else ""),
            " " * (ywidth + 2) + "".join(" " + x.rjust(width) for x in xl)]
    for i, y in enumerate(yl):
        rows.append(f"  {y.rjust(ywidth)}" + "".join(" " + format_duration(float(v)).rjust(width) for v in sub.values[i]))
    return "\n".join(rows)
