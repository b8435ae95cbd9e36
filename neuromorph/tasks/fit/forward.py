"""The forward model of a fit: a device card (with the free values put in) → the channel conductance
of every measured trace, computed exactly (:mod:`neuromorph.tasks.gate_drive`).

Each trace starts from the device at rest (u = 0) at its time 0 and is driven by the sidecar's gate
drive; the prediction is the nominal device's noiseless conductance G(u_1(t)) at the sample times.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...config.device_schema import DeviceCard
from ...config.measurement_schema import DriveElement, MeasuredTrace
from ...config.yamlio import CardSource, ConfigError, validate_card
from ...devices.loader import build_device
from ...errors import InvalidParameterError
from ..gate_drive import GateDrive, drive_state, gate_parameters

__all__ = ["trace_drive", "build_from_data", "predict_traces"]


def trace_drive(elements: list[DriveElement]) -> GateDrive:
    """The gate drive of one trace (square waves and explicit pulses, in the trace's time)."""
    drives = []
    for element in elements:
        if element.square_wave is not None:
            sw = element.square_wave
            drives.append(GateDrive.square_wave(sw.amplitude, sw.frequency, sw.on_fraction, sw.count, sw.start, sw.sign))
        else:
            drives.append(GateDrive.pulses([p.time for p in element.pulses], [p.amplitude for p in element.pulses],
                                           [p.width for p in element.pulses]))
    return GateDrive.join(drives)


def build_from_data(data: dict, path: str | Path = "<card>", lines: dict | None = None, name: str = "device"):
    """Validate (modified) card data and build the device; user errors raise ConfigError."""
    source = CardSource(path=Path(path), data=data, lines=lines or {})
    card = validate_card(source, DeviceCard)
    try:
        return build_device(card, name)
    except ValueError as exc:
        file, line = source.where(())
        raise ConfigError([f"{file}:{line}: {exc}"]) from None


def predict_traces(device, traces: list[MeasuredTrace], drives: list[GateDrive] | None = None) -> list[np.ndarray]:
    """Noiseless conductance [S] of ``device`` at each trace's sample times."""
    gate = gate_parameters(device)
    out = []
    for index, trace in enumerate(traces):
        drive = drives[index] if drives is not None else trace_drive(trace.drive)
        u = drive_state(gate, drive, trace.time_s)
        g = np.asarray(device.readout(u[:, 0]), dtype=float)
        if not np.all(np.isfinite(g)):
            raise InvalidParameterError(f"trace {trace.name!r}: the model gives a non-finite conductance")
        out.append(g)
    return out
