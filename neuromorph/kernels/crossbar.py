"""Crossbar kernels (numba), each with a NumPy reference: fused pulse updates and state reads of
every cell of an array, in the chains' eigenbasis.

State layout as in :mod:`neuromorph.kernels.chain`: mode-space state ``z`` (N, m), per-cell
parameters with first axis N (one per cell) or 1 (shared).

``pulse_step``        z ← e^{λ dt} ⊙ z, then the event of k signed gate pulses on u_1
                      (Δu_1 = α − β·u_1 computed in place from the count, see below), optional
                      clip of u_1 to [lower, upper]; the fused form of
                      :func:`neuromorph.crossbar.write.pulse_coefficients` followed by
                      :func:`neuromorph.kernels.chain.eigen_step` (no (N,) temporaries).
``advance_read_u1``   z ← e^{λ dt} ⊙ z and u_1 = r·z in one pass.
``coincidence_counts`` signed coincidences of packed row and column pulse trains (popcount of
                      the bitwise AND), the stochastic update's pulse counts for every cell.

Pulse models (``mode``), with k = |count|, s = sign(count), r = rate (g_gate·w/C_1), T = target,
σ = cycle noise, ξ the caller's standard normal per cell:

    0  linear   α = s·T·r·(k + σ√k ξ),                                β = 0
    1  soft     g = 1 − e^{−k r} + σ·(1 − e^{−r})·e^{−(k−1) r}·√k ξ,   α = s·T·g,  β = g
    2  ideal    α = count·T (T = event size),                          β = 0
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import inline_helper, population_kernel
from .chain import decay_and_read_u1

__all__ = ["pulse_step", "pulse_step_reference", "advance_read_u1", "advance_read_u1_reference",
           "coincidence_counts", "coincidence_counts_reference", "pack_bits", "MODE_LINEAR", "MODE_SOFT",
           "MODE_IDEAL"]

MODE_LINEAR, MODE_SOFT, MODE_IDEAL = 0, 1, 2


@inline_helper
def pulse_delta(c, u1, r, target, mode, sigma, xi_value, clip, lower, upper):
    """Δu_1 of ``c`` signed gate pulses (c ≠ 0) on a cell at u_1 with pulse rate r and cycle-noise
    draw ξ = ``xi_value`` (the pulse models of the module docstring), clipped so that u_1 + Δu_1
    stays in [lower, upper] when ``clip``. Shared by :func:`pulse_step` and the batch kernel of
    :mod:`neuromorph.kernels.training`."""
    k = abs(c)
    s = 1.0 if c > 0 else -1.0
    if mode == 2:
        delta = c * target
    else:
        root = math.sqrt(k)
        if mode == 0:
            delta = s * target * r * (k + sigma * root * xi_value)
        else:
            gain = -math.expm1(-k * r)
            if sigma != 0.0:
                gain += sigma * (-math.expm1(-r)) * math.exp(-(k - 1) * r) * root * xi_value
            delta = gain * (s * target - u1)
    if clip:
        delta = min(max(u1 + delta, lower), upper) - u1
    return delta


@population_kernel
def pulse_step(z, decay, kick, readout, counts, rate, target, mode, sigma, xi, clip, lower, upper, u1_out):
    """Fused decay + k-pulse event for every cell (see the module docstring); ``u1_out`` (N,)
    receives u_1 after the event."""
    n_cell, m = z.shape
    sd = 1 if decay.shape[0] > 1 else 0
    sk = 1 if kick.shape[0] > 1 else 0
    sr = 1 if readout.shape[0] > 1 else 0
    sq = 1 if rate.shape[0] > 1 else 0
    for n in prange(n_cell):
        u1 = decay_and_read_u1(z, n, decay, sd, readout, sr)
        c = counts[n]
        delta = 0.0
        if c != 0:
            delta = pulse_delta(c, u1, rate[n * sq], target, mode, sigma, xi[n] if sigma != 0.0 else 0.0,
                                clip, lower, upper)
            for i in range(m):
                z[n, i] += delta * kick[n * sk, i]
        u1_out[n] = u1 + delta


def pulse_step_reference(z, decay, kick, readout, counts, rate, target, mode, sigma, xi, clip, lower, upper, u1_out):
    """NumPy version of :func:`pulse_step` (vectorised over cells)."""
    z *= decay
    u1 = np.einsum("nm,nm->n", z, np.broadcast_to(readout, z.shape))
    k = np.abs(counts).astype(float)
    s = np.sign(counts).astype(float)
    rate = np.broadcast_to(rate, k.shape)
    if mode == MODE_IDEAL:
        delta = counts * target
    elif mode == MODE_LINEAR:
        delta = s * target * rate * (k + sigma * np.sqrt(k) * xi)
    else:
        gain = -np.expm1(-k * rate)
        if sigma:
            gain = gain + sigma * -np.expm1(-rate) * np.exp(-np.maximum(k - 1, 0) * rate) * np.sqrt(k) * xi
        delta = gain * (s * target - u1)
    delta = np.where(counts != 0, delta, 0.0)
    if clip:
        delta = np.where(counts != 0, np.clip(u1 + delta, lower, upper) - u1, 0.0)
    z += delta[:, None] * kick
    u1_out[:] = u1 + delta


@population_kernel
def advance_read_u1(z, decay, readout, u1_out):
    """z ← decay ⊙ z (decay (1|N, m)) and u1_out = readout·z (N,), one pass."""
    n_cell, m = z.shape
    sd = 1 if decay.shape[0] > 1 else 0
    sr = 1 if readout.shape[0] > 1 else 0
    for n in prange(n_cell):
        u1_out[n] = decay_and_read_u1(z, n, decay, sd, readout, sr)


def advance_read_u1_reference(z, decay, readout, u1_out):
    z *= decay
    u1_out[:] = np.einsum("nm,nm->n", z, np.broadcast_to(readout, z.shape))


# --------------------------------------------------------------------------- #
# stochastic pulse coincidence
# --------------------------------------------------------------------------- #
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_S1, _S2, _S4, _S56 = np.uint64(1), np.uint64(2), np.uint64(4), np.uint64(56)


@inline_helper
def popcount(x):
    """Set bits of a uint64 (SWAR bit count), as int64: the coincidences in one 64-bit word of
    two ANDed pulse trains. Shared by :func:`coincidence_counts` and the batch write kernel."""
    x = x - ((x >> _S1) & _M1)
    x = (x & _M2) + ((x >> _S2) & _M2)
    x = (x + (x >> _S4)) & _M4
    return np.int64((x * _H01) >> _S56)


@population_kernel
def coincidence_counts(row_words, col_words, row_sign, col_sign, counts):
    """counts[i, j] = row_sign[i]·col_sign[j]·popcount(row_words[i] & col_words[j]) summed over
    the 64-bit words of the packed bit streams (row_words (N_in, W), col_words (N_out, W) uint64,
    signs int8); ``counts`` (N_in, N_out) int32. The coincidence of two pulse trains is a bitwise
    AND, as in the hardware (Gokmen & Vlasov 2016)."""
    n_in, n_words = row_words.shape
    n_out = col_words.shape[0]
    for i in prange(n_in):
        si = row_sign[i]
        for j in range(n_out):
            total = 0
            for w in range(n_words):
                total += popcount(row_words[i, w] & col_words[j, w])
            counts[i, j] = si * col_sign[j] * total


def coincidence_counts_reference(row_words, col_words, row_sign, col_sign, counts):
    """Same result from unpacked 0/1 streams and a matrix product (independent of the popcount)."""
    rows = np.unpackbits(row_words.view(np.uint8), axis=1, bitorder="little").astype(np.int64)
    cols = np.unpackbits(col_words.view(np.uint8), axis=1, bitorder="little").astype(np.int64)
    counts[:] = (rows @ cols.T) * np.multiply.outer(row_sign.astype(np.int64), col_sign.astype(np.int64))


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack a boolean (N, L) array of bit streams into (N, ceil(L/64)) uint64 words (bit t of the
    stream is bit t mod 64 of word t // 64)."""
    bits = np.asarray(bits, dtype=bool)
    n, length = bits.shape
    n_words = max(1, -(-length // 64))
    padded = np.zeros((n, 64 * n_words), dtype=bool)
    padded[:, :length] = bits
    return np.ascontiguousarray(np.packbits(padded, axis=1, bitorder="little").view(np.uint64))
