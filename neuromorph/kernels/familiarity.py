"""Familiarity-network kernels: fused one-shot Hebbian storage of many items into a dense network of
chain synapses, and the one-step recurrent read-out — each with a NumPy reference.

State layout
------------
``state[i, j, k]`` (float64, shape (N, N, m)) is variable k of the synapse from neuron j onto
neuron i; the diagonal ``state[i, i, :]`` holds neuron i's bias chain (no self-synapse exists).
``mask[i, j]`` (bool) says whether synapse j→i exists (partial connectivity); the diagonal must be
True (the bias always exists). Masked-out synapses are never touched and never read.

One stored item x ∈ {±1}^N (Ji-An, Stefanini, Benna & Fusi, iScience 26:105856, 2023; authors'
``BCSLayer.update``), for every existing synapse, in this order:

1. with probability 1 − q the synapse keeps its state unchanged for this item (stochastic learning
   rate; the authors' "rollback", which also skips the chain dynamics); q = 1 keeps every update;
2. chain dynamics for one item: u ← T u, T tridiagonal (``lower``, ``diag``, ``upper``);
3. Hebbian event on the first variable: u_1 += x_i x_j (i ≠ j), bias u_1 += x_i;
4. if ``levels`` > 0: every variable is rounded stochastically to the grid of ``levels`` levels
   (half-integers for an even count, integers for an odd one): u ← ⌊u − o⌋ + o + [ξ ≤ u − ⌊u − o⌋ − o],
   o = ½ if levels is even, ξ uniform in [0, 1) — unbiased, E[u_new] = u;
5. if ``bound`` > 0: every variable is clamped to [−bound, bound].

Random numbers come from a counter-based generator (splitmix64 of seed key and a counter built
from the item's index in the stream, the synapse's flat index and the draw), so the result does
not depend on how many items are stored per call, on the thread count, or on the implementation:
the numba kernel and the NumPy reference give bit-identical states for the same key.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._jit import population_kernel

__all__ = ["GOLDEN", "splitmix64", "splitmix64_reference", "uniforms_per_synapse",
           "store_items", "store_items_reference", "recurrent_readout", "recurrent_readout_reference"]

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_TO_UNIT = 2.0 ** -32


def uniforms_per_synapse(n_variables: int) -> int:
    """64-bit words drawn per synapse per item: one 32-bit uniform per variable (rounding) plus
    one for the stochastic learning rate, two uniforms per word."""
    return (n_variables + 2) // 2


@njit(cache=True, inline="always", nogil=True)
def splitmix64(key, counter):
    """splitmix64 output for stream position ``counter`` (uint64 arithmetic, wraps mod 2^64)."""
    z = key + (counter + np.uint64(1)) * GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


def splitmix64_reference(key, counter):
    """NumPy version of :func:`splitmix64` (``counter`` an uint64 array)."""
    with np.errstate(over="ignore"):
        z = np.uint64(key) + (counter.astype(np.uint64) + np.uint64(1)) * GOLDEN
        z = (z ^ (z >> _S30)) * _MIX1
        z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always", nogil=True)
def _uniform(key, base, draw):
    """Uniform in [0, 1) number ``draw`` of the synapse whose counter base is ``base``."""
    z = splitmix64(key, base + np.uint64(draw // 2))
    if draw % 2 == 0:
        return np.float64(z >> _S32) * _TO_UNIT
    return np.float64(z & _LOW32) * _TO_UNIT


def _store_items(state, mask, items, first_item, key, lower, diag, upper, q, levels, bound):
    """Store ``items`` (n_items, N) int8 ±1, the first being item number ``first_item`` of the
    stream, into ``state`` (N, N, m) in place; see the module docstring for the update.

    Fused: each neuron's row of synapses (N·m values) stays in cache across all items of the call.
    ``q`` = 1 disables the stochastic learning rate, ``levels`` = 0 the rounding, ``bound`` = 0
    the clamp."""
    n = state.shape[0]
    m = state.shape[2]
    n_items = items.shape[0]
    words = np.uint64((m + 2) // 2)
    n_slots = np.uint64(n * n)
    offset = 0.5 if levels % 2 == 0 else 0.0
    for i in prange(n):
        # row i (N·m values) stays in cache across the items of the call
        for t in range(n_items):
            xi = items[t, i]
            row_base = np.uint64(first_item + t) * n_slots + np.uint64(i * n)
            for j in range(n):
                if not mask[i, j]:
                    continue
                base = (row_base + np.uint64(j)) * words
                if q < 1.0:
                    if _uniform(key, base, m) >= q:
                        continue
                hebb = xi if i == j else xi * items[t, j]
                previous = 0.0          # u_{k-1} before this item's step
                word = np.uint64(0)     # one 64-bit draw serves variables 2w (high half) and 2w+1 (low half)
                for k in range(m):
                    current = state[i, j, k]
                    acc = diag[k] * current
                    if k > 0:
                        acc += lower[k] * previous
                    if k < m - 1:
                        acc += upper[k] * state[i, j, k + 1]
                    previous = current
                    if k == 0:
                        acc += hebb
                    if levels > 0:
                        low = np.floor(acc - offset) + offset
                        if k % 2 == 0:
                            word = splitmix64(key, base + np.uint64(k // 2))
                            uniform = np.float64(word >> _S32) * _TO_UNIT
                        else:
                            uniform = np.float64(word & _LOW32) * _TO_UNIT
                        if uniform <= acc - low:
                            acc = low + 1.0
                        else:
                            acc = low
                    if bound > 0.0:
                        if acc > bound:
                            acc = bound
                        elif acc < -bound:
                            acc = -bound
                    state[i, j, k] = acc


_store_builds = population_kernel(_store_items)
_store_parallel, _store_serial = _store_builds.parallel, _store_builds.serial
#: below this many variable updates per call the serial kernel is used (thread start-up costs more)
PARALLEL_MIN_WORK = 1 << 20


def store_items(state, mask, items, first_item, key, lower, diag, upper, q, levels, bound):
    """See :func:`_store_items` (same numbers serial or parallel; the choice is by work size)."""
    work = state.size * items.shape[0]
    kernel = _store_parallel if work >= PARALLEL_MIN_WORK else _store_serial
    kernel(state, mask, items, np.int64(first_item), np.uint64(key), lower, diag, upper, float(q), int(levels),
           float(bound))


store_items.__doc__ = _store_items.__doc__


def _uniform_reference(key, base, draw):
    z = splitmix64_reference(key, base + np.uint64(draw // 2))
    if draw % 2 == 0:
        return (z >> _S32).astype(np.float64) * _TO_UNIT
    return (z & _LOW32).astype(np.float64) * _TO_UNIT


def store_items_reference(state, mask, items, first_item, key, lower, diag, upper, q, levels, bound):
    """NumPy reference of :func:`store_items`: one item at a time, all synapses vectorised."""
    n, _, m = state.shape
    words = np.uint64(uniforms_per_synapse(m))
    slots = np.arange(n * n, dtype=np.uint64).reshape(n, n)
    eye = np.eye(n, dtype=bool)
    offset = 0.5 if levels % 2 == 0 else 0.0
    for t in range(items.shape[0]):
        x = items[t].astype(np.int64)
        with np.errstate(over="ignore"):
            base = (np.uint64(first_item + t) * np.uint64(n * n) + slots) * words
        keep = mask.copy()
        if q < 1.0:
            keep &= _uniform_reference(key, base, m) < q
        u = np.moveaxis(state, 2, 0)              # (m, N, N) view
        new = diag[:, None, None] * u
        new[1:] += lower[1:, None, None] * u[:-1]
        new[:-1] += upper[:-1, None, None] * u[1:]
        hebb = np.outer(x, x).astype(np.float64)
        hebb[eye] = x
        new[0] += hebb
        for k in range(m):
            v = new[k]
            if levels > 0:
                low = np.floor(v - offset) + offset
                v = np.where(_uniform_reference(key, base, k) <= v - low, low + 1.0, low)
            if bound > 0.0:
                v = np.clip(v, -bound, bound)
            new[k] = v
        u[:, keep] = new[:, keep]


def _recurrent_readout(state, mask, probes, n_connections):
    """One recurrent step for each probe y (rows of ``probes``, int8 ±1, shape (P, N)):
    h_i = Σ_{j≠i, mask} w_ij y_j with w = state[..., 0], memory_i = sign(h_i + b_i) (ties → +1).

    Returns (r, io) of shape (P,): r = 1 − 2·(fraction of neurons with memory_i ≠ y_i);
    io = Σ_{i≠j, mask} w_ij y_i y_j / ``n_connections`` (the authors' ideal-observer signal, the
    mean over synapses of w_ij·Δw_ij(y))."""
    n_probes, n = probes.shape
    r = np.empty(n_probes)
    io = np.empty(n_probes)
    for p in prange(n_probes):
        mismatches = 0
        overlap = 0.0
        for i in range(n):
            h = 0.0
            for j in range(n):
                if j != i and mask[i, j]:
                    h += state[i, j, 0] * probes[p, j]
            memory = 1 if h + state[i, i, 0] >= 0.0 else -1
            if memory != probes[p, i]:
                mismatches += 1
            overlap += probes[p, i] * h
        r[p] = 1.0 - 2.0 * mismatches / n
        io[p] = overlap / n_connections
    return r, io


_readout_builds = population_kernel(_recurrent_readout)
_readout_parallel, _readout_serial = _readout_builds.parallel, _readout_builds.serial


def recurrent_readout(state, mask, probes, n_connections):
    """See :func:`_recurrent_readout`."""
    work = state.shape[0] * state.shape[1] * probes.shape[0]
    kernel = _readout_parallel if work >= PARALLEL_MIN_WORK and probes.shape[0] > 1 else _readout_serial
    return kernel(state, mask, probes, float(n_connections))


recurrent_readout.__doc__ = _recurrent_readout.__doc__


def recurrent_readout_reference(state, mask, probes, n_connections):
    """NumPy reference of :func:`recurrent_readout`."""
    n = state.shape[0]
    off = mask & ~np.eye(n, dtype=bool)
    weights = np.where(off, state[:, :, 0], 0.0)
    y = probes.astype(np.float64)
    h = y @ weights.T                                      # (P, N)
    memory = np.where(h + np.diagonal(state[:, :, 0])[None, :] >= 0.0, 1, -1)
    r = 1.0 - 2.0 * np.mean(memory != probes, axis=1)
    io = np.sum(y * h, axis=1) / n_connections
    return r, io
