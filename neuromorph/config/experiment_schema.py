"""The memory experiment's settings — one schema, one vocabulary.

The same model is the ``experiment:`` block of a sweep card
(:class:`neuromorph.config.sweep_schema.SweepCard`), the settings of
:func:`neuromorph.tasks.memory.run_memory_point` and the names of ``neuromorph memory``'s options
(``--synapses``, ``--trials``, ``--rate``, ``--events``, ``--criterion``, ``--duration``,
``--burn-in``, ``--method``): a name a user types means the same everywhere (the scikit-learn
rule: the names of a search grid are the constructor's names).

    method: auto            # auto | theory | monte_carlo | both
    synapses: 10000         # N, the population whose SNR is reported
    trials: 16              # Monte-Carlo populations of N synapses
    rate: 1 Hz              # plasticity events per synapse per second
    events: poisson         # or per_step (one event every 1/rate)
    criterion: 1            # SNR defining the lifetime
    ages: {first: 0.1 s, last: 1e6 s, count: 61}   # read-out ages (auto if omitted)
    duration: 2 h           # Monte-Carlo: time followed after storage (auto if omitted)
    burn_in: 10 s           # Monte-Carlo: stream before storage (auto if omitted)
    theory_devices: 256     # devices sampled for the mean field of varying devices

Methods: ``theory`` is the mean field (chains) or the exact Markov chain (binary, cascade);
``monte_carlo`` the simulation; ``both`` computes the two side by side; ``auto`` is the theory
where it exists (no hard bounds), else Monte-Carlo. The older spellings ``mean_field`` and ``mc``
are accepted and read as ``theory`` and ``monte_carlo``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .device_schema import Strict
from .quantities import NonNegativeQuantity, PositiveQuantity
from .units import FREQUENCY, TIME

__all__ = ["METHODS", "METHOD_ALIASES", "EVENT_MODES", "AgeRange", "MemoryExperiment", "normalise_method",
           "resolve_method", "check_event_mode"]

#: how plasticity events arrive: Poisson times of rate r, or exactly one per step 1/r
EVENT_MODES = ("poisson", "per_step")

METHODS = ("auto", "theory", "monte_carlo", "both")
#: older spellings, still accepted
METHOD_ALIASES = {"mean_field": "theory", "mc": "monte_carlo"}


def normalise_method(method: str) -> str:
    """The method in the one vocabulary (aliases replaced); unknown names raise ValueError."""
    method = METHOD_ALIASES.get(method, method)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    return method


def check_event_mode(events: str) -> None:
    """Raise ValueError unless ``events`` is one of :data:`EVENT_MODES`."""
    if events not in EVENT_MODES:
        raise ValueError(f"events must be one of {EVENT_MODES}, got {events!r}")


def resolve_method(method: str, theory_applicable: bool) -> str:
    """``auto`` → ``theory`` where a theory exists (``theory_applicable``), else ``monte_carlo``."""
    method = normalise_method(method)
    if method == "auto":
        return "theory" if theory_applicable else "monte_carlo"
    return method


class AgeRange(Strict):
    """Log-spaced read-out ages shared by every point (``first``/``last`` auto when omitted:
    a tenth of the fastest timescale or event interval, ten slowest timescales)."""

    first: PositiveQuantity(TIME) | None = None
    last: PositiveQuantity(TIME) | None = None
    count: int = Field(61, ge=2, le=10_000)


class MemoryExperiment(Strict):
    """Settings of the memory experiment (see the module docstring; times in s, rate in Hz)."""

    method: Literal["auto", "theory", "monte_carlo", "both"] = Field(
        "auto", description="auto: theory (mean field or exact Markov chain) where it exists, else Monte-Carlo")
    synapses: int = Field(1000, ge=1, description="N, synapses whose SNR is reported")
    trials: int = Field(16, ge=1, description="Monte-Carlo populations of N synapses")
    rate: PositiveQuantity(FREQUENCY) = Field(1.0, description="plasticity events per synapse per second [Hz]")
    events: Literal["poisson", "per_step"] = "poisson"
    criterion: float = Field(1.0, gt=0.0, description="SNR that defines the memory lifetime")
    ages: AgeRange = AgeRange()
    duration: PositiveQuantity(TIME) | None = Field(
        None, description="Monte-Carlo: time followed after storage [s] (default 4x the predicted lifetime)")
    burn_in: NonNegativeQuantity(TIME) | None = Field(
        None, description="Monte-Carlo: stream before storage [s] (default 0 for linear chains, 3 slowest "
                          "timescales for bounded ones)")
    theory_devices: int = Field(256, ge=1, description="devices sampled for the mean field with variation")

    @field_validator("method", mode="before")
    @classmethod
    def _method_aliases(cls, value):
        return METHOD_ALIASES.get(value, value) if isinstance(value, str) else value

    @field_validator("events", mode="before")
    @classmethod
    def _events_spelling(cls, value):
        return value.replace("-", "_") if isinstance(value, str) else value
