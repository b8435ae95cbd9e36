"""Measured device traces: a CSV (or netCDF) of samples plus a small YAML sidecar with the gate drives.

``DATA.csv`` — lines starting with ``#`` are comments (say where the data come from); the first
other line is the header, one column each:

    trace               which trace a row belongs to (optional when the file holds one trace)
    time [UNIT]         time since the trace started, from rest (s, ms, min, h …)
    conductance [UNIT]  channel conductance (S, mS, uS, nS …)   — or —
    current [UNIT]      channel current at the sidecar's ``read_voltage`` (A, mA, uA, nA …)

Units go in brackets in the header, or in the sidecar's ``units:`` mapping. Rows of one trace must
have strictly increasing, non-negative times; every value must be a finite number.

``DATA.nc`` — the same as netCDF: 1-D variables ``time`` and ``conductance`` (or ``current``) with a
``units`` attribute, and ``trace`` (strings) when there are several traces; messages then name the
variable and the 1-based sample.

``DATA.yaml`` (same name, ``.yaml``) — the drive of every trace, in the trace's own time:

    kind: measurement
    description: potentiation ramps at three on-fractions and a single write
    read_voltage: 10 mV            # needed for a current column
    traces:
      ramp_50:
        drive:
          - square_wave: {amplitude: 1 V, frequency: 1 Hz, on_fraction: 0.5, count: 80, start: 0 s}
      single_write:
        drive:
          - pulses: [{time: 0 s, amplitude: 1 V, width: 0.5 s}]
      relax_only: {}               # no drive: the device sits at rest (a baseline trace)

``square_wave``: ``count`` periods from ``start``, the gate at ``sign``·``amplitude`` for the first
``on_fraction`` of each period. ``pulses``: explicit gate pulses (time, signed amplitude, width).
Every trace starts from the device at rest at its time 0.

:func:`load_measurement` reads both files and raises :class:`~neuromorph.errors.ConfigError` with one
line per problem, ``file:line: column N (name): what is wrong (got …)`` for the CSV and
``file:line: field.path: …`` for the sidecar.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..errors import ConfigError
from .device_schema import Strict
from .quantities import NonNegativeQuantity, PositiveQuantity, Quantity
from .units import CONDUCTANCE, CURRENT, FREQUENCY, TIME, VOLTAGE, UnitError, parse_unit
from .yamlio import read_card, validate_card

__all__ = ["SquareWaveDrive", "GatePulseSpec", "DriveElement", "TraceSpec", "MeasurementCard", "MeasuredTrace",
           "Measurement", "load_measurement", "sidecar_path", "MIN_POINTS_PER_TRACE"]

#: a trace needs at least this many samples (a level and a change)
MIN_POINTS_PER_TRACE = 3
MAX_REPORTED = 12


class SquareWaveDrive(Strict):
    """``count`` periods of 1/frequency from ``start``; on (sign·amplitude) for on_fraction of each."""

    amplitude: PositiveQuantity(VOLTAGE)
    frequency: PositiveQuantity(FREQUENCY)
    on_fraction: float = Field(gt=0.0, le=1.0)
    count: int = Field(ge=1, le=1_000_000)
    start: NonNegativeQuantity(TIME) = 0.0
    sign: Literal[1, -1] = 1


class GatePulseSpec(Strict):
    """One gate pulse: starts at ``time``, lasts ``width``, gate at ``amplitude`` (signed) [V]."""

    time: NonNegativeQuantity(TIME)
    amplitude: Quantity(VOLTAGE)
    width: PositiveQuantity(TIME)


class DriveElement(Strict):
    """Exactly one of ``square_wave`` or ``pulses``."""

    square_wave: SquareWaveDrive | None = None
    pulses: list[GatePulseSpec] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> "DriveElement":
        given = [k for k in ("square_wave", "pulses") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"each drive element needs exactly one of square_wave, pulses; got {given or 'none'}")
        return self


class TraceSpec(Strict):
    description: str = ""
    drive: list[DriveElement] = Field(default_factory=list)


class MeasurementCard(Strict):
    kind: Literal["measurement"] = "measurement"
    description: str = ""
    read_voltage: PositiveQuantity(VOLTAGE) | None = None
    units: dict[str, str] = Field(default_factory=dict, description="units of header columns without [unit]")
    traces: dict[str, TraceSpec] = Field(min_length=1)


@dataclass(frozen=True)
class MeasuredTrace:
    """One trace: times [s], channel conductance [S] and the sidecar's drive description."""

    name: str
    time_s: np.ndarray
    conductance_s: np.ndarray
    drive: list[DriveElement]
    first_line: int  # CSV line of its first sample

    @property
    def n_points(self) -> int:
        return int(self.time_s.size)


@dataclass(frozen=True)
class Measurement:
    path: Path
    sidecar: Path
    card: MeasurementCard
    traces: list[MeasuredTrace]
    sha256: str  # of the CSV bytes
    sidecar_sha256: str
    signal: str = "conductance"  # column given in the file ("conductance" or "current")
    comments: list[str] = field(default_factory=list)

    @property
    def n_points(self) -> int:
        return sum(t.n_points for t in self.traces)


def sidecar_path(csv_path: str | Path) -> Path:
    return Path(csv_path).with_suffix(".yaml")


_HEADER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([^\]]*?)\s*\])?\s*$")
_DIMENSIONS = {"time": TIME, "conductance": CONDUCTANCE, "current": CURRENT}
_UNIT_EXAMPLES = {"time": "s", "conductance": "uS", "current": "nA"}


def _parse_header(file: str, line: int, cells: list[str], card_units: dict[str, str]) -> tuple[dict, list[str]]:
    """column name -> (index, SI scale); problems."""
    problems: list[str] = []
    columns: dict[str, tuple[int, float]] = {}
    for index, cell in enumerate(cells):
        where = f"{file}:{line}: column {index + 1} ({cell.strip()!r})"
        match = _HEADER.match(cell)
        if not match:
            problems.append(f"{where}: expected a column name such as 'time [s]', 'conductance [uS]' or 'trace'")
            continue
        name, unit = match.group(1).lower(), match.group(2)
        if name in columns:
            problems.append(f"{where}: duplicate column {name!r}")
            continue
        if name == "trace":
            if unit:
                problems.append(f"{where}: the trace column has no unit")
            columns[name] = (index, 1.0)
            continue
        if name not in _DIMENSIONS:
            problems.append(f"{where}: unknown column {name!r}; expected trace, time, and conductance or current")
            continue
        unit = unit or card_units.get(name)
        if not unit:
            problems.append(f"{where}: no unit; write '{name} [{_UNIT_EXAMPLES[name]}]' in the header or give "
                            f"units: {{{name}: {_UNIT_EXAMPLES[name]}}} in the sidecar")
            continue
        try:
            scale, dim = parse_unit(unit)
        except UnitError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if dim.exponents != _DIMENSIONS[name].exponents:
            problems.append(f"{where}: unit {unit!r} is not a {_DIMENSIONS[name].name} unit (e.g. {_UNIT_EXAMPLES[name]})")
            continue
        columns[name] = (index, scale)
    if not problems:
        if "time" not in columns:
            problems.append(f"{file}:{line}: header: no time column; expected e.g. 'trace,time [s],conductance [uS]'")
        signals = [k for k in ("conductance", "current") if k in columns]
        if len(signals) != 1:
            problems.append(f"{file}:{line}: header: expected exactly one of a conductance or a current column, "
                            f"got {signals or 'neither'}")
    return columns, problems


def load_measurement(path: str | Path) -> Measurement:
    """Read ``DATA.csv`` (or ``DATA.nc``) and its sidecar ``DATA.yaml``; see the module docstring."""
    path = Path(path)
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{file}: file not found", file=file) from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the file ({exc.strerror or exc})", file=file) from None
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        raise ConfigError(f"{file}: no sidecar {sidecar} describing the gate drive of each trace (see "
                          f"docs/fitting.md: kind: measurement, traces: {{name: {{drive: [...]}}}})", file=file)
    source = read_card(sidecar)
    card = validate_card(source, MeasurementCard)
    reader = _read_netcdf if path.suffix.lower() in (".nc", ".nc4", ".netcdf") else _read_csv
    rows, signal, where, comments = reader(path, raw, card, sidecar)
    if signal == "current" and card.read_voltage is None:
        line = source.where(())
        raise ConfigError(f"{line[0]}:{line[1]}: read_voltage: required when the data give a current "
                          f"({where(None, 'current')}); e.g. read_voltage: 10 mV", file=str(sidecar))
    problems: list[str] = []
    traces = []
    for name, samples in rows.items():
        if name not in card.traces:
            problems.append(f"{where(samples[0][0], None)}: trace {name!r} has no entry in {sidecar} "
                            f"(traces: {', '.join(card.traces)}); add '{name}: {{drive: [...]}}' there")
            continue
        lines = np.array([s[0] for s in samples])
        t = np.array([s[1] for s in samples])
        y = np.array([s[2] for s in samples])
        if t[0] < 0:
            problems.append(f"{where(lines[0], 'time')}: negative time {t[0]:g} s; each trace starts at time 0 from rest")
        back = np.flatnonzero(np.diff(t) <= 0)
        if back.size:
            k = back[0] + 1
            problems.append(f"{where(lines[k], 'time')}: time is not increasing in trace {name!r} ({t[k]:g} s after "
                            f"{t[k - 1]:g} s {where(lines[k - 1], 'previous')}); sort the rows by time")
        if t.size < MIN_POINTS_PER_TRACE:
            problems.append(f"{where(lines[0], None)}: trace {name!r}: {t.size} point(s); a trace needs at least "
                            f"{MIN_POINTS_PER_TRACE}")
        conductance = y / card.read_voltage if signal == "current" else y
        traces.append(MeasuredTrace(name, t, conductance, list(card.traces[name].drive), int(lines[0])))
    for name in card.traces:
        if name not in rows:
            line = source.where(("traces", name))
            problems.append(f"{line[0]}:{line[1]}: traces.{name}: no rows of this trace in {file}")
    if problems:
        raise ConfigError(problems, file=file)
    order = {name: i for i, name in enumerate(card.traces)}
    traces.sort(key=lambda tr: order[tr.name])
    return Measurement(path, sidecar, card, traces, hashlib.sha256(raw).hexdigest(),
                       hashlib.sha256(sidecar.read_bytes()).hexdigest(), signal, comments)


def _read_csv(path: Path, raw: bytes, card: MeasurementCard, sidecar: Path):
    """Rows per trace [(line, time_s, signal_si)], the signal column, a locator for messages, comments."""
    file = str(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8", file=file) from None
    problems: list[str] = []
    comments: list[str] = []
    columns: dict[str, tuple[int, float]] | None = None
    header_line = 0
    rows: dict[str, list[tuple[int, float, float]]] = {}
    n_header = 0
    for line_no, cells in _rows(text):
        if cells is None:
            continue
        if isinstance(cells, str):
            comments.append(cells)
            continue
        if columns is None:
            header_line = line_no
            n_header = len(cells)
            columns, header_problems = _parse_header(file, line_no, cells, card.units)
            if header_problems:
                raise ConfigError(header_problems, file=file, line=line_no)
            if "trace" not in columns and len(card.traces) != 1:
                raise ConfigError(f"{file}:{line_no}: header: no trace column, but {sidecar} describes "
                                  f"{len(card.traces)} traces; add a 'trace' column naming each row's trace",
                                  file=file, line=line_no)
            continue
        if len(cells) != n_header:
            problems.append(f"{file}:{line_no}: expected {n_header} comma-separated fields (as in the header on line "
                            f"{header_line}), got {len(cells)}")
        else:
            trace = cells[columns["trace"][0]].strip() if "trace" in columns else _single_trace_name(card)
            values = []
            for name in ("time", "conductance" if "conductance" in columns else "current"):
                index, scale = columns[name]
                cell = cells[index].strip()
                where = f"{file}:{line_no}: column {index + 1} ({name})"
                try:
                    value = float(cell)
                except ValueError:
                    problems.append(f"{where}: expected a number, got {cell!r}")
                    continue
                if not math.isfinite(value):
                    problems.append(f"{where}: not a finite number (got {cell!r}); remove the row or the bad sample")
                    continue
                values.append(value * scale)
            if len(values) == 2:
                if not trace:
                    problems.append(f"{file}:{line_no}: column {columns['trace'][0] + 1} (trace): empty trace name; "
                                    f"expected one of: {', '.join(card.traces)}")
                else:
                    rows.setdefault(trace, []).append((line_no, values[0], values[1]))
        if len(problems) >= MAX_REPORTED:
            problems.append("... (stopped after 12 problems)")
            break
    if columns is None:
        raise ConfigError(f"{file}: no header line; expected e.g. 'trace,time [s],conductance [uS]'", file=file)
    if problems:
        raise ConfigError(problems, file=file)
    signal = "conductance" if "conductance" in columns else "current"

    def where(line, column):
        if column == "previous":
            return f"on line {line}"
        if line is None:
            return f"column {columns[column][0] + 1} of {file}"
        if column is None:
            return f"{file}:{line}"
        return f"{file}:{line}: column {columns[column][0] + 1} ({column})"

    return rows, signal, where, comments


def _read_netcdf(path: Path, raw: bytes, card: MeasurementCard, sidecar: Path):
    """The same from a netCDF file: 1-D variables over one dimension (samples) — ``time``,
    ``conductance`` or ``current`` with a ``units`` attribute, and ``trace`` (strings) when the
    sidecar names several traces. Messages name the variable and the 1-based sample index."""
    import xarray as xr

    file = str(path)
    try:
        ds = xr.open_dataset(path, engine="h5netcdf")
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        raise ConfigError(f"{file}: not a readable netCDF file ({exc})", file=file) from None
    with ds:
        problems: list[str] = []
        signals = [k for k in ("conductance", "current") if k in ds.variables]
        if "time" not in ds.variables or len(signals) != 1:
            raise ConfigError(f"{file}: expected variables time and exactly one of conductance or current "
                              f"(found: {', '.join(map(str, ds.variables))})", file=file)
        signal = signals[0]
        data = {}
        for name in ("time", signal):
            var = ds[name]
            unit = var.attrs.get("units") or card.units.get(name)
            if var.ndim != 1:
                problems.append(f"{file}: variable {name}: expected one dimension (samples), got {var.dims}")
                continue
            if not unit:
                problems.append(f"{file}: variable {name}: no units attribute; set units = '{_UNIT_EXAMPLES[name]}' "
                                f"or give units: {{{name}: {_UNIT_EXAMPLES[name]}}} in the sidecar")
                continue
            try:
                scale, dim = parse_unit(str(unit))
            except UnitError as exc:
                problems.append(f"{file}: variable {name}: {exc}")
                continue
            if dim.exponents != _DIMENSIONS[name].exponents:
                problems.append(f"{file}: variable {name}: unit {unit!r} is not a {_DIMENSIONS[name].name} unit")
                continue
            values = np.asarray(var.values, dtype=float) * scale
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                problems.append(f"{file}: variable {name}, sample {bad[0] + 1}: not a finite number "
                                f"(got {var.values[bad[0]]!r}; {bad.size} such samples)")
            data[name] = values
        if problems:
            raise ConfigError(problems, file=file)
        if data["time"].size != data[signal].size:
            raise ConfigError(f"{file}: time and {signal} have different lengths", file=file)
        if "trace" in ds.variables:
            names = [str(v.decode() if isinstance(v, bytes) else v) for v in ds["trace"].values]
        elif len(card.traces) == 1:
            names = [_single_trace_name(card)] * data["time"].size
        else:
            raise ConfigError(f"{file}: no trace variable, but {sidecar} describes {len(card.traces)} traces", file=file)
        comments = [str(ds.attrs[k]) for k in ("title", "source", "comment") if k in ds.attrs]
    rows: dict[str, list[tuple[int, float, float]]] = {}
    for k, (name, t, y) in enumerate(zip(names, data["time"], data[signal]), start=1):
        rows.setdefault(name, []).append((k, float(t), float(y)))

    def where(sample, variable):
        if variable == "previous":
            return f"at sample {sample}"
        if sample is None:
            return f"variable {variable} of {file}"
        return f"{file}: sample {sample}" + (f", variable {variable}" if variable else "")

    return rows, signal, where, comments


def _single_trace_name(card: MeasurementCard) -> str:
    return next(iter(card.traces)) if len(card.traces) == 1 else ""


def _rows(text: str):
    """(line number, cells) per data line; a comment line gives its text, a blank line None."""
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            yield line_no, None
        elif stripped.startswith("#"):
            yield line_no, stripped.lstrip("#").strip()
        else:
            yield line_no, next(csv.reader([line]))
