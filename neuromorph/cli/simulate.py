"""``neuromorph simulate``: run a device (or a population with variation) under a pulse protocol."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config.protocol_schema import ProtocolCard
from ..config.yamlio import load_card
from ..devices.loader import load_device
from ..outputs import write_netcdf
from ..synapses.integrators import INTEGRATORS, UnstableStepError
from . import UserError

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
    parser.add_argument("--devices", "-n", type=int, default=1,
                        help="number of devices; each gets its own device-to-device variation (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--integrator", choices=list(INTEGRATORS), default="eigen",
                        help="time integrator (default: eigen, exact event-driven)")
    parser.add_argument("--max-step", type=float, default=None, metavar="SECONDS",
                        help="largest step of the Euler integrators (default: 1/10 of the fastest "
                             "timescale; explicit Euler refuses steps above its stability limit)")
    parser.add_argument("--output", "-o", default=None,
                        help="output prefix (default out/simulate/<device>_<protocol>)")
    parser.add_argument("--no-plot", action="store_true", help="write only the netCDF file")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..tasks.protocol import run_protocol

    if args.devices < 1:
        raise UserError(f"--devices must be >= 1, got {args.devices}")
    device = load_device(args.device)
    protocol = load_card(args.protocol, ProtocolCard)
    prefix = Path(args.output) if args.output else (
        Path("out/simulate") / f"{Path(args.device).stem}_{Path(args.protocol).stem}")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    try:
        ds = run_protocol(device, protocol, n_devices=args.devices, seed=args.seed,
                          integrator=args.integrator, progress=not args.quiet, max_step_s=args.max_step)
    except UnstableStepError as exc:
        raise UserError(str(exc)) from None
    except ValueError as exc:
        raise UserError(f"{args.device}: {exc}") from None
    nc_path = write_netcdf(ds, prefix.with_suffix(".nc"))
    print(f"wrote {nc_path}  ({ds.sizes['device']} devices x {ds.sizes['time']} samples x "
          f"{ds.sizes['compartment']} compartments, {ds.attrs['n_events']} events)")
    if not args.no_plot:
        from ..plots.simulate import plot_protocol_run

        png = plot_protocol_run(ds, prefix.with_suffix(".png"))
        print(f"wrote {png}")
    final = ds["weight"].isel(time=-1)
    units = ds["weight"].attrs.get("units", "")
    print(f"final {ds['weight'].attrs.get('long_name')}: mean {float(final.mean()):.4g} {units}, "
          f"max over time {float(ds['weight'].max()):.4g} {units}")
    return 0
