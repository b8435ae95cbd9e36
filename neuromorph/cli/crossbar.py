"""``neuromorph crossbar``: a write sequence on a crossbar array, read before and after."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..config.units import TIME
from ..outputs import dumps_strict
from ._options import add_seed_option, bounded_int, check_memory, nonnegative_quantity, output_prefix, positive_float

MAX_UPDATES = 10**7
MAX_PROBES = 10**5
_nonnegative_time = nonnegative_quantity(TIME)

EXAMPLE = """Examples:
  neuromorph crossbar circuits/crossbar_16x16_pt5.yaml
  neuromorph crossbar circuits/crossbar_16x16_pt5_ref.yaml --updates 200 --interval 1 --relax 600 \\
      --seed 3 -o out/xbar_ref

Writes OUT.nc (conductances and weights before/after, intended and realised updates, MVM reads
with and without IR drop, the IR-drop error map) and OUT.png side by side."""


def register(sub) -> None:
    parser = sub.add_parser(
        "crossbar", help="random outer-product updates on a crossbar card; heatmaps + netCDF",
        description="Build the array of a crossbar card (device-to-device variation, stuck cells), apply "
                    "random outer-product updates eta x delta^T as gate pulses (every chain evolves "
                    "between writes), and read the array before and after: conductance maps, MVM through "
                    "the ideal and the IR-drop read paths, and the IR-drop error map.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("card", help="crossbar card (circuits/*.yaml)")
    parser.add_argument("--updates", "-n", type=bounded_int(0, MAX_UPDATES), default=50,
                        help="number of updates (default 50)")
    parser.add_argument("--learning-rate", type=positive_float, default=None,
                        help="eta > 0 (default: the card's write.learning_rate)")
    parser.add_argument("--scheme", choices=["stochastic", "deterministic"], default=None,
                        help="pulse scheme (default: the card's write.scheme)")
    parser.add_argument("--interval", type=_nonnegative_time, default=0.0, metavar="TIME",
                        help="idle time between updates, on top of the card's update slot (default 0)")
    parser.add_argument("--relax", type=_nonnegative_time, default=0.0, metavar="TIME",
                        help="idle time after the last update, before the final reads (default 0)")
    parser.add_argument("--probes", type=bounded_int(1, MAX_PROBES), default=8,
                        help="number of random probe inputs read (default 8)")
    add_seed_option(parser, help="random seed of the array (variation, stuck cells, noise) and of the updates, "
                                 "0 to 2^32-1 (default 0)")
    parser.add_argument("--output", "-o", default=None,
                        help="output prefix: writes PREFIX.nc and PREFIX.png; DIR/ writes inside DIR; existing "
                             "files are replaced (default out/crossbar/<card>)")
    parser.add_argument("--no-plot", action="store_true", help="write only the netCDF file")
    parser.add_argument("--json", action="store_true",
                        help="print the summary as strict JSON (non-finite numbers are null, with a *_note field)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def build_array(card: str | Path, seed: int):
    """Load a crossbar card and build its array (card problems raise :class:`ConfigError`)."""
    from ..crossbar.array import CrossbarArray, load_crossbar

    return CrossbarArray(load_crossbar(card), seed=seed)


def summarise(ds, array) -> dict:
    """Numbers a user reads from a run (also printed by the command)."""
    lsb = array.adc_forward.step / array.scale() if array.adc_forward.step else 0.0
    exact = ds["mvm_exact_after"].values

    def rms(name):
        return float(np.sqrt(np.mean((ds[name].values - exact) ** 2)))

    err = ds["irdrop_cell_error"].values
    return {
        "crossbar": array.name, "device": array.device.name, "rows": array.n_in, "columns": array.n_out,
        "physical_columns": array.n_lines, "scheme": array.scheme, "stuck_cells": int(array.stuck_cells.size),
        "updates": int(ds.attrs["n_updates"]), "write_scheme": ds.attrs["write_scheme"],
        "learning_rate": float(ds.attrs["learning_rate"]), "bit_length": array.bit_length,
        "delta_w_min": array.delta_w_min, "duration_s": float(ds.attrs["duration_s"]),
        "update_correlation": float(ds.attrs["update_correlation"]),
        "realised_over_intended": float(np.sum(ds["realised_update"].values * ds["intended_update"].values)
                                        / max(np.sum(ds["intended_update"].values ** 2), 1e-300)),
        "pulses_total": int(ds["pulse_count"].values.sum()),
        "mvm_rms_error_ideal_read": rms("mvm_ideal_after"), "mvm_rms_error_irdrop_read": rms("mvm_irdrop_after"),
        "adc_lsb_weight_units": lsb,
        "irdrop_worst_cell_error": float(err.min()), "irdrop_mean_cell_error": float(err.mean()),
        "read_voltage_v": array.read_voltage,
    }


def run(args) -> int:
    from ..tasks.crossbar_writes import run_write_sequence
    from ..outputs import write_netcdf

    out = output_prefix(args.output, Path("out/crossbar") / Path(args.card).stem,
                        suffixes=(".nc",) if args.no_plot else (".nc", ".png"))
    array = build_array(args.card, args.seed)
    cells = float(array.n_in) * float(array.n_lines)
    check_memory(8.0 * cells * (12 + 2 * args.probes) + 8.0 * array.n_in * args.probes * 8,
                 f"crossbar: {array.n_in} x {array.n_lines} cells with {args.probes} probes",
                 "use a smaller card size or fewer --probes")
    ds = run_write_sequence(array, args.updates, seed=args.seed, learning_rate=args.learning_rate,
                            scheme=args.scheme, interval_s=args.interval, relax_s=args.relax,
                            n_probes=args.probes, progress=not (args.quiet or args.json))
    nc_path = write_netcdf(ds, out.path(".nc"))
    png = None
    if not args.no_plot:
        from ..plots.crossbar import plot_crossbar_run

        png = plot_crossbar_run(ds, out.path(".png"))
    info = summarise(ds, array)
    info["netcdf"] = str(nc_path)
    info["figure"] = str(png) if png else None
    info["replaced"] = sorted(str(p) for p in out.existing)
    if args.json:
        print(dumps_strict(info))
        return 0
    print(f"{info['crossbar']}: {info['rows']} x {info['columns']} weights on {info['rows']} x "
          f"{info['physical_columns']} {info['device']} cells ({info['scheme']}, {info['stuck_cells']} stuck)")
    print(f"{info['updates']} {info['write_scheme']} updates (BL = {info['bit_length']}, eta = "
          f"{info['learning_rate']:g}, dw_min = {info['delta_w_min']:.4g}) over {info['duration_s']:.4g} s, "
          f"{info['pulses_total']:,} pulses")
    print(f"  realised vs intended weight change: correlation {info['update_correlation']:.3f}, "
          f"gain {info['realised_over_intended']:.3f}")
    print(f"  MVM rms error vs exact x^T W (weight units): ideal wires {info['mvm_rms_error_ideal_read']:.4f}, "
          f"with IR drop {info['mvm_rms_error_irdrop_read']:.4f}  (ADC LSB {info['adc_lsb_weight_units']:.4f})")
    print(f"  IR drop (all rows at {info['read_voltage_v']:g} V): cell-current error worst "
          f"{100 * info['irdrop_worst_cell_error']:.2f} %, mean {100 * info['irdrop_mean_cell_error']:.2f} %")
    print(out.wrote(nc_path))
    if png:
        print(out.wrote(png))
    return 0
