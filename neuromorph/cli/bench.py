"""``neuromorph bench CASE``: benchmarks that report ratios against baselines measured in the same run.

Each module of :mod:`neuromorph.bench` is one case; it defines ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args) -> int`` and prints a table of throughputs and ratios
(optionally also ``--json``). Benchmarks are never pass/fail tests.
"""

from __future__ import annotations

import importlib
import pkgutil

from .. import bench as bench_pkg


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
        case.set_defaults(func=module.run)
