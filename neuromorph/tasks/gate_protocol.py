"""Protocols with ``square_wave`` segments: every gate pulse is integrated with its width.

:func:`neuromorph.tasks.protocol.run_protocol` hands a protocol here as soon as it contains a
``square_wave`` segment. Then every gate operation is a time interval with a charging current
(:mod:`neuromorph.tasks.gate_drive`), not an instantaneous event:

``square_wave``  ``pulses`` periods, the gate on for ``on_fraction``/``frequency`` at the start of each
``train``        each pulse is a gate pulse of the card's width ``gate.width`` at ``interval`` spacing
``relax``        the gate stays open
``random``       refused (Poisson streams use the event-driven runner; combine them in another run)

The state is recorded at the end of every on-phase and every period (at most
``record.max_train_samples`` per segment) and at log-spaced times in every segment, like the
event-driven runner. Each device of a population gets its own chain, gate conductance and channel
(device-to-device variation) and its own cycle-to-cycle noise.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ..config.protocol_schema import ProtocolCard, RandomStream, Relax, SquareWave, Train
from ..errors import InvalidParameterError
from .gate_drive import GateDrive, GateParameters, drive_state, gate_parameters

__all__ = ["protocol_gate_drive", "run_gate_protocol"]


def protocol_gate_drive(protocol: ProtocolCard, amplitude_v: float, width_s: float
                        ) -> tuple[GateDrive, np.ndarray, float]:
    """The gate drive of a protocol, its recording times [s] and its total duration [s]."""
    drives: list[GateDrive] = []
    record: list[np.ndarray] = []
    rec = protocol.record
    t0 = 0.0
    for index, segment in enumerate(protocol.segments):
        body, duration = segment.body, segment.duration_s
        if isinstance(body, SquareWave):
            drive = GateDrive.square_wave(body.amplitude or amplitude_v, body.frequency, body.on_fraction,
                                          body.pulses, t0, body.sign)
        elif isinstance(body, Train):
            if width_s > body.interval:
                raise InvalidParameterError(
                    f"segments[{index}].train: the gate pulse width ({width_s:g} s, gate.width of the card) exceeds "
                    f"the pulse interval ({body.interval:g} s): pulses would overlap")
            signs = (np.where(np.arange(body.pulses) % 2 == 0, 1.0, -1.0) if body.sign == "alternate"
                     else np.full(body.pulses, float(body.sign)))
            drive = GateDrive.pulses(t0 + body.interval * np.arange(body.pulses), signs * amplitude_v, width_s)
        elif isinstance(body, RandomStream):
            raise InvalidParameterError(
                f"segments[{index}].random: random event streams cannot be combined with square_wave segments "
                "in one protocol; simulate them in a separate protocol")
        else:
            assert isinstance(body, Relax)
            drive = None
        if drive is not None:
            drives.append(drive)
            stride = max(1, int(np.ceil(drive.count / rec.max_train_samples)))
            period_ends = np.append(drive.start_s[1:], t0 + duration)
            record += [drive.end_s[::stride], period_ends[::stride]]
        n_log = max(2, int(np.ceil(rec.per_decade * rec.decades)) + 1)
        record.append(t0 + duration * np.logspace(-rec.decades, 0.0, n_log))
        t0 += duration
    return GateDrive.join(drives), np.unique(np.concatenate(record)), t0


def run_gate_protocol(device, protocol: ProtocolCard, n_devices: int = 1, seed: int = 0,
                      progress: bool = True) -> xr.Dataset:
    """Simulate ``n_devices`` devices under a protocol with gate drives; same output variables as
    :func:`neuromorph.tasks.protocol.run_protocol` (``u``, ``weight``, ``event_count``)."""
    if n_devices < 1:
        raise InvalidParameterError(f"n_devices must be >= 1, got {n_devices}")
    nominal = gate_parameters(device)
    gate = device.gate_pulse()  # target π·V_gate, width; π is applied by the drive integration
    rng = np.random.default_rng(seed)
    drive, record_times, _ = protocol_gate_drive(protocol, abs(gate.target_v), gate.width_s)
    population = device.sample_population(n_devices, rng)
    chains = population.chains
    m = device.n_variables
    u = np.empty((n_devices, record_times.size, m))
    for n in tqdm(range(n_devices), desc=f"simulate {device.name}", disable=not progress or n_devices < 2,
                  unit="device"):
        chain = chains.chain(n) if np.ndim(chains.capacities) == 2 else chains  # one chain per device, or shared
        params = GateParameters(chain, float(population.parameters.injection_conductance_s[n]), nominal.saturation,
                                nominal.cycle_noise, nominal.polarity)
        factors = 1.0 + nominal.cycle_noise * rng.standard_normal(drive.count) if nominal.cycle_noise else None
        u[n] = drive_state(params, drive, record_times, charge_factors=factors)
    weight = device.readout(u[:, :, 0], population.column(), rng)
    return xr.Dataset(
        {
            "u": (("device", "time", "compartment"), u, {"long_name": "chain variables u_k", "units": device.state_units}),
            device.readout_name: (("device", "time"), weight,
                                  {"long_name": device.readout_name, "units": device.readout_units}),
            "event_count": (("device",), np.full(n_devices, drive.count)),
        },
        coords={"device": np.arange(n_devices), "time": ("time", record_times, {"units": "s"}),
                "compartment": np.arange(1, m + 1)},
        attrs={"device_name": device.name, "device_kind": device.kind, "readout": device.readout_name,
               "protocol": protocol.name or "",
               "seed": seed, "integrator": "gate_drive (exact, finite-width pulses)", "n_events": int(drive.count)},
    )

