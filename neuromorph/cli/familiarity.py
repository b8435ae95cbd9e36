"""``neuromorph familiarity``: face/pattern familiarity detection on complex-synapse networks."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InvalidParameterError
from ._backend import add_backend_option, resolve_backend_option
from ._options import bounded_int, check_memory, output_prefix, seed

EXAMPLE = """Examples:
  neuromorph familiarity circuits/familiarity_rand_small.yaml
  neuromorph familiarity circuits/familiarity_fair_comparison.yaml --seed 3 -o out/fair
  neuromorph familiarity circuits/familiarity_faces_lfw.yaml
  neuromorph familiarity circuits/familiarity_capacity.yaml --workers 2
  neuromorph familiarity circuits/familiarity_proton_crossbar.yaml

A stream of +-1 patterns (i.i.d. 'rand', or 'genface' face statistics fitted to the LFW faces
shipped with scikit-image) is stored one-shot (Hebbian) in an autoassociative network whose
synapses are chains of m variables (published protocol 2 of Ji-An, Stefanini, Benna & Fusi 2023:
burn-in, first half of the test items, F fill-in items, second half). Familiar items are probed at
log-spaced ages and never-seen items at the same moments; per age: ioSNR, rSNR, forced choice,
best-threshold accuracy, ROC AUC, TPR at TNR = 0.8413, and each metric's lifetime t* (items).

Writes PREFIX.nc (signals, metrics per age, lifetimes, theory; netCDF) and PREFIX.png side by
side. Long streams checkpoint into PREFIX.ckpt/ (card field checkpoint_every) and resume when run
again; capacity cards store each point in PREFIX.points/ and resume likewise (--restart: start over)."""


def register(sub) -> None:
    parser = sub.add_parser(
        "familiarity", help="familiarity detection on complex-synapse networks (protocol 2); netCDF + PNG",
        description="Store a stream of patterns one-shot in an autoassociative network of chain synapses and "
                    "measure how long familiar items are recognised.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("card", help="familiarity card (circuits/familiarity_*.yaml)")
    parser.add_argument("--output", "-o", default=None,
                        help="output prefix: writes PREFIX.nc and PREFIX.png (default out/familiarity/<card name>)")
    parser.add_argument("--seed", type=seed, default=None, metavar="N",
                        help="random seed, 0 to 2^32-1 (default: the card's seed); same seed, same numbers")
    parser.add_argument("--workers", "-j", type=bounded_int(1, 4096), default=None,
                        help="capacity cards: local worker processes (default: all CPUs; 1 = serial)")
    parser.add_argument("--dask-local", type=bounded_int(1, 4096), default=None, metavar="N",
                        help="capacity cards: run the points on a Dask LocalCluster of N workers")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="capacity cards: run the points on a running Dask scheduler, e.g. tcp://host:8786")
    add_backend_option(parser, "the Hebbian storage of experiment cards")
    parser.add_argument("--restart", action="store_true",
                        help="discard checkpoints / stored points of an earlier run and start over")
    parser.add_argument("--no-plot", action="store_true", help="write only the netCDF file")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def _executor(args):
    from ..sweep.executors import ExecutorSpec, available_cpus

    if args.scheduler is not None and args.dask_local:
        raise InvalidParameterError("give either --scheduler or --dask-local, not both", option="--scheduler")
    if args.scheduler is not None and not args.scheduler.strip():
        raise InvalidParameterError("--scheduler: empty address; give e.g. tcp://host:8786", option="--scheduler")
    if args.scheduler or args.dask_local:
        from ..sweep.executors import _import_distributed

        _import_distributed()
    if args.scheduler:
        return ExecutorSpec("dask", 1, args.scheduler)
    if args.dask_local:
        return ExecutorSpec("dask", args.dask_local)
    workers = args.workers if args.workers is not None else available_cpus()
    return ExecutorSpec("serial" if workers == 1 else "pool", workers)


def _check_memory(card) -> None:
    """Refuse cards whose largest network (state N·N·m float64, plus signals) does not fit."""
    if card.kind == "familiarity":
        sizes = [(m.neurons, m.variables, m.label) for m in card.models]
    elif card.kind == "familiarity_capacity":
        sizes = [(n, max(1, n.bit_length() - 2), f"N={n}") for n in card.neurons]
        sizes += [(card.fixed_neurons, m, f"m={m}") for m in card.variables]
    else:
        sizes = [(card.neurons, 16, "crossbar")]
    n, m, label = max(sizes, key=lambda s: s[0] ** 2 * s[1])
    signals = 6 * 8 * card.protocol.test_items * 2 * 40
    check_memory(n * n * (8 * m + 1) + signals, f"familiarity: model {label!r} (N = {n}, m = {m})",
                 "lower the model's neurons or variables in the card")


def run(args) -> int:
    from ..tasks.familiarity.cards import check_familiarity_backend, load_familiarity_card

    backend = resolve_backend_option(args)
    card = load_familiarity_card(args.card)
    check_familiarity_backend(card.kind, backend)
    _check_memory(card)
    name = card.name or Path(args.card).stem
    target = output_prefix(args.output, Path("out/familiarity") / name)
    if card.kind == "familiarity" and (args.workers or args.dask_local or args.scheduler):
        raise InvalidParameterError("--workers/--dask-local/--scheduler apply to capacity cards only",
                                    option="--workers")
    from ..api import familiarity  # the same function as neuromorph.familiarity

    capacity = card.kind == "familiarity_capacity"
    ds = familiarity(args.card, seed=args.seed, output=target.path(".points" if capacity else ".ckpt"),
                     executor=_executor(args) if capacity else "serial", restart=args.restart,
                     progress=not args.quiet, backend=backend)
    from ..outputs import write_netcdf

    nc = write_netcdf(ds, target.path(".nc"))
    print(target.wrote(nc))
    if not args.no_plot:
        if card.kind == "familiarity_capacity":
            from ..plots.familiarity import plot_familiarity_capacity as plot
        else:
            from ..plots.familiarity import plot_familiarity as plot
        print(target.wrote(plot(ds, target.path(".png"))))
    from ..tasks.familiarity.cards import summary

    print(summary(ds))
    return 0
