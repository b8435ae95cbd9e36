"""The kernel policy (neuromorph/kernels/_jit.py): every public kernel has a NumPy reference
``<kernel>_reference`` beside it, and some test compares the two; compile options and the
parallel/serial dispatch live in one place."""

import importlib
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest
from numba import prange

import neuromorph.kernels as kernels_pkg
from neuromorph.kernels import _jit

TESTS = Path(__file__).resolve().parents[1]
MODULES = sorted(m.name for m in pkgutil.iter_modules(kernels_pkg.__path__) if not m.name.startswith("_"))


def _is_compiled(obj) -> bool:
    """A numba dispatcher, or a population kernel (parallel + serial builds)."""
    return hasattr(obj, "py_func") and (hasattr(obj, "targetoptions") or hasattr(obj, "parallel"))


def _is_inline_helper(obj) -> bool:
    return getattr(obj, "targetoptions", {}).get("inline") == "always"


def public_kernels():
    found = []
    for name in MODULES:
        module = importlib.import_module(f"neuromorph.kernels.{name}")
        for attr in getattr(module, "__all__", []):
            if attr.endswith("_reference"):
                continue
            obj = getattr(module, attr)
            has_reference = f"{attr}_reference" in module.__all__
            if has_reference or (_is_compiled(obj) and not _is_inline_helper(obj)):
                found.append((name, attr))
    return found


KERNELS = public_kernels()
TEST_SOURCES = {p: p.read_text() for p in TESTS.rglob("test_*.py")}


def test_the_kernel_package_has_kernels():
    # the chain, crossbar and stochastic kernels at least (a guard against an empty parametrisation)
    names = {k for _, k in KERNELS}
    assert {"eigen_step", "eigen_run", "eigen_event_driven", "pulse_step", "binary_update", "cascade_update"} <= names


@pytest.mark.parametrize("module,kernel", KERNELS, ids=lambda v: str(v))
def test_every_public_kernel_has_a_numpy_reference_that_a_test_compares_it_with(module, kernel):
    mod = importlib.import_module(f"neuromorph.kernels.{module}")
    reference = f"{kernel}_reference"
    assert reference in mod.__all__ and callable(getattr(mod, reference)), \
        f"neuromorph.kernels.{module}.{kernel} has no NumPy reference {reference}"
    uses_kernel = re.compile(rf"\b{kernel}\b(?!_reference)")
    comparing = [p for p, text in TEST_SOURCES.items() if re.search(rf"\b{reference}\b", text) and uses_kernel.search(text)]
    assert comparing, f"no test calls both {kernel} and {reference}"


def _double(x, out):
    for n in prange(x.shape[0]):
        out[n] = 2.0 * x[n]


def test_population_kernels_dispatch_on_the_row_count():
    """Below PARALLEL_MIN_ROWS rows the serial build runs, from there on the parallel one; both
    builds give identical numbers (no reductions across rows)."""
    kernel = _jit.population_kernel(_double)
    x = np.arange(_jit.PARALLEL_MIN_ROWS, dtype=float)
    out_serial, out_parallel = np.empty(x.size), np.empty(x.size)
    kernel.serial(x, out_serial)
    kernel.parallel(x, out_parallel)
    np.testing.assert_array_equal(out_serial, 2.0 * x)
    np.testing.assert_array_equal(out_parallel, out_serial)
    # which build ran: a fresh kernel compiles only the build a call dispatches to
    fresh = _jit.population_kernel(_double)
    fresh(x[:-1], np.empty(x.size - 1))
    assert fresh.serial.signatures and not fresh.parallel.signatures
    fresh(x, np.empty(x.size))
    assert fresh.parallel.signatures
    assert _jit.JIT_OPTIONS["fastmath"] is False and _jit.JIT_OPTIONS["cache"] is True


def test_thread_count_is_set_and_read_in_one_place():
    before = _jit.thread_count()
    try:
        assert _jit.set_thread_count(1) == 1
        assert kernels_pkg.thread_count() == 1
    finally:
        _jit.set_thread_count(before)
