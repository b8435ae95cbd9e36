"""Quantity strings with units → SI floats, with dimension checking."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuromorph.config.units import (
    AREA,
    CAPACITANCE,
    CONDUCTANCE,
    DIFFUSIVITY,
    LENGTH,
    RESISTANCE,
    TIME,
    VOLUME,
    VOLUMETRIC_CAPACITANCE,
    UnitError,
    parse_quantity,
)


@pytest.mark.parametrize(
    "text, dim, expected",
    [
        ("2 um", LENGTH, 2e-6),
        ("2um", LENGTH, 2e-6),
        ("1e-10 m^2/s", DIFFUSIVITY, 1e-10),
        ("1 cm**2/s", DIFFUSIVITY, 1e-4),
        ("50 nF", CAPACITANCE, 50e-9),
        ("1 uS", CONDUCTANCE, 1e-6),
        ("10 kOhm", RESISTANCE, 1e4),
        ("1 um^2", AREA, 1e-12),
        ("2 um3", VOLUME, 2e-18),
        ("40 F/cm^3", VOLUMETRIC_CAPACITANCE, 4e7),
        ("3 ms", TIME, 3e-3),
        ("2 h", TIME, 7200.0),
        ("1 min", TIME, 60.0),
        ("1 fL", VOLUME, 1e-18),
        (2.5e-6, LENGTH, 2.5e-6),  # bare numbers are SI
        ("2.5e-6", LENGTH, 2.5e-6),
    ],
)
def test_quantities_parse_to_si(text, dim, expected):
    assert math.isclose(parse_quantity(text, dim), expected, rel_tol=1e-12)


@pytest.mark.parametrize(
    "text, dim, fragment",
    [
        ("2 um", DIFFUSIVITY, "expected diffusion coefficient"),
        ("5 furlong", LENGTH, "unknown unit 'furlong'"),
        ("fast", TIME, "cannot read 'fast'"),
        ("1 m^2/", AREA, "malformed"),
        (True, LENGTH, "boolean"),
        ("inf m", LENGTH, "cannot read"),
    ],
)
def test_bad_quantities_are_refused_with_a_reason(text, dim, fragment):
    with pytest.raises(UnitError, match=fragment):
        parse_quantity(text, dim)


@given(value=st.floats(min_value=1e-6, max_value=1e6), prefix=st.sampled_from(
    [("p", 1e-12), ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("", 1.0), ("k", 1e3), ("M", 1e6)]))
def test_prefixes_scale_exactly(value, prefix):
    symbol, scale = prefix
    parsed = parse_quantity(f"{value!r} {symbol}F", CAPACITANCE)
    assert math.isclose(parsed, value * scale, rel_tol=1e-12)
