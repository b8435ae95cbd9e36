"""Physical quantities written as strings in YAML cards: ``"2 um"``, ``"1e-10 m^2/s"``, ``"50 nF"``.

Everything inside neuromorph is SI. A card may give a bare number (taken as SI) or a string
``"<number> <unit expression>"``. A unit expression is a product of unit symbols, each with an
optional SI prefix and an optional integer exponent (``^2``, ``**2`` or a trailing digit as in
``um2``), joined by ``*``, ``·``, spaces or ``/`` (everything after ``/`` is in the
denominator, so ``m^2/V/s`` reads as m² V⁻¹ s⁻¹).

Dimensions are checked: a diffusion coefficient given in ``"2 um"`` is refused with a message
naming the expected dimension. Exact symbols win over prefix+symbol, so ``m`` is metre,
``min`` minute, ``mol`` mole, ``M`` molar, while ``mm``, ``ms``, ``MS`` are prefixed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import InvalidParameterError

__all__ = [
    "Dimension",
    "UnitError",
    "parse_quantity",
    "parse_unit",
    "format_quantity",
    "unit_symbol",
    "DIMENSIONLESS",
    "LENGTH",
    "AREA",
    "VOLUME",
    "TIME",
    "FREQUENCY",
    "DIFFUSIVITY",
    "CAPACITANCE",
    "CONDUCTANCE",
    "RESISTANCE",
    "VOLTAGE",
    "CURRENT",
    "CHARGE",
    "VOLUMETRIC_CAPACITANCE",
    "CONCENTRATION",
]

_BASE = ("m", "kg", "s", "A", "mol")


@dataclass(frozen=True)
class Dimension:
    """Exponents of the SI base units (m, kg, s, A, mol)."""

    exponents: tuple[int, int, int, int, int]
    name: str = ""

    def __mul__(self, other: "Dimension") -> "Dimension":
        return Dimension(tuple(a + b for a, b in zip(self.exponents, other.exponents)))

    def __pow__(self, power: int) -> "Dimension":
        return Dimension(tuple(a * power for a in self.exponents))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dimension) and self.exponents == other.exponents

    def __hash__(self) -> int:
        return hash(self.exponents)

    def si_symbol(self) -> str:
        """The SI base-unit form, e.g. ``m^2 s^-1``."""
        parts = []
        for sym, exp in zip(_BASE, self.exponents):
            if exp == 1:
                parts.append(sym)
            elif exp:
                parts.append(f"{sym}^{exp}")
        return " ".join(parts) or "1"

    def describe(self) -> str:
        label = self.name or _NAMES.get(self.exponents, "")
        return f"{label} [{self.si_symbol()}]" if label else f"[{self.si_symbol()}]"


def _dim(m=0, kg=0, s=0, a=0, mol=0, name="") -> Dimension:
    return Dimension((m, kg, s, a, mol), name)


DIMENSIONLESS = _dim(name="dimensionless")
LENGTH = _dim(m=1, name="length")
AREA = _dim(m=2, name="area")
VOLUME = _dim(m=3, name="volume")
TIME = _dim(s=1, name="time")
FREQUENCY = _dim(s=-1, name="frequency")
DIFFUSIVITY = _dim(m=2, s=-1, name="diffusion coefficient")
CURRENT = _dim(a=1, name="current")
CHARGE = _dim(s=1, a=1, name="charge")
VOLTAGE = _dim(m=2, kg=1, s=-3, a=-1, name="voltage")
CAPACITANCE = _dim(m=-2, kg=-1, s=4, a=2, name="capacitance")
CONDUCTANCE = _dim(m=-2, kg=-1, s=3, a=2, name="conductance")
RESISTANCE = _dim(m=2, kg=1, s=-3, a=-2, name="resistance")
VOLUMETRIC_CAPACITANCE = _dim(m=-5, kg=-1, s=4, a=2, name="volumetric capacitance")
CONCENTRATION = _dim(m=-3, mol=1, name="concentration")

_NAMES = {
    d.exponents: d.name
    for d in (
        DIMENSIONLESS, LENGTH, AREA, VOLUME, TIME, FREQUENCY, DIFFUSIVITY, CURRENT, CHARGE,
        VOLTAGE, CAPACITANCE, CONDUCTANCE, RESISTANCE, VOLUMETRIC_CAPACITANCE, CONCENTRATION,
    )
}

# symbol -> (SI scale, dimension)
_UNITS: dict[str, tuple[float, Dimension]] = {
    "m": (1.0, LENGTH),
    "g": (1e-3, _dim(kg=1)),
    "s": (1.0, TIME),
    "A": (1.0, CURRENT),
    "mol": (1.0, _dim(mol=1)),
    "L": (1e-3, VOLUME),
    "l": (1e-3, VOLUME),
    "M": (1e3, CONCENTRATION),  # molar, mol/L
    "min": (60.0, TIME),
    "h": (3600.0, TIME),
    "hr": (3600.0, TIME),
    "day": (86400.0, TIME),
    "d": (86400.0, TIME),
    "yr": (3.15576e7, TIME),  # Julian year
    "Hz": (1.0, FREQUENCY),
    "V": (1.0, VOLTAGE),
    "F": (1.0, CAPACITANCE),
    "S": (1.0, CONDUCTANCE),
    "C": (1.0, CHARGE),
    "Ohm": (1.0, RESISTANCE),
    "ohm": (1.0, RESISTANCE),
    "Ω": (1.0, RESISTANCE),
    "W": (1.0, _dim(m=2, kg=1, s=-3)),
    "J": (1.0, _dim(m=2, kg=1, s=-2)),
}

_PREFIXES = {
    "y": 1e-24, "z": 1e-21, "a": 1e-18, "f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6,
    "µ": 1e-6, "μ": 1e-6, "m": 1e-3, "c": 1e-2, "d": 1e-1, "k": 1e3, "M": 1e6, "G": 1e9,
    "T": 1e12,
}

_UNPREFIXABLE = frozenset({"min", "h", "hr", "day", "d", "yr", "M"})
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_FACTOR = re.compile(r"^([A-Za-zµμΩ]+?)(?:(?:\^|\*\*)?([-+]?\d+))?$")


class UnitError(InvalidParameterError):
    """A quantity string that cannot be read, or that has the wrong dimension."""


def _symbol(token: str) -> tuple[float, Dimension]:
    if token in _UNITS:
        return _UNITS[token]
    prefix, rest = token[:1], token[1:]
    if prefix in _PREFIXES and rest in _UNITS and rest not in _UNPREFIXABLE:
        scale, dim = _UNITS[rest]
        return _PREFIXES[prefix] * scale, dim
    raise UnitError(f"unknown unit {token!r}")


def parse_unit(expression: str) -> tuple[float, Dimension]:
    """Return (SI scale, dimension) of a unit expression such as ``"m^2/s"`` or ``"F/cm^3"``."""
    expr = expression.strip()
    if not expr:
        return 1.0, DIMENSIONLESS
    scale, dim = 1.0, DIMENSIONLESS
    for side, chunk in enumerate(expr.split("/")):
        if not chunk.strip():
            raise UnitError(f"malformed unit expression {expression!r}")
        # each '/' puts only what follows it (up to the next '/') in the denominator
        sign = -1 if side > 0 else 1
        for token in re.split(r"[\s*·]+", chunk.replace("**", "^").strip()):
            if not token:
                continue
            match = _FACTOR.match(token)
            if not match:
                raise UnitError(f"cannot read unit {token!r} in {expression!r}")
            sym, exp = match.group(1), int(match.group(2) or 1)
            s, d = _symbol(sym)
            scale *= s ** (sign * exp)
            dim = dim * d ** (sign * exp)
    return scale, dim


def parse_quantity(value: str | float | int, expected: Dimension) -> float:
    """Parse ``value`` into an SI float with dimension ``expected``.

    Bare numbers are SI. Strings are ``"<number> [unit]"``; a string without a unit is accepted
    only for dimensionless quantities or as SI (``"2e-6"``).
    """
    if isinstance(value, bool):
        raise UnitError(f"expected a {expected.describe()} quantity, got a boolean")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        match = _NUMBER.match(value)
        if not match:
            raise UnitError(
                f"cannot read {value!r} as a quantity: expected '<number> <unit>', e.g. "
                f"'{_example(expected)}'"
            )
        number, unit = float(match.group(1)), match.group(2)
        scale, dim = parse_unit(unit)
        if unit and dim != expected:
            raise UnitError(
                f"{value!r} has dimension {dim.describe()}, expected {expected.describe()}, "
                f"e.g. '{_example(expected)}'"
            )
        result = number * scale
    else:
        raise UnitError(f"expected a number or a '<number> <unit>' string, got {type(value).__name__}")
    if not math.isfinite(result):
        raise UnitError(f"{value!r} is not a finite number")
    return result


_EXAMPLES = {
    LENGTH: "2 um", AREA: "1 um^2", VOLUME: "2 um^3", TIME: "1 ms", FREQUENCY: "10 Hz",
    DIFFUSIVITY: "1e-10 m^2/s", CAPACITANCE: "50 nF", CONDUCTANCE: "1 uS", RESISTANCE: "10 Ohm",
    VOLTAGE: "1 V", CURRENT: "1 nA", CHARGE: "1 pC", VOLUMETRIC_CAPACITANCE: "40 F/cm^3",
    DIMENSIONLESS: "0.5",
}


def _example(dim: Dimension) -> str:
    return _EXAMPLES.get(dim, f"1 {dim.si_symbol()}")


_DISPLAY = {
    LENGTH: "m", AREA: "m^2", VOLUME: "m^3", TIME: "s", DIFFUSIVITY: "m^2/s", CAPACITANCE: "F",
    CONDUCTANCE: "S", VOLTAGE: "V", RESISTANCE: "Ohm", CURRENT: "A", CHARGE: "C",
    FREQUENCY: "Hz", VOLUMETRIC_CAPACITANCE: "F/m^3", CONCENTRATION: "mol/m^3", DIMENSIONLESS: "",
}


def unit_symbol(dimension: Dimension) -> str:
    """The SI unit a user reads for this dimension (``F`` rather than ``m^-2 kg^-1 s^4 A^2``)."""
    return _DISPLAY.get(dimension, dimension.si_symbol())


def format_quantity(value_si: float, dimension: Dimension, digits: int = 4) -> str:
    """SI value with its unit symbol, e.g. ``format_quantity(2e-6, LENGTH) == '2e-06 m'``."""
    unit = unit_symbol(dimension)
    return f"{value_si:.{digits}g} {unit}".strip()
