"""Gate drives with a duration: square waves with an on-fraction and explicit pulses (time,
amplitude, width), integrated exactly (DESIGN §2.2; Zhang et al., arXiv 2401.15045 drive their
device with ±1 V square waves at 1 Hz and 33/50/67 % on-fractions, 80 periods per ramp).

While the gate is on at voltage V the gate injects charge into compartment 1; while it is off
the chain relaxes freely:

    linear gate  C_1 du_1/dt = … + g_gate·V                  (constant current, Q = g_gate·V·w)
    soft gate    C_1 du_1/dt = … + g_gate·(V − u_1)          (charges towards V, saturates)

Both are linear ODEs with constant coefficients between switching times, so the state at any
time follows exactly from the chain's eigenbasis (:mod:`neuromorph.kernels.square_wave`). A
pulse of width w in the linear mode injects exactly the charge of one instantaneous event of the
pulse protocol (Δu_1 = g_gate·V·w/C_1), so the two descriptions agree when w ≪ the fastest
timescale and differ, correctly, when it is not.

``cycle_noise`` of the card multiplies the charge of each on-phase by (1 + σ·ξ), ξ ~ N(0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ..errors import InvalidParameterError
from ..kernels.square_wave import drive_response, drive_response_reference
from ..synapses.chain import LinearChain

__all__ = ["GateDrive", "GateParameters", "gate_parameters", "drive_state", "drive_conductance"]


@dataclass(frozen=True)
class GateDrive:
    """On-intervals of the gate, sorted and disjoint: [start_s[j], end_s[j]) at voltage_v[j] [V]."""

    start_s: np.ndarray
    end_s: np.ndarray
    voltage_v: np.ndarray

    def __post_init__(self) -> None:
        start, end, volt = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (self.start_s, self.end_s, self.voltage_v))
        if not (start.shape == end.shape == volt.shape):
            raise InvalidParameterError("gate drive: start, end and voltage need one entry per pulse")
        if not (np.all(np.isfinite(start)) and np.all(np.isfinite(end)) and np.all(np.isfinite(volt))):
            raise InvalidParameterError("gate drive: pulse times and voltages must be finite")
        if np.any(end <= start):
            j = int(np.flatnonzero(end <= start)[0])
            raise InvalidParameterError(f"gate drive: pulse {j} has width {end[j] - start[j]:g} s; widths must be > 0")
        order = np.argsort(start, kind="stable")
        start, end, volt = start[order], end[order], volt[order]
        if start.size > 1 and np.any(start[1:] < end[:-1]):
            j = int(np.flatnonzero(start[1:] < end[:-1])[0])
            raise InvalidParameterError(f"gate drive: pulses overlap (pulse at {start[j + 1]:g} s starts before the one "
                                        f"at {start[j]:g} s ends at {end[j]:g} s)")
        for name, value in (("start_s", start), ("end_s", end), ("voltage_v", volt)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @classmethod
    def square_wave(cls, amplitude_v: float, frequency_hz: float, on_fraction: float, count: int,
                    start_s: float = 0.0, sign: int = 1) -> "GateDrive":
        """``count`` periods of 1/frequency starting at ``start_s``; the gate is at sign·amplitude for
        the first ``on_fraction`` of each period."""
        if not frequency_hz > 0 or not 0.0 < on_fraction <= 1.0 or count < 1:
            raise InvalidParameterError(f"square wave: need frequency > 0 Hz, 0 < on_fraction <= 1, count >= 1 "
                                        f"(got {frequency_hz:g} Hz, {on_fraction:g}, {count})")
        period = 1.0 / frequency_hz
        starts = start_s + period * np.arange(count)
        return cls(starts, starts + on_fraction * period, np.full(count, sign * amplitude_v))

    @classmethod
    def pulses(cls, times_s, amplitudes_v, widths_s) -> "GateDrive":
        times = np.atleast_1d(np.asarray(times_s, dtype=float))
        widths = np.broadcast_to(np.asarray(widths_s, dtype=float), times.shape)
        return cls(times, times + widths, np.broadcast_to(np.asarray(amplitudes_v, dtype=float), times.shape))

    @classmethod
    def join(cls, drives: list["GateDrive"]) -> "GateDrive":
        if not drives:
            return cls(np.empty(0), np.empty(0), np.empty(0))
        return cls(np.concatenate([d.start_s for d in drives]), np.concatenate([d.end_s for d in drives]),
                   np.concatenate([d.voltage_v for d in drives]))

    @property
    def count(self) -> int:
        return int(self.start_s.size)

    @property
    def end_time_s(self) -> float:
        return float(self.end_s[-1]) if self.count else 0.0


@dataclass(frozen=True)
class GateParameters:
    """What a gate drive needs of a device: its chain (SI, seconds), the gate's ionic conductance
    g_gate [S], whether it saturates (``soft``) or injects a constant current (``none``), the
    cycle-to-cycle noise and the polarity π (a gate voltage V drives u_1 towards/along π·V)."""

    chain: LinearChain
    injection_conductance_s: float
    saturation: str = "none"
    cycle_noise: float = 0.0
    polarity: float = 1.0  # π: sign of Δu_1 for a positive gate voltage


def gate_parameters(device) -> GateParameters:
    """The gate of a device built from a card with a ``gate`` section (a proton transistor)."""
    gate = device.gate_pulse()
    if gate is None:
        raise InvalidParameterError(
            f"a gate drive (square wave or pulses with a width) needs a device with a gate "
            f"(a proton_transistor card); {device.name!r} is {device.kind}")
    if device.bounds is not None:
        raise InvalidParameterError(
            f"{device.name}: gate drives are integrated exactly for the linear chain, but this card sets bounds "
            f"(clipping makes it nonlinear); remove 'bounds' or use train segments")
    return GateParameters(device.chain, gate.injection_conductance_s, gate.saturation, gate.cycle_noise,
                          gate.polarity)


def _basis_with_gate(chain: LinearChain, g_on: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigenbasis of the chain with an extra conductance g_on from compartment 1 to the gate."""
    diag, off = chain.symmetric_tridiagonal()
    diag = diag.copy()
    diag[0] -= g_on * chain.time_unit_s / chain.capacities[0]
    if diag.size == 1:
        rates, vecs = diag, np.ones((1, 1))
    else:
        rates, vecs = scipy.linalg.eigh_tridiagonal(diag, off)
    sqrt_c = np.sqrt(chain.capacities)
    return rates, vecs.T * sqrt_c[None, :], vecs / sqrt_c[:, None]


def drive_state(gate: GateParameters, drive: GateDrive, sample_times_s, u0=None,
                charge_factors=None, reference: bool = False) -> np.ndarray:
    """u(t) (S, m) at ``sample_times_s`` (non-decreasing, ≥ 0 s) for the chain starting at ``u0``
    (rest if None) at t = 0 and driven by ``drive``; exact (see the module docstring).

    ``charge_factors`` (one per pulse) scale each pulse's injection (cycle-to-cycle noise);
    ``reference`` runs the NumPy reference instead of the numba kernel."""
    chain = gate.chain
    m = chain.n_variables
    unit = chain.time_unit_s
    times = np.asarray(sample_times_s, dtype=float)
    if times.ndim != 1 or (times.size and (times[0] < 0 or np.any(np.diff(times) < 0))):
        raise InvalidParameterError("sample times must be a non-decreasing 1-D array of times >= 0 s")
    if drive.count and drive.start_s[0] < 0:
        raise InvalidParameterError(f"gate drive starts at {drive.start_s[0]:g} s, before t = 0")
    u0 = np.zeros(m) if u0 is None else np.asarray(u0, dtype=float)
    factors = np.ones(drive.count) if charge_factors is None else np.asarray(charge_factors, dtype=float)
    n = drive.count
    basis = chain.eigenbasis
    g = gate.injection_conductance_s
    c1 = chain.capacities[0]
    # regime 0: gate open; regime 1 + j: pulse j on
    rates = np.empty((n + 1, m))
    to_modes = np.empty((n + 1, m, m))
    to_state = np.empty((n + 1, m, m))
    source = np.zeros((n + 1, m))
    rates[:] = basis.rates
    to_modes[:] = basis.to_modes
    to_state[:] = basis.to_state
    injection = g * gate.polarity * drive.voltage_v * factors * unit / c1  # du_1/dt from the gate [V per time unit]
    if gate.saturation == "soft":
        cache: dict[float, tuple] = {}
        for j in range(n):
            g_on = g * factors[j]
            if g_on not in cache:
                cache[g_on] = _basis_with_gate(chain, g_on)
            rates[1 + j], to_modes[1 + j], to_state[1 + j] = cache[g_on]
            source[1 + j] = to_modes[1 + j][:, 0] * injection[j]
    else:
        source[1:] = basis.to_modes[None, :, 0] * injection[:, None]
    edges = np.empty(2 * n + 2)
    edges[0] = 0.0
    edges[1:-1:2] = drive.start_s / unit
    edges[2:-1:2] = drive.end_s / unit
    edges[-1] = np.inf
    regime = np.zeros(2 * n + 1, dtype=np.int64)
    regime[1::2] = 1 + np.arange(n)
    out = np.empty((times.size, m))
    kernel = drive_response_reference if reference else drive_response
    kernel(u0, edges, regime, rates, to_modes, to_state, source, times / unit, out)
    return out


def drive_conductance(device, drive: GateDrive, sample_times_s, u0=None) -> np.ndarray:
    """Channel conductance G(u_1(t)) [S] of a nominal device (no noise) under ``drive``."""
    u = drive_state(gate_parameters(device), drive, sample_times_s, u0)
    return device.readout(u[:, 0])
