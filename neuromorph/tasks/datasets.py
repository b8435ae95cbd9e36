"""Offline data sets for training and continual learning (DESIGN §3): nothing is downloaded.

``digits``         scikit-learn's bundled 8×8 handwritten digits (1,797 images, 10 classes),
                   pixels scaled to [0, 1]; a fixed stratified split (20 % test).
``fashion_mnist``  Fashion-MNIST (60,000 train / 10,000 test, 28×28, 10 classes) from the gzipped
                   IDX files of Debian's ``dataset-fashion-mnist`` package
                   (/usr/share/datasets/fashion-mnist/); pixels scaled to [0, 1].

A validation set is split off the training set (``validation`` fraction, stratified, fixed split
seed) so learning rates are chosen without looking at the test set.

Task builders for continual learning:
    permuted   task t applies a fixed random pixel permutation π_t (π_0 = identity) to every image;
               all tasks share the 10 labels (domain-incremental).
    split      the classes are cut into consecutive groups ({0,1}, {2,3}, …); task t holds only
               its group. ``task`` scenario: a multi-head readout (only the task's outputs are
               compared, the task identity is given); ``class`` scenario: one head over every
               class seen so far … and unseen (all outputs compete).
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import DataUnavailableError, InvalidParameterError

__all__ = ["Dataset", "load_dataset", "load_digits", "load_fashion_mnist", "FASHION_MNIST_DIR", "DATASETS",
           "permuted_tasks", "split_tasks", "Task"]

#: where Debian's dataset-fashion-mnist installs the IDX files (override with NEUROMORPH_FASHION_MNIST)
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
_FASHION_FILES = {"train_images": "train-images-idx3-ubyte.gz", "train_labels": "train-labels-idx1-ubyte.gz",
                  "test_images": "t10k-images-idx3-ubyte.gz", "test_labels": "t10k-labels-idx1-ubyte.gz"}
#: inputs and classes of each data set (cards are checked against these before any work)
DATASETS = {"digits": (64, 10), "fashion_mnist": (784, 10)}
SPLIT_SEED = 20240530


@dataclass(frozen=True)
class Dataset:
    """Inputs in [0, 1] (rows are samples) and integer labels 0..n_classes−1."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_inputs(self) -> int:
        return int(self.x_train.shape[1])


def _stratified_split(y: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held_out) with ``fraction`` of every class held out."""
    held = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        held.append(idx[: int(round(fraction * idx.size))])
    held_out = np.sort(np.concatenate(held))
    kept = np.setdiff1d(np.arange(y.size), held_out)
    return kept, held_out


def _with_validation(name, x_train, y_train, x_test, y_test, n_classes, validation: float) -> Dataset:
    if not 0.0 <= validation < 1.0:
        raise InvalidParameterError(f"validation fraction must be in [0, 1), got {validation}")
    rng = np.random.default_rng(SPLIT_SEED + 1)
    kept, val = _stratified_split(y_train, validation, rng)
    return Dataset(name, x_train[kept], y_train[kept], x_train[val], y_train[val], x_test, y_test, n_classes)


def load_digits(validation: float = 0.1) -> Dataset:
    """scikit-learn's 8×8 digits: 20 % test (stratified, fixed), then ``validation`` of the rest."""
    from sklearn.datasets import load_digits as _sk_digits

    bunch = _sk_digits()
    x = np.asarray(bunch.data, dtype=float) / 16.0
    y = np.asarray(bunch.target, dtype=np.int64)
    train, test = _stratified_split(y, 0.2, np.random.default_rng(SPLIT_SEED))
    return _with_validation("digits", x[train], y[train], x[test], y[test], 10, validation)


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    if magic >> 8 != 0x08 or ndim < 1:
        raise DataUnavailableError(f"{path}: not an IDX file of unsigned bytes (magic {magic:#x}); reinstall "
                                   "dataset-fashion-mnist")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist_dir() -> Path:
    return Path(os.environ.get("NEUROMORPH_FASHION_MNIST", FASHION_MNIST_DIR))


def load_fashion_mnist(validation: float = 0.1, directory: str | Path | None = None) -> Dataset:
    """Fashion-MNIST from the gzipped IDX files (Debian ``dataset-fashion-mnist``)."""
    folder = Path(directory) if directory is not None else fashion_mnist_dir()
    missing = [f for f in _FASHION_FILES.values() if not (folder / f).is_file()]
    if missing:
        raise DataUnavailableError(
            f"Fashion-MNIST not found: {', '.join(missing)} missing in {folder}/. Install Debian's package: "
            "sudo apt-get install dataset-fashion-mnist (the files land in /usr/share/datasets/fashion-mnist/), "
            "or point NEUROMORPH_FASHION_MNIST at a folder holding the four *-ubyte.gz files.")
    arrays = {key: _read_idx(folder / name) for key, name in _FASHION_FILES.items()}
    x_train = arrays["train_images"].reshape(-1, 784).astype(float) / 255.0
    x_test = arrays["test_images"].reshape(-1, 784).astype(float) / 255.0
    y_train = arrays["train_labels"].astype(np.int64)
    y_test = arrays["test_labels"].astype(np.int64)
    return _with_validation("fashion_mnist", x_train, y_train, x_test, y_test, 10, validation)


def load_dataset(name: str, validation: float = 0.1) -> Dataset:
    if name == "digits":
        return load_digits(validation)
    if name == "fashion_mnist":
        return load_fashion_mnist(validation)
    raise InvalidParameterError(f"unknown data set {name!r}; expected one of: {', '.join(DATASETS)}")


# --------------------------------------------------------------------------- #
# continual-learning task sequences
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Task:
    """One task of a sequence: its data and, for multi-head (task-incremental) evaluation, the
    classes whose outputs compete (None: all outputs)."""

    name: str
    data: Dataset
    classes: tuple[int, ...] | None = None
    meta: dict = field(default_factory=dict)


def permuted_tasks(data: Dataset, n_tasks: int, seed: int) -> list[Task]:
    """Task t: pixels permuted by π_t (π_0 the identity, the others drawn from ``seed``)."""
    rng = np.random.default_rng([seed, 7919])
    tasks = []
    for t in range(n_tasks):
        perm = np.arange(data.n_inputs) if t == 0 else rng.permutation(data.n_inputs)
        permuted = replace(data, x_train=data.x_train[:, perm], x_val=data.x_val[:, perm],
                           x_test=data.x_test[:, perm])
        tasks.append(Task(f"perm{t}", permuted, None, {"permutation": perm}))
    return tasks


def split_tasks(data: Dataset, n_tasks: int, scenario: str) -> list[Task]:
    """Task t holds classes t·c … (t+1)·c − 1 with c = n_classes / n_tasks; ``scenario`` 'task'
    (multi-head) or 'class' (single head)."""
    if data.n_classes % n_tasks:
        raise InvalidParameterError(f"split: {data.n_classes} classes cannot be cut into {n_tasks} equal tasks")
    if scenario not in ("task", "class"):
        raise InvalidParameterError(f"split scenario must be 'task' or 'class', got {scenario!r}")
    per = data.n_classes // n_tasks
    tasks = []
    for t in range(n_tasks):
        classes = tuple(range(t * per, (t + 1) * per))

        def pick(x, y):
            keep = np.isin(y, classes)
            return x[keep], y[keep]

        xtr, ytr = pick(data.x_train, data.y_train)
        xva, yva = pick(data.x_val, data.y_val)
        xte, yte = pick(data.x_test, data.y_test)
        sub = replace(data, x_train=xtr, y_train=ytr, x_val=xva, y_val=yva, x_test=xte, y_test=yte)
        tasks.append(Task("split" + "".join(map(str, classes)), sub, classes if scenario == "task" else None))
    return tasks
