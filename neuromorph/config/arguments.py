"""argparse ``type=`` converters for command-line numbers and quantities, so every command
refuses a bad value with the same clear message (exit 2, no traceback)."""

from __future__ import annotations

import argparse

from collections.abc import Callable

from .units import Dimension, UnitError, parse_quantity, unit_symbol

__all__ = ["positive_int", "positive_float", "positive_quantity"]


def positive_int(text: str) -> int:
    """A whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """A number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def positive_quantity(dimension: Dimension, allow_auto: bool = False) -> Callable[[str], float | None]:
    """Converter for a quantity with units (``"10 min"``, ``"0.1 Hz"``; bare numbers are SI)
    that must be > 0; with ``allow_auto`` the word ``auto`` gives None."""
    unit = unit_symbol(dimension)

    def convert(text: str) -> float | None:
        if allow_auto and text == "auto":
            return None
        try:
            value = parse_quantity(text, dimension)
        except UnitError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0 {unit}, got {text!r}")
        return value

    convert.__name__ = f"positive {dimension.name or 'quantity'}"
    return convert
