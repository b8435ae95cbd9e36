"""The device, memory, sweep and crossbar commands as functions (see :mod:`neuromorph.api`)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.yamlio import ConfigError, load_each

if TYPE_CHECKING:  # pragma: no cover - typing only
    import xarray as xr

    from ..config.protocol_schema import ProtocolCard
    from ..crossbar.card import CrossbarConfig
    from ..devices.base import Device
    from ..sweep.executors import ExecutorSpec

from .cards import CardLike, _clean, _device, _source, load_crossbar, load_protocol


def simulate(device: Device | CardLike, protocol: ProtocolCard | CardLike, devices: int = 1, seed: int = 0,
             integrator: str = "eigen", max_step: float | str | None = None, progress: bool = True) -> xr.Dataset:
    """Run a device (or a population with device-to-device variation) under a pulse protocol —
    ``neuromorph simulate``.

    Parameters
    ----------
    device
        A device, or a device card (path or mapping).
    protocol
        A `ProtocolCard`, or a protocol card.
    devices
        Number of devices; each draws its own variation.
    seed
        Random seed (variation, random streams, noise): same seed, same numbers.
    integrator
        ``eigen`` (exact, event-driven; default), ``dense``, ``implicit_euler`` or ``explicit_euler``.
    max_step
        Largest step of the Euler integrators, in s or with units (``"1 ms"``).
    progress
        Show a progress bar.

    Returns
    -------
    xarray.Dataset
        ``u[device, time, compartment]`` and ``weight[device, time]`` (channel conductance in S
        for proton transistors, u_1 for ideal chains); time in s.
    """
    from ..config.protocol_schema import ProtocolCard
    from ..config.units import TIME, parse_quantity
    from ..tasks.protocol import run_protocol

    if not isinstance(protocol, ProtocolCard):
        protocol = load_protocol(protocol)
    step = None if max_step is None else parse_quantity(max_step, TIME)
    return run_protocol(_device(device), protocol, n_devices=int(devices), seed=int(seed), integrator=integrator,
                        progress=progress, max_step_s=step)


def timescales(device: Device | CardLike) -> dict:
    """Relaxation timescales τ_i = −1/λ_i [s] of a device's chain and its per-compartment
    constants — ``neuromorph timescales --json``.

    Returns
    -------
    dict
        ``relaxation_timescales_s`` (longest first), ``stage_time_constants_s`` C_k/g_k,k+1 and,
        for proton transistors, geometry, capacitances [F], bridge conductances [S] and the event
        size from rest [V] (see `neuromorph.tasks.timescales.describe_timescales`).
    """
    from ..tasks.timescales import describe_timescales

    return describe_timescales(_device(device))


def memory(devices: Device | CardLike | Sequence[Device | CardLike], synapses: int = 1000, trials: int = 64,
           rate: float | str = 1.0, events: str = "poisson", duration: float | str | None = None, ages: int = 60,
           criterion: float = 1.0, method: str = "both", burn_in: float | str | None = None, seed: int = 0,
           progress: bool = True) -> xr.Dataset:
    """Memory-signal SNR curves and lifetimes of one or more devices — ``neuromorph memory``.

    N synapses receive random ±1 plasticity events at ``rate``; a random pattern is stored at
    t = 0; SNR(t) = mean overlap with the stored pattern / std of the overlap with a never-stored
    one; lifetime = first age with SNR < ``criterion`` (see docs/memory.md).

    Parameters
    ----------
    devices
        One device or card, or a list of them.
    synapses
        N, synapses per population.
    trials
        Independent Monte-Carlo populations (SNR standard error ≈ 1/√trials).
    rate
        Plasticity events per synapse per second (float in Hz or ``"0.1 Hz"``).
    events
        ``poisson`` or ``per_step`` (one event every 1/rate).
    duration
        How long to follow the memory [s]; None: 4 × the predicted lifetime.
    ages
        Number of log-spaced read-out ages.
    criterion
        SNR that defines the lifetime.
    method
        ``both``, ``theory``, ``monte_carlo`` or ``auto``.
    burn_in
        Stream time before storage [s]; None: 0 for linear chains, 3 slowest timescales if bounded.
    seed
        Random seed.
    progress
        Show progress bars.

    Returns
    -------
    xarray.Dataset
        Per device and age: ``snr_mc``, ``snr_se_mc``, ``snr_theory``, signals, noise, lifetimes.
    """
    from ..config.units import FREQUENCY, TIME, parse_quantity
    from ..tasks.memory import MemoryConfig, memory_experiment

    items = list(devices) if isinstance(devices, Sequence) and not isinstance(devices, (str, bytes)) else [devices]
    loaded = load_each(items, _device)  # every bad card is reported, not only the first
    config = MemoryConfig(synapses=int(synapses), trials=int(trials), rate=parse_quantity(rate, FREQUENCY),
                          events=events.replace("-", "_"), criterion=float(criterion),
                          duration=None if duration is None else parse_quantity(duration, TIME), n_ages=int(ages),
                          burn_in=None if burn_in is None else parse_quantity(burn_in, TIME))
    ds = memory_experiment(loaded, config, method=method, seed=int(seed), progress=progress,
                           labels=[d.name for d in loaded])
    paths = [str(item) for item in items if isinstance(item, (str, os.PathLike))]
    if len(paths) == len(items):
        ds.attrs["cards"] = " ".join(paths)
    return ds


def _executor(executor: str | ExecutorSpec, workers: int | None, scheduler: str | None) -> ExecutorSpec:
    from ..sweep.executors import ExecutorSpec, available_cpus

    if not isinstance(executor, str):
        return executor
    if executor == "dask":
        from ..sweep.executors import _import_distributed, check_scheduler

        _import_distributed()
        if scheduler:
            check_scheduler(scheduler)
            return ExecutorSpec("dask", 1, scheduler)
        return ExecutorSpec("dask", workers or available_cpus())
    if executor == "pool":
        return ExecutorSpec("pool", workers or available_cpus())
    return ExecutorSpec(executor, 1)


def sweep(card: CardLike, /, output: str | os.PathLike | None = None, executor: str | ExecutorSpec = "serial",
          workers: int | None = None, scheduler: str | None = None, seed: int | None = None, restart: bool = False,
          progress: bool = True, base_dir: str | os.PathLike | None = None, **overrides: Any) -> xr.Dataset:
    """A grid over device fields → timescales, SNR curves and lifetimes — ``neuromorph sweep``.

    Parameters
    ----------
    card
        Sweep card (``circuits/sweep_*.yaml``) or a mapping with the same fields (its ``device:``
        relative to ``base_dir``); every point is validated before any work.
    output
        Store directory (finished points are kept there; a rerun computes only missing points);
        default ``out/sweep/<card name>``.
    executor
        ``serial`` (this process), ``pool`` (local processes), ``dask``, or an
        `ExecutorSpec`.
    workers
        Processes for ``pool`` and a Dask LocalCluster (default: all CPUs).
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``) for ``executor="dask"``.
    seed
        Overrides the card's seed; each point's stream is ``SeedSequence(seed, spawn_key=(i,))``,
        so the numbers do not depend on the executor.
    restart
        Discard the points stored in ``output``.
    progress
        Show a progress bar.
    base_dir, **overrides
        As for `load_device`, on the sweep card (``**{"experiment.synapses": 1000}``).

    Returns
    -------
    xarray.Dataset
        Swept fields as dimensions (dots → underscores), ``age`` and ``mode``: ``lifetime``,
        ``snr``, ``snr_theory``, ``snr_mc``, ``timescales``, …
    """
    from ..sweep import run_sweep
    from ..sweep.grid import plan_sweep

    source = _source(card, overrides, base_dir)
    try:
        plan = plan_sweep(source.path, seed=seed, source=source)
    except ConfigError as exc:
        raise ConfigError(_clean(source, exc.problems)) from None
    if isinstance(card, Mapping) and not plan.card.name:  # not the placeholder file name
        plan.card = plan.card.model_copy(update={"name": "sweep"})
    spec = _executor(executor, workers, scheduler)
    if spec.kind == "pool" and spec.workers > len(plan.points):
        spec = type(spec)("pool", max(1, len(plan.points)))
    out = Path(output) if output is not None else Path("out/sweep") / plan.name
    ds, _ = run_sweep(plan, out, spec, restart=restart, progress=progress, log=None)
    return ds


def crossbar_writes(card: CardLike | CrossbarConfig, updates: int = 50, seed: int = 0,
                    learning_rate: float | None = None, scheme: str | None = None, interval: float = 0.0,
                    relax: float = 0.0, probes: int = 8, progress: bool = True) -> xr.Dataset:
    """Random outer-product updates on a crossbar, read before and after — ``neuromorph crossbar``.

    Parameters
    ----------
    card
        Crossbar card (path or mapping) or a loaded `CrossbarConfig`.
    updates
        Number of updates η x δᵀ with x ~ U[−1, 1]^N_in, δ ~ U[−1, 1]^N_out.
    seed
        Seed of the array (variation, stuck cells, noise) and of the updates.
    learning_rate
        η (default: the card's ``write.learning_rate``).
    scheme
        ``stochastic`` or ``deterministic`` (default: the card's).
    interval, relax
        Idle time between updates and after the last one [s].
    probes
        Random probe inputs read before and after.
    progress
        Show a progress bar.

    Returns
    -------
    xarray.Dataset
        Conductances [S] and weights before/after, intended and realised updates, pulse counts,
        MVM reads with and without IR drop, the IR-drop error map.
    """
    from ..crossbar import CrossbarArray
    from ..crossbar.card import CrossbarConfig
    from ..tasks.crossbar_writes import run_write_sequence

    config = card if isinstance(card, CrossbarConfig) else load_crossbar(card)
    array = CrossbarArray(config, seed=int(seed))
    return run_write_sequence(array, int(updates), seed=int(seed), learning_rate=learning_rate, scheme=scheme,
                              interval_s=float(interval), relax_s=float(relax), n_probes=int(probes),
                              progress=progress)
