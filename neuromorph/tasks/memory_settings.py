"""Settings of the memory experiment run (:class:`MemoryConfig`, named like the settings schema
:class:`neuromorph.config.experiment_schema.MemoryExperiment`) and the helpers that pick its
duration and read-out ages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis.memory_theory import (
    EVENT_MODES,
    NoStationaryState,
    NotApplicable,
    fastest_timescale,
    predict_memory,
    slowest_timescale,
)
from ..devices.base import Device
from ..errors import InvalidParameterError

__all__ = ["MemoryConfig", "default_duration", "age_grid", "device_label"]


@dataclass(frozen=True, init=False)
class MemoryConfig:
    """Settings of one memory experiment run (times in s, rate in events per second per synapse).

    The field names are those of the settings schema
    (:class:`neuromorph.config.experiment_schema.MemoryExperiment`, the sweep card's
    ``experiment:`` block and the options of ``neuromorph memory``), plus two run parameters:
    ``n_ages`` (read-out ages when none are given) and ``chunk_events`` (memory bound).
    ``n_synapses`` is accepted as the older name of ``synapses``.
    """

    synapses: int = 1000
    trials: int = 64
    rate: float = 1.0
    events: str = "poisson"
    criterion: float = 1.0
    duration: float | None = None       # None: 4 × predicted lifetime (see default_duration)
    n_ages: int = 60
    burn_in: float | None = None        # None: 0 for linear chains, 3 slowest timescales if bounded
    chunk_events: int = 2_000_000       # events generated at once (memory bound)
    theory_devices: int = 256           # devices sampled for the mean field of varying devices

    def __init__(self, synapses: int | None = None, trials: int = 64, rate: float = 1.0, events: str = "poisson",
                 criterion: float = 1.0, duration: float | None = None, n_ages: int = 60,
                 burn_in: float | None = None, chunk_events: int = 2_000_000, theory_devices: int = 256,
                 n_synapses: int | None = None):
        if synapses is not None and n_synapses is not None and synapses != n_synapses:
            raise InvalidParameterError(f"synapses ({synapses}) and its older name n_synapses ({n_synapses}) differ")
        n = synapses if synapses is not None else (n_synapses if n_synapses is not None else 1000)
        values = dict(synapses=n,
                      trials=trials, rate=rate, events=events, criterion=criterion, duration=duration, n_ages=n_ages,
                      burn_in=burn_in, chunk_events=chunk_events, theory_devices=theory_devices)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def n_synapses(self) -> int:
        """N (older name of ``synapses``)."""
        return self.synapses

    @classmethod
    def from_experiment(cls, experiment, **run_parameters) -> "MemoryConfig":
        """The run settings of a :class:`~neuromorph.config.experiment_schema.MemoryExperiment`
        (``run_parameters``: ``n_ages``, ``chunk_events``)."""
        return cls(synapses=experiment.synapses, trials=experiment.trials, rate=experiment.rate,
                   events=experiment.events, criterion=experiment.criterion, duration=experiment.duration,
                   burn_in=experiment.burn_in, theory_devices=experiment.theory_devices, **run_parameters)

    def replace(self, **changes) -> "MemoryConfig":
        return MemoryConfig(**{**self.__dict__, **changes})

    def check(self) -> None:
        if self.events not in EVENT_MODES:
            raise InvalidParameterError(f"events must be one of {', '.join(EVENT_MODES)}, got {self.events!r}")
        for name in ("synapses", "trials", "n_ages", "chunk_events", "theory_devices"):
            if int(getattr(self, name)) < 1:
                raise InvalidParameterError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not (np.isfinite(self.rate) and self.rate > 0):
            raise InvalidParameterError(f"rate must be > 0 events/s, got {self.rate}")
        if not self.criterion > 0:
            raise InvalidParameterError(f"criterion must be > 0, got {self.criterion}")
        if self.duration is not None and not self.duration > 0:
            raise InvalidParameterError(f"duration must be > 0 s, got {self.duration}")
        if self.burn_in is not None and not self.burn_in >= 0:
            raise InvalidParameterError(f"burn_in must be >= 0 s, got {self.burn_in}")


def device_label(device: Device) -> str:
    """The device's name (its card's ``name`` or file stem)."""
    return device.name


def default_duration(device, config: MemoryConfig) -> float:
    """How long to follow the memory: 4 × the predicted lifetime (mean field or Markov chain;
    bounds ignored for the prediction), at least 20 events and 3 fastest timescales; 10 slowest
    timescales if the prediction never falls below the criterion."""
    floor = max(20.0 / config.rate, 3.0 * fastest_timescale(device, config.rate))
    try:
        pred = predict_memory(device, np.array([1.0 / config.rate]), config.n_synapses, config.rate, config.events,
                              config.criterion, n_devices=32, seed=0, ignore_bounds=True)
        life = pred.lifetime
    except (NotApplicable, NoStationaryState):
        life = float("nan")
    if np.isfinite(life) and life > 0:
        return max(4.0 * life, floor)
    tau = slowest_timescale(device, config.rate)
    return max(10.0 * tau, floor) if np.isfinite(tau) else floor


def age_grid(t_first: float, t_last: float, n_ages: int, events: str, rate: float) -> np.ndarray:
    """Log-spaced ages (s). Per-step mode: distinct whole numbers of steps (≥ 1)."""
    t_last = max(t_last, t_first * 1.0001)
    ages = np.logspace(np.log10(t_first), np.log10(t_last), n_ages)
    if events == "per_step":
        steps = np.unique(np.maximum(1, np.rint(ages * rate)).astype(np.int64))
        return steps / rate
    return ages
