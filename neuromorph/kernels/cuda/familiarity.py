"""CUDA twin of :func:`neuromorph.kernels.familiarity.store_items`: one-shot Hebbian storage of
items into a dense network of chain synapses, one thread per synapse (i, j).

Same arguments and semantics as the CPU kernel (the update, its order and the counter-based
splitmix64 draws are described in :mod:`neuromorph.kernels.familiarity`), with the state in the
device layout ``state[k, i, j]`` (m, N, N): neighbouring threads (neighbouring j) touch
neighbouring addresses. ``mask`` (N, N) uint8 (1 = the synapse exists), ``items`` (n_items, N)
int8 ±1, ``lower`` / ``diag`` / ``upper`` (m,) the tridiagonal per-item transition T.

Bit-for-bit the CPU numbers: every draw is a pure function of (key, item index, synapse index,
draw number), and the chain step u_k ← lower_k·u_{k−1} + diag_k·u_k + upper_k·u_{k+1} + [k = 1]·hebb
is summed in the CPU kernel's order with non-contracted multiply and add
(:func:`neuromorph.kernels.cuda._device.mul`/``add``), so the stochastic rounding compares the
same double with the same uniform and takes the same branch.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from ._device import THREADS_PER_BLOCK, add, blocks_for, floor, mul, u64_add, u64_mul

__all__ = ["store_items", "DeviceNetworkState"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_ONE = np.uint64(1)
_TWO = np.uint64(2)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_TO_UNIT = 2.0 ** -32


@cuda.jit(device=True)
def _splitmix64(key, counter):
    z = u64_add(key, u64_mul(u64_add(counter, _ONE), _GOLDEN))
    z = u64_mul(z ^ (z >> _S30), _MIX1)
    z = u64_mul(z ^ (z >> _S27), _MIX2)
    return z ^ (z >> _S31)


@cuda.jit
def _store_items(state, mask, items, first_item, key, lower, diag, upper, q, levels, bound):
    s = cuda.grid(1)
    m = state.shape[0]
    n = state.shape[1]
    if s >= n * n:
        return
    i = s // n
    j = s - i * n
    if mask[i, j] == 0:
        return
    words = np.uint64((m + 2) // 2)
    n_slots = np.uint64(n * n)
    offset = 0.5 if levels % 2 == 0 else 0.0
    q_word = np.uint64(m // 2)  # the learning-rate draw is uniform number m: word m // 2, half m % 2
    for t in range(items.shape[0]):
        xi = items[t, i]
        row_base = u64_add(u64_mul(np.uint64(first_item + t), n_slots), np.uint64(i * n))
        base = u64_mul(u64_add(row_base, np.uint64(j)), words)
        if q < 1.0:
            zq = _splitmix64(key, u64_add(base, q_word))
            if m % 2 == 0:
                uq = np.float64(zq >> _S32) * _TO_UNIT
            else:
                uq = np.float64(zq & _LOW32) * _TO_UNIT
            if uq >= q:
                continue
        hebb = np.float64(xi) if i == j else np.float64(xi * items[t, j])
        previous = 0.0
        word = np.uint64(0)
        for k in range(m):
            current = state[k, i, j]
            acc = mul(diag[k], current)
            if k > 0:
                acc = add(acc, mul(lower[k], previous))
            if k < m - 1:
                acc = add(acc, mul(upper[k], state[k + 1, i, j]))
            previous = current
            if k == 0:
                acc = add(acc, hebb)
            if levels > 0:
                low = add(floor(acc - offset), offset)
                if k % 2 == 0:
                    word = _splitmix64(key, u64_add(base, np.uint64(k // 2)))
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
            state[k, i, j] = acc


def store_items(state, mask, items, first_item, key, lower, diag, upper, q, levels, bound):
    """Store ``items`` (the first being item number ``first_item`` of the stream) into the device
    ``state`` (m, N, N) in place; see the module docstring and the CPU kernel."""
    n = state.shape[1]
    _store_items[blocks_for(n * n), THREADS_PER_BLOCK](state, mask, items, np.int64(first_item), np.uint64(key),
                                                       lower, diag, upper, float(q), int(levels), float(bound))


class DeviceNetworkState:
    """The state of a familiarity network resident on the GPU: ``state`` (m, N, N), the mask and the
    per-item transition T; :meth:`store` runs :func:`store_items` without any host transfer
    except the items; :meth:`to_host` / :meth:`from_host` copy the state in the host layout
    (N, N, m) — only when the network is read (probes, checkpoints)."""

    def __init__(self, state: np.ndarray, mask: np.ndarray, lower: np.ndarray, diag: np.ndarray, upper: np.ndarray):
        self.state = cuda.to_device(np.ascontiguousarray(np.moveaxis(state, 2, 0)))
        self.mask = cuda.to_device(np.ascontiguousarray(mask, dtype=np.uint8))
        self.lower, self.diag, self.upper = (cuda.to_device(np.ascontiguousarray(a, float))
                                             for a in (lower, diag, upper))

    def store(self, items: np.ndarray, first_item: int, key, q: float, levels: int, bound: float) -> None:
        """Store ``items`` (n, N) int8 ±1, the first being item ``first_item`` of the stream."""
        store_items(self.state, self.mask, cuda.to_device(np.ascontiguousarray(items, np.int8)), first_item, key,
                    self.lower, self.diag, self.upper, q, levels, bound)

    def to_host(self, out: np.ndarray) -> None:
        """Copy the state into ``out`` (N, N, m)."""
        out[...] = np.moveaxis(self.state.copy_to_host(), 0, 2)

    def from_host(self, state: np.ndarray) -> None:
        """Replace the device state by ``state`` (N, N, m) (a restored checkpoint)."""
        self.state.copy_to_device(np.ascontiguousarray(np.moveaxis(state, 2, 0)))
