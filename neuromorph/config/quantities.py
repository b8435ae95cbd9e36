"""pydantic field types for physical quantities and per-compartment series.

``Quantity(LENGTH)`` is a float field that accepts ``2e-6`` or ``"2 um"`` and stores SI.
``SeriesOf(LENGTH)`` accepts one value (the same for every element), an explicit list, or a
geometric series ``{first: "2 um", ratio: 2}``; :meth:`Series.resolve` expands it to a given
length and refuses lists of the wrong length with a message saying how many were expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, PlainValidator

from .units import Dimension, UnitError, parse_quantity, unit_symbol

__all__ = ["Quantity", "PositiveQuantity", "NonNegativeQuantity", "Series", "SeriesOf"]


def _quantity_validator(dimension: Dimension, minimum: float | None, strict: bool):
    def validate(value: Any) -> float:
        result = parse_quantity(value, dimension)
        if minimum is not None:
            unit = unit_symbol(dimension)
            if strict and not result > minimum:
                raise ValueError(f"must be > {minimum:g}{' ' + unit if unit else ''}: a "
                                 f"{dimension.name or 'quantity'} <= 0 is not physical")
            if not strict and not result >= minimum:
                raise ValueError(f"must be >= {minimum:g}{' ' + unit if unit else ''}")
        return result

    return validate


def Quantity(dimension: Dimension):  # noqa: N802 - reads like a type
    """A float field in SI units of ``dimension`` (any sign)."""
    return Annotated[float, BeforeValidator(_quantity_validator(dimension, None, False))]


def PositiveQuantity(dimension: Dimension):  # noqa: N802
    """A strictly positive float field in SI units of ``dimension``."""
    return Annotated[float, BeforeValidator(_quantity_validator(dimension, 0.0, True))]


def NonNegativeQuantity(dimension: Dimension):  # noqa: N802
    """A float field ≥ 0 in SI units of ``dimension``."""
    return Annotated[float, BeforeValidator(_quantity_validator(dimension, 0.0, False))]


@dataclass(frozen=True)
class Series:
    """A per-element parameter: constant, explicit list, or geometric ``first·ratio^(k-1)`` (SI)."""

    values: tuple[float, ...] | None = None
    first: float | None = None
    ratio: float = 1.0

    def resolve(self, count: int, what: str = "values") -> np.ndarray:
        """The ``count`` elements as an array; a wrong-length list raises ValueError."""
        if self.values is not None:
            if len(self.values) == 1:
                return np.full(count, self.values[0])
            if len(self.values) != count:
                raise ValueError(f"{what}: expected {count} entries (one per element) or a single "
                                 f"value or {{first, ratio}}, got a list of {len(self.values)}")
            return np.asarray(self.values, dtype=float)
        with np.errstate(over="ignore", under="ignore"):
            series = self.first * self.ratio ** np.arange(count, dtype=float)
        bad = np.flatnonzero(~np.isfinite(series) | ((series == 0) & (self.first != 0)))
        if bad.size:
            k = int(bad[0]) + 1
            kind = "overflows" if not np.isfinite(series[k - 1]) else "underflows to 0"
            raise ValueError(f"{what}: the geometric series {self.first:g} x {self.ratio:g}^(k-1) {kind} at "
                             f"element k = {k} of {count}; use a ratio closer to 1 or fewer elements")
        return series

    def describe(self) -> str:
        if self.values is not None:
            return ", ".join(f"{v:g}" for v in self.values)
        return f"{self.first:g} x {self.ratio:g}^(k-1)"


def _series_validator(dimension: Dimension, positive: bool, allow_zero: bool):
    check = _quantity_validator(dimension, 0.0 if positive else None, not allow_zero)

    def validate(value: Any) -> Series:
        if isinstance(value, Series):
            return value
        if isinstance(value, dict):
            unknown = set(value) - {"first", "ratio"}
            if unknown or "first" not in value:
                raise ValueError("a geometric series needs exactly {first: <value>, ratio: <number>}"
                                 f"{'; unknown keys: ' + ', '.join(map(str, sorted(unknown))) if unknown else ''}")
            ratio = value.get("ratio", 1.0)
            if isinstance(ratio, str):  # YAML 1.1 reads 1e300 (no dot) as text
                try:
                    ratio = float(ratio)
                except ValueError:
                    pass
            if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio > 0:
                raise ValueError(f"ratio must be a positive number, got {ratio!r}")
            return Series(first=check(value["first"]), ratio=float(ratio))
        if isinstance(value, list):
            if not value:
                raise ValueError("an empty list: give one value per element")
            items = []
            for index, item in enumerate(value):
                try:
                    items.append(check(item))
                except (ValueError, UnitError) as exc:
                    raise ValueError(f"entry [{index}] = {item!r}: {exc}") from None
            return Series(values=tuple(items))
        return Series(values=(check(value),))

    return validate


def SeriesOf(dimension: Dimension, positive: bool = True, allow_zero: bool = False):  # noqa: N802
    """A :class:`Series` field in SI units of ``dimension``."""
    return Annotated[Series, PlainValidator(_series_validator(dimension, positive, allow_zero))]
