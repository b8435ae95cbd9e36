r"""The device interface: what the rest of the toolkit may ask of a synapse device.

Every device kind implements :class:`Device` fully, and callers ask devices what they *do*, never
what class they are (no ``isinstance`` on concrete device classes outside ``devices/``):

=========================  ===================================================================
``name``, ``kind``          card name; ``benna_fusi``, ``single_timescale``, ``proton_transistor``,
                            ``binary_stochastic`` or ``cascade``
``dynamics``                ``"chain"`` (continuous linear chain, :mod:`neuromorph.synapses.chain`)
                            or ``"markov"`` (discrete states changed only by events)
``n_variables``, ``bounds``  chain length m (levels for a cascade); hard bounds on u or None
``readout_name/units``      what the device's read-out is: the signed ``weight`` [1] of an ideal
                            synapse, or the channel ``conductance`` [S] of a physical device
``state_units``             units of u (``1`` or ``V``)
``channel``                 :class:`~neuromorph.devices.channel.ChannelModel` (identity for ideal
                            chains)
``polarity``                π = sign of the weight change of a "+" event
``has_variation``           whether sampled devices differ; ``with_variation({...})`` a copy with
                            other variation
``event_duration_s``        duration of one event's pulse [s] (0: instantaneous)
``nominal_event_size()``    |Δu_1| of one event from rest, no noise
``sample_population(N, rng)``  N devices: chains + :class:`DeviceParameters`
``event_coefficients(s, population, rng)``  (α, β) of the affine event Δu_1 = α − β·u_1
``readout(u_1, population, rng)``  the read-out named by ``readout_name`` (read noise when rng is given)
``linear_model(population)``  :class:`~neuromorph.devices.linear_model.LinearEventModel`, the
                            affine-event data of a chain population (theory, stationary start,
                            crossbar pulse model) — Brian2's ``get_linear_system`` analogue
``markov_model()``          :class:`MarkovModel` of a discrete synapse
``gate_pulse()``            the nominal :class:`GatePulse` of an event, or None (ideal events)
``stage_table()``           per-compartment physical quantities, or None (dimensionless devices)
=========================  ===================================================================

Chain-only questions asked of a Markov device (and the reverse) raise
:class:`NotAChainDevice` / :class:`NotAMarkovDevice` with a message naming the device.

``ChainDevice``       ideal chains (``benna_fusi``, ``single_timescale``): events Δu_1 = ±Δ, weight u_1.
``StochasticDevice``  discrete synapses (``binary_stochastic``, ``cascade``).
:class:`~neuromorph.devices.proton_transistor.ProtonTransistor` extends ``ChainDevice`` with
physical units, gate pulses, channel transfer and device-to-device variation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields, replace

import numpy as np

from ..errors import InvalidParameterError
from ..synapses.chain import ChainBatch, LinearChain
from ..synapses.models import BinarySynapse, CascadeSynapse
from .channel import IDENTITY_CHANNEL, ChannelModel
from .draws import lognormal_factors
from .linear_model import LinearEventModel

__all__ = ["Device", "DeviceParameters", "DevicePopulation", "GatePulse", "MarkovModel", "ChainDevice", "StochasticDevice",
           "NotAChainDevice", "NotAMarkovDevice", "lognormal_jitter"]


class NotAChainDevice(InvalidParameterError, TypeError):
    """A chain-only operation (events on u_1, linear model) asked of a discrete device."""


class NotAMarkovDevice(InvalidParameterError, TypeError):
    """A Markov-chain operation asked of a chain device."""


def lognormal_jitter(rng: np.random.Generator, value, sigma: float, n: int | None = None) -> np.ndarray:
    """``value`` (broadcast to n entries if given) × a lognormal factor of mean 1 and relative
    std sigma, drawn independently per entry; lognormal keeps physical parameters positive.

    The factor is exp(μ + s·ξ), ξ ~ N(0, 1), with s² = ln(1 + σ²) and μ = −s²/2, so that
    E[factor] = 1 and std[factor] = σ (the lognormal moments). The factors are drawn into the
    result array and transformed in place (:func:`neuromorph.devices.draws.lognormal_factors`: no temporaries; for up to
    2·DRAW_CHUNK entries the numbers of ``value * exp(rng.normal(μ, s, shape))``, larger draws
    in independent per-chunk streams on several threads)."""
    value = np.asarray(value, dtype=float)
    shape = value.shape if n is None else (n,)
    if sigma == 0.0:
        return np.broadcast_to(value, shape).copy()
    s2 = np.log1p(sigma**2)
    if shape == ():
        return value * np.exp(rng.normal(-0.5 * s2, np.sqrt(s2)))
    out = np.empty(shape)
    lognormal_factors(rng, out, -0.5 * s2, np.sqrt(s2))
    if np.broadcast_shapes(shape, value.shape) != shape:
        return value * out
    out *= value
    return out


@dataclass(frozen=True)
class DeviceParameters:
    """Per-device parameters of a sampled population, arrays over devices (None where the kind
    has no such parameter).

    g_min_s, g_max_s:          channel range of every device [S]
    injection_conductance_s:   gate injection conductance g_gate [S]
    capacitance_1_f:           capacity C_1 of the first compartment [F]
    """

    g_min_s: np.ndarray | None = None
    g_max_s: np.ndarray | None = None
    injection_conductance_s: np.ndarray | None = None
    capacitance_1_f: np.ndarray | None = None

    def _map(self, fn) -> "DeviceParameters":
        return DeviceParameters(**{f.name: (None if getattr(self, f.name) is None else fn(getattr(self, f.name)))
                                   for f in fields(self)})

    def take(self, index) -> "DeviceParameters":
        """The parameters of devices ``index`` (fancy indexing, e.g. the device of every event)."""
        return self._map(lambda v: v[index])

    def tile(self, reps: int) -> "DeviceParameters":
        """The population repeated ``reps`` times (devices reused across trials)."""
        return self._map(lambda v: np.tile(v, reps))

    def column(self) -> "DeviceParameters":
        """Every array as a column (N, 1), to broadcast against (N, T) read-outs."""
        return self._map(lambda v: v[:, None])


@dataclass(frozen=True)
class DevicePopulation:
    """N devices: one shared chain (``LinearChain``) or one chain per device (``ChainBatch``),
    plus per-device :class:`DeviceParameters`. ``chains`` is None for Markov devices."""

    chains: LinearChain | ChainBatch | None
    parameters: DeviceParameters = field(default_factory=DeviceParameters)

    @property
    def shared_chain(self) -> bool:
        """All devices share one chain (no variation of the chain)."""
        return isinstance(self.chains, LinearChain)

    def take(self, index) -> "DevicePopulation":
        """Parameters of devices ``index``; the chains are kept (coefficients need parameters only)."""
        return DevicePopulation(self.chains, self.parameters.take(index))

    def column(self) -> "DevicePopulation":
        return DevicePopulation(self.chains, self.parameters.column())

    def tile(self, reps: int) -> "DevicePopulation":
        """The same N devices ``reps`` times (N·reps devices, device-major blocks of N)."""
        chains = self.chains
        if isinstance(chains, ChainBatch):
            chains = ChainBatch(np.tile(chains.capacities, (reps, 1)), np.tile(chains.couplings, (reps, 1)),
                                chains.time_unit_s)
        return DevicePopulation(chains, self.parameters.tile(reps))

    def with_channel(self, g_min_s: np.ndarray, g_max_s: np.ndarray) -> "DevicePopulation":
        """The population with a per-device channel range (crossbar cells of ideal chain devices)."""
        return DevicePopulation(self.chains, replace(self.parameters, g_min_s=g_min_s, g_max_s=g_max_s))


@dataclass(frozen=True)
class GatePulse:
    """The physical gate pulse of one "+" event: target voltage π·V_gate [V], width [s], the
    injection conductance g_gate [S] through which it charges compartment 1, the card's
    ``saturation`` model, relative cycle-to-cycle noise and the polarity π = ±1."""

    target_v: float
    width_s: float
    injection_conductance_s: float
    saturation: str = "none"
    cycle_noise: float = 0.0
    polarity: float = 1.0


@dataclass(frozen=True)
class MarkovModel:
    """A discrete synapse as a Markov chain over its states (see
    :func:`neuromorph.analysis.memory_theory.markov_matrices`): the synapse model and, for the
    binary synapse, its switch probability q (closed-form signal q e^{−q r t})."""

    synapse: BinarySynapse | CascadeSynapse
    switch_probability: float | None = None


class Device(ABC):
    """The interface every device kind implements (see the module docstring)."""

    name: str
    kind: str
    dynamics: str
    readout_name = "weight"
    readout_units = "1"
    state_units = "1"
    bounds: tuple[float, float] | None = None

    @property
    @abstractmethod
    def n_variables(self) -> int: ...

    @property
    def channel(self) -> ChannelModel:
        return IDENTITY_CHANNEL

    @property
    def polarity(self) -> float:
        return 1.0

    @property
    def has_variation(self) -> bool:
        return False

    @property
    def event_duration_s(self) -> float:
        """Duration of one event's pulse [s] (0 for ideal, instantaneous events)."""
        return 0.0

    @property
    def chain(self) -> LinearChain:
        raise NotAChainDevice(f"{self.name} is a {self.kind} synapse (discrete states): it has no chain")

    def gate_pulse(self) -> GatePulse | None:
        """The nominal physical gate pulse of an event, or None (ideal events have no circuit)."""
        return None

    def stage_table(self) -> dict[str, np.ndarray] | None:
        """Per-compartment physical quantities (SI, names with unit suffixes), or None for a
        device in dimensionless units."""
        return None

    def with_variation(self, relative_std: dict[str, float]) -> "Device":
        """The same device with the given device-to-device variation (relative std per
        parameter name of the card's ``variation`` block) replacing the card's values."""
        raise InvalidParameterError(f"{self.name} ({self.kind}) has no device-to-device variation parameters")

    @abstractmethod
    def nominal_event_size(self) -> float: ...

    @abstractmethod
    def sample_population(self, n_devices: int, rng: np.random.Generator) -> DevicePopulation: ...

    @abstractmethod
    def event_coefficients(self, signs: np.ndarray, population: DevicePopulation,
                           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]: ...

    @abstractmethod
    def readout(self, u1: np.ndarray, population: DevicePopulation | None = None,
                rng: np.random.Generator | None = None) -> np.ndarray: ...

    @abstractmethod
    def linear_model(self, population: DevicePopulation) -> LinearEventModel: ...

    def markov_model(self) -> MarkovModel:
        raise NotAMarkovDevice(f"{self.name} is a {self.kind} chain device, not a discrete Markov synapse")


class ChainDevice(Device):
    """An ideal linear-chain synapse (Benna–Fusi or single timescale) in dimensionless units:
    events Δu_1 = ±event_size, weight u_1 (identity channel)."""

    dynamics = "chain"
    kind = "benna_fusi"

    def __init__(self, name: str, chain: LinearChain, event_size: float,
                 bounds: tuple[float, float] | None = None, kind: str | None = None):
        if not (np.isfinite(event_size) and event_size > 0):
            raise ValueError(f"event_size must be > 0, got {event_size}")
        if bounds is not None and not bounds[0] < bounds[1]:
            raise ValueError(f"bounds must satisfy lower < upper, got {bounds}")
        self.name = name
        self._chain = chain
        self.event_size = float(event_size)
        self.bounds = bounds
        if kind is not None:
            self.kind = kind

    @property
    def chain(self) -> LinearChain:
        """The nominal chain (the one every device shares when there is no variation)."""
        return self._chain

    @property
    def n_variables(self) -> int:
        return self.chain.n_variables

    def nominal_event_size(self) -> float:
        return self.event_size

    def sample_population(self, n_devices: int, rng: np.random.Generator) -> DevicePopulation:
        return DevicePopulation(self.chain)

    def event_coefficients(self, signs: np.ndarray, population: DevicePopulation,
                           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(α, β) of Δu_1 = α − β·u_1: fixed ±event_size events."""
        alpha = np.asarray(signs, dtype=float) * self.event_size
        return alpha, np.zeros_like(alpha)

    def readout(self, u1: np.ndarray, population: DevicePopulation | None = None,
                rng: np.random.Generator | None = None) -> np.ndarray:
        return np.asarray(u1, dtype=float)

    def linear_model(self, population: DevicePopulation) -> LinearEventModel:
        """Fixed events a = Δ, b = c = 0, identity read-out (slope 1, w_rest 0): exact."""
        one = np.ones(1)
        return LinearEventModel(chains=population.chains, mode="ideal", target=self.event_size, rate=None,
                                a=one * self.event_size, b=0 * one, cycle_noise=0.0, pulse_width_s=0.0,
                                slope=one, w_rest=0 * one, read_noise=0.0, exact=True,
                                note="exact: linear chain, Campbell/Lyapunov stationary variance")


class StochasticDevice(Device):
    """A binary or cascade synapse; time enters only through the event stream."""

    dynamics = "markov"

    def __init__(self, name: str, synapse: BinarySynapse | CascadeSynapse):
        self.name = name
        self.synapse = synapse
        self._binary = isinstance(synapse, BinarySynapse)
        self.kind = "binary_stochastic" if self._binary else "cascade"

    @property
    def n_variables(self) -> int:
        return self.synapse.n_variables

    def _no_chain(self, what: str):
        return NotAChainDevice(f"{self.name} is a {self.kind} synapse (discrete states): it has no {what}")

    def nominal_event_size(self) -> float:
        raise self._no_chain("continuous event size")

    def sample_population(self, n_devices: int, rng: np.random.Generator) -> DevicePopulation:
        return DevicePopulation(None)

    def event_coefficients(self, signs, population, rng):
        raise self._no_chain("affine events on u_1")

    def readout(self, u1: np.ndarray, population: DevicePopulation | None = None,
                rng: np.random.Generator | None = None) -> np.ndarray:
        """The state ±1 is the weight."""
        return np.asarray(u1, dtype=float)

    def linear_model(self, population: DevicePopulation) -> LinearEventModel:
        raise self._no_chain("linear model")

    def markov_model(self) -> MarkovModel:
        return MarkovModel(self.synapse, self.synapse.transition_probability if self._binary else None)
