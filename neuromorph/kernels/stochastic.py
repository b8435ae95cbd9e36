"""Update kernels for discrete stochastic synapses (binary, cascade), each with a NumPy reference.

Random numbers are drawn by the caller from a ``numpy.random.Generator`` and passed in as
``uniforms`` so results depend only on the seed, never on threads or the executor. The model's
probabilities (e.g. the cascade's q_i, p_i) are computed above this layer, in
:mod:`neuromorph.synapses.models`, and passed in.
"""

from __future__ import annotations

from numba import prange

from ._jit import population_kernel

__all__ = ["binary_update", "binary_update_reference", "cascade_update", "cascade_update_reference"]


@population_kernel
def binary_update(state, signs, uniforms, q):
    """state ∈ {−1,+1} (int8, in place); an event of sign s ≠ state switches with probability q."""
    for n in prange(state.shape[0]):
        s = signs[n]
        if s != 0 and s != state[n] and uniforms[n] < q:
            state[n] = s


def binary_update_reference(state, signs, uniforms, q):
    switch = (signs != 0) & (signs != state) & (uniforms < q)
    state[switch] = signs[switch]


@population_kernel
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
