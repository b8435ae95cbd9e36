"""``neuromorph continual``: a sequence of tasks learned one after another; forgetting metrics."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from ..outputs import text_table
from ._options import add_seed_option, output_prefix, positive_int
from .train import check_network_memory

EXAMPLE = """Examples:
  neuromorph continual circuits/continual_permuted_digits.yaml -o out/permuted
  neuromorph continual circuits/continual_split_digits_class.yaml --seed 2
  neuromorph continual circuits/continual_split_fashion_task.yaml -o out/split_fashion
  neuromorph continual circuits/compare_continual_digits.yaml --workers 2 -o out/compare

Every rule of the card's network learns the tasks in order (permuted pixels: domain-incremental;
split classes: task-incremental with a head per task, or class-incremental with one head). After
every epoch every task's test accuracy is measured. Reported: the accuracy matrix R[i, j]
(accuracy on task j after training task i), average accuracy ACC, backward transfer BWT,
forward transfer FWT (against the untrained network) and forgetting. A checkpoint after every
epoch in PREFIX.ckpt/ lets an interrupted run resume with the same numbers; --restart starts afresh.

A comparison card (kind: continual_comparison) runs one continual card on several substrates
(float weights, crossbar cards) for several rules and learning rates as sweep points (PREFIX.store/,
resumable; --workers N processes) and reports each (substrate, rule) at the learning rate with the
best validation accuracy.

Writes PREFIX.nc and PREFIX.png (every task's accuracy along the sequence; the R matrices)."""


def register(sub) -> None:
    parser = sub.add_parser(
        "continual", help="continual learning: task sequences, accuracy matrix, BWT/FWT/forgetting; resumable",
        description="Learn a sequence of tasks one after another and measure what is forgotten.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("card", help="continual card (circuits/continual_*.yaml)")
    add_seed_option(parser, default=None, help="random seed (default: the card's); same seed, same numbers")
    parser.add_argument("--output", "-o", default=None,
                        help="output prefix: PREFIX.nc, PREFIX.png, checkpoints in PREFIX.ckpt/ (default out/<card>)")
    parser.add_argument("--restart", action="store_true", help="discard earlier checkpoints and start afresh")
    parser.add_argument("--workers", type=positive_int, default=1,
                        help="comparison cards: local worker processes for the points (default 1: in this process)")
    parser.add_argument("--no-plot", action="store_true", help="write only the netCDF file")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..config.yamlio import read_card

    if read_card(args.card).data.get("kind") == "continual_comparison":
        return run_comparison(args)
    from ..api import continual  # the same function as neuromorph.continual
    from ..config.network_schema import load_continual_card
    from ..outputs import write_netcdf

    card, network, network_path = load_continual_card(args.card)  # refused before any output is touched
    check_network_memory(network, network_path)
    name = card.name or Path(args.card).stem
    target = output_prefix(args.output, f"out/{name}", (".nc", ".png"))
    checkpoints = target.path(".ckpt")
    if args.restart and checkpoints.exists():
        shutil.rmtree(checkpoints)
    elif checkpoints.exists() and any(checkpoints.glob("*.npz")):
        print(f"resuming from the checkpoints in {checkpoints}/")
    ds = continual(args.card, seed=args.seed, checkpoint_dir=checkpoints, progress=not args.quiet)
    print(target.wrote(write_netcdf(ds, target.path(".nc"))))
    if not args.no_plot:
        from ..plots.training import plot_continual

        print(target.wrote(plot_continual(ds, target.path(".png"))))
    print(summary(ds))
    return 0


def summary(ds) -> str:
    head = (f"{ds.attrs['tasks_kind']} {ds.attrs['scenario']} {ds.attrs['dataset']}: {ds.sizes['task']} tasks x "
            f"{ds.attrs['epochs_per_task']} epochs, {ds.attrs['heads']}, seed {ds.attrs['seed']}").replace("  ", " ")
    rows = [["rule", "lr", "ACC %", "BWT pts", "FWT pts", "forgetting pts"]]
    for rule in ds["rule"].values:
        d = ds.sel(rule=rule)
        rows.append([str(rule), f"{d['rule_learning_rate'].item():g}", f"{100 * d['average_accuracy'].item():.1f}",
                     f"{100 * d['backward_transfer'].item():+.1f}", f"{100 * d['forward_transfer'].item():+.1f}",
                     f"{100 * d['forgetting'].item():.1f}"])
    return "\n".join([head] + text_table(rows))


def run_comparison(args) -> int:
    from ..api import (
        continual as run_continual,  # the same function as neuromorph.continual
    )
    from ..config.network_schema import load_comparison_card
    from ..outputs import write_netcdf
    from ..plots.training import plot_comparison
    from ..sweep.executors import ExecutorSpec

    card = load_comparison_card(args.card)[0]  # refused before any output is touched
    name = card.name or Path(args.card).stem
    target = output_prefix(args.output, f"out/{name}", (".nc", ".png"))
    executor = ExecutorSpec("pool", args.workers) if args.workers > 1 else ExecutorSpec("serial")
    ds = run_continual(args.card, seed=args.seed, output=target.path(".store"), executor=executor,
                       restart=args.restart, progress=not args.quiet)
    print(target.wrote(write_netcdf(ds, target.path(".nc"))))
    if not args.no_plot:
        print(target.wrote(plot_comparison(ds, target.path(".png"))))
    print(comparison_summary(ds))
    return 0


def comparison_summary(ds) -> str:
    head = (f"{ds.attrs['tasks_kind']} {ds.attrs['scenario']} tasks x {ds.attrs['epochs_per_task']} epochs, "
            f"seed {ds.attrs['seed']}; {ds.attrs['optimiser']}; {ds.attrs['selection']}").replace("  ", " ")
    rows = [["substrate", "rule", "best lr", "ACC %", "BWT pts", "forgetting pts", "val ACC %"]]
    for sub in ds["substrate"].values:
        for rule in ds["rule"].values:
            d = ds.sel(substrate=sub, rule=rule)
            lr = float(d["best_learning_rate"])
            rows.append([str(sub), str(rule), f"{lr:g}", f"{100 * float(d['best_average_accuracy']):.1f}",
                         f"{100 * float(d['best_backward_transfer']):+.1f}", f"{100 * float(d['best_forgetting']):.1f}",
                         f"{100 * float(d['val_average_accuracy'].sel(learning_rate=lr)):.1f}"])
    return "\n".join([head] + text_table(rows))
