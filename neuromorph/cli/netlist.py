"""``neuromorph netlist``: plain SPICE decks of a crossbar card — (a) the array at its current
conductances with wire resistances and sources, (b) the cell device's storage chain as an RC
ladder driven by a gate pulse."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config.arguments import positive_quantity
from ..config.units import TIME
from ..outputs import write_text
from . import UserError
from ._options import add_seed_option, bounded_int, output_file

MAX_UPDATES = 10**6

EXAMPLE = """Examples:
  neuromorph netlist circuits/crossbar_16x16_pt5.yaml -o netlists/crossbar_16x16_pt5.cir
  neuromorph netlist circuits/crossbar_16x16_pt5.yaml --updates 20 --transposed --seed 2 -o out/x.cir

Writes OUT.cir (crossbar read, .op) and OUT_ladder.cir (RC-ladder transient); both run with
`ngspice -b OUT.cir` and write an ASCII raw file into the working directory."""

#: initial node voltages of the ladder scenario: a consolidated memory, u_k(0) = 0.3 V · 2^-(k-1)
LADDER_U0_V = 0.3


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


# --------------------------------------------------------------------------- #
# shared with spice-check
# --------------------------------------------------------------------------- #
def prepare_array(card, seed: int, updates: int):
    """The array of ``card`` after ``updates`` random outer-product updates (seeded)."""
    from .crossbar import build_array

    if updates < 0:
        raise UserError(f"--updates must be >= 0, got {updates}")
    array = build_array(card, seed)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xDEC4]))
    for _ in range(updates):
        array.update(rng.uniform(-1, 1, array.n_in), rng.uniform(-1, 1, array.n_out))
    return array


def input_vector(array, kind: str, seed: int, transposed: bool) -> np.ndarray:
    """Inputs x ∈ [−1, 1] for a deck (before the DAC)."""
    n = array.n_out if transposed else array.n_in
    if kind == "ones":
        return np.ones(n)
    return np.random.default_rng(np.random.SeedSequence([seed, 0x1A9])).uniform(-1, 1, n)


def drive_voltages(array, x: np.ndarray, transposed: bool) -> np.ndarray:
    """The source voltages the array's read path applies for inputs x (see CrossbarArray.read)."""
    v = array.dac.voltages(x)
    if not transposed:
        return v
    drive = np.zeros(array.n_lines)
    if array.differential:
        drive[0::2], drive[1::2] = v, -v
    else:
        drive[: array.n_out] = v
    return drive


@dataclass
class LadderScenario:
    """One gate pulse into a pre-charged chain, as written to the RC-ladder deck."""

    capacitances_f: np.ndarray
    conductances_s: np.ndarray
    source_conductance_s: float
    source: object  # neuromorph.spice.netlist.PulseSource
    t_stop_s: float
    t_step_s: float
    u0_v: np.ndarray


def ladder_scenario(device, t_stop_s: float | None = None) -> LadderScenario:
    """The device's nominal chain, a pre-charged state u_k(0) = 0.3 V·2^-(k-1), and one gate
    pulse (amplitude π·V_gate, the card's width, edges of width/1000) at t_stop/100, through the
    gate's injection resistance 1/g_gate. The source stays connected (SPICE ``Vsrc``–``Rsrc``)."""
    from ..devices.proton_transistor import ProtonTransistor
    from ..spice.netlist import PulseSource

    if not isinstance(device, ProtonTransistor):
        raise UserError(f"the RC-ladder deck needs a proton_transistor device (gate pulse and injection "
                        f"conductance); {device.name} is an ideal {device.kind} chain")
    chain = device.chain
    if t_stop_s is None:
        finite = chain.timescales()[np.isfinite(chain.timescales())]
        t_stop_s = float(f"{4.0 * float(finite.min()):.2g}") if finite.size else 100.0
    if not (np.isfinite(t_stop_s) and t_stop_s > 0):
        raise UserError(f"--ladder-time must be > 0 seconds, got {t_stop_s}")
    gate = device.card.gate
    edge = gate.width * 1e-3
    delay = t_stop_s / 100.0
    if delay + 2 * edge + gate.width > t_stop_s:
        raise UserError(f"--ladder-time {t_stop_s:g} s is too short for a {gate.width:g} s gate pulse")
    source = PulseSource(0.0, gate.polarity * gate.amplitude, delay, edge, edge, gate.width, None)
    m = chain.n_variables
    return LadderScenario(np.array(chain.capacities), np.array(chain.couplings), gate.injection_conductance,
                          source, float(t_stop_s), float(t_stop_s) / 2000.0, LADDER_U0_V * 0.5 ** np.arange(m))


def crossbar_deck_text(array, x, transposed: bool, title: str) -> str:
    from ..spice.netlist import crossbar_deck

    return crossbar_deck(array.conductances(), drive_voltages(array, x, transposed), array.wires,
                         title=title, transposed=transposed)


def ladder_deck_text(scenario: LadderScenario, title: str) -> str:
    from ..spice.netlist import rc_ladder_deck

    return rc_ladder_deck(scenario.capacitances_f, scenario.conductances_s, scenario.source,
                          1.0 / scenario.source_conductance_s, scenario.t_stop_s, scenario.t_step_s,
                          initial_voltages_v=scenario.u0_v, title=title)


def run(args) -> int:
    target = output_file(args.output, Path("netlists") / f"{Path(args.card).stem}.cir")
    out = target.path(target.suffixes[0])
    array = prepare_array(args.card, args.seed, args.updates)
    x = input_vector(array, args.input, args.seed, args.transposed)
    read = "transposed" if args.transposed else "forward"
    title = (f"neuromorph crossbar {array.name} {read} read, {array.n_in}x{array.n_lines} cells, seed {args.seed}, "
             f"{args.updates} updates")
    deck = crossbar_deck_text(array, x, args.transposed, title)
    write_text(deck, out)
    print(f"{target.wrote(out)}  ({read} read of {array.n_in} x {array.n_lines} cells, {deck.count(chr(10))} lines; "
          f"outputs i(vsense_0..{(array.n_in if args.transposed else array.n_lines) - 1}) in A)")
    try:
        scenario = ladder_scenario(array.device, args.ladder_time)
    except UserError as exc:
        if args.ladder_time is not None:
            raise
        print(f"no RC-ladder deck: {exc}")
        return 0
    ladder = out.with_name(f"{out.stem}_ladder.cir")
    replaced = ladder.exists()
    write_text(ladder_deck_text(scenario, f"neuromorph RC ladder of {array.device.name}"), ladder)
    print(f"wrote {ladder}{' (replaced the previous file)' if replaced else ''}  ({scenario.capacitances_f.size}-node RC ladder of {array.device.name}, one "
          f"{scenario.source.width_s:g} s gate pulse, {scenario.t_stop_s:g} s transient; outputs v(n1..n"
          f"{scenario.capacitances_f.size}) in V)")
    return 0
