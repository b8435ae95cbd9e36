"""CUDA twin of :func:`neuromorph.kernels.crossbar.pulse_step` (one thread per cell).

Same arguments and semantics as the CPU kernel, with ``z`` (m, N) and ``decay`` / ``kick`` /
``readout`` (m, 1|N) in the device layout of :mod:`neuromorph.kernels.cuda._device`; ``counts``
(N,) int32, ``rate`` (1|N,), ``xi`` (N,) (read only when σ ≠ 0), ``u1_out`` (N,). Per cell:
z ← e^{λ dt} ⊙ z, u_1 = r·z, then for k = |c| ≠ 0 signed pulses (s = sign c, r = rate, T = target,
σ = cycle noise, ξ the cell's standard normal):

    linear (0)  Δu_1 = s·T·r·(k + σ√k ξ)
    soft   (1)  g = 1 − e^{−k r} + σ·(1 − e^{−r})·e^{−(k−1) r}·√k ξ,   Δu_1 = g·(s·T − u_1)
    ideal  (2)  Δu_1 = c·T

clipped so that u_1 + Δu_1 stays in [lower, upper] if ``clip``; z += Δu_1·k.

The crossbar array (:mod:`neuromorph.crossbar`) does not call this kernel yet; it is tested
against the CPU kernel and ready for a GPU write path.
"""

from __future__ import annotations

import math

from numba import cuda

from ._device import THREADS_PER_BLOCK, blocks_for

__all__ = ["pulse_step"]


@cuda.jit(device=True)
def _pulse_delta(c, u1, r, target, mode, sigma, xi_value, clip, lower, upper):
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


@cuda.jit
def _pulse_step(z, decay, kick, readout, counts, rate, target, mode, sigma, xi, clip, lower, upper, u1_out):
    n = cuda.grid(1)
    m = z.shape[0]
    if n >= z.shape[1]:
        return
    cd = n if decay.shape[1] > 1 else 0
    ck = n if kick.shape[1] > 1 else 0
    cr = n if readout.shape[1] > 1 else 0
    u1 = 0.0
    for i in range(m):
        zi = z[i, n] * decay[i, cd]
        z[i, n] = zi
        u1 += readout[i, cr] * zi
    c = counts[n]
    delta = 0.0
    if c != 0:
        r = rate[n] if rate.shape[0] > 1 else rate[0]
        xi_value = xi[n] if sigma != 0.0 else 0.0
        delta = _pulse_delta(c, u1, r, target, mode, sigma, xi_value, clip, lower, upper)
        for i in range(m):
            z[i, n] += delta * kick[i, ck]
    u1_out[n] = u1 + delta


def pulse_step(z, decay, kick, readout, counts, rate, target, mode, sigma, xi, clip, lower, upper, u1_out):
    """Fused decay + k-pulse event for every cell on the GPU (see the module docstring)."""
    _pulse_step[blocks_for(z.shape[1]), THREADS_PER_BLOCK](
        z, decay, kick, readout, counts, rate, float(target), int(mode), float(sigma), xi, bool(clip), float(lower),
        float(upper), u1_out)
