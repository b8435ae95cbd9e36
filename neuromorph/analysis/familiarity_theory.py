"""ioSNR theory of the familiarity network with ideal linear chain synapses.

Per stored item every synapse does u ← T u + x_i x_j e_1 (T = I + A, A = C⁻¹L the chain operator in
units of one item, see :mod:`neuromorph.tasks.familiarity.network`); with a stochastic learning
rate q a synapse does this with probability q and otherwise stays unchanged. For i.i.d. ±1 items:

* mean signal of an item of age t (t = 0: read right after storing it): the io-signal is the mean
  over synapses of w_ij y_i y_j, so E[io] = q·K_q(t), K_q(t) = (T̄^t)_11 with T̄ = qT + (1 − q)I
  (the chain's discrete response kernel, K(0) = 1);
* stationary covariance of one synapse's state: M = q(T M Tᵀ + E_11) + (1 − q)M, i.e. the discrete
  Lyapunov equation M = T M Tᵀ + E_11 for every q (q = 1: M_11 = Σ_{n≥0} K(n)², the per-step
  Campbell sum of :mod:`neuromorph.analysis.memory_theory`);
* noise: w_ij and w_ji receive identical events, so the io-signal of P ordered synapses, of which
  P_sym pairs are present in both directions, has variance M_11 (P + 2 P_sym)/P² — 2 M_11/(N(N − 1))
  for full connectivity — and distinct pairs are uncorrelated.

    ioSNR(t) = q·K_q(t) / √(M_11 (P + 2 P_sym)/P²)        (full connectivity: q K_q(t) √(N(N−1)/2) / √M_11)

Exact for continuous unbounded chains; with 32-level stochastic rounding and clamping it is the
ideal-chain reference the simulation is compared with.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ..synapses.chain import LinearChain
from .memory_theory import step_sum

__all__ = ["item_transition", "exact_item_transition", "transition_kernel", "transition_variance",
           "io_snr_from_transition", "response_kernel", "stationary_variance", "io_noise_factor", "io_snr_theory",
           "io_lifetime_theory", "campbell_check"]


def item_transition(chain: LinearChain) -> np.ndarray:
    """T = I + A (m×m): the authors' per-item chain dynamics (A in units of one item)."""
    return np.eye(chain.n_variables) + chain.operator()


def response_kernel(chain: LinearChain, ages: np.ndarray, q: float = 1.0) -> np.ndarray:
    """K_q(t) = ((qT + (1 − q)I)^t)_11 at integer ages t ≥ 0, via the symmetric form of T."""
    ages = np.asarray(ages, dtype=float)
    c = chain.capacities
    s = np.diag(np.sqrt(c)) @ chain.operator() @ np.diag(1.0 / np.sqrt(c))   # C^{1/2} A C^{-1/2}, symmetric
    s = 0.5 * (s + s.T)
    mu, vec = np.linalg.eigh(np.eye(c.size) + q * s)
    weights = vec[0] ** 2
    with np.errstate(divide="ignore"):
        return np.sum(weights[None, :] * np.power(np.abs(mu)[None, :], ages[:, None])
                      * np.sign(mu)[None, :] ** (ages[:, None] % 2), axis=1)


def stationary_variance(chain: LinearChain) -> float:
    """M_11 of the stationary state under one ±1 event per item: M = T M Tᵀ + E_11."""
    t = item_transition(chain)
    if np.max(np.abs(np.linalg.eigvals(t))) >= 1.0:
        raise ValueError("the chain has no leak: the per-item dynamics has no stationary state")
    e11 = np.zeros_like(t)
    e11[0, 0] = 1.0
    return float(scipy.linalg.solve_discrete_lyapunov(t, e11)[0, 0])


def campbell_check(chain: LinearChain, n_terms: int = 200_000) -> float:
    """Σ_{n<n_terms} K(n)² by direct summation (test helper: equals :func:`stationary_variance`)."""
    return float(np.sum(response_kernel(chain, np.arange(n_terms)) ** 2))


def io_noise_factor(n_neurons: int, mask: np.ndarray | None = None) -> float:
    """(P + 2 P_sym)/P²: the io-signal variance per unit M_11 (P ordered synapses)."""
    if mask is None:
        p = n_neurons * (n_neurons - 1)
        return 2.0 / p
    off = mask & ~np.eye(mask.shape[0], dtype=bool)
    p = float(off.sum())
    p_sym = float((off & off.T).sum()) / 2.0
    return (p + 2.0 * p_sym) / p**2


def io_snr_theory(chain: LinearChain, n_neurons: int, ages: np.ndarray, q: float = 1.0,
                  mask: np.ndarray | None = None) -> np.ndarray:
    """ioSNR(t) of the ideal linear chain (module docstring)."""
    signal = q * response_kernel(chain, ages, q)
    return signal / np.sqrt(stationary_variance(chain) * io_noise_factor(n_neurons, mask))


def io_lifetime_theory(chain: LinearChain, n_neurons: int, threshold: float = 0.5, q: float = 1.0,
                       max_age: float = 1e12) -> float:
    """First (real) age where the theory's ioSNR falls below ``threshold`` (log-bisection on a
    fine grid); NaN if it starts below, ``inf`` if still above at ``max_age``."""
    ages = np.unique(np.round(np.logspace(0, np.log10(max_age), 4000)))
    ages = np.concatenate([[0.0], ages])
    curve = io_snr_theory(chain, n_neurons, ages, q)
    if curve[0] < threshold:
        return float("nan")
    below = np.flatnonzero(curve < threshold)
    if below.size == 0:
        return float("inf")
    i = below[0]
    lo, hi = ages[i - 1], ages[i]
    while hi - lo > 1:
        mid = np.floor((lo + hi) / 2)
        if io_snr_theory(chain, n_neurons, np.array([mid]), q)[0] < threshold:
            hi = mid
        else:
            lo = mid
    return float(hi)


def exact_item_transition(chain: LinearChain, item_interval: float) -> np.ndarray:
    """T = exp(A·Δt): the exact chain propagator over one item interval Δt (chain time units), for
    devices whose chains relax in real time while items arrive at a rate 1/Δt."""
    return scipy.linalg.expm(chain.operator() * item_interval)


def transition_kernel(transition: np.ndarray, ages: np.ndarray) -> np.ndarray:
    """K(t) = (T^t)_11 at integer ages for any diagonalisable T with real spectrum (chains: T is
    similar to a symmetric matrix)."""
    mu, vec = np.linalg.eig(transition)
    mu, vec = mu.real, vec.real
    weights = vec[0] * np.linalg.inv(vec)[:, 0]
    ages = np.asarray(ages, dtype=float)
    return np.sum(weights[None, :] * mu[None, :] ** ages[:, None], axis=1)


def transition_variance(transition: np.ndarray) -> float:
    """M_11 of M = T M Tᵀ + E_11 (one ±1 event on u_1 per item after the step)."""
    e11 = np.zeros_like(transition)
    e11[0, 0] = 1.0
    return float(scipy.linalg.solve_discrete_lyapunov(transition, e11)[0, 0])


def io_snr_from_transition(transition: np.ndarray, n_neurons: int, ages: np.ndarray,
                           mask: np.ndarray | None = None) -> np.ndarray:
    """ioSNR(t) = K(t)/√(M_11 (P + 2P_sym)/P²) for a linear chain with per-item propagator T."""
    return transition_kernel(transition, ages) / np.sqrt(transition_variance(transition)
                                                         * io_noise_factor(n_neurons, mask))


def _continuous_campbell(chain: LinearChain) -> float:  # pragma: no cover - documentation aid
    """The continuous-time per-step sum of memory_theory (exact propagator e^{A}), for comparison:
    the per-item Euler step T = I + A differs from e^{A} by O(rate²)."""
    return step_sum(chain, 1.0)
