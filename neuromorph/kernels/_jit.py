"""The kernel policy, in one place: numba compile options, parallel/serial dispatch and thread
control. Every compiled kernel of :mod:`neuromorph.kernels` is built with these.

* :data:`JIT_OPTIONS` — ``cache=True`` (compiled code is kept on disk), ``fastmath=False``
  (IEEE results: kernels agree with their NumPy references to rounding), ``nogil=True``
  (kernels release the GIL, so threaded executors overlap).
* :func:`population_kernel` — a kernel over a population (first argument has one row per
  synapse/cell) is compiled twice, parallel (``prange``) and serial; calls with fewer than
  :data:`PARALLEL_MIN_ROWS` rows run the serial build (waking the thread pool costs more than it
  saves). Results never depend on the build or the thread count (no reductions across rows).
* :func:`serial_kernel` / :func:`inline_helper` — single-threaded kernels and helpers inlined
  into other kernels.
* :func:`thread_count` / :func:`set_thread_count` — numba's thread settings.
* ``OMP_WAIT_POLICY=PASSIVE`` unless the user set it: numba's OpenMP threads then sleep between
  parallel kernels instead of spinning. Spinning threads steal the cores from BLAS, from the
  Python thread that prepares the next kernel and from other processes; on the 2-core reference
  machine under load, training on tiles ran 2.3x faster with it (26 vs 59 ms per batch,
  784-256-256-10 BP, same run), and a parallel kernel's wake-up costs microseconds against
  kernels of milliseconds. Set ``OMP_WAIT_POLICY=ACTIVE`` to get the spinning back.

Every public kernel has a NumPy reference named ``<kernel>_reference`` beside it, and the tests
compare the two (``tests/kernels/test_kernel_policy.py`` checks that this holds).
"""

from __future__ import annotations

import os
import types

# before numba's OpenMP layer starts (at the first parallel kernel): see the module docstring
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from numba import njit  # noqa: E402

__all__ = ["JIT_OPTIONS", "PARALLEL_MIN_ROWS", "population_kernel", "serial_kernel", "inline_helper",
           "thread_count", "set_thread_count"]

JIT_OPTIONS = dict(cache=True, fastmath=False, nogil=True)

#: below this many rows the serial build runs: waking the thread pool costs more than it saves
PARALLEL_MIN_ROWS = 4096


def population_kernel(fn=None, *, reassociate: bool = False):
    """Compile ``fn`` twice — parallel over rows (``prange``) and serial — and dispatch on the
    number of rows of its first argument. ``.parallel`` and ``.serial`` expose both builds,
    ``.py_func`` the Python source.

    ``reassociate`` lets LLVM reorder floating-point sums (SIMD reductions): results change only
    at rounding level and stay deterministic (the order is fixed at compile time)."""
    if fn is None:
        return lambda f: population_kernel(f, reassociate=reassociate)
    opts = dict(JIT_OPTIONS, fastmath={"reassoc", "contract"}) if reassociate else JIT_OPTIONS
    parallel = njit(parallel=True, **opts)(fn)
    # a distinct function object (and qualname) so the two builds never share an on-disk cache entry
    serial_fn = types.FunctionType(fn.__code__, fn.__globals__, f"{fn.__name__}_serial", fn.__defaults__)
    serial_fn.__qualname__ = f"{fn.__qualname__}_serial"
    serial = njit(**opts)(serial_fn)

    def dispatch(*args):
        return (parallel if args[0].shape[0] >= PARALLEL_MIN_ROWS else serial)(*args)

    dispatch.__name__, dispatch.__qualname__, dispatch.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
    dispatch.__module__ = fn.__module__
    dispatch.parallel, dispatch.serial, dispatch.py_func = parallel, serial, fn
    return dispatch


def serial_kernel(fn):
    """A single-threaded kernel with the policy's options."""
    return njit(**JIT_OPTIONS)(fn)


def inline_helper(fn):
    """A helper inlined into the kernels that call it (numba ``inline="always"``)."""
    return njit(inline="always", cache=True)(fn)


def thread_count() -> int:
    """Number of threads the parallel kernels launched from this thread use."""
    import numba

    return numba.get_num_threads()


def set_thread_count(n: int | None) -> int:
    """Use ``n`` threads (clamped to 1..NUMBA_NUM_THREADS; None = all) in parallel kernels
    launched from the calling thread; returns the count in effect.

    Sweep workers run one point each on one core; their kernels must not each start a thread per
    core (oversubscription). ``numba.set_num_threads`` is thread-local, so the thread that then
    launches the kernels calls it. Kernel results never depend on the thread count (no reductions
    across synapses)."""
    import numba

    limit = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(limit if n is None else max(1, min(int(n), limit)))
    return numba.get_num_threads()
