"""Skip (never silently pass) SPICE tests when ngspice is not installed.

Tests that run ngspice carry ``@pytest.mark.spice`` (or request the
``ngspice_exe`` fixture).  Without the executable they are reported as
skipped with an install hint (shown by ``pytest -ra``).  Set
``NEUROMORPH_REQUIRE_NGSPICE=1`` (e.g. in CI) to turn the skip into a failure.
"""

import os

import pytest

from neuromorph.spice.ngspice import find_ngspice

NGSPICE_MISSING = "ngspice not found: install it with `apt-get install ngspice`"


def _missing_action():
    if os.environ.get("NEUROMORPH_REQUIRE_NGSPICE", "") not in ("", "0"):
        pytest.fail(NGSPICE_MISSING + " (NEUROMORPH_REQUIRE_NGSPICE is set)", pytrace=False)
    pytest.skip(NGSPICE_MISSING)


def pytest_runtest_setup(item):
    if item.get_closest_marker("spice") is not None and find_ngspice() is None:
        _missing_action()


@pytest.fixture(scope="session")
def ngspice_exe():
    """Path of the ngspice executable; skips the test when it is absent."""
    exe = find_ngspice()
    if exe is None:
        _missing_action()
    return exe
