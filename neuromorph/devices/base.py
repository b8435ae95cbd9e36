"""Devices as the rest of the toolkit sees them: populations of chains (or stochastic states),
how a plasticity event changes u_1, and how the weight is read.

``ChainDevice``       ideal chains (``benna_fusi``, ``single_timescale``): events Δu_1 = ±Δ, weight u_1.
``StochasticDevice``  discrete synapses (``binary_stochastic``, ``cascade``).
:class:`~neuromorph.devices.proton_transistor.ProtonTransistor` extends ``ChainDevice`` with
physical units, gate pulses, channel transfer and device-to-device variation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..synapses.chain import ChainBatch, LinearChain
from ..synapses.models import BinarySynapse, CascadeSynapse, ChainSynapse

__all__ = ["DevicePopulation", "ChainDevice", "StochasticDevice", "lognormal_jitter"]


def lognormal_jitter(rng: np.random.Generator, value, sigma: float, n: int | None = None) -> np.ndarray:
    """``value`` (broadcast to n entries if given) × a lognormal factor of mean 1 and relative
    std sigma, drawn independently per entry; lognormal keeps physical parameters positive."""
    value = np.asarray(value, dtype=float)
    shape = value.shape if n is None else (n,)
    if sigma == 0.0:
        return np.broadcast_to(value, shape).copy()
    s2 = np.log1p(sigma**2)
    return value * np.exp(rng.normal(-0.5 * s2, np.sqrt(s2), size=shape))


@dataclass
class DevicePopulation:
    """N devices: one shared chain or one chain per device, plus per-device parameter arrays."""

    chains: LinearChain | ChainBatch
    params: dict[str, np.ndarray] = field(default_factory=dict)


class ChainDevice:
    """An ideal linear-chain synapse (Benna–Fusi or single timescale) in dimensionless units."""

    kind = "benna_fusi"
    weight_name = "weight"
    weight_units = "1"
    state_units = "1"
    has_variation = False
    stochastic = False

    def __init__(self, name: str, chain: LinearChain, event_size: float,
                 bounds: tuple[float, float] | None = None, kind: str | None = None):
        self.name = name
        self.chain = chain
        self.event_size = float(event_size)
        self.bounds = bounds
        if kind is not None:
            self.kind = kind
        self.synapse = ChainSynapse(chain, self.event_size, bounds)

    @property
    def n_variables(self) -> int:
        return self.chain.n_variables

    def sample_population(self, n_devices: int, rng: np.random.Generator) -> DevicePopulation:
        return DevicePopulation(self.chain, {})

    def event_coefficients(self, signs: np.ndarray, population: DevicePopulation,
                           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(α, β) of Δu_1 = α − β·u_1: fixed ±event_size events."""
        alpha = np.asarray(signs, dtype=float) * self.event_size
        return alpha, np.zeros_like(alpha)

    def weight(self, u1: np.ndarray, population: DevicePopulation | None = None,
               rng: np.random.Generator | None = None) -> np.ndarray:
        return np.asarray(u1, dtype=float)


class StochasticDevice:
    """A binary or cascade synapse; time enters only through the event stream."""

    weight_name = "weight"
    weight_units = "1"
    stochastic = True
    has_variation = False

    def __init__(self, name: str, synapse: BinarySynapse | CascadeSynapse):
        self.name = name
        self.synapse = synapse
        self.kind = "binary_stochastic" if isinstance(synapse, BinarySynapse) else "cascade"

    @property
    def n_variables(self) -> int:
        return self.synapse.n_variables
