"""``neuromorph spice-check``: run the decks of ``neuromorph netlist`` through ngspice and compare.

* crossbar read with IR drop: ngspice's sense currents ``i(vsense_k)`` against the array's
  sparse nodal solve (:func:`neuromorph.crossbar.irdrop.solve_read`, the currents of every
  physical line before noise and ADC), forward and transposed; criterion max|ΔI| / max|I| ≤ 1e-6;
* RC ladder: ngspice's node voltages at its own time points against the exact piecewise
  solution of the device's chain (:func:`neuromorph.crossbar.ladder.ladder_response`, ramps
  integrated exactly); criterion max|ΔV| / max|V| ≤ 1e-3 for every node.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..outputs import dumps_strict
from . import UserError
from ._options import output_directory, output_prefix
from ..spice.check import CROSSBAR_TOLERANCE, LADDER_TOLERANCE, check_crossbar, check_ladder, spice_check  # noqa: F401
from .netlist import add_scenario_arguments

DESCRIPTION = """Run the decks of `neuromorph netlist` through ngspice (batch mode) and compare:

* crossbar read with IR drop, forward and transposed: ngspice's sense currents i(vsense_k)
  against the array's sparse nodal solve (currents of every physical line before noise and
  ADC); criterion max|dI| / max|I| <= 1e-6;
* RC ladder of the cell device: ngspice's node voltages at its own time points against the
  exact piecewise solution of the device's chain (ramps integrated exactly); criterion
  max|dV| / max|V| <= 1e-3 for every node."""


EXAMPLE = """Examples:
  neuromorph spice-check circuits/crossbar_16x16_pt5.yaml
  neuromorph spice-check circuits/crossbar_16x16_pt5_ref.yaml --updates 20 --seed 1 -o out/spice_ref

Needs ngspice (`apt-get install ngspice`). Exit status 0 when every comparison is within its
tolerance (crossbar currents 1e-6, RC-ladder transient 1e-3, both relative), 1 otherwise."""


def register(sub) -> None:
    parser = sub.add_parser(
        "spice-check", help="cross-check the crossbar IR-drop solve and the RC-ladder transient against ngspice",
        description=DESCRIPTION, epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("card", help="crossbar card (circuits/*.yaml)")
    add_scenario_arguments(parser, transposed=False)
    parser.add_argument("--keep", default=None, metavar="DIR",
                        help="run ngspice in DIR and keep its decks and raw files (default: a temporary folder)")
    parser.add_argument("--output", "-o", default=None,
                        help="also write PREFIX.nc and PREFIX.png of the comparison")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..spice.ngspice import find_ngspice

    if find_ngspice() is None:
        raise UserError("ngspice not found: install it with `apt-get install ngspice` (Debian/Ubuntu), or set "
                        "NEUROMORPH_NGSPICE to its path")
    out = None if args.output is None else output_prefix(args.output, Path("out/spice_check") / Path(args.card).stem)
    keep = None if args.keep is None else output_directory(args.keep, "out/spice_check", option="--keep")
    array, results = spice_check(args.card, args.seed, args.updates, args.input, args.ladder_time, keep)
    ok = all(r["ok"] for r in results.values())
    if out is not None:
        _write_outputs(results, array, out)
    if args.json:
        summary = {k: {key: (float(v) if isinstance(v, (float, np.floating)) else v)
                       for key, v in r.items() if key in ("max_rel_error", "max_elementwise_rel_error", "ngspice_s",
                                                          "neuromorph_s", "ok", "points", "t_stop_s")}
                   for k, r in results.items()}
        if "ladder" in results:
            summary["ladder"]["per_node_rel_error"] = results["ladder"]["per_node_rel_error"].tolist()
        summary["ok"] = ok
        print(dumps_strict(summary))
        return 0 if ok else 1
    w = array.wires
    print(f"spice-check {array.name}: {array.n_in} x {array.n_lines} cells ({array.scheme}), wires row "
          f"{w.r_row_ohm:g} / column {w.r_col_ohm:g} / driver {w.r_driver_ohm:g} / sense {w.r_sense_ohm:g} Ohm, "
          f"seed {args.seed}, {args.updates} updates")
    for name in ("forward", "transposed"):
        r = results[name]
        print(f"  crossbar {name:<10} {r['currents_ngspice_a'].size:>4} sense currents: max|dI|/max|I| = "
              f"{r['max_rel_error']:.2e} (elementwise max {r['max_elementwise_rel_error']:.2e}; tolerance "
              f"{CROSSBAR_TOLERANCE:g})  {'ok' if r['ok'] else 'FAILED'}   ngspice {r['ngspice_s']:.3f} s, "
              f"neuromorph {r['neuromorph_s'] * 1e3:.2f} ms")
    if "ladder" in results:
        r = results["ladder"]
        nodes = " ".join(f"{e:.1e}" for e in r["per_node_rel_error"])
        print(f"  RC ladder ({r['exact_v'].shape[0]} nodes, one {r['pulse'].width_s:g} s gate pulse at "
              f"{r['pulse'].delay_s:g} s, {r['t_stop_s']:g} s): {r['points']} ngspice time points, max|dV|/max|V| "
              f"per node = {nodes} (tolerance {LADDER_TOLERANCE:g})  {'ok' if r['ok'] else 'FAILED'}   ngspice "
              f"{r['ngspice_s']:.3f} s, exact solution {r['neuromorph_s'] * 1e3:.1f} ms")
    else:
        print(f"  RC ladder: skipped ({array.device.name} is an ideal chain device without a gate)")
    if keep is not None:
        print(f"decks and raw files kept in {keep}/")
    print("all comparisons within tolerance" if ok else "some comparisons FAILED")
    return 0 if ok else 1


def _write_outputs(results: dict, array, out) -> None:
    from ..outputs import write_netcdf
    from ..plots.crossbar import plot_spice_check
    from ..spice.check import results_dataset

    ds = results_dataset(results, array)
    nc = write_netcdf(ds, out.path(".nc"))
    png = plot_spice_check(ds, out.path(".png"))
    print(f"{out.wrote(nc)}\n{out.wrote(png)}")
