"""``neuromorph memory``: memory-signal (SNR) curves and lifetimes of one or more devices."""

from __future__ import annotations

import argparse

from ..config.arguments import positive_quantity
from ..config.units import FREQUENCY, TIME
from ..config.yamlio import load_each
from ..devices.loader import load_device
from ..outputs import text_table, write_netcdf
from ._backend import add_backend_option, resolve_backend_option
from ._options import (
    add_seed_option,
    bounded_int,
    check_memory,
    output_prefix,
    positive_float,
)

MAX_SYNAPSES = 10**9
MAX_TRIALS = 10**6
MAX_AGES = 10**5
#: Monte-Carlo runs above this many plasticity events are refused unless --allow-long
#: (measured on a loaded 2-core CPU: ~7e5 events/s, so 1e9 events is about 25 min)
MAX_EVENTS = 1e9

EXAMPLE = """Examples:
  neuromorph memory devices/benna_fusi_m8.yaml devices/single_timescale.yaml \\
      devices/binary_stochastic.yaml --seed 1 -o out/memory
  neuromorph memory devices/proton_transistor_5.yaml --rate 0.1Hz --synapses 10000 --trials 16
  neuromorph memory devices/benna_fusi_m12.yaml --method theory --synapses 100000

N synapses receive random +-1 plasticity events (Poisson at --rate, or one per step 1/rate); a
random pattern is stored at t = 0 and the stream goes on. SNR(t) = mean overlap of the weights
with the stored pattern / std of the overlap with a never-stored pattern (stationary stream);
lifetime = first age with SNR < --criterion. Monte-Carlo (trials x N synapses, numba) and the
mean-field / Markov-chain prediction are computed side by side.

Writes OUT.nc (curves, lifetimes, per-trial overlaps; netCDF) and OUT.png (SNR vs time since
storage, log-log) side by side."""


_rate = positive_quantity(FREQUENCY)
_duration = positive_quantity(TIME, allow_auto=True)


def register(sub) -> None:
    parser = sub.add_parser(
        "memory", help="memory-signal SNR curves and lifetimes (Monte-Carlo + mean field); netCDF + PNG",
        description="Store one random pattern in N synapses of each device under an ongoing stream of "
                    "random plasticity events; follow its signal-to-noise ratio and memory lifetime.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("devices", nargs="+", help="device cards (devices/*.yaml)")
    parser.add_argument("--synapses", "-N", type=bounded_int(1, MAX_SYNAPSES), default=1000,
                        help="N, synapses per population; the SNR is that of N synapses (default 1000)")
    parser.add_argument("--trials", type=bounded_int(1, MAX_TRIALS), default=64,
                        help="independent populations simulated (Monte-Carlo precision: SNR standard error "
                             "~ 1/sqrt(trials)) (default 64)")
    parser.add_argument("--rate", type=_rate, default=1.0,
                        help="plasticity events per synapse per second, e.g. 1, '0.1 Hz' (default 1 Hz)")
    parser.add_argument("--events", choices=["poisson", "per-step", "per_step"], default="poisson",
                        help="Poisson event times, or exactly one event per step of 1/rate (default poisson)")
    parser.add_argument("--duration", type=_duration, default=None, metavar="TIME",
                        help="how long to follow the memory, e.g. '2 h' (default auto: 4x the predicted lifetime)")
    parser.add_argument("--ages", type=bounded_int(2, MAX_AGES), default=60, help="number of log-spaced read-out ages (default 60)")
    parser.add_argument("--criterion", type=positive_float, default=1.0,
                        help="SNR that defines the memory lifetime (default 1)")
    parser.add_argument("--method", choices=["auto", "theory", "monte_carlo", "both", "mc", "mean_field"],
                        default="both",
                        help="theory (mean field / Markov chain), monte_carlo, both (default), or auto (theory "
                             "where it exists, else Monte-Carlo); mc and mean_field are older spellings")
    parser.add_argument("--burn-in", type=_duration, default=None, metavar="TIME",
                        help="stream time before storage (default: 0 for linear chains, whose start is the "
                             "exact stationary covariance; 3 slowest timescales for bounded chains)")
    add_seed_option(parser)
    add_backend_option(parser, "the Monte-Carlo simulation of chain devices")
    parser.add_argument("--allow-long", action="store_true",
                        help=f"run a Monte-Carlo experiment of more than {MAX_EVENTS:.0e} plasticity events")
    parser.add_argument("--output", "-o", default=None,
                        help="output prefix: writes PREFIX.nc and PREFIX.png; DIR/ writes inside DIR; existing "
                             "files are replaced (default out/memory)")
    parser.add_argument("--no-plot", action="store_true", help="write only the netCDF file")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..tasks.memory import MemoryConfig, memory_experiment
    from ..tasks.memory_monte_carlo import check_memory_backend

    backend = resolve_backend_option(args)
    devices = load_each(args.devices, load_device)  # every bad card is reported, not only the first
    if args.method not in ("theory", "mean_field"):
        for device in devices:
            check_memory_backend(device, backend)
    out = output_prefix(args.output, "out/memory", suffixes=(".nc",) if args.no_plot else (".nc", ".png"))
    if args.method not in ("theory", "mean_field"):
        n_variables = max(d.n_variables for d in devices)
        # state (m values) + event buffers + per-trial overlaps, float64, a few working copies
        check_memory(8.0 * 4 * args.synapses * args.trials * (n_variables + 4),
                     f"memory: {args.synapses} synapses x {args.trials} trials x {n_variables} variables",
                     "lower --synapses or --trials (or use --method theory)")
    labels = [d.name for d in devices]
    config = MemoryConfig(synapses=args.synapses, trials=args.trials, rate=args.rate,
                          events=args.events.replace("-", "_"), criterion=args.criterion,
                          duration=args.duration, n_ages=args.ages, burn_in=args.burn_in)
    if args.method not in ("theory", "mean_field"):
        _check_event_count(devices, config, args)
    ds = memory_experiment(devices, config, method=args.method, seed=args.seed,
                           progress=not args.quiet, labels=labels, backend=backend)
    ds.attrs["cards"] = " ".join(str(p) for p in args.devices)
    nc_path = write_netcdf(ds, out.path(".nc"))
    print(out.wrote(nc_path))
    if not args.no_plot:
        from ..plots.memory import plot_memory_snr

        print(out.wrote(plot_memory_snr(ds, out.path(".png"))))
    print(_summary(ds))
    return 0


def _fmt_time(value: float) -> str:
    if value != value:
        return "-"
    if value == float("inf"):
        return "> range"
    if value == 0:
        return "0 (below)"
    return f"{value:.3g} s"


def _summary(ds) -> str:
    crit = ds.attrs.get("criterion", 1.0)
    rows = [("device", "SNR(0+) MC", "SNR(0+) theory", f"lifetime MC (SNR<{crit:g})", "[-1SE, +1SE]",
             "lifetime theory", "theory")]
    for name in ds["device"].values:
        d = ds.sel(device=name)
        get = (lambda key: float(d[key]) if key in d else float("nan"))
        snr0 = get("snr_initial_mc")
        snr0_se = get("snr_initial_se_mc")
        rows.append((str(name),
                     f"{snr0:.3g} ± {snr0_se:.2g}" if snr0 == snr0 else "-",
                     f"{get('snr_initial_theory'):.3g}" if get("snr_initial_theory") == get("snr_initial_theory") else "-",
                     _fmt_time(get("lifetime_mc")),
                     f"[{_fmt_time(get('lifetime_lo_mc'))}, {_fmt_time(get('lifetime_hi_mc'))}]" if "lifetime_lo_mc" in d else "-",
                     _fmt_time(get("lifetime_theory")),
                     str(d["theory_method"].values)))
    lines = text_table(rows)
    head = (f"N = {ds.attrs['n_synapses']} synapses, {ds.attrs['trials']} trials, "
            f"{'Poisson events at' if ds.attrs['events'] == 'poisson' else 'one event per step at'} "
            f"{ds.attrs['rate_hz']:.3g} Hz, seed {ds.attrs['seed']}")
    return "\n".join([head] + lines)


def _check_event_count(devices, config, args) -> None:
    """Refuse (before any allocation) a Monte-Carlo run whose event count, synapses x trials x
    rate x (burn-in + duration), is absurd; the automatic duration is computed per device as the
    experiment does (4 x the predicted lifetime)."""
    import math

    from ..errors import ResourceError
    from ..tasks.memory import default_duration

    for device in devices:
        duration = args.duration if args.duration is not None else default_duration(device, config)
        simulated = duration + (args.burn_in or 0.0)
        events = float(args.synapses) * args.trials * args.rate * simulated
        if not math.isfinite(events) or (events > MAX_EVENTS and not args.allow_long):
            raise ResourceError(
                f"memory: {device.name} would need about {events:.3g} plasticity events ({args.synapses} synapses "
                f"x {args.trials} trials x {args.rate:.3g} Hz x {simulated:.3g} s"
                f"{'' if args.duration is not None else ' (automatic duration: 4x the predicted lifetime)'}), more "
                f"than {MAX_EVENTS:.0e}; lower --synapses, --trials, --rate or --duration, use --method theory, "
                f"or give --allow-long")
