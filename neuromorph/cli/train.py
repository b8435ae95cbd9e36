"""``neuromorph train``: train a network card's rules; per-epoch netCDF, figures and checkpoints."""

from __future__ import annotations

import argparse
import shutil

import numpy as np

from ..outputs import text_table
from ._options import add_seed_option, check_memory, output_prefix, positive_int

EXAMPLE = """Examples:
  neuromorph train circuits/mlp_digits_rules.yaml -o out/digits_rules
  neuromorph train circuits/mlp_digits_pfa.yaml --seed 3 --epochs 20 -o out/pfa_seed3
  neuromorph train circuits/mlp_fashion_rules.yaml -o out/fashion      # Fashion-MNIST (Debian package)

Each rule in the card is trained from the same initial weights on the same data order.
After every epoch the metrics are evaluated (validation and test accuracy and loss, per layer the
path alignment angle between W and the feedback the rule uses, and the norm ratio) and a
checkpoint is written to PREFIX.ckpt/ (arrays, momentum, step counts, history). Run the same
command again after an interruption (even kill -9) and it resumes from the last finished epoch,
ending with the same numbers as an uninterrupted run; --restart discards the checkpoints.

Writes PREFIX.nc (every metric per rule, epoch and layer) and PREFIX.png (accuracy vs epoch per
rule; alignment angle vs epoch per layer)."""


def register(sub) -> None:
    parser = sub.add_parser(
        "train", help="train a network card (BP, FA, DFA, Kolen-Pollack, PFA); per-epoch netCDF + PNG, resumable",
        description="Train an MLP with local learning rules on an offline data set (digits, Fashion-MNIST).",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("card", help="network card (circuits/mlp_*.yaml)")
    add_seed_option(parser, default=None,
                    help="random seed for the initial weights, feedback matrices and data order "
                         "(default: the card's seed); same seed, same numbers")
    parser.add_argument("--epochs", type=positive_int, default=None, help="override the card's epoch count")
    parser.add_argument("--output", "-o", default=None,
                        help="output prefix: writes PREFIX.nc, PREFIX.png and checkpoints in PREFIX.ckpt/ "
                             "(default out/<card name>)")
    parser.add_argument("--restart", action="store_true",
                        help="discard checkpoints of an earlier run with this prefix and start afresh")
    parser.add_argument("--no-plot", action="store_true", help="write only the netCDF file")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..api import train  # the same function as neuromorph.train
    from ..config.network_schema import load_network_card
    from ..outputs import write_netcdf

    card, _ = load_network_card(args.card)
    check_network_memory(card, args.card)
    name = card.name or __import__("pathlib").Path(args.card).stem
    target = output_prefix(args.output, f"out/{name}", (".nc", ".png"))
    checkpoints = target.path(".ckpt")
    if args.restart and checkpoints.exists():
        shutil.rmtree(checkpoints)
    elif checkpoints.exists() and any(checkpoints.glob("*.npz")):
        print(f"resuming from the checkpoints in {checkpoints}/")
    ds = train(args.card, seed=args.seed, checkpoint_dir=checkpoints, progress=not args.quiet, epochs=args.epochs)
    print(target.wrote(write_netcdf(ds, target.path(".nc"))))
    if not args.no_plot:
        from ..plots.training import plot_training

        print(target.wrote(plot_training(ds, target.path(".png"), title=name)))
    print(summary(ds))
    return 0


def network_memory_bytes(card, card_path) -> float:
    """Upper estimate of the memory [bytes] one rule of a network card needs while it trains.

    Float layers keep W, its gradient and momentum, and feedback matrices of up to ``k`` times
    the layer (PFA's B and R): 8 B × (3 + 2k) per weight. A tile cell keeps its chain state, its
    eigenbasis (m² for devices with variation) and a few parameters, two cells per weight
    (differential pairs): 8 B × 2 × (m² + 4m + 8) per weight, times (1 + k) for PFA's R tile.
    The data set (Fashion-MNIST: 70,000 × 784 float64) is added."""
    from ..config.network_schema import layer_substrates
    from ..crossbar import load_crossbar

    k = max((rule.expansion for rule in card.rules if rule.kind == "pfa"), default=1)
    total = 8.0 * 70_000 * 784 if card.dataset.name == "fashion_mnist" else 8.0 * 1_797 * 64
    for n_in, n_out, substrate in zip(card.layers[:-1], card.layers[1:], layer_substrates(card)):
        weights = float(n_in) * n_out
        if substrate == "ideal":
            total += 8.0 * weights * (3 + 2 * k)
        else:
            # substrate.crossbar is already resolved against the network card (load_network_card)
            m = load_crossbar(substrate.crossbar, 1, 1).device.n_variables
            total += 8.0 * 2 * (m * m + 4 * m + 8) * weights * (1 + k)
    return total


def check_network_memory(card, card_path) -> None:
    """Refuse (exit 2, with the estimate) a network that would not fit in memory, before any work."""
    check_memory(network_memory_bytes(card, card_path),
                 f"train: network {'-'.join(map(str, card.layers))}",
                 "use smaller hidden layers (the card's layers field)")


def summary(ds) -> str:
    """One line per rule: final and best test accuracy, the best-validation epoch, path angles."""
    layers = [int(l) for l in ds["layer"].values[1:]]
    head = (f"{ds.attrs['dataset']} {'-'.join(map(str, ds.attrs['layers']))}, {ds.attrs['epochs']} epochs, batch "
            f"{ds.attrs['batch_size']}, seed {ds.attrs['seed']}")
    rows = [["rule", "lr", "final test %", "best test %", "val-best epoch"]
            + [f"angle L{l} [deg]" for l in layers]]
    last = int(ds["epoch"].values[-1])
    for rule in ds["rule"].values:
        d = ds.sel(rule=rule)
        angles = [d["alignment_angle_deg"].sel(epoch=last, layer=l).item() for l in layers]
        rows.append([str(rule), f"{d['rule_learning_rate'].item():g}", f"{100 * d['test_accuracy'].sel(epoch=last).item():.1f}",
                     f"{100 * d['best_test_accuracy'].item():.1f}", str(int(d["best_val_epoch"]))]
                    + ["-" if a != a else f"{a:.1f}" for a in angles])
    lines = text_table(rows)
    if np.isfinite(ds["pulses"].values).any():
        hw = [["rule", "pulses", "clipped", "reads", "device time", "read energy", "write energy"]]
        for rule in ds["rule"].values:
            d = ds.sel(rule=rule, epoch=last)
            hw.append([str(rule), f"{d['pulses'].item():.3g}", f"{d['clipped_updates'].item():.3g}",
                       f"{d['reads'].item():.3g}", f"{d['device_time_s'].item():.4g} s",
                       f"{d['read_energy_j'].item():.3g} J", f"{d['write_energy_j'].item():.3g} J"])
        lines += ["on the arrays (whole run):"] + text_table(hw)
    return "\n".join([head] + lines)
