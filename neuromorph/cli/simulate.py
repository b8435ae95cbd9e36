"""``neuromorph simulate``: run a device (or a population with variation) under a pulse protocol."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config.arguments import positive_quantity
from ..config.protocol_schema import ProtocolCard
from ..config.units import TIME
from ..config.yamlio import load_card
from ..devices.loader import load_device
from ..errors import ConfigError
from ..outputs import write_netcdf
from ..synapses.integrators import INTEGRATORS
from ._backend import add_backend_option, resolve_backend_option
from ._options import add_seed_option, bounded_int, check_memory, check_steps, output_prefix

#: more devices than this is refused at parse time (memory is checked too, from the protocol)
MAX_DEVICES = 10**12
#: stepped (Euler) integrations above this many steps are refused unless --allow-long
MAX_STEPS = 1e7

EXAMPLE = """Examples:
  neuromorph simulate devices/proton_transistor_5.yaml --protocol protocols/potentiation_relax.yaml
  neuromorph simulate devices/proton_transistor_5.yaml --protocol protocols/random_stream.yaml \\
      --devices 100 --seed 3 -o out/pt5_random

Writes OUT.nc (all u_k and the weight/conductance over time, netCDF) and OUT.png side by side."""


def register(sub) -> None:
    parser = sub.add_parser(
        "simulate", help="run a device under a pulse protocol; write netCDF + PNG",
        description="Run a device card under a protocol card and record every compartment and the "
                    "channel conductance over time.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("device", help="device card (devices/*.yaml)")
    parser.add_argument("--protocol", "-p", required=True, help="protocol card (protocols/*.yaml)")
    parser.add_argument("--devices", "-n", type=bounded_int(1, MAX_DEVICES), default=1,
                        help="number of devices; each gets its own device-to-device variation (default 1)")
    add_seed_option(parser)
    parser.add_argument("--integrator", choices=list(INTEGRATORS), default="eigen",
                        help="time integrator (default: eigen, exact event-driven)")
    parser.add_argument("--max-step", type=positive_quantity(TIME), default=None, metavar="TIME",
                        help="largest step of the Euler integrators, e.g. '1 ms' (default: 1/10 of the fastest "
                             "timescale; explicit Euler refuses steps above its stability limit)")
    parser.add_argument("--allow-long", action="store_true",
                        help=f"run a stepped (Euler) integration of more than {MAX_STEPS:.0e} steps")
    add_backend_option(parser, "the event-driven eigen integration of chain devices")
    parser.add_argument("--output", "-o", default=None,
                        help="output prefix: writes PREFIX.nc and PREFIX.png; DIR/ writes inside DIR; existing "
                             "files are replaced (default out/simulate/<device>_<protocol>)")
    parser.add_argument("--no-plot", action="store_true", help="write only the netCDF file")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..tasks.protocol import check_backend, run_protocol

    backend = resolve_backend_option(args)
    problems: list[str] = []  # a bad device card and a bad protocol card are both reported
    try:
        device = load_device(args.device)
    except ConfigError as exc:
        problems.extend(exc.problems)
    try:
        protocol = load_card(args.protocol, ProtocolCard)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    out = output_prefix(args.output, Path("out/simulate") / f"{Path(args.device).stem}_{Path(args.protocol).stem}",
                        suffixes=(".nc",) if args.no_plot else (".nc", ".png"))
    events, samples = protocol_size(protocol, args.devices)
    n_variables = device.n_variables
    # events: time (8 B) + sign (1 B) + sorting/coefficient copies (~4x); samples: u (m values) + weight
    check_memory(40.0 * events + 8.0 * args.devices * samples * (n_variables + 2) * 2,
                 f"simulate: {args.devices} devices, about {events:.3g} events and {samples} samples of "
                 f"{n_variables} compartments",
                 "lower --devices or use a shorter/sparser protocol card")
    check_backend(device, protocol, args.integrator, backend)
    note = euler_steps_note(device, protocol, args)
    if note:
        print(note)
    ds = run_protocol(device, protocol, n_devices=args.devices, seed=args.seed,
                      integrator=args.integrator, progress=not args.quiet, max_step_s=args.max_step,
                      backend=backend)
    nc_path = write_netcdf(ds, out.path(".nc"))
    print(f"{out.wrote(nc_path)}  ({ds.sizes['device']} devices x {ds.sizes['time']} samples x "
          f"{ds.sizes['compartment']} compartments, {ds.attrs['n_events']} events)")
    if not args.no_plot:
        from ..plots.simulate import plot_protocol_run

        png = plot_protocol_run(ds, out.path(".png"))
        print(out.wrote(png))
    readout = ds[ds.attrs["readout"]]  # weight [1] or conductance [S]
    final = readout.isel(time=-1)
    units = readout.attrs.get("units", "")
    units = "" if units in ("1", "-", "dimensionless") else f" {units}"  # no stray unit on a pure number
    print(f"final {readout.name}: mean {float(final.mean()):.4g}{units}, "
          f"max over time {float(readout.max()):.4g}{units}")
    return 0


def protocol_size(protocol: ProtocolCard, n_devices: int) -> tuple[float, int]:
    """Upper estimates of the events (all devices) and recorded samples of a protocol card."""
    events = 0.0
    samples = 0
    rec = protocol.record
    for segment in protocol.segments:
        body = segment.body
        pulses = getattr(body, "pulses", None)
        rate = getattr(body, "rate", None)
        if pulses is not None:
            events += float(pulses) * n_devices
            samples += min(int(pulses), rec.max_train_samples)
        if rate is not None:
            events += float(rate) * float(segment.duration_s) * n_devices
        samples += int(rec.per_decade * rec.decades) + 2
    return events, samples


def euler_steps_note(device, protocol: ProtocolCard, args) -> str | None:
    """For the stepped integrators: the number of steps and the expected time (refused above
    :data:`MAX_STEPS` without ``--allow-long``); None for the exact integrators."""
    chain = device.chain if device.dynamics == "chain" else None
    if args.integrator not in ("implicit_euler", "explicit_euler") or chain is None:
        return None
    import numpy as np

    unit = chain.time_unit_s
    if args.max_step is not None:
        step_s = args.max_step
    elif args.integrator == "explicit_euler":
        step_s = 0.5 * chain.stability_limit() * unit
    else:
        step_s = 0.1 * float(np.min(-1.0 / chain.eigenbasis.rates)) * unit
    duration_s = float(sum(segment.duration_s for segment in protocol.segments))
    steps = duration_s / step_s
    # measured on a 2-core CPU: ~12 us per Python-level step (4e7 explicit-Euler steps of one device took ~8 min)
    per_step_s = 1.2e-5 + 2e-9 * args.devices * device.n_variables
    return "simulate: " + check_steps(
        steps, per_step_s, f"simulate --integrator {args.integrator} over {duration_s:.3g} s in steps of "
        f"{step_s:.3g} s", "use the exact default integrator 'eigen', a larger --max-step, or --allow-long",
        limit_steps=MAX_STEPS, allow=args.allow_long)
