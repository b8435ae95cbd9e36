"""Sweep planning: read a sweep card, expand its grid, and validate every point's device card
before any work starts.

A grid field is a dotted path into the device card (``diffusion_length``,
``gate.injection_conductance``, ``couplings.ratio``, ``capacity.volume.first``); list items are
addressed by index (``capacities.2``). For each point the override is applied to the device
card's raw data (after ``base:`` merging) and the result is validated by the device schema and
built into a device, so a typo, an empty grid, or a value that makes the device unphysical is
refused up front with one message per problem, naming the sweep card line, the point and the
field.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config.device_schema import DeviceCard
from ..config.quantities import Series
from ..config.sweep_schema import SweepCard
from ..config.units import UnitError, parse_unit
from ..config.yamlio import CardSource, ConfigError, model_candidates, model_for, read_card, validate_card
from ..devices.loader import build_device

__all__ = ["SweepPoint", "SweepPlan", "plan_sweep", "apply_override", "point_device", "coordinate_name",
           "MAX_REPORTED_PROBLEMS", "check_path"]

MAX_REPORTED_PROBLEMS = 12


@dataclass(frozen=True)
class SweepPoint:
    index: int                      # flat index (C order over the grid, last field fastest)
    position: tuple[int, ...]       # index along each grid field
    values: dict[str, Any]          # raw values from the card, by dotted path
    device_data: dict               # the device card's data with the overrides applied

    def label(self) -> str:
        return ", ".join(f"{k}={_show(v)}" for k, v in self.values.items())


@dataclass
class SweepPlan:
    """Everything needed to run and assemble a sweep; built by :func:`plan_sweep`."""

    path: Path
    card: SweepCard
    source: CardSource
    device_path: Path
    device_source: CardSource
    fields: list[str]
    values: list[list[Any]]
    coords: dict[str, np.ndarray]   # numeric (SI) coordinate per field, or strings
    units: dict[str, str]
    points: list[SweepPoint]
    ages: np.ndarray
    max_variables: int
    seed: int
    fingerprint: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.values)

    @property
    def name(self) -> str:
        return self.card.name or self.path.stem


def coordinate_name(path: str) -> str:
    """A netCDF-friendly name for a dotted path (``couplings.ratio`` → ``couplings_ratio``)."""
    return path.replace(".", "_")


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _parts(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def check_path(device_data: dict, path: str) -> str | None:
    """Why ``path`` cannot be a field of this device card (None if it can)."""
    model = model_for(DeviceCard, device_data)
    if model is None:
        return "the device card has no valid kind"
    node: Any = device_data
    walked: list[str] = []
    for part in _parts(path):
        if model is not None:
            if not isinstance(part, str) or part not in model.model_fields:
                allowed = ", ".join(sorted(model.model_fields))
                where = f" of {'.'.join(walked)}" if walked else f" of a {device_data.get('kind')} card"
                return f"unknown field {part!r}{where}; expected one of: {allowed}"
            annotation = model.model_fields[part].annotation
            node = node.get(part) if isinstance(node, dict) else None
            model = model_for(annotation, node) if model_candidates(annotation) else None
        else:
            # below a plain value (a number, a series given as {first, ratio}, a list)
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            elif isinstance(node, dict) and part in ("first", "ratio"):
                node = None
            else:
                shown = ".".join(walked)
                kind = type(node).__name__ if node is not None else "not set in the card"
                return (f"{shown} is a value ({kind}), not a mapping with {part!r}; "
                        f"sweep {shown} itself")
        walked.append(str(part))
    return None


def apply_override(data: dict, path: str, value: Any) -> dict:
    """A deep copy of ``data`` with ``value`` at the dotted ``path`` (intermediate mappings are
    created when missing, e.g. ``variation.capacity`` on a card without ``variation``)."""
    out = copy.deepcopy(data)
    node: Any = out
    parts = _parts(path)
    for part in parts[:-1]:
        if isinstance(node, dict):
            if not isinstance(node.get(part), (dict, list)):
                node[part] = {}
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            raise KeyError(path)
    last = parts[-1]
    if isinstance(node, list):
        if not (isinstance(last, int) and 0 <= last < len(node)):
            raise KeyError(path)
    node[last] = copy.deepcopy(value)
    return out


def point_device(device_data: dict, name: str, context: str = "", source_path: str | Path = "<sweep point>",
                 lines: dict | None = None):
    """Validate a (modified) device card's data and build the device."""
    source = CardSource(path=Path(source_path), data=device_data, lines=lines or {})
    card = validate_card(source, DeviceCard, context=context)
    try:
        return card, build_device(card, name)
    except ValueError as exc:
        file, line = source.where(())
        raise ConfigError([f"{file}:{line}: {context}{exc}"]) from None


def _value_at(model: Any, path: str) -> Any:
    node = model
    for part in _parts(path):
        if isinstance(part, int):
            if isinstance(node, Series) and node.values is not None:
                node = node.values[part]
            else:
                node = node[part]
        else:
            node = getattr(node, part)
    return node


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float, np.floating, np.integer)):
        return float(value)
    if isinstance(value, Series):
        if value.values is not None and len(value.values) == 1:
            return float(value.values[0])
        return None
    return None


def _unit_of(raw_values: list[Any]) -> str:
    for raw in raw_values:
        if isinstance(raw, str):
            text = raw.strip().split(None, 1)
            if len(text) == 2:
                try:
                    _, dim = parse_unit(text[1])
                except UnitError:
                    continue
                return dim.si_symbol()
    return ""


def _fingerprint(sweep_data: dict, device_data: dict, seed: int) -> str:
    """Identity of a sweep's results: the sweep card, the (merged) device card and the seed."""
    blob = json.dumps({"sweep": sweep_data, "device": device_data, "seed": seed, "format": 1},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def plan_sweep(path: str | Path, seed: int | None = None, source: CardSource | None = None) -> SweepPlan:
    """Read and check a sweep card and every grid point; raise :class:`ConfigError` listing the
    problems (each naming the sweep card line, the point and the field) before any work.
    ``source`` is the card's already read data (cards built from Python dicts, :mod:`neuromorph.api`)."""
    path = Path(path)
    source = read_card(path) if source is None else source
    grid = source.data.get("grid")
    if isinstance(grid, dict):  # name the line of an empty list before schema validation
        empty = [k for k, v in grid.items() if isinstance(v, list) and not v]
        if empty:
            raise ConfigError([f"{source.where(('grid', k))[0]}:{source.where(('grid', k))[1]}: grid.{k}: empty list "
                               f"of values; give at least one" for k in empty])
    card = validate_card(source, SweepCard)
    seed = card.seed if seed is None else int(seed)
    sweep_file = str(path)
    device_path = (path.parent / card.device)
    line = source.lines.get(("device",), (sweep_file, 1))[1]
    if not device_path.exists():
        raise ConfigError([f"{sweep_file}:{line}: device: file {device_path} not found (paths are relative to "
                           f"the sweep card)"])
    device_source = read_card(device_path)
    base_card = validate_card(device_source, DeviceCard)  # the unmodified card must be valid itself
    build_device(base_card, device_path.stem)
    fields = list(card.grid)
    values = [card.grid[f] for f in fields]
    problems: list[str] = []
    for f in fields:
        why = check_path(device_source.data, f)
        if why:
            file, ln = source.where(("grid", f))
            problems.append(f"{file}:{ln}: grid.{f}: {why}")
    if problems:
        raise ConfigError(problems)
    points: list[SweepPoint] = []
    validated: list[Any] = []
    timescales: list[tuple[float, float]] = []
    max_m = 1
    n_problems = 0
    for index, position in enumerate(itertools.product(*[range(len(v)) for v in values])):
        chosen = {f: values[i][position[i]] for i, f in enumerate(fields)}
        data = device_source.data
        for f, v in chosen.items():
            data = apply_override(data, f, v)
        point = SweepPoint(index, tuple(position), chosen, data)
        label = point.label()
        lines = dict(device_source.lines)
        for i, f in enumerate(fields):  # errors in a swept field point at the sweep card's value
            where = source.where(("grid", f, position[i]))
            lines[tuple(_parts(f))] = where
        try:
            card_i, device = point_device(data, device_path.stem, context=f"sweep point {index} ({label}): ",
                                          source_path=device_path, lines=lines)
        except ConfigError as exc:
            n_problems += len(exc.problems)
            problems.extend(exc.problems)
            if n_problems >= MAX_REPORTED_PROBLEMS:
                problems.append(f"... (stopped after {n_problems} problems)")
                break
            continue
        if card.experiment.method == "theory" and device.bounds is not None:
            file, ln = source.where(("experiment", "method"))
            stated = (source.data.get("experiment") or {}).get("method", "theory")
            problems.append(f"{file}:{ln}: sweep point {index} ({label}): experiment.method: {stated} is impossible "
                            f"for a device with bounds (nonlinear: no mean field); use monte_carlo or auto")
            n_problems += 1
            continue
        points.append(point)
        validated.append(card_i)
        max_m = max(max_m, device.n_variables)
        if hasattr(device, "chain"):
            tau = device.chain.timescales()
            tau = tau[np.isfinite(tau)]
            timescales.append((float(tau.min()) if tau.size else np.inf, float(tau.max()) if tau.size else np.inf))
    if problems:
        raise ConfigError(problems)
    coords: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    for i, f in enumerate(fields):
        stride_point = [p for p in range(len(points)) if all(points[p].position[j] == 0 for j in range(len(fields)) if j != i)]
        nums = [_numeric(_value_at(validated[p], f)) for p in stride_point]
        if all(v is not None for v in nums) and len(set(nums)) == len(nums):
            coords[f] = np.asarray(nums, dtype=float)
        else:
            coords[f] = np.asarray([_show(v) for v in values[i]], dtype=object).astype(str)
        units[f] = _unit_of(values[i]) if coords[f].dtype.kind == "f" else ""
    exp = card.experiment
    if exp.ages.first is not None:
        first = exp.ages.first
    else:
        fastest = min([t[0] for t in timescales] + [1.0 / exp.rate])
        first = fastest / 10.0
    if exp.ages.last is not None:
        last = exp.ages.last
    else:
        slowest = max([t[1] for t in timescales if np.isfinite(t[1])] + [10.0 / exp.rate])
        last = 10.0 * slowest
    if not last > first:
        file, ln = source.where(("experiment", "ages"))
        raise ConfigError([f"{file}:{ln}: experiment.ages: last ({last:g} s) must be after first ({first:g} s)"])
    ages = np.logspace(np.log10(first), np.log10(last), exp.ages.count)
    if exp.events == "per_step":
        ages = np.unique(np.maximum(1, np.rint(ages * exp.rate))) / exp.rate
    plan = SweepPlan(path=path, card=card, source=source, device_path=device_path, device_source=device_source,
                     fields=fields, values=values, coords=coords, units=units, points=points, ages=ages,
                     max_variables=max_m, seed=seed)
    plan.fingerprint = _fingerprint(source.data, device_source.data, seed)
    return plan

