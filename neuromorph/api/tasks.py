"""The learning and recognition commands as functions: familiarity, train, continual, fit."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.yamlio import ConfigError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import xarray as xr

    from ..sweep.executors import ExecutorSpec
    from ..tasks.fit import FitResult

from .cards import CardLike, _card_label, _clean, _loaded, _name_of, _source
from .experiments import _executor


def familiarity(card: CardLike, /, seed: int | None = None, output: str | os.PathLike | None = None,
                executor: str | ExecutorSpec = "serial", workers: int | None = None, restart: bool = False,
                progress: bool = True, base_dir: str | os.PathLike | None = None, backend: str = "cpu",
                **overrides: Any) -> xr.Dataset:
    """Familiarity detection on complex-synapse networks — ``neuromorph familiarity``.

    Parameters
    ----------
    card
        A ``circuits/familiarity_*.yaml`` card of any kind (experiment, capacity, crossbar), or a
        mapping with the same fields.
    seed
        Overrides the card's seed.
    output
        Capacity cards: the point-store directory (default ``out/familiarity/<name>.points``);
        experiment cards with ``checkpoint_every``: the checkpoint directory (default: none).
    executor, workers
        Capacity cards only: ``serial``, ``pool`` or ``dask`` (see `sweep`).
    restart
        Discard stored points / checkpoints in ``output``.
    progress
        Show progress bars.
    backend
        Experiment cards: ``cpu`` (default) or ``cuda`` — the Hebbian store runs on the GPU, same
        numbers (docs/gpu.md); capacity and crossbar cards run on the CPU only.
    base_dir, **overrides
        As for `load_device` (``**{"protocol.fill_in": 512}``, ``models__0__neurons=32``).

    Returns
    -------
    xarray.Dataset
        Every metric per age (ioSNR, rSNR, forced choice, accuracy, AUC, TPR) and lifetimes; for
        capacity cards t* versus N and m with the fitted exponents.
    """
    import shutil

    from ..tasks.familiarity.cards import check_familiarity_backend, load_familiarity_card, run_familiarity_card

    source, loaded = _loaded(load_familiarity_card, card, overrides, base_dir)
    name = loaded.name or _name_of(card, source.data)
    seed_value = loaded.seed if seed is None else int(seed)
    check_familiarity_backend(loaded.kind, backend)
    if loaded.kind == "familiarity_capacity":
        from ..sweep.familiarity_capacity import familiarity_capacity

        store = Path(output) if output is not None else Path("out/familiarity") / f"{name}.points"
        ds = familiarity_capacity(loaded, store, seed=seed_value, executor=_executor(executor, workers, None),
                                  restart=restart, progress=progress, card_path=None if isinstance(card, Mapping) else card)
    elif loaded.kind == "familiarity_crossbar":
        from ..tasks.familiarity.crossbar import crossbar_familiarity

        ds = crossbar_familiarity(loaded, source.path, seed=seed_value, progress=progress)
    else:
        checkpoints = Path(output) if output is not None and loaded.checkpoint_every else None
        if restart and checkpoints is not None and checkpoints.exists():
            shutil.rmtree(checkpoints)
        ds = run_familiarity_card(loaded, seed=seed_value, progress=progress, checkpoint_dir=checkpoints,
                                  backend=backend)
    ds.attrs["card"] = _card_label(card)
    return ds


def train(card: CardLike, /, seed: int | None = None, epochs: int | None = None,
          checkpoint_dir: str | os.PathLike | None = None, progress: bool = True,
          base_dir: str | os.PathLike | None = None, **overrides: Any) -> xr.Dataset:
    """Train a network card's rules (BP, FA, DFA, KP, PFA) on float weights or crossbar tiles —
    ``neuromorph train``.

    Parameters
    ----------
    card
        A network card (``circuits/mlp_*.yaml``) or a mapping with the same fields.
    seed
        Overrides the card's seed.
    epochs
        Overrides the card's epoch count.
    checkpoint_dir
        Write a checkpoint after every epoch there and resume from it (default: none).
    progress
        Show progress bars.
    base_dir, **overrides
        As for `load_device` (``**{"rules.0.learning_rate": 0.03}``, ``layers=[64, 32, 10]``).

    Returns
    -------
    xarray.Dataset
        Per rule and epoch: train/test accuracy and loss, per layer the alignment angle and norm
        ratio, pulses, device time and energy on tiles.
    """
    from ..config.network_schema import load_network_card
    from ..tasks.training import train_network

    _, (loaded, _) = _loaded(load_network_card, card, overrides, base_dir)
    ds = train_network(loaded, seed=seed, checkpoint_dir=checkpoint_dir, progress=progress, epochs=epochs)
    ds.attrs["card_path"] = _card_label(card)
    return ds


def continual(card: CardLike, /, seed: int | None = None, checkpoint_dir: str | os.PathLike | None = None,
              progress: bool = True, output: str | os.PathLike | None = None, executor: str | ExecutorSpec = "serial",
              workers: int | None = None, restart: bool = False, base_dir: str | os.PathLike | None = None,
              **overrides: Any) -> xr.Dataset:
    """A sequence of tasks learned one after another — ``neuromorph continual``.

    Parameters
    ----------
    card
        A continual card (``circuits/continual_*.yaml``) naming its network card, or a mapping
        (its ``network:`` is then relative to ``base_dir``, default the working directory); or a
        ``kind: continual_comparison`` card (the same run over substrates x rules x learning
        rates, points stored in ``output`` and run by ``executor``).
    seed
        Overrides the card's seed.
    checkpoint_dir
        Checkpoint after every task there and resume from it (default: none).
    progress
        Show progress bars.
    output
        Comparison cards: the point-store directory (default ``out/<name>.store``).
    executor, workers, restart
        Comparison cards: ``serial`` or ``pool`` (see `sweep`); discard stored points.
    base_dir, **overrides
        As for `load_device` (``**{"tasks.count": 5}``).

    Returns
    -------
    xarray.Dataset
        The accuracy matrix R[trained, task] per rule, average accuracy, backward and forward
        transfer, forgetting, and every task's accuracy along the training sequence; for a
        comparison card the same per (substrate, rule, learning_rate) with the learning rate
        chosen on validation (``best_*``).
    """
    from ..config.network_schema import load_comparison_card, load_continual_card
    from ..tasks.continual import continual_experiment

    source = _source(card, overrides, base_dir)
    if source.data.get("kind") == "continual_comparison":
        from ..sweep.continual_comparison import continual_comparison

        try:
            loaded, continual_card, network, substrates = load_comparison_card(source.path, source=source)
        except ConfigError as exc:
            raise ConfigError(_clean(source, exc.problems)) from None
        name = loaded.name or _name_of(card, source.data)
        store = Path(output) if output is not None else Path("out") / f"{name}.store"
        return continual_comparison(loaded, continual_card, network, substrates, store, seed=seed,
                                    executor=_executor(executor, workers, None), restart=restart, progress=progress)

    try:
        loaded, network, _ = load_continual_card(source.path, source=source)
    except ConfigError as exc:
        raise ConfigError(_clean(source, exc.problems)) from None
    ds = continual_experiment(loaded, network, seed=seed, checkpoint_dir=checkpoint_dir, progress=progress)
    ds.attrs["card_path"] = _card_label(card)
    return ds


def fit(base: str | os.PathLike, data: str | os.PathLike, free: Sequence[str] | str,
        max_evaluations: int = 2000) -> FitResult:
    """Least-squares fit of dotted card fields to measured traces — ``neuromorph fit``.

    Parameters
    ----------
    base
        The device card to start from (``devices/*.yaml``).
    data
        Measured traces (CSV + YAML sidecar, or netCDF; see docs/fitting.md).
    free
        Dotted card fields to fit (``["diffusion_coefficient", "gate.injection_conductance"]`` or
        the comma-separated string of ``--free``).
    max_evaluations
        Budget of forward-model evaluations.

    Returns
    -------
    FitResult
        ``.report()`` (the printed table), ``.dataset()`` (the netCDF the command writes), and
        `neuromorph.tasks.fit.write_fitted_card` writes the card that ``base:``-s the original.
    """
    from ..config.measurement_schema import load_measurement
    from ..errors import InvalidParameterError
    from ..tasks.fit import fit_measurements

    names = [p.strip() for p in (free.split(",") if isinstance(free, str) else free) if p.strip()]
    if not names:
        raise InvalidParameterError("free: give at least one dotted card field, e.g. ['diffusion_coefficient']")
    return fit_measurements(base, load_measurement(data), names, max_evaluations=int(max_evaluations))
