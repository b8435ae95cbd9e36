"""Discrete synapse models, the baselines the Benna–Fusi chain (:mod:`neuromorph.synapses.chain`,
wrapped by :class:`neuromorph.devices.base.ChainDevice`) is compared with.

``BinarySynapse``     two states ±1, an opposing event switches the state with probability q.
``CascadeSynapse``    Fusi, Drew & Abbott (2005): ±1 states with n metaplastic levels each.

Populations are plain arrays; these objects hold parameters and know how to update them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels import stochastic as skern

__all__ = ["BinarySynapse", "CascadeSynapse", "cascade_probabilities"]

def cascade_probabilities(n_levels: int, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """(q, p) of the cascade model (Fusi, Drew & Abbott 2005), levels i = 1..n (0-based arrays).

    q_i = x^(i-1) for i < n and q_n = x^(n-1)/(1-x): switch probability at level i;
    p_i = x^i/(1-x) for i < n (p_n = 0): probability to move one level deeper.
    """
    i = np.arange(1, n_levels + 1, dtype=float)
    q = ratio ** (i - 1)
    q[-1] = ratio ** (n_levels - 1) / (1.0 - ratio)
    p = ratio**i / (1.0 - ratio)
    p[-1] = 0.0
    return np.minimum(q, 1.0), np.minimum(p, 1.0)


@dataclass(frozen=True)
class BinarySynapse:
    """w ∈ {−1, +1}; an event of sign s ≠ w sets w = s with probability q (no decay otherwise)."""

    transition_probability: float

    def __post_init__(self) -> None:
        if not 0.0 < self.transition_probability <= 1.0:
            raise ValueError(f"transition_probability must be in (0, 1], got {self.transition_probability}")

    n_variables = 1

    def probabilities(self) -> tuple[np.ndarray, np.ndarray]:
        """(q, p) per level as for the cascade: switch probability [q] and no deepening [0]."""
        return np.array([self.transition_probability]), np.zeros(1)

    def initial_state(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Stationary state of an unbiased event stream: ±1 with equal probability."""
        return {"state": rng.choice(np.array([-1, 1], dtype=np.int8), size=n)}

    def apply_events(self, state: dict, signs: np.ndarray, rng: np.random.Generator) -> None:
        skern.binary_update(state["state"], signs.astype(np.int8), rng.random(signs.size),
                            self.transition_probability)

    @staticmethod
    def weight(state: dict) -> np.ndarray:
        return state["state"].astype(float)


@dataclass(frozen=True)
class CascadeSynapse:
    """Cascade synapse with ``n_levels`` levels per state and level ratio x (default 1/2)."""

    n_levels: int
    ratio: float = 0.5

    def __post_init__(self) -> None:
        if self.n_levels < 1:
            raise ValueError(f"n_levels must be >= 1, got {self.n_levels}")
        if not 0.0 < self.ratio < 1.0:
            raise ValueError(f"ratio must be in (0, 1), got {self.ratio}")

    @property
    def n_variables(self) -> int:
        return self.n_levels

    def probabilities(self) -> tuple[np.ndarray, np.ndarray]:
        return cascade_probabilities(self.n_levels, self.ratio)

    def stationary_level_distribution(self) -> np.ndarray:
        """Occupancy of levels 1..n within one state under an unbiased stream (balance of the
        Markov chain on 2n states), used to start populations in steady state."""
        q, p = self.probabilities()
        n = self.n_levels
        # states 0..n-1: (+, level), n..2n-1: (−, level); each event is ± with probability 1/2
        trans = np.zeros((2 * n, 2 * n))
        for side in (0, 1):
            for lv in range(n):
                here = side * n + lv
                other = (1 - side) * n
                trans[here, other] += 0.5 * q[lv]
                if lv < n - 1:
                    trans[here, here + 1] += 0.5 * p[lv]
        trans[np.diag_indices(2 * n)] = 1.0 - trans.sum(axis=1)
        evals, evecs = np.linalg.eig(trans.T)
        pi = np.real(evecs[:, np.argmin(np.abs(evals - 1.0))])
        pi = pi / pi.sum()
        return pi[:n] / pi[:n].sum()

    def initial_state(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        levels = rng.choice(self.n_levels, size=n, p=self.stationary_level_distribution())
        return {"state": rng.choice(np.array([-1, 1], dtype=np.int8), size=n),
                "level": levels.astype(np.int16)}

    def apply_events(self, state: dict, signs: np.ndarray, rng: np.random.Generator) -> None:
        q, p = self.probabilities()
        skern.cascade_update(state["state"], state["level"], signs.astype(np.int8), rng.random(signs.size), q, p)

    @staticmethod
    def weight(state: dict) -> np.ndarray:
        return state["state"].astype(float)
