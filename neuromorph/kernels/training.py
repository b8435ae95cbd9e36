r"""The fused per-tile, per-batch update kernel of crossbar training (numba), with its NumPy
reference.

A mini-batch of B samples updates a tile as hardware does: B rank-1 pulse writes, one per
sample, each in its own update slot, the chains relaxing exactly between them. For every cell n
(state layout and pulse models as in :mod:`neuromorph.kernels.crossbar`):

    for b = 0 … B−1:
        z_n ← D_b ⊙ z_n            D_0 = e^{λ Δt_0} (time since the cell was last advanced),
                                    D_b = e^{λ Δt_slot} for b ≥ 1 (one update slot)
        u_1 ← r·z_n
        Δu_1 = event(counts[b, n], ξ[b, n])   (ideal / linear / soft gate model)
        Δu_1 ← clip(u_1 + Δu_1, lower, upper) − u_1   (if the device is bounded)
        z_n ← z_n + Δu_1 · kick_n

One call covers the whole batch (no Python loop over samples, no (B, N) state temporaries), and
it is event-driven per cell: the slots without a pulse are applied as one factor e^{g λ Δt_slot}
at the cell's next pulse, so sparse stochastic updates cost little more than their pulses. ``batch_pulse_step_reference``
does the same with B calls of :func:`neuromorph.kernels.crossbar.pulse_step_reference`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import population_kernel
from .chain import decay_and_read_u1
from .crossbar import pulse_step_reference

__all__ = ["batch_pulse_step", "batch_pulse_step_reference"]


@population_kernel
def batch_pulse_step(z, decay_first, log_decay_slot, kick, readout, counts, rate, target, mode, sigma, xi, clip,
                     lower, upper, u1_out):
    """B sequential pulse events per cell with exact relaxation between them (module docstring).
    ``counts`` and ``xi`` are (B, N) (``xi`` is read only when σ ≠ 0; pass (B, 1) otherwise);
    ``log_decay_slot`` = λ·Δt_slot (1|N, m); ``u1_out`` (N,) receives u_1 after the last write.

    Event-driven per cell: the g slots without a pulse since the cell's last event are applied
    as one factor e^{g λ Δt_slot} when the next pulse (or the end of the batch) comes, so a cell
    costs O(B) integer tests plus O(m) per pulse — the same state as slot-by-slot decay, to
    rounding."""
    n_cell, m = z.shape
    n_batch = counts.shape[0]
    sf = 1 if decay_first.shape[0] > 1 else 0
    ss = 1 if log_decay_slot.shape[0] > 1 else 0
    sk = 1 if kick.shape[0] > 1 else 0
    sr = 1 if readout.shape[0] > 1 else 0
    sq = 1 if rate.shape[0] > 1 else 0
    for n in prange(n_cell):
        first_done = False
        pending = 0                     # slots of decay not yet applied (after the first decay)
        for b in range(n_batch):
            c = counts[b, n]
            if b > 0:
                pending += 1
            if c == 0:
                continue
            u1 = 0.0
            for i in range(m):
                f = math.exp(log_decay_slot[n * ss, i] * pending) if pending > 0 else 1.0
                if not first_done:
                    f *= decay_first[n * sf, i]
                zi = z[n, i] * f
                z[n, i] = zi
                u1 += readout[n * sr, i] * zi
            first_done = True
            pending = 0
            k = abs(c)
            s = 1.0 if c > 0 else -1.0
            if mode == 2:
                delta = c * target
            else:
                r = rate[n * sq]
                root = math.sqrt(k)
                if mode == 0:
                    noise = sigma * root * xi[b, n] if sigma != 0.0 else 0.0
                    delta = s * target * r * (k + noise)
                else:
                    gain = -math.expm1(-k * r)
                    if sigma != 0.0:
                        gain += sigma * (-math.expm1(-r)) * math.exp(-(k - 1) * r) * root * xi[b, n]
                    delta = gain * (s * target - u1)
            if clip:
                delta = min(max(u1 + delta, lower), upper) - u1
            for i in range(m):
                z[n, i] += delta * kick[n * sk, i]
        u1 = 0.0
        for i in range(m):
            f = math.exp(log_decay_slot[n * ss, i] * pending) if pending > 0 else 1.0
            if not first_done:
                f *= decay_first[n * sf, i]
            zi = z[n, i] * f
            z[n, i] = zi
            u1 += readout[n * sr, i] * zi
        u1_out[n] = u1


def batch_pulse_step_reference(z, decay_first, log_decay_slot, kick, readout, counts, rate, target, mode, sigma, xi,
                               clip, lower, upper, u1_out):
    """NumPy reference: B calls of :func:`~neuromorph.kernels.crossbar.pulse_step_reference`,
    decaying every cell slot by slot."""
    decay_slot = np.exp(log_decay_slot)
    for b in range(counts.shape[0]):
        pulse_step_reference(z, decay_first if b == 0 else decay_slot, kick, readout, counts[b], rate, target, mode,
                             sigma, xi[b], clip, lower, upper, u1_out)
