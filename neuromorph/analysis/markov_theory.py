"""Memory signal of discrete synapses (binary, cascade) as Markov chains — the exact part of
:mod:`neuromorph.analysis.memory_theory` (definitions of signal, noise and SNR there).

Binary and cascade synapses (exact mean signal)
-----------------------------------------------
Independent synapses are Markov chains over their discrete states; the expected overlap is
p_0 T̄^k w (per step) or p_0 exp(r t (T̄ − I)) w (Poisson) with p_0 = π T_+ the stationary
distribution after the storage event and T̄ = (T_+ + T_−)/2 (Fusi, Drew & Abbott, Neuron 45:599,
2005). For the binary synapse (Amit & Fusi, Neural Comput. 6:957, 1994; Fusi et al. 2005) with
this event convention an event flips a synapse of the opposite state with probability q, so
P(w = ξ) relaxes by (1 − q/2) − q/2 = (1 − q) per event:

    S_k = q (1 − q)^k (per step),   S(t) = q e^{−q r t} (Poisson),   SNR = √N·S,

(w = ±1 so σ_h = 1/√N), lifetime ln(q√N/θ)/(q r) for criterion θ, maximal at q = eθ/√N where
it equals √N/(e θ r): the √N law of simple bounded synapses.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ..config.experiment_schema import check_event_mode
from ..synapses.models import BinarySynapse, CascadeSynapse

__all__ = ["binary_signal", "binary_lifetime", "binary_best_q", "markov_matrices", "markov_signal"]

def binary_signal(q: float, t: np.ndarray, rate: float, events: str = "poisson") -> np.ndarray:
    """Expected overlap of a binary synapse population: q e^{−q r t} or q (1 − q)^{r t}."""
    check_event_mode(events)
    t = np.asarray(t, float)
    if events == "poisson":
        return q * np.exp(-q * rate * t)
    return q * (1.0 - q) ** (rate * t)


def binary_lifetime(q: float, n_synapses: float, rate: float, criterion: float = 1.0,
                    events: str = "poisson") -> float:
    """Age where √N·S(t) = criterion: ln(q√N/θ)/(q r) (Poisson) or ln(q√N/θ)/(−r ln(1−q))."""
    x = np.log(q * np.sqrt(n_synapses) / criterion)
    if x <= 0:
        return 0.0
    if events == "poisson":
        return float(x / (q * rate))
    return float(x / (-rate * np.log1p(-q))) if q < 1 else 0.0


def binary_best_q(n_synapses: float, criterion: float = 1.0) -> float:
    """q maximising the Poisson lifetime ln(q√N/θ)/q: q* = e·θ/√N (capped at 1)."""
    return float(min(1.0, np.e * criterion / np.sqrt(n_synapses)))


def markov_matrices(synapse: BinarySynapse | CascadeSynapse) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T_+, T_−, w): row-stochastic transition matrices of one + or − event over the 2n states
    [(+1, level 1..n), (−1, level 1..n)] and the weight of each state. Built from the rules
    stated in :mod:`neuromorph.synapses.models` (binary: n = 1, switch probability q, no
    deepening)."""
    q, p = synapse.probabilities()
    n = q.size
    t_plus = np.zeros((2 * n, 2 * n))
    for lv in range(n):
        plus, minus = lv, n + lv
        if lv < n - 1:
            t_plus[plus, plus + 1] += p[lv]
        t_plus[plus, plus] += 1.0 - (p[lv] if lv < n - 1 else 0.0)
        t_plus[minus, 0] += q[lv]
        t_plus[minus, minus] += 1.0 - q[lv]
    swap = np.r_[np.arange(n, 2 * n), np.arange(n)]
    t_minus = t_plus[np.ix_(swap, swap)]
    w = np.r_[np.ones(n), -np.ones(n)]
    return t_plus, t_minus, w


def _stationary(matrix: np.ndarray) -> np.ndarray:
    """Stationary distribution π = π T (least squares with Σπ = 1)."""
    k = matrix.shape[0]
    system = np.vstack([matrix.T - np.eye(k), np.ones((1, k))])
    rhs = np.r_[np.zeros(k), 1.0]
    pi = np.linalg.lstsq(system, rhs, rcond=None)[0]
    return np.clip(pi, 0.0, None) / np.clip(pi, 0.0, None).sum()


def markov_signal(synapse: BinarySynapse | CascadeSynapse, t: np.ndarray, rate: float,
                  events: str = "poisson") -> np.ndarray:
    """Exact expected overlap E[ξ w](t) of a stochastic synapse population (Markov chain)."""
    check_event_mode(events)
    t = np.atleast_1d(np.asarray(t, float))
    t_plus, t_minus, w = markov_matrices(synapse)
    mean = 0.5 * (t_plus + t_minus)
    p0 = _stationary(mean) @ t_plus
    out = np.empty(t.size)
    if events == "poisson":
        generator = rate * (mean - np.eye(mean.shape[0]))
        for i, ti in enumerate(t):
            out[i] = p0 @ scipy.linalg.expm(generator * ti) @ w
    else:
        steps = np.rint(t * rate).astype(np.int64)
        for i, k in enumerate(steps):
            out[i] = p0 @ np.linalg.matrix_power(mean, int(k)) @ w
    return out
