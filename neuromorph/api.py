"""The Python API: every ``neuromorph`` command as a function that returns what the command
writes (an `xarray.Dataset`, or plain data), and cards given as files or Python dicts.

Everything here is re-exported at the top level (``neuromorph.load_device``, ``neuromorph.memory``,
…). The functions call exactly the package functions the command-line tools call, with the
same defaults, so a command and its API twin give identical Datasets for the same seed
(``tests/test_api.py`` checks every command).

**Cards.** A card argument (``CardLike``) is a path to a YAML card or a mapping with the same
content. A mapping is validated by the same schema with the same messages, minus the
``file:line:`` prefix (the field path stays): ``load_device({"kind": "benna_fusi",
"n_variables": 0, "capacities": [1], "couplings": [1]})`` raises `ConfigError` with
``n_variables: Input should be greater than or equal to 1 (got 0)``. A mapping may say
``base: other.yaml`` (relative to ``base_dir``, default the working directory) and is merged
over that card as a file card would be; other relative paths in it (a crossbar card's
``device:``, a continual card's ``network:``) are resolved from ``base_dir`` too.

**Overrides** use the sweep engine's dotted paths (`neuromorph.sweep.grid`):

```python
load_device("devices/proton_transistor_5.yaml", **{"gate.cycle_noise": 0})
load_device("devices/proton_transistor_5.yaml", gate__cycle_noise=0, compartments=3)
```

``a__b`` is the keyword spelling of ``a.b``; list items are addressed by index
(``capacities.2``). A mapping value is merged key by key into the mapping at that path (like
``base:``); any other value replaces it. A problem with an overridden value is reported as
``CARD: override FIELD: …``.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config.yamlio import CardSource, ConfigError, load_each, read_card, validate_card

if TYPE_CHECKING:  # pragma: no cover - typing only
    import xarray as xr

    from .config.protocol_schema import ProtocolCard
    from .crossbar.card import CrossbarConfig
    from .devices.base import Device
    from .sweep.executors import ExecutorSpec
    from .tasks.fit import FitResult

__all__ = [
    "CardLike",
    "card_data",
    "continual",
    "crossbar_writes",
    "familiarity",
    "fit",
    "load_crossbar",
    "load_device",
    "load_protocol",
    "memory",
    "netlist",
    "simulate",
    "spice_check",
    "sweep",
    "timescales",
    "train",
]

#: a card: a path to a YAML file, or a mapping with the same content
CardLike = str | os.PathLike | Mapping

_DICT_CARD = "<dict>"
_OVERRIDE = "\0override"


# --------------------------------------------------------------------------------------------- cards

def _dotted(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword spellings (``gate__cycle_noise``) → dotted paths (``gate.cycle_noise``)."""
    return {str(key).replace("__", "."): value for key, value in overrides.items()}


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, Mapping):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(over)


def _mark(value: Any, path: tuple, location: tuple[str, int], lines: dict) -> None:
    """Record ``location`` for ``path`` and every path below it."""
    lines[path] = location
    if isinstance(value, Mapping):
        for key, item in value.items():
            _mark(item, path + (key,), location, lines)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _mark(item, path + (index,), location, lines)


def _plain(value: Any) -> Any:
    """Mappings and tuples as the dicts and lists YAML would give."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _source(card: CardLike, overrides: Mapping[str, Any] | None = None, base_dir: str | os.PathLike | None = None,
            check_override=None) -> CardSource:
    """The card's merged data and line map, with ``overrides`` applied."""
    from .sweep.grid import _parts

    if isinstance(card, Mapping):
        folder = Path(base_dir) if base_dir is not None else Path.cwd()
        path = folder / _DICT_CARD
        data = _plain(card)
        lines: dict = {}
        if "base" in data:
            base_name = data.pop("base")
            if not isinstance(base_name, (str, os.PathLike)):
                raise ConfigError([f"base: expected a file name, got {base_name!r}"])
            base_path = folder / base_name
            if not base_path.exists():
                raise ConfigError([f"base: file {base_path} not found"])
            base = read_card(base_path)
            lines = dict(base.lines)
            data = _merge(base.data, data)
        for key, value in card.items():
            if key != "base":
                _mark(value, (str(key),), (str(path), 0), lines)
        source = CardSource(path=path, data=data, lines=lines)
    elif isinstance(card, (str, os.PathLike)):
        source = read_card(card)
    else:
        raise TypeError(f"a card is a path or a mapping, not {type(card).__name__}")
    for dotted, value in _dotted(overrides or {}).items():
        if check_override is not None:
            why = check_override(source.data, dotted)
            if why:
                raise ConfigError([f"{_card_name(source)}: override {dotted}: {why}"])
        parts = tuple(_parts(dotted))
        node: Any = source.data
        for part in parts:
            node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
        value = _plain(value)
        new = _merge(node, value) if isinstance(node, dict) and isinstance(value, Mapping) else value
        try:
            source.data = _apply(source.data, dotted, new)
        except KeyError:
            raise ConfigError([f"{_card_name(source)}: override {dotted}: no such field (a list index out of "
                               f"range, or a path through a plain value)"]) from None
        _mark(new, parts, (_OVERRIDE, 0), source.lines)
    return source


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _apply(data: dict, dotted: str, value: Any) -> dict:
    from .sweep.grid import apply_override

    return apply_override(data, dotted, value)


def _card_name(source: CardSource) -> str:
    return "card" if source.path.name == _DICT_CARD else str(source.path)


def _clean(source: CardSource, problems: list[str]) -> list[str]:
    """Drop the ``file:line:`` of a dict card; name overridden fields as overrides."""
    out = []
    dict_prefix = re.compile(re.escape(str(source.path)) + r":\d+: ") if source.path.name == _DICT_CARD else None
    for problem in problems:
        if dict_prefix is not None:
            problem = dict_prefix.sub("", problem)
        out.append(problem.replace(f"{_OVERRIDE}:0: ", f"{_card_name(source)}: override "))
    return out


def _validated(source: CardSource, model: Any, build=None):
    """Validate (and optionally build) with every message cleaned by `_clean`."""
    try:
        card = validate_card(source, model)
        return card if build is None else build(card)
    except ConfigError as exc:
        raise ConfigError(_clean(source, exc.problems)) from None


def card_data(card: CardLike, /, base_dir: str | os.PathLike | None = None, **overrides: Any) -> dict:
    """The merged data of a card (``base:`` resolved, overrides applied), before validation.

    Parameters
    ----------
    card
        Path to a YAML card, or a mapping with the same content.
    base_dir
        Folder that relative paths in a mapping card (``base:``) are resolved from; default the
        working directory.
    **overrides
        Dotted-path overrides, ``a__b`` for ``a.b`` (see the module docstring).

    Returns
    -------
    dict
        A plain dict, as YAML would give it.
    """
    return copy.deepcopy(_source(card, overrides, base_dir).data)


def _name_of(card: CardLike, data: Mapping) -> str:
    if isinstance(card, Mapping):
        return str(data.get("name") or data.get("kind") or "card")
    return Path(card).stem


def load_device(card: CardLike, /, base_dir: str | os.PathLike | None = None, **overrides: Any) -> Device:
    """Read, validate and build a device card.

    Parameters
    ----------
    card
        Path to a device card (``devices/*.yaml``) or a mapping with the same fields.
    base_dir
        Folder for ``base:`` of a mapping card (default: the working directory).
    **overrides
        Card fields by dotted path (``**{"gate.cycle_noise": 0}`` or ``gate__cycle_noise=0``),
        checked like a sweep's grid fields.

    Returns
    -------
    Device
        A `neuromorph.devices.base.Device` (ideal chain, proton transistor or discrete
        stochastic synapse).

    Raises
    ------
    ConfigError
        One line per problem: ``file:line: field: expected … (got …)`` for files, the same
        without ``file:line:`` for mappings.

    Examples
    --------
    >>> import neuromorph as nm
    >>> device = nm.load_device("devices/proton_transistor_5.yaml", **{"gate.cycle_noise": 0})
    >>> device.n_variables
    5
    """
    from .config.device_schema import DeviceCard
    from .devices.loader import build_device
    from .sweep.grid import check_path

    source = _source(card, overrides, base_dir, check_override=check_path)
    name = _name_of(card, source.data)

    def build(validated):
        try:
            return build_device(validated, name)
        except ValueError as exc:  # a physically impossible combination caught by the model layer
            file, line = source.where(())
            raise ConfigError([f"{file}:{line}: {exc}"]) from None

    return _validated(source, DeviceCard, build)


def load_protocol(card: CardLike, /, base_dir: str | os.PathLike | None = None, **overrides: Any) -> ProtocolCard:
    """Read and validate a pulse protocol card (``protocols/*.yaml``) for `simulate`.

    Parameters
    ----------
    card
        Path or mapping, e.g. ``{"segments": [{"train": {"pulses": 10, "interval": "1 s"}},
        {"relax": {"duration": "1 h"}}]}``.
    base_dir, **overrides
        As for `load_device` (``**{"segments.0.train.pulses": 20}``).

    Returns
    -------
    ProtocolCard
        The validated `neuromorph.config.protocol_schema.ProtocolCard`.
    """
    from .config.protocol_schema import ProtocolCard

    return _validated(_source(card, overrides, base_dir), ProtocolCard)


def load_crossbar(card: CardLike, /, rows: int | None = None, columns: int | None = None,
                  base_dir: str | os.PathLike | None = None, **overrides: Any) -> CrossbarConfig:
    """Read and validate a crossbar card, load its device card and check the combination.

    Parameters
    ----------
    card
        Path to ``circuits/crossbar_*.yaml`` or a mapping; its ``device:`` is relative to the
        card's folder (``base_dir`` for a mapping, default the working directory).
    rows, columns
        Override the card's ``size`` (N_in × N_out weights).
    base_dir, **overrides
        As for `load_device` (``**{"dac.bits": 6}``).

    Returns
    -------
    CrossbarConfig
        Build the array with ``CrossbarArray(config, seed=…)``.
    """
    from .crossbar.card import load_crossbar as _load

    source = _source(card, overrides, base_dir)
    try:
        config = _load(source.path, rows=rows, columns=columns, source=source)
    except ConfigError as exc:
        raise ConfigError(_clean(source, exc.problems)) from None
    if config.card.name is None and isinstance(card, Mapping):  # not the placeholder file name
        config = dataclasses.replace(config, card=config.card.model_copy(update={"name": "crossbar"}))
    return config


def _device(device: Device | CardLike) -> Device:
    return load_device(device) if isinstance(device, (str, os.PathLike, Mapping)) else device


# ---------------------------------------------------------------------------------------- experiments

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
    from .config.protocol_schema import ProtocolCard
    from .config.units import TIME, parse_quantity
    from .tasks.protocol import run_protocol

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
    from .tasks.timescales import describe_timescales

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
    from .config.units import FREQUENCY, TIME, parse_quantity
    from .tasks.memory import MemoryConfig, memory_experiment

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
    from .sweep.executors import ExecutorSpec, available_cpus

    if not isinstance(executor, str):
        return executor
    if executor == "dask":
        from .sweep.executors import _import_distributed, check_scheduler

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
    from .sweep import run_sweep
    from .sweep.grid import plan_sweep

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
    from .crossbar import CrossbarArray
    from .crossbar.card import CrossbarConfig
    from .tasks.crossbar_writes import run_write_sequence

    config = card if isinstance(card, CrossbarConfig) else load_crossbar(card)
    array = CrossbarArray(config, seed=int(seed))
    return run_write_sequence(array, int(updates), seed=int(seed), learning_rate=learning_rate, scheme=scheme,
                              interval_s=float(interval), relax_s=float(relax), n_probes=int(probes),
                              progress=progress)


def _card_label(card: CardLike) -> str:
    """What a Dataset's ``card`` attribute says: the path, or that the card was a dict."""
    return "(a Python dict)" if isinstance(card, Mapping) else str(card)


def _loaded(load, card: CardLike, overrides: Mapping[str, Any], base_dir):
    """``load(path, source=…)`` on a card given as a path or a dict, with cleaned messages."""
    source = _source(card, overrides, base_dir)
    try:
        return source, load(source.path, source=source)
    except ConfigError as exc:
        raise ConfigError(_clean(source, exc.problems)) from None


def netlist(card: str | os.PathLike, seed: int = 0, updates: int = 0, input: str = "random",
            transposed: bool = False, ladder_time: float | str | None = None) -> dict[str, str | None]:
    """SPICE decks of a crossbar card — ``neuromorph netlist`` (which writes them to files).

    Parameters
    ----------
    card
        Crossbar card (``circuits/crossbar_*.yaml``).
    seed, updates
        The array is built with ``seed`` (variation, stuck cells) after ``updates`` random writes.
    input
        ``random`` or ``ones``: the inputs driven on the rows (DAC-quantised voltages).
    transposed
        Drive the columns and sense the rows instead.
    ladder_time
        Transient length of the RC-ladder deck [s or with units] (default 4 × the fastest timescale).

    Returns
    -------
    dict
        ``crossbar``: the ``.op`` deck of the array with every wire segment (outputs
        ``i(vsense_k)`` in A); ``ladder``: the cell device's RC ladder driven by one gate pulse
        (outputs ``v(n1..nm)`` in V), or None for devices without a gate pulse.
    """
    from .config.units import TIME, parse_quantity
    from .errors import NeuromorphError
    from .spice.scenarios import (
        crossbar_deck_text,
        input_vector,
        ladder_deck_text,
        ladder_scenario,
        prepare_array,
    )

    t_stop = None if ladder_time is None else parse_quantity(ladder_time, TIME)
    array = prepare_array(card, int(seed), int(updates))
    x = input_vector(array, input, int(seed), bool(transposed))
    read = "transposed" if transposed else "forward"
    title = (f"neuromorph crossbar {array.name} {read} read, {array.n_in}x{array.n_lines} cells, seed {seed}, "
             f"{updates} updates")
    decks: dict[str, str | None] = {"crossbar": crossbar_deck_text(array, x, bool(transposed), title), "ladder": None}
    try:
        scenario = ladder_scenario(array.device, t_stop)
    except NeuromorphError:
        if t_stop is not None:
            raise
        return decks
    decks["ladder"] = ladder_deck_text(scenario, f"neuromorph RC ladder of {array.device.name}")
    return decks


def spice_check(card: str | os.PathLike, seed: int = 0, updates: int = 0, input: str = "random",
                ladder_time: float | str | None = None, keep: str | os.PathLike | None = None) -> xr.Dataset:
    """neuromorph against ngspice on the decks of `netlist` — ``neuromorph spice-check -o``.

    Parameters
    ----------
    card, seed, updates, input, ladder_time
        As for `netlist`.
    keep
        Folder to keep the decks and ngspice's raw files in (default: a temporary one).

    Returns
    -------
    xarray.Dataset
        Sense currents [A] of both read directions from both solvers, RC-ladder node voltages [V];
        attributes ``forward_max_rel_error``, ``transposed_max_rel_error``,
        ``ladder_max_rel_error`` and the tolerances (1e-6 and 1e-3).

    Raises
    ------
    NgspiceError
        When ngspice is not installed (``apt-get install ngspice``) or fails.
    """
    from .config.units import TIME, parse_quantity
    from .errors import NgspiceError
    from .spice.check import results_dataset
    from .spice.check import spice_check as run
    from .spice.ngspice import find_ngspice

    if find_ngspice() is None:
        raise NgspiceError("ngspice not found: install it with `apt-get install ngspice` (Debian/Ubuntu), or set "
                           "NEUROMORPH_NGSPICE to its path")
    t_stop = None if ladder_time is None else parse_quantity(ladder_time, TIME)
    work = None if keep is None else Path(keep)
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
    array, results = run(card, int(seed), int(updates), input, t_stop, work)
    return results_dataset(results, array)


def familiarity(card: CardLike, /, seed: int | None = None, output: str | os.PathLike | None = None,
                executor: str | ExecutorSpec = "serial", workers: int | None = None, restart: bool = False,
                progress: bool = True, base_dir: str | os.PathLike | None = None, **overrides: Any) -> xr.Dataset:
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
    base_dir, **overrides
        As for `load_device` (``**{"protocol.fill_in": 512}``, ``models__0__neurons=32``).

    Returns
    -------
    xarray.Dataset
        Every metric per age (ioSNR, rSNR, forced choice, accuracy, AUC, TPR) and lifetimes; for
        capacity cards t* versus N and m with the fitted exponents.
    """
    import shutil

    from .tasks.familiarity.cards import load_familiarity_card, run_familiarity_card

    source, loaded = _loaded(load_familiarity_card, card, overrides, base_dir)
    name = loaded.name or _name_of(card, source.data)
    seed_value = loaded.seed if seed is None else int(seed)
    if loaded.kind == "familiarity_capacity":
        from .sweep.familiarity_capacity import familiarity_capacity

        store = Path(output) if output is not None else Path("out/familiarity") / f"{name}.points"
        ds = familiarity_capacity(loaded, store, seed=seed_value, executor=_executor(executor, workers, None),
                                  restart=restart, progress=progress, card_path=None if isinstance(card, Mapping) else card)
    elif loaded.kind == "familiarity_crossbar":
        from .tasks.familiarity.crossbar import crossbar_familiarity

        ds = crossbar_familiarity(loaded, source.path, seed=seed_value, progress=progress)
    else:
        checkpoints = Path(output) if output is not None and loaded.checkpoint_every else None
        if restart and checkpoints is not None and checkpoints.exists():
            shutil.rmtree(checkpoints)
        ds = run_familiarity_card(loaded, seed=seed_value, progress=progress, checkpoint_dir=checkpoints)
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
    from .config.network_schema import load_network_card
    from .tasks.training import train_network

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
    from .config.network_schema import load_comparison_card, load_continual_card
    from .tasks.continual import continual_experiment

    source = _source(card, overrides, base_dir)
    if source.data.get("kind") == "continual_comparison":
        from .sweep.continual_comparison import continual_comparison

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
    from .config.measurement_schema import load_measurement
    from .errors import InvalidParameterError
    from .tasks.fit import fit_measurements

    names = [p.strip() for p in (free.split(",") if isinstance(free, str) else free) if p.strip()]
    if not names:
        raise InvalidParameterError("free: give at least one dotted card field, e.g. ['diffusion_coefficient']")
    return fit_measurements(base, load_measurement(data), names, max_evaluations=int(max_evaluations))
