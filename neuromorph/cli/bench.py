"""``neuromorph bench CASE``: benchmarks that report ratios against baselines measured in the same run.

Each module of :mod:`neuromorph.bench` is one case; it defines ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args) -> int`` and prints a table of throughputs and ratios
(optionally also ``--json``). Benchmarks are never pass/fail tests.
"""

from __future__ import annotations

import importlib
import pkgutil

from .. import bench as bench_pkg
from ._options import bounded_int, check_memory, nonnegative_float, seed


def register(sub) -> None:
    parser = sub.add_parser(
        "bench", help="run a benchmark case (ratios against baselines measured in the same run)",
        description=__doc__, epilog="Example: neuromorph bench step --synapses 1000000 --variables 10")
    cases = parser.add_subparsers(dest="case", metavar="CASE", required=True)
    for info in sorted(pkgutil.iter_modules(bench_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{bench_pkg.__name__}.{info.name}")
        case = cases.add_parser(info.name, help=module.DESCRIPTION, description=module.DESCRIPTION,
                                epilog=getattr(module, "EXAMPLE", None))
        module.add_arguments(case)
        _common_validation(case)
        case.set_defaults(func=_with_memory_check(info.name, module.run))


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


def _step_bytes(args) -> float:
    """bench step: z, u (N x m), w, alpha (N), and the fused run's alpha_run, w_run and random
    draws (steps x N, a few copies), float64."""
    n, m, steps = float(args.synapses), float(args.variables), float(args.fused_steps)
    return 8.0 * n * (2.0 * m + 3.0) + 8.0 * steps * n * 4.0


#: cases whose arrays are sized by options: estimate (bytes) and the options to change
MEMORY_ESTIMATES = {"step": (_step_bytes, "lower --synapses, --variables or --fused-steps")}


def _with_memory_check(case: str, run):
    if case not in MEMORY_ESTIMATES:
        return run
    estimate, hint = MEMORY_ESTIMATES[case]

    def checked(args) -> int:
        check_memory(estimate(args), f"bench {case}", hint)
        return run(args)

    return checked
