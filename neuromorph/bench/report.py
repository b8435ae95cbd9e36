"""What every ``neuromorph bench`` case records beside its figures, and how it is written.

A benchmark number means little without the machine, the library versions, the threads it ran
on and the baseline it was measured against. Every case therefore builds a *payload* — its sizes
(``config``), its raw results and a list of **figures** (:func:`figure`: a measured value, the
baseline measured in the same run, and their ratio) — and hands it to :func:`emit`, which adds

* ``machine``: platform, CPU model (``/proc/cpuinfo``), logical CPUs, the CPUs this process may
  run on (affinity), total and available memory, 1/5/15-minute load averages;
* ``versions``: Python, NumPy, numba, SciPy, neuromorph and each BLAS/OpenMP library that
  ``threadpoolctl`` finds (name, version, threads);
* ``threads``: the thread policy in force (:func:`thread_policy`);
* ``time_utc`` and ``command`` (the parsed options, and the process's ``argv``).

Adopting the harness in a case (``neuromorph/bench/<case>.py``)::

    from .report import emit, figure

    def run(args) -> int:
        ...                                    # measure
        figures = [figure("mvm 64", t_mvm, "s/vector", "numpy G^T v", t_blas)]
        if emit(args, "crossbar", {"config": {...}, "results": {...}, "figures": figures}):
            return 0                           # bare --json: the JSON went to stdout, no table
        ...                                    # print the table (and return 0)

``--json [FILE]`` is added by :mod:`neuromorph.cli.bench` for every case (a case does not add
it): bare ``--json`` prints the JSON to stdout instead of the table, ``--json FILE`` prints the
table and writes FILE atomically (:mod:`neuromorph.outputs`); FILE's directory is checked before
the benchmark starts.

Ratios: :func:`figure` defines ``ratio`` so that **> 1 always means better than the baseline**:
``baseline / value`` for figures where lower is better (seconds), ``value / baseline`` where
higher is better (throughput, accuracy-free rates).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import platform
import sys
from collections.abc import Iterator

from ..outputs import dumps_strict, write_json

__all__ = ["STDOUT", "figure", "machine_info", "versions", "thread_policy", "threads_line", "emit",
           "figure_table", "RATIO_DEFINITION"]

#: the value ``--json`` takes when given without a file: print the JSON to stdout
STDOUT = "-"

RATIO_DEFINITION = ("ratio > 1 means better than the baseline: baseline/value where lower is better "
                    "(times), value/baseline where higher is better (rates)")


def figure(name: str, value: float, unit: str, baseline: str | None = None, baseline_value: float | None = None,
           *, lower_is_better: bool = True, note: str | None = None) -> dict:
    """One reported figure: ``value`` (in ``unit``) of ``name`` against ``baseline`` (a label)
    measured in the same run as ``baseline_value`` (same unit), with ``ratio`` (> 1 = better
    than the baseline, see :data:`RATIO_DEFINITION`); without a baseline the ratio is None."""
    ratio = None
    if baseline_value is not None and value is not None:
        num, den = (baseline_value, value) if lower_is_better else (value, baseline_value)
        ratio = float(num) / float(den) if den else float("inf")
    out = {"name": name, "value": None if value is None else float(value), "unit": unit, "baseline": baseline,
           "baseline_value": None if baseline_value is None else float(baseline_value), "ratio": ratio,
           "better": "lower" if lower_is_better else "higher"}
    if note:
        out["note"] = note
    return out


def figure_table(figures: list[dict]) -> str:
    """The figures as a fixed-width text table (name, value, baseline, ratio)."""
    lines = [f"{'figure':<30} {'value':>12} {'unit':<10} {'baseline':<26} {'baseline value':>14} {'ratio':>9}"]
    for f in figures:
        base = "-" if f["baseline_value"] is None else f"{f['baseline_value']:.4g}"
        ratio = "-" if f["ratio"] is None else f"{f['ratio']:.3g}x"
        value = "-" if f["value"] is None else f"{f['value']:.4g}"
        lines.append(f"{f['name']:<30} {value:>12} {f['unit']:<10} {(f['baseline'] or '-'):<26} {base:>14} "
                     f"{ratio:>9}")
    return "\n".join(lines)


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _meminfo() -> dict:
    out = {}
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key in ("MemTotal", "MemAvailable"):
                    out[key] = int(rest.split()[0]) * 1024
    except OSError:
        pass
    return {"memory_total_bytes": out.get("MemTotal"), "memory_available_bytes": out.get("MemAvailable")}


def available_cores() -> int:
    """CPUs this process may run on (its affinity mask; ``os.cpu_count()`` where unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def machine_info() -> dict:
    """Platform, CPU model, logical CPUs, affinity, memory and load averages of this machine."""
    try:
        load = list(os.getloadavg())
    except OSError:
        load = None
    return {"platform": platform.platform(), "architecture": platform.machine(), "hostname": platform.node(),
            "cpu_model": _cpu_model(), "logical_cpus": os.cpu_count(), "affinity_cpus": available_cores(),
            **_meminfo(), "load_average_1_5_15_min": load}


def _blas_info() -> list[dict]:
    from threadpoolctl import threadpool_info

    return [{"user_api": lib.get("user_api"), "internal_api": lib.get("internal_api"),
             "version": lib.get("version"), "num_threads": lib.get("num_threads"),
             "threading_layer": lib.get("threading_layer")} for lib in threadpool_info()]


def versions() -> dict:
    """Python, NumPy, numba, SciPy, neuromorph, and the thread-pool libraries threadpoolctl finds."""
    from importlib.metadata import version

    import numpy
    import scipy

    from .. import __version__ as neuromorph_version

    return {"python": platform.python_version(), "numpy": numpy.__version__, "numba": version("numba"),
            "scipy": scipy.__version__, "neuromorph": neuromorph_version, "thread_pools": _blas_info()}


# ---------------------------------------------------------------------------------------------
# thread policy

POLICY = ("numba kernels run on --threads N threads (default: every CPU this process may use); "
          "BLAS pools (threadpoolctl) are limited to --blas-threads K (default 1) for the whole "
          "case; N x K may not exceed the available CPUs, so the two pools never oversubscribe the cores")


@contextlib.contextmanager
def thread_policy(numba_threads: int | None = None, blas_threads: int = 1) -> Iterator[dict]:
    """Apply the benchmark thread policy (:data:`POLICY`) for the duration of the block and yield
    its record: numba threads, BLAS threads, available CPUs and numba's threading layer.

    ``numba_threads`` None means every available CPU. Raises ``ValueError`` when
    ``numba_threads × blas_threads`` exceeds the available CPUs (the caller names the option)."""
    from threadpoolctl import threadpool_limits

    from ..kernels import set_thread_count, thread_count

    cores = available_cores()
    n = cores if numba_threads is None else int(numba_threads)
    if n < 1 or blas_threads < 1 or n * blas_threads > cores:
        raise ValueError(f"{n} numba threads x {blas_threads} BLAS threads = {n * blas_threads} exceeds the "
                         f"{cores} CPUs this process may use")
    previous = thread_count()
    try:
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            effective = set_thread_count(n)
            yield {"policy": POLICY, "numba_threads": effective, "blas_threads": blas_threads,
                   "available_cpus": cores, "numba_threading_layer": _threading_layer()}
    finally:
        set_thread_count(previous)


def _threading_layer() -> str:
    # numba is loaded by neuromorph.kernels (the only package that imports it); only read here
    numba = sys.modules.get("numba")
    if numba is None:
        return "numba not loaded"
    try:
        return numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet: report the configured choice
        return f"not yet chosen (NUMBA_THREADING_LAYER={numba.config.THREADING_LAYER})"


def threads_line(threads: dict) -> str:
    """The table-header line naming the thread policy in force."""
    return (f"threads: numba {threads['numba_threads']} x BLAS {threads['blas_threads']} on "
            f"{threads['available_cpus']} available CPUs (policy: numba threads x BLAS threads <= CPUs; "
            f"set with --threads / --blas-threads)")


# ---------------------------------------------------------------------------------------------
# emitting


def _options(args) -> dict:
    skip = {"func", "thread_record", "output_target"}
    return {k: v for k, v in vars(args).items() if k not in skip and not k.startswith("_")}


def record(args, case: str, payload: dict) -> dict:
    """The full JSON document: case, time, command, machine, versions, threads, then ``payload``."""
    threads = dict(getattr(args, "thread_record", None) or {})
    if threads:
        threads["numba_threading_layer"] = _threading_layer()  # now that the kernels have run
    return {"case": case, "time_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "command": {"options": _options(args), "argv": list(sys.argv)}, "machine": machine_info(),
            "versions": versions(), "threads": threads, "ratio_definition": RATIO_DEFINITION, **payload}


def emit(args, case: str, payload: dict) -> bool:
    """Write the case's JSON where ``--json`` asks; True when it went to stdout (bare ``--json``:
    the caller prints no table), False otherwise (no ``--json``, or ``--json FILE``, which is
    written atomically and announced on stdout — the caller prints its table as usual)."""
    target = getattr(args, "json", None)
    if target is None or target is False:
        return False
    document = record(args, case, payload)
    if target is True or target == STDOUT:
        print(dumps_strict(document))
        return True
    path = write_json(document, target)
    print(f"wrote {path} (replaced the previous file)" if getattr(args, "_json_replaces", False) else f"wrote {path}")
    return False
