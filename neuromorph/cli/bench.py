"""``neuromorph bench CASE``: benchmarks that report ratios against baselines measured in the same run.

Each public module of :mod:`neuromorph.bench` is one case (modules whose name starts with ``_``
are helpers and peers, and :mod:`neuromorph.bench.report` is the harness); a case defines
``DESCRIPTION``, ``add_arguments(parser)`` and ``run(args) -> int`` and prints a table of figures,
each with the baseline measured in the same run and the ratio. Benchmarks are never pass/fail
tests and never part of the default test run.

Every case gets, from this module:

* ``--json [FILE]``: bare, the JSON document goes to stdout instead of the table; with FILE, the
  table is printed and FILE written atomically (machine, versions, threads, sizes, each figure
  with its baseline and ratio — :mod:`neuromorph.bench.report`). FILE's directory is checked
  before the benchmark starts (exit 2 naming ``--json``).
* the thread policy (:data:`neuromorph.bench.report.POLICY`): ``--threads N`` numba threads
  (default every CPU this process may use) and ``--blas-threads K`` BLAS/OpenMP threads
  (default 1), N × K <= the available CPUs, applied for the whole case, printed in the table
  header and recorded in the JSON;
* before any array is allocated: the files the case will write (optional ``outputs(args)`` →
  default prefix and suffixes; ``-o`` resolved by the common output policy, handed over as
  ``args.output_target``), the case's own ``check(args)`` (optional; e.g. ``bench step --peer
  brian2`` without Brian2) and the memory check of :data:`MEMORY_ESTIMATES`
  (``args.memory_limit_bytes`` carries the available memory to the case).
"""

from __future__ import annotations

import importlib
import pkgutil

from .. import bench as bench_pkg
from ..bench import report
from ..errors import InvalidParameterError
from ._options import (available_memory_bytes, bounded_int, check_memory, nonnegative_float, output_file,
                       output_prefix, positive_int, seed)

#: modules of neuromorph.bench that are not cases
NOT_CASES = {"report"}


def case_modules() -> list[str]:
    """Names of the benchmark cases: the public modules of :mod:`neuromorph.bench`."""
    return sorted(info.name for info in pkgutil.iter_modules(bench_pkg.__path__)
                  if not info.name.startswith("_") and info.name not in NOT_CASES)


def register(sub) -> None:
    parser = sub.add_parser(
        "bench", help="run a benchmark case (ratios against baselines measured in the same run)",
        description=__doc__, epilog="Example: neuromorph bench step --synapses 1000000 --variables 10")
    cases = parser.add_subparsers(dest="case", metavar="CASE", required=True)
    for name in case_modules():
        module = importlib.import_module(f"{bench_pkg.__name__}.{name}")
        case = cases.add_parser(name, help=module.DESCRIPTION, description=module.DESCRIPTION,
                                epilog=getattr(module, "EXAMPLE", None))
        module.add_arguments(case)
        _common_validation(case)
        _harness_options(case)
        case.set_defaults(func=_harness(name, module))


#: a whole-number bench option above this is refused at parse time (sizes, repeats, counts)
MAX_COUNT = 10**9


def _common_validation(parser) -> None:
    """Give a bench case's plain ``int``/``float`` options the common checked types: ``--seed``
    the common seed range, other whole numbers 1 … 10⁹, other numbers finite and >= 0; the option
    name appears in every message (exit 2 at parse time)."""
    for action in parser._actions:
        if action.type is int:
            action.type = seed if "--seed" in action.option_strings else bounded_int(1, MAX_COUNT)
        elif action.type is float:
            action.type = nonnegative_float


def _harness_options(parser) -> None:
    """``--json [FILE]``, ``--threads``, ``--blas-threads`` for every case. A case that still adds
    its own ``--json`` (print-to-stdout flag) keeps it until it adopts :mod:`neuromorph.bench.report`."""
    group = parser.add_argument_group("harness (every bench case)")
    if "--json" not in parser._option_string_actions:
        group.add_argument("--json", nargs="?", const=report.STDOUT, default=None, metavar="FILE",
                           help="write machine, versions, threads, sizes and every figure with its baseline and "
                                "ratio as JSON to FILE (atomically; the table is still printed); bare --json "
                                "prints the JSON to stdout instead of the table")
    group.add_argument("--threads", type=positive_int, default=None, metavar="N",
                       help=f"numba threads (default: all {report.available_cores()} CPUs this process may use)")
    group.add_argument("--blas-threads", type=positive_int, default=1, metavar="K",
                       help="BLAS threads for NumPy/SciPy (default 1); threads x blas-threads must not exceed the "
                            "available CPUs, so the pools never oversubscribe the cores")


def _step_bytes(args) -> float:
    """bench step: :func:`neuromorph.bench.step.step_bytes`; with ``--scaling`` the smallest point
    of the sweep (:func:`neuromorph.bench._scaling.scaling_bytes`; larger points that do not fit
    are capped one by one, before the work starts)."""
    from ..bench._scaling import scaling_bytes
    from ..bench.step import step_bytes

    return scaling_bytes(args) if getattr(args, "scaling", False) else step_bytes(args)


#: cases whose arrays are sized by options: estimate (bytes) and the options to change
MEMORY_ESTIMATES = {"step": (_step_bytes, "lower --synapses, --variables or --fused-steps (with --scaling: "
                                          "--scaling-synapses, --scaling-variables)")}


def _harness(case: str, module):
    """Wrap a case's ``run``: check --json FILE, the case's own ``check(args)`` (optional: raises a
    NeuromorphError, exit 2) and memory, then run under the thread policy."""
    estimate = MEMORY_ESTIMATES.get(case)
    run, check, outputs = module.run, getattr(module, "check", None), getattr(module, "outputs", None)

    def wrapped(args) -> int:
        target = getattr(args, "json", None)
        if isinstance(target, str) and target != report.STDOUT:
            out = output_file(target, f"bench_{case}.json", option="--json")
            path = out.path(out.suffixes[0])
            args.json, args._json_replaces = str(path), path in out.existing
        files = outputs(args) if outputs is not None else None
        if files is not None:  # -o PREFIX: the common output policy, checked before the work
            args.output_target = output_prefix(args.output, files[0], suffixes=files[1], option="--output")
        args.memory_limit_bytes = available_memory_bytes()
        if check is not None:
            check(args)
        if estimate is not None:
            check_memory(estimate[0](args), f"bench {case}", estimate[1])
        try:
            policy = report.thread_policy(args.threads, args.blas_threads)
            threads = policy.__enter__()
        except ValueError as exc:
            raise InvalidParameterError(f"--threads {args.threads or report.available_cores()} x --blas-threads "
                                        f"{args.blas_threads}: {exc}; lower --threads or --blas-threads",
                                        option="--threads") from None
        try:
            args.thread_record = threads
            if getattr(args, "json", None) != report.STDOUT and getattr(args, "json", None) is not True:
                print(report.threads_line(threads))
            return run(args)
        finally:
            policy.__exit__(None, None, None)

    return wrapped
