"""What a device card predicts for the checks published for the proton-conductor device
(Zhang et al., arXiv 2401.15045): how fast one write leaves compartment 1, and how long the channel
takes to return to its baseline after an 80-pulse ramp. Both use the exact gate-drive model.

``single_write_transfer``   after one write (a gate pulse), the fraction of u_1's change at the end
                            of the write that has moved out of u_1 after ``delay_s``,
                            1 − u_1(t_w + delay)/u_1(t_w), and where the charge is then (C_k·u_k per
                            compartment, and leaked to the reservoir), as fractions of the injected charge.
``return_to_baseline``      after a ramp (square wave), the time from the end of the ramp until the
                            conductance change |G − G_rest| first falls below ``fraction`` of its value
                            at the end of the ramp (found on the exact solution by bracketing + brentq).
"""

from __future__ import annotations

import numpy as np
import scipy.optimize

from ..gate_drive import GateDrive, drive_state, gate_parameters

__all__ = ["single_write_transfer", "return_to_baseline"]


def single_write_transfer(device, width_s: float = 0.5, amplitude_v: float = 1.0, delay_s: float = 160.0) -> dict:
    """See the module docstring; returns plain numbers (fractions, seconds)."""
    gate = gate_parameters(device)
    drive = GateDrive.pulses([0.0], [amplitude_v], [width_s])
    u = drive_state(gate, drive, [width_s, width_s + delay_s])
    c = gate.chain.capacities
    injected = gate.injection_conductance_s * gate.polarity * amplitude_v * width_s  # linear gate: Q = g·V·w
    charge = c * u[1]
    return {"delay_s": delay_s, "write_width_s": width_s,
            "u1_change_at_write_end_v": float(u[0, 0]),
            "fraction_moved_out_of_u1": float(1.0 - u[1, 0] / u[0, 0]),
            "charge_fraction_per_compartment": (charge / injected).tolist() if gate.saturation == "none" else None,
            "charge_fraction_leaked": float(1.0 - charge.sum() / injected) if gate.saturation == "none" else None}


def return_to_baseline(device, pulses: int = 80, frequency_hz: float = 1.0, on_fraction: float = 0.5,
                       amplitude_v: float = 1.0, fractions=(np.exp(-1.0), 0.1, 0.05, 0.01),
                       horizon_s: float = 1e7) -> dict:
    """Times [s] after the end of the ramp until |ΔG| < fraction·|ΔG(end of ramp)|, per fraction."""
    gate = gate_parameters(device)
    drive = GateDrive.square_wave(amplitude_v, frequency_hz, on_fraction, pulses)
    t_end = pulses / frequency_hz
    rest = float(np.asarray(device.readout(np.zeros(1)))[0])

    def change(t_after):
        t = np.atleast_1d(np.asarray(t_after, dtype=float)) + t_end
        return np.asarray(device.readout(drive_state(gate, drive, t)[:, 0]), dtype=float) - rest

    peak = float(change(0.0)[0])
    grid = np.concatenate([[0.0], np.logspace(-2, np.log10(horizon_s), 2000)])
    values = np.abs(change(grid))
    times = {}
    for fraction in fractions:
        level = fraction * abs(peak)
        below = np.flatnonzero(values < level)
        if not below.size:
            times[float(fraction)] = float("inf")
            continue
        k = below[0]
        times[float(fraction)] = float(scipy.optimize.brentq(lambda s: abs(change(s)[0]) - level, grid[k - 1], grid[k],
                                                             xtol=1e-9, rtol=1e-12))
    return {"ramp_end_s": t_end, "peak_change_s": peak, "rest_conductance_s": rest, "times_s": times}
