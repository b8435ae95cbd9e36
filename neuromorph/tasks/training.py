"""Training experiments: a network card's rules trained on its data set, one metric row per epoch.

:func:`train_network` returns an ``xarray.Dataset`` with dimensions ``rule``, ``epoch`` (1-based:
the state after that many epochs; epoch 0 is the untrained network) and ``layer`` (1..L):

    train_loss, train_accuracy     running mean over the epoch's batches (as the progress bar shows)
    val_*, test_*                  loss and accuracy on the validation / test split after the epoch
    alignment_angle_deg            path alignment angle per layer (NaN where the rule has no path)
    norm_ratio                     ‖F_l‖_F / ‖W_l‖_F per layer
    learning_rate, weight_decay    η of the epoch and λ of its last step
    steps                          optimiser steps so far

Every rule starts from the same initial weights (``seed``) and sees the same data order
(epoch e's permutation drawn from ``(seed, e)``), so rules are compared on equal terms and a
resumed run draws exactly what an uninterrupted one draws.

Checkpoints (``checkpoint_dir``): after every epoch ``<rule>.npz`` holds the network's arrays,
the optimiser's momentum and step count and the metric history, written atomically; a new call
with the same card and seed resumes from them and ends with the same numbers as a run that was
never interrupted. A checkpoint from another card or seed is refused (:class:`StoreError`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ..config.network_schema import NetworkCard, RuleCard, describe_substrates, layer_substrates, on_arrays
from ..errors import StoreError
from ..learning import Network, RuleSettings
from .datasets import Dataset, load_dataset

__all__ = ["rule_settings", "make_network", "train_network", "run_epoch", "card_fingerprint", "save_checkpoint", "load_checkpoint",
           "EPOCH_METRICS"]

EPOCH_METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy",
                 "learning_rate", "weight_decay", "steps", "pulses", "clipped_updates", "reads", "device_time_s",
                 "read_energy_j", "write_energy_j")
HARDWARE_METRICS = {"pulses": "pulses", "clipped_updates": "clipped", "reads": "reads",
                    "read_energy_j": "read_energy_j", "write_energy_j": "write_energy_j"}
LAYER_METRICS = ("alignment_angle_deg", "norm_ratio")


def rule_settings(rule: RuleCard) -> RuleSettings:
    wd = rule.weight_decay
    return RuleSettings(kind=rule.kind, label=rule.name, learning_rate=rule.learning_rate, momentum=rule.momentum,
                        lr_milestones=tuple(rule.lr_schedule.milestones), lr_factor=rule.lr_schedule.factor,
                        weight_decay=wd.value, weight_decay_initial=wd.initial,
                        weight_decay_initial_steps=wd.initial_steps, expansion=rule.expansion,
                        feedback_init=rule.feedback_init)


def card_fingerprint(*parts) -> str:
    text = json.dumps([p.model_dump(mode="json") if hasattr(p, "model_dump") else p for p in parts], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_epoch(net: Network, x: np.ndarray, y: np.ndarray, epoch: int, batch_size: int, order_seed, classes=None,
              bar=None) -> tuple[float, float]:
    """One pass over (x, y) in the order drawn from ``order_seed``; returns (mean loss, accuracy)."""
    order = np.random.default_rng(order_seed).permutation(y.size)
    loss_sum, correct = 0.0, 0
    for start in range(0, y.size, batch_size):
        batch = order[start: start + batch_size]
        loss, hits = net.train_batch(x[batch], y[batch], epoch, classes)
        loss_sum += loss
        correct += hits
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"acc {correct / min(start + batch_size, y.size):.3f}", refresh=False)
    return loss_sum / y.size, correct / y.size


def save_checkpoint(path: Path, arrays: dict) -> None:
    """Write an ``.npz`` atomically with its SHA-256 beside it (:func:`neuromorph.outputs.write_npz`)."""
    from ..outputs import write_npz

    write_npz(arrays, path)


#: key prefixes of a checkpoint that hold the network's own state (the rest is history and RNG)
NETWORK_STATE_PREFIXES = ("param/", "fixed/", "opt/", "tile/", "float/", "bias/", "count/")


def network_state(saved: dict) -> dict:
    """The entries of a loaded checkpoint that :meth:`load_state` of a network takes back."""
    return {k: v for k, v in saved.items() if k.startswith(NETWORK_STATE_PREFIXES)}


def load_checkpoint(path: Path, fingerprint: str) -> dict | None:
    """The checkpoint's arrays; None if there is none, or if it is corrupt (checksum mismatch,
    unreadable: named on stderr, then training starts again from the beginning)."""
    import sys

    from ..errors import CorruptStoreError
    from ..outputs import read_npz

    try:
        arrays = read_npz(path, "training checkpoint")
    except CorruptStoreError as exc:
        print(f"{exc}; it is discarded and training starts again", file=sys.stderr)
        return None
    if arrays is None:
        return None
    if str(arrays.get("fingerprint")) != fingerprint:
        raise StoreError(f"{path}: checkpoint of another card or seed (fingerprint {arrays.get('fingerprint')} != "
                         f"{fingerprint}); use --restart to start again, or another -o")
    return arrays


@dataclass
class _History:
    epochs: int
    layers: int

    def __post_init__(self):
        self.values = {k: np.full(self.epochs + 1, np.nan) for k in EPOCH_METRICS}
        self.layer_values = {k: np.full((self.epochs + 1, self.layers), np.nan) for k in LAYER_METRICS}

    def record(self, epoch: int, net: Network, data: Dataset, train: tuple[float, float] | None, lr: float) -> None:
        v = self.values
        if train is not None:
            v["train_loss"][epoch], v["train_accuracy"][epoch] = train
        v["val_loss"][epoch], v["val_accuracy"][epoch] = (net.evaluate(data.x_val, data.y_val) if data.y_val.size
                                                          else (np.nan, np.nan))
        v["test_loss"][epoch], v["test_accuracy"][epoch] = net.evaluate(data.x_test, data.y_test)
        v["learning_rate"][epoch] = lr
        steps = _steps(net)
        counters = getattr(net, "counters", None)
        if counters is not None:
            for key, attr in HARDWARE_METRICS.items():
                v[key][epoch] = getattr(counters, attr)
            v["device_time_s"][epoch] = net.device_time_s()
        v["weight_decay"][epoch] = net.settings.weight_decay_at(max(steps - 1, 0))
        v["steps"][epoch] = steps
        angles, ratios = net.alignment()
        self.layer_values["alignment_angle_deg"][epoch] = angles
        self.layer_values["norm_ratio"][epoch] = ratios

    def arrays(self) -> dict:
        return {f"hist/{k}": v for k, v in {**self.values, **self.layer_values}.items()}

    def load(self, arrays: dict) -> None:
        for k in self.values:
            self.values[k] = np.array(arrays[f"hist/{k}"])
        for k in self.layer_values:
            self.layer_values[k] = np.array(arrays[f"hist/{k}"])


def _steps(net) -> int:
    return net.optimizer.steps if hasattr(net, "optimizer") else net.steps


def make_network(card: NetworkCard, settings: RuleSettings, seed: int):
    """The float :class:`Network`, or where any layer has ``weights: {crossbar: …}`` a
    :class:`TileNetwork` whose learned matrices of those layers (W_l and, for KP/PFA, its
    feedback) are arrays of that layer's card resized to them (the other layers stay float);
    with ``cells_per_weight`` m > 1 each such matrix is the mean of m arrays
    (:mod:`neuromorph.learning.replicated`; replica 0 has the tile's own seed)."""
    if not on_arrays(card):
        return Network(list(card.layers), settings, card.activation, seed)
    from ..crossbar import CrossbarArray, load_crossbar
    from ..learning.replicated import replica_seed
    from ..learning.tiles import TileNetwork

    substrates = layer_substrates(card)
    configs: dict = {}

    def pulse_energy(config) -> float:
        gate = config.device.gate_pulse() if hasattr(config.device, "gate_pulse") else None
        return 0.0 if gate is None else gate.injection_conductance_s * gate.target_v**2 * gate.width_s

    def make_tile(name, rows, columns, tile_seed):
        layer = substrates[int(name[1:]) - 1]
        if layer == "ideal":
            return None
        key = (layer.crossbar, rows, columns)
        if key not in configs:
            configs[key] = load_crossbar(layer.crossbar, rows=rows, columns=columns)
        arrays = [CrossbarArray(configs[key], seed=replica_seed(tile_seed, k)) for k in range(layer.cells_per_weight)]
        if card.timing.update_slot is not None:
            for array in arrays:
                array.t_update = float(card.timing.update_slot)
        return (arrays if len(arrays) > 1 else arrays[0]), {"ir_drop": layer.ir_drop, "noise": layer.read_noise, "weight_decay": layer.weight_decay,
                       "pulse_energy_j": pulse_energy(configs[key])}

    for layer in substrates:               # every crossbar card checked before any work
        if layer != "ideal":
            load_crossbar(layer.crossbar)
    return TileNetwork(list(card.layers), settings, make_tile, card.activation, seed)


def train_network(card: NetworkCard, seed: int | None = None, checkpoint_dir: str | Path | None = None,
                  progress: bool = True, data: Dataset | None = None, epochs: int | None = None,
                  stop_after_epochs: int | None = None) -> xr.Dataset:
    """Train every rule of ``card`` (float weights); see the module docstring for the output.

    ``seed`` overrides the card's; ``epochs`` the card's epoch count; ``data`` a preloaded data
    set. ``stop_after_epochs`` ends the call after that many newly trained epochs (tests of
    the checkpoint/resume path)."""
    with _blas_threads(card.layers):
        return _train(card, seed, checkpoint_dir, progress, data, epochs, stop_after_epochs)


def _blas_threads(layers):
    """One BLAS thread for small networks: their matrix products are too short to gain from more
    threads, and on a shared machine extra threads only contend (a 64-100-100-10 epoch ran 4x
    slower with two threads on a busy 2-core machine)."""
    from threadpoolctl import threadpool_limits

    largest = max(a * b for a, b in zip(layers, layers[1:]))
    return threadpool_limits(limits=1 if largest <= 300_000 else None)


def _train(card, seed, checkpoint_dir, progress, data, epochs, stop_after_epochs) -> xr.Dataset:
    from tqdm.auto import tqdm

    seed = card.seed if seed is None else int(seed)
    epochs = card.epochs if epochs is None else int(epochs)
    data = data if data is not None else load_dataset(card.dataset.name, card.dataset.validation)
    n_layers = len(card.layers) - 1
    fingerprint = card_fingerprint(card, seed, epochs)
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    batches = -(-data.y_train.size // card.batch_size)
    histories = []
    budget = stop_after_epochs
    for index, rule in enumerate(card.rules):
        settings = rule_settings(rule)
        net = make_network(card, settings, seed)
        history = _History(epochs, n_layers)
        start = 0
        ckpt = folder / f"{settings.name}.npz" if folder is not None else None
        saved = load_checkpoint(ckpt, fingerprint) if ckpt is not None else None
        if saved is not None:
            net.load_state(network_state(saved))
            history.load(saved)
            start = int(saved["epoch"])
        else:
            history.record(0, net, data, None, settings.learning_rate_at(0))
        bar = tqdm(total=epochs * batches, initial=start * batches, disable=not progress, unit="batch",
                   desc=f"{settings.name} epoch {start + 1}/{epochs}", leave=False, dynamic_ncols=True)
        for epoch in range(start, epochs):
            if budget is not None and budget <= 0:
                break
            bar.set_description_str(f"{settings.name} epoch {epoch + 1}/{epochs}")
            train = run_epoch(net, data.x_train, data.y_train, epoch, card.batch_size, [seed, 2, epoch], bar=bar)
            if on_arrays(card) and card.timing.between_epochs:
                net.wait(float(card.timing.between_epochs))
            history.record(epoch + 1, net, data, train, settings.learning_rate_at(epoch))
            if ckpt is not None:
                save_checkpoint(ckpt, net.state() | history.arrays() | {"epoch": np.array(epoch + 1),
                                                                        "fingerprint": np.array(fingerprint)})
            if budget is not None:
                budget -= 1
        bar.close()
        histories.append(history)
    return _dataset(card, seed, epochs, data, histories)


def _dataset(card: NetworkCard, seed: int, epochs: int, data: Dataset, histories: list[_History]) -> xr.Dataset:
    names = [r.name for r in card.rules]
    coords = {"rule": names, "epoch": np.arange(epochs + 1), "layer": np.arange(1, len(card.layers))}
    data_vars = {}
    for k in EPOCH_METRICS:
        data_vars[k] = (("rule", "epoch"), np.stack([h.values[k] for h in histories]))
    for k in LAYER_METRICS:
        data_vars[k] = (("rule", "epoch", "layer"), np.stack([h.layer_values[k] for h in histories]))
    ds = xr.Dataset(data_vars, coords=coords)
    ds["best_test_accuracy"] = ds["test_accuracy"].max("epoch")
    ds["best_val_epoch"] = ds["val_accuracy"].fillna(-1).argmax("epoch")
    ds["rule_kind"] = ("rule", [r.kind for r in card.rules])
    ds["rule_learning_rate"] = ("rule", [r.learning_rate for r in card.rules])
    units = {"alignment_angle_deg": "degree", "learning_rate": "1", "weight_decay": "1 per step",
             "device_time_s": "s", "read_energy_j": "J", "write_energy_j": "J"}
    for k, u in units.items():
        ds[k].attrs["units"] = u
    ds.attrs.update({"card": card.name or "", "dataset": data.name, "layers": list(card.layers),
                     "activation": card.activation, "batch_size": card.batch_size, "epochs": epochs, "seed": seed,
                     "weights": describe_substrates(card),
                     "n_train": int(data.y_train.size), "n_val": int(data.y_val.size),
                     "n_test": int(data.y_test.size),
                     "note": "epoch 0 = untrained network; train_* are running means over the epoch's batches"})
    return ds
