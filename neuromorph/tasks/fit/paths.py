"""Dotted paths into a device card (the sweep engine's paths): ``diffusion_coefficient``,
``gate.injection_conductance``, ``capacity.capacitance.0``, ``diffusion_length.first``.

The semantics are those of :mod:`neuromorph.sweep.grid` (which sits above this layer and so cannot
be imported here): a path names a field of the card's schema; list entries are addressed by index;
a per-compartment series given as ``{first, ratio}`` is addressed by ``.first`` / ``.ratio``. A fit
needs one number per path, so a path must end at a single number.
"""

from __future__ import annotations

import copy
from typing import Any

from ...config.device_schema import DeviceCard
from ...config.quantities import Series
from ...config.yamlio import model_candidates, model_for

__all__ = ["path_parts", "path_problem", "value_at", "with_value"]


def path_parts(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def path_problem(data: dict, path: str) -> str | None:
    """Why ``path`` cannot be fitted in this card's (merged) data, or None."""
    model = model_for(DeviceCard, data)
    if model is None:
        return "the base card has no valid kind"
    node: Any = data
    walked: list[str] = []
    for part in path_parts(path):
        if model is not None:
            if not isinstance(part, str) or part not in model.model_fields:
                where = f" of {'.'.join(walked)}" if walked else f" of a {data.get('kind')} card"
                return f"unknown field {part!r}{where}; expected one of: {', '.join(sorted(model.model_fields))}"
            annotation = model.model_fields[part].annotation
            node = node.get(part) if isinstance(node, dict) else None
            model = model_for(annotation, node) if model_candidates(annotation) else None
            if model is not None and node is None:
                return f"{'.'.join(walked + [part])} is not set in the card; set it there first"
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            shown = ".".join(walked)
            return f"{shown} has no entry {part!r} in the card (it is {node!r})"
        walked.append(str(part))
    shown = ".".join(walked)
    if model is not None:
        return f"{shown} is a section, not a number; fit one of its fields ({', '.join(sorted(model.model_fields))})"
    if isinstance(node, list):
        return (f"{shown} is a list of {len(node)} values; fit one entry ({shown}.0 … {shown}.{len(node) - 1}) or "
                f"write it as {{first, ratio}} in the card and fit {shown}.first / {shown}.ratio")
    if isinstance(node, dict):
        return f"{shown} is a mapping; fit one of its entries ({', '.join(f'{shown}.{k}' for k in node)})"
    if isinstance(node, bool) or node is None:
        return f"{shown} is {node!r}, not a number"
    return None


def value_at(card: Any, path: str) -> float:
    """The SI value at ``path`` of a validated card (series of one value count as that value)."""
    node: Any = card
    for part in path_parts(path):
        if isinstance(node, Series):
            if isinstance(part, int):
                node = node.values[part]
            else:
                node = getattr(node, part)
        elif isinstance(part, int):
            node = node[part]
        else:
            node = getattr(node, part)
    if isinstance(node, Series):
        if node.values is None or len(node.values) != 1:
            raise ValueError(f"{path} is a series, not one number")
        node = node.values[0]
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise ValueError(f"{path} is {node!r}, not a number")
    return float(node)


def with_value(data: dict, path: str, value: Any) -> dict:
    """A deep copy of ``data`` with ``value`` at ``path`` (as :func:`neuromorph.sweep.grid.apply_override`)."""
    out = copy.deepcopy(data)
    node: Any = out
    parts = path_parts(path)
    for part in parts[:-1]:
        if isinstance(node, dict):
            if not isinstance(node.get(part), (dict, list)):
                node[part] = {}
            node = node[part]
        else:
            node = node[part]
    node[parts[-1]] = value
    return out
