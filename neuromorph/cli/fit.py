"""``neuromorph fit``: fit dotted fields of a device card to measured traces; write the fitted card
(``base:`` the original), the data/fit/residuals as netCDF and a figure."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..config.measurement_schema import load_measurement
from ..errors import InvalidParameterError
from ..outputs import write_netcdf
from ._options import bounded_int, output_file, output_prefix

EXAMPLE = """Example (the shipped synthetic data of the Zhang et al. 2024 device; runs offline in ~2 s):
  neuromorph fit devices/zhang2024_pedot_nafion_4.yaml devices/measurements/zhang2024_synthetic.csv \\
      --free diffusion_coefficient,bridge_cross_section.ratio,gate.injection_conductance,channel.g_min \\
      -o out/fit/zhang2024_fitted.yaml
  neuromorph timescales out/fit/zhang2024_fitted.yaml
  neuromorph memory out/fit/zhang2024_fitted.yaml --rate 0.1

DATA.csv has columns trace, time [unit], conductance [unit] (or current [unit]); DATA.yaml beside it
describes each trace's gate drive (square_wave or pulses). See docs/fitting.md."""


def register(sub) -> None:
    parser = sub.add_parser(
        "fit", help="fit device-card fields to measured traces; write a fitted card + netCDF + PNG",
        description="Least-squares fit of dotted device-card fields (the sweep engine's paths) to every trace "
                    "of a measured data set at once, with the exact square-wave/pulse model. Prints each "
                    "parameter with its standard error, 95 % interval and correlations, warns about "
                    "combinations the data cannot separate, and writes a card that base:-s the original.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="device card to start from (its values are the start point)")
    parser.add_argument("data", help="measured traces, DATA.csv with its sidecar DATA.yaml")
    parser.add_argument("--free", required=True, metavar="PATH[,PATH...]",
                        help="comma-separated dotted card fields to fit, e.g. "
                             "diffusion_coefficient,gate.injection_conductance,capacity.capacitance.0")
    parser.add_argument("--output", "-o", required=True, metavar="FITTED.yaml",
                        help="the fitted card to write (replaced if it exists)")
    parser.add_argument("--results", default=None, metavar="PREFIX",
                        help="prefix of PREFIX.nc (data, fit, residuals, parameter table) and PREFIX.png "
                             "(default out/fit/<fitted card name>)")
    parser.add_argument("--max-evaluations", type=bounded_int(10, 1_000_000), default=2000, metavar="N",
                        help="most model evaluations of the optimiser (default 2000)")
    parser.add_argument("--no-plot", action="store_true", help="do not write the figure")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..tasks.fit import fit_measurements, write_fitted_card

    free = [p.strip() for p in args.free.split(",") if p.strip()]
    if not free:
        raise InvalidParameterError("--free: give at least one dotted card field, e.g. --free diffusion_coefficient")
    if not Path(args.base).exists():
        raise InvalidParameterError(f"base card {args.base}: file not found")
    card_out = output_file(args.output, Path("devices/fitted.yaml"), option="--output")
    card_path = card_out.path(card_out.suffixes[0])
    if card_path.suffix not in (".yaml", ".yml"):
        raise InvalidParameterError(f"--output {args.output}: the fitted card must be a .yaml file")
    if card_path.resolve() == Path(args.base).resolve():
        raise InvalidParameterError(f"--output {args.output}: would overwrite the base card; choose another name")
    results = output_prefix(args.results, Path("out/fit") / card_path.stem, option="--results",
                            suffixes=(".nc",) if args.no_plot else (".nc", ".png"))
    measurement = load_measurement(args.data)
    result = fit_measurements(args.base, measurement, free, max_evaluations=args.max_evaluations)
    print(result.report())
    command = "neuromorph fit " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else ""
    written = write_fitted_card(result, card_path, command=command)
    print(card_out.wrote(written))
    ds = result.dataset()
    print(results.wrote(write_netcdf(ds, results.path(".nc"))))
    if not args.no_plot:
        from ..plots.fit import plot_fit

        print(results.wrote(plot_fit(ds, results.path(".png"))))
    return 0
