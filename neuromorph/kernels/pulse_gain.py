r"""Per-cell pulse arithmetic of the fused tile write (:mod:`neuromorph.kernels.training`): binary
powering of the slot decay and the Δu_1 of k gate pulses with the soft model's one-pulse gain
a = 1 − e^{−r} from a cached per-cell table — :func:`~neuromorph.kernels.crossbar.pulse_delta`
bit for bit (tests/kernels/test_training_kernels.py).
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import inline_helper, serial_kernel
from .crossbar import pulse_delta

__all__ = ["one_pulse_gain", "one_pulse_gain_reference"]


@inline_helper
def _power(f, g):
    """f**g for an integer g ≥ 0 by binary powering (≤ 2·log2(g) products)."""
    out = 1.0
    while g > 0:
        if g & 1:
            out *= f
        f *= f
        g >>= 1
    return out


@serial_kernel
def one_pulse_gain(rate, out):
    """out[n] = a_n = 1 − e^{−r_n} = −expm1(−r_n), the soft model's gain of one pulse (the table
    :func:`batch_write` reads as ``gain_one``), with the libm expm1 the kernels use, so that
    the gain of a cell pulsed once is pulse_delta's to the bit."""
    for n in range(rate.shape[0]):
        out[n] = -math.expm1(-rate[n])


def one_pulse_gain_reference(rate, out):
    """NumPy version of :func:`one_pulse_gain` (NumPy's expm1: equal to ~1 ulp)."""
    out[:] = -np.expm1(-np.asarray(rate))


@inline_helper
def _soft_gain(k, r, a, sigma, xi):
    """Gain of k soft-saturation pulses, 1 − (1 − a)^k + σ·a·(1 − a)^(k−1)·√k·ξ with
    a = 1 − e^{−r} (:func:`~neuromorph.kernels.crossbar.pulse_delta`), taking a from the cached
    per-cell table: for k = 1 it is a + σ·a·ξ — the same floating-point operations as
    pulse_delta's (−expm1(−1·r) = a, e^{−0·r} = √1 = 1 exactly), so the result is bit-identical
    without its three transcendentals."""
    if k == 1:
        gain = a
        if sigma != 0.0:
            gain += sigma * a * xi
        return gain
    gain = -math.expm1(-k * r)
    if sigma != 0.0:
        gain += sigma * a * math.exp(-(k - 1) * r) * math.sqrt(k) * xi
    return gain


@inline_helper
def _cell_delta(c, u1, r, a, target, mode, sigma, xi, clip, lower, upper):
    """Δu_1 of c signed pulses (:func:`~neuromorph.kernels.crossbar.pulse_delta`, bit for bit),
    the soft model's gain by :func:`_soft_gain`."""
    if mode != 1:
        return pulse_delta(c, u1, r, target, mode, sigma, xi, clip, lower, upper)
    k = abs(c)
    s = 1.0 if c > 0 else -1.0
    delta = _soft_gain(k, r, a, sigma, xi) * (s * target - u1)
    if clip:
        delta = min(max(u1 + delta, lower), upper) - u1
    return delta
