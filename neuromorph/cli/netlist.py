"""``neuromorph netlist``: plain SPICE decks of a crossbar card — (a) the array at its current
conductances with wire resistances and sources, (b) the cell device's storage chain as an RC
ladder driven by a gate pulse."""

from __future__ import annotations

import argparse
from pathlib import Path


from ..config.arguments import positive_quantity
from ..config.units import TIME
from ..outputs import write_text
from . import UserError
from ._options import add_seed_option, bounded_int, output_file

MAX_UPDATES = 10**5

EXAMPLE = """Examples:
  neuromorph netlist circuits/crossbar_16x16_pt5.yaml -o netlists/crossbar_16x16_pt5.cir
  neuromorph netlist circuits/crossbar_16x16_pt5.yaml --updates 20 --transposed --seed 2 -o out/x.cir

Writes OUT.cir (crossbar read, .op) and OUT_ladder.cir (RC-ladder transient); both run with
`ngspice -b OUT.cir` and write an ASCII raw file into the working directory."""

def register(sub) -> None:
    parser = sub.add_parser(
        "netlist", help="write SPICE decks of a crossbar card (array read and RC-ladder transient)",
        description="Write (a) a SPICE deck of the crossbar read with wire resistance at the array's "
                    "current conductances (device variation, stuck cells, optional random updates) and "
                    "DAC-quantised input voltages, and (b) a deck of the cell device's storage chain as an "
                    "RC ladder (C_k to ground, 1/g_k between compartments, leak to ground) driven by one "
                    "gate pulse through the gate's injection resistance.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("card", help="crossbar card (circuits/*.yaml)")
    parser.add_argument("--output", "-o", default=None,
                        help="crossbar deck path (default netlists/<card>.cir); the ladder deck goes beside it "
                             "as <name>_ladder.cir")
    add_scenario_arguments(parser)
    parser.set_defaults(func=run)


def add_scenario_arguments(parser, transposed: bool = True) -> None:
    add_seed_option(parser, help="seed of the array (variation, stuck cells), the updates and the input vector, "
                                 "0 to 2^32-1 (default 0)")
    parser.add_argument("--updates", type=bounded_int(0, MAX_UPDATES), default=0,
                        help="random outer-product updates applied before the array is written (default 0)")
    parser.add_argument("--input", choices=["random", "ones"], default="random",
                        help="input vector: uniform in [-1, 1] (default) or all +1 (full DAC range)")
    if transposed:
        parser.add_argument("--transposed", action="store_true",
                            help="drive the columns and sense the rows (default: drive rows, sense columns)")
    parser.add_argument("--ladder-time", type=positive_quantity(TIME), default=None, metavar="TIME",
                        help="length of the RC-ladder transient (default 4x the chain's fastest timescale)")


# the scenario (array, inputs, RC ladder) lives in neuromorph.spice.scenarios; spice-check shares it
from ..spice.scenarios import (  # noqa: E402
    LADDER_U0_V,
    LadderScenario,
    crossbar_deck_text,
    drive_voltages,
    input_vector,
    ladder_deck_text,
    ladder_scenario,
    prepare_array,
)


def run(args) -> int:
    target = output_file(args.output, Path("netlists") / f"{Path(args.card).stem}.cir")
    out = target.path(target.suffixes[0])
    array = prepare_array(args.card, args.seed, args.updates)
    x = input_vector(array, args.input, args.seed, args.transposed)
    read = "transposed" if args.transposed else "forward"
    title = (f"neuromorph crossbar {array.name} {read} read, {array.n_in}x{array.n_lines} cells, seed {args.seed}, "
             f"{args.updates} updates")
    deck = crossbar_deck_text(array, x, args.transposed, title)
    try:  # before anything is written: a bad --ladder-time leaves no deck behind
        scenario = ladder_scenario(array.device, args.ladder_time)
        skipped = None
    except UserError as exc:
        if args.ladder_time is not None:
            raise
        scenario, skipped = None, exc
    write_text(deck, out)
    print(f"{target.wrote(out)}  ({read} read of {array.n_in} x {array.n_lines} cells, {deck.count(chr(10))} lines; "
          f"outputs i(vsense_0..{(array.n_in if args.transposed else array.n_lines) - 1}) in A)")
    if scenario is None:
        print(f"no RC-ladder deck: {skipped}")
        return 0
    ladder = out.with_name(f"{out.stem}_ladder.cir")
    replaced = ladder.exists()
    write_text(ladder_deck_text(scenario, f"neuromorph RC ladder of {array.device.name}"), ladder)
    print(f"wrote {ladder}{' (replaced the previous file)' if replaced else ''}  ({scenario.capacitances_f.size}-node RC ladder of {array.device.name}, one "
          f"{scenario.source.width_s:g} s gate pulse, {scenario.t_stop_s:g} s transient; outputs v(n1..n"
          f"{scenario.capacitances_f.size}) in V)")
    return 0
