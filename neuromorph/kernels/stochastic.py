"""Update kernels for discrete stochastic synapses (binary, cascade), each with a NumPy reference.

Random numbers are drawn by the caller from a ``numpy.random.Generator`` and passed in as
``uniforms`` so results depend only on the seed, never on threads or the executor.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["binary_update", "binary_update_reference", "cascade_update", "cascade_update_reference",
           "cascade_probabilities"]


@njit(parallel=True, cache=True)
def binary_update(state, signs, uniforms, q):
    """state ∈ {−1,+1} (int8, in place); an event of sign s ≠ state switches with probability q."""
    for n in prange(state.shape[0]):
        s = signs[n]
        if s != 0 and s != state[n] and uniforms[n] < q:
            state[n] = s


def binary_update_reference(state, signs, uniforms, q):
    switch = (signs != 0) & (signs != state) & (uniforms < q)
    state[switch] = signs[switch]


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


@njit(parallel=True, cache=True)
def cascade_update(state, level, signs, uniforms, q, p):
    """state ∈ {−1,+1}, level ∈ 0..n−1 (int8/int16, in place)."""
    n_levels = q.shape[0]
    for n in prange(state.shape[0]):
        s = signs[n]
        if s == 0:
            continue
        lv = level[n]
        if s == state[n]:
            if lv < n_levels - 1 and uniforms[n] < p[lv]:
                level[n] = lv + 1
        elif uniforms[n] < q[lv]:
            state[n] = s
            level[n] = 0


def cascade_update_reference(state, level, signs, uniforms, q, p):
    same = (signs != 0) & (signs == state)
    opposite = (signs != 0) & (signs != state)
    deeper = same & (level < q.size - 1) & (uniforms < p[level])
    switch = opposite & (uniforms < q[level])
    level[deeper] += 1
    state[switch] = signs[switch]
    level[switch] = 0
