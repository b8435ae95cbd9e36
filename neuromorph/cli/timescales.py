"""``neuromorph timescales``: relaxation timescales of a device's chain (eigenvalues of its operator)."""

from __future__ import annotations

import argparse

import numpy as np

from ..config.yamlio import load_each
from ..devices.loader import load_device
from ..outputs import dumps_strict

EXAMPLE = """Examples:
  neuromorph timescales devices/proton_transistor_5.yaml
  neuromorph timescales devices/benna_fusi_m12.yaml --json"""


def register(sub) -> None:
    parser = sub.add_parser(
        "timescales", help="print a device chain's relaxation timescales and per-compartment constants",
        description="Relaxation timescales tau_i = -1/lambda_i (seconds) of the chain's tridiagonal "
                    "operator A = C^-1 L, and per-compartment constants C_k/g_k,k+1.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("devices", nargs="+", help="device card(s)")
    parser.add_argument("--json", action="store_true",
                        help="machine-readable output (strict JSON: an infinite timescale is null with a *_note)")
    parser.set_defaults(func=run)


def describe(device) -> dict:
    """Timescales and per-compartment quantities of one device
    (:func:`neuromorph.tasks.timescales.describe_timescales`)."""
    from ..tasks.timescales import describe_timescales

    return describe_timescales(device)


def run(args) -> int:
    devices = load_each(args.devices, load_device)  # every bad card is reported, not only the first
    infos = [describe(device) for device in devices]
    if args.json:
        print(dumps_strict(infos if len(infos) > 1 else infos[0]))
        return 0
    for info in infos:
        print(f"{info['device']} ({info['kind']})")
        if "note" in info:
            print(f"  {info['note']}\n")
            continue
        tau = np.array(info["relaxation_timescales_s"])
        print("  relaxation timescales tau_i = -1/lambda_i [s], longest first:")
        print("    " + "  ".join(_fmt(v) for v in tau))
        if "capacitance_f" in info:
            print(f"  {'k':>3} {'L_k [m]':>10} {'A_k [m^2]':>10} {'C_k [F]':>10} {'g_k [S]':>10} "
                  f"{'C_k/g_k [s]':>12} {'L_k^2/D [s]':>12}")
            for k in range(info["n_variables"]):
                print(f"  {k + 1:>3} {info['diffusion_length_m'][k]:>10.3g} {info['bridge_cross_section_m2'][k]:>10.3g} "
                      f"{info['capacitance_f'][k]:>10.3g} {info['bridge_conductance_s'][k]:>10.3g} "
                      f"{_fmt(info['stage_time_constant_s'][k]):>12} {_fmt(info['diffusion_time_s'][k]):>12}")
            print(f"  event size from rest: {info['event_size_v'] * 1e3:.4g} mV per pulse")
        else:
            print(f"  {'k':>3} {'C_k':>10} {'g_k,k+1':>10} {'C_k/g_k [s]':>12}")
            for k in range(info["n_variables"]):
                print(f"  {k + 1:>3} {info['capacities'][k]:>10.4g} {info['couplings'][k]:>10.4g} "
                      f"{_fmt(info['stage_time_constants_s'][k]):>12}")
        print()
    return 0


def _fmt(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "inf"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"
