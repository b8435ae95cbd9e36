r"""Counter-based random numbers of the crossbar write path (numba), each with a NumPy reference:
the stochastic pulse trains of rows and columns and the cycle-to-cycle noise of pulsed cells.

Every number is a pure function of a 64-bit *write key* K (one per rank-1 write, drawn from the
array's write stream) and of where it is used, through splitmix64
(:func:`neuromorph.kernels.familiarity.splitmix64`): no generator state is shared between
threads or samples, so the draws do not depend on the thread count, on how many writes a kernel
call covers, or on which cells happen to be pulsed. Sub-keys K_row = h(K, 0), K_col = h(K, 1),
K_noise = h(K, 2), with h = splitmix64.

Pulse trains (Gokmen & Vlasov, Front. Neurosci. 10:333, 2016)
    Line ℓ (row i of x or column j of δ) with probability p_ℓ fires bit t of its length-BL train
    iff U_ℓ,t < p_ℓ, where U_ℓ,t ∈ [0, 1) is a 32-bit uniform: word w = h(K_line, ℓ·H + ⌊t/2⌋),
    H = ⌈BL/2⌉, gives U = (w >> 32)·2⁻³² for even t and (w & (2³² − 1))·2⁻³² for odd t. So every
    bit is Bernoulli(p_ℓ) (to 2⁻³² resolution in p), independent across bits, lines and writes.
    The trains are packed little-endian into uint64 words (bit t of the train = bit t mod 64 of
    word ⌊t/64⌋), the layout of :func:`neuromorph.kernels.crossbar.pack_bits`. A line with
    p_ℓ = 0 fires nothing and costs no draws.
Cycle noise
    ξ of cell n in a write is a standard normal by Box–Muller: cells 2k and 2k+1 (the two cells
    of a differential pair) share the pair of 53-bit uniforms
    u_a = (⌊h(K_noise, 2k)/2¹¹⌋ + 1)·2⁻⁵³ ∈ (0, 1], u_b = ⌊h(K_noise, 2k+1)/2¹¹⌋·2⁻⁵³ ∈ [0, 1),
    and take ξ_2k = √(−2 ln u_a)·cos(2π u_b), ξ_2k+1 = √(−2 ln u_a)·sin(2π u_b) — two
    independent standard normals. The numba and NumPy versions agree to the last bit or two of the
    libm log/cos (relative 1e-15).
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import inline_helper, population_kernel, serial_kernel
from .familiarity import splitmix64, splitmix64_reference

__all__ = ["write_subkeys", "write_subkeys_reference", "pulse_trains", "pulse_trains_reference", "cycle_normal",
           "cycle_normal_reference", "cycle_normal_pair", "train_words"]

_S11 = np.uint64(11)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_TO_UNIT32 = 2.0 ** -32
_TO_UNIT53 = 2.0 ** -53
_TWO_PI = 2.0 * math.pi


def train_words(bit_length: int) -> int:
    """uint64 words of one packed pulse train of ``bit_length`` bits."""
    return max(1, -(-int(bit_length) // 64))


@population_kernel
def write_subkeys(keys, out):
    """out[b] = (K_row, K_col, K_noise) of write key keys[b] (uint64 (B,) → (B, 3))."""
    for b in range(keys.shape[0]):
        for s in range(3):
            out[b, s] = splitmix64(keys[b], np.uint64(s))


def write_subkeys_reference(keys, out):
    keys = np.asarray(keys, dtype=np.uint64)
    for s in range(3):
        out[:, s] = splitmix64_reference(keys, np.full(keys.shape, s, dtype=np.uint64))


@serial_kernel
def pulse_trains(probs, keys, bit_length, words_out):
    """Packed Bernoulli pulse trains of every line of every write (module docstring), serial (a
    line costs ⌈BL/2⌉ hashes, ~30 ns at BL = 31: waking threads costs more): ``probs`` (B·N,) firing probabilities, write-major (entry b·N + ℓ is line
    ℓ of write b), ``keys`` (B,) the line sub-keys (K_row or K_col) of the writes, ``words_out``
    (B·N, W) uint64 receives the trains (W = :func:`train_words`)."""
    n_total = probs.shape[0]
    n_lines = n_total // keys.shape[0]
    n_words = words_out.shape[1]
    half = np.uint64((bit_length + 1) // 2)
    for k in range(n_total):
        line = k % n_lines
        key = keys[k // n_lines]
        p = probs[k]
        base = np.uint64(line) * half
        for w in range(n_words):
            word = np.uint64(0)
            if p > 0.0:
                # 64 is even: the two uniforms of one hash never straddle two words
                for t in range(64 * w, min(bit_length, 64 * w + 64), 2):
                    z = splitmix64(key, base + np.uint64(t // 2))
                    if np.float64(z >> _S32) * _TO_UNIT32 < p:
                        word |= np.uint64(1) << np.uint64(t - 64 * w)
                    if t + 1 < bit_length and np.float64(z & _LOW32) * _TO_UNIT32 < p:
                        word |= np.uint64(1) << np.uint64(t + 1 - 64 * w)
            words_out[k, w] = word


def pulse_trains_reference(probs, keys, bit_length, words_out):
    """NumPy version of :func:`pulse_trains`: all uniforms of a write at once, then
    :func:`neuromorph.kernels.crossbar.pack_bits`."""
    from .crossbar import pack_bits

    n_batch = keys.shape[0]
    n_lines = probs.shape[0] // n_batch
    half = (bit_length + 1) // 2
    counters = (np.arange(n_lines, dtype=np.uint64)[:, None] * np.uint64(half)
                + np.arange(half, dtype=np.uint64)[None, :])
    for b in range(n_batch):
        z = splitmix64_reference(keys[b], counters)                    # (N, H)
        u = np.empty((n_lines, 2 * half))
        u[:, 0::2] = (z >> _S32).astype(np.float64) * _TO_UNIT32
        u[:, 1::2] = (z & _LOW32).astype(np.float64) * _TO_UNIT32
        words_out[b * n_lines:(b + 1) * n_lines] = pack_bits(u[:, :bit_length] < probs[b * n_lines:(b + 1) * n_lines, None])


@inline_helper
def cycle_normal_pair(key, k):
    """The Box–Muller pair (ξ_2k, ξ_2k+1) = R·(cos θ, sin θ) of cells 2k and 2k+1 in the write
    whose noise sub-key is ``key`` (module docstring)."""
    two_k = np.uint64(k) * np.uint64(2)
    ua = (np.float64(splitmix64(key, two_k) >> _S11) + 1.0) * _TO_UNIT53
    ub = np.float64(splitmix64(key, two_k + np.uint64(1)) >> _S11) * _TO_UNIT53
    radius = math.sqrt(-2.0 * math.log(ua))
    angle = _TWO_PI * ub
    return radius * math.cos(angle), radius * math.sin(angle)


@inline_helper
def cycle_normal(key, n):
    """Standard normal ξ of cell ``n`` in the write whose noise sub-key is ``key``: the cosine
    (even n) or sine (odd n) member of its pair's Box–Muller draw."""
    first, second = cycle_normal_pair(key, n // 2)
    return first if n % 2 == 0 else second


def cycle_normal_reference(key, cells):
    """NumPy version of :func:`cycle_normal` for an array of cell indices."""
    cells = np.asarray(cells, dtype=np.uint64)
    two_k = (cells // np.uint64(2)) * np.uint64(2)
    ua = ((splitmix64_reference(key, two_k) >> _S11).astype(np.float64) + 1.0) * _TO_UNIT53
    ub = (splitmix64_reference(key, two_k + np.uint64(1)) >> _S11).astype(np.float64) * _TO_UNIT53
    radius = np.sqrt(-2.0 * np.log(ua))
    angle = _TWO_PI * ub
    return radius * np.where(cells % np.uint64(2) == 0, np.cos(angle), np.sin(angle))
