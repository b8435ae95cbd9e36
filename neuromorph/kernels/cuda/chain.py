"""CUDA twins of the chain kernels of :mod:`neuromorph.kernels.chain` (one thread per synapse).

Same arguments, same order, same semantics as the CPU kernels, with every per-synapse 2-D array
in the device layout of :mod:`neuromorph.kernels.cuda._device`: state ``z`` (m, N), ``decay`` /
``kick`` / ``readout`` / ``rates`` (m, 1|N) (a last axis of 1 = shared by all synapses, as a
first host axis of 1 is on the CPU); 1-D arrays (α, β, weights, CSR lists) are unchanged. All
arrays are device arrays; the functions launch and return without waiting (the next launch or a
copy to the host orders after it).

``eigen_step``          z ← e^{λ dt} ⊙ z, u_1 = r·z, event Δu_1 = α − β·u_1 (clipped so that u_1
                        stays in [lower, upper] if ``clip``), z += Δu_1·k; weight_out = u_1 after.
``eigen_run``           T such steps fused: α, β (T, 1|N), weights (T, N); the synapse's z stays
                        in the thread across the T steps.
``eigen_event_driven``  exact jumps between each synapse's own events (CSR ``offsets``), z advanced
                        to t_end.

Equations and the reason the event clip is exact (lower ≤ 0 ≤ upper): see
:mod:`neuromorph.kernels.chain`. The CPU kernels are the references: the tests run both on the
same inputs.
"""

from __future__ import annotations

import math

from numba import cuda

from ._device import THREADS_PER_BLOCK, blocks_for

__all__ = ["eigen_step", "eigen_run", "eigen_event_driven"]


@cuda.jit
def _eigen_step(z, decay, kick, readout, alpha, beta, clip, lower, upper, weight_out):
    n = cuda.grid(1)
    m = z.shape[0]
    if n >= z.shape[1]:
        return
    cd = n if decay.shape[1] > 1 else 0
    ck = n if kick.shape[1] > 1 else 0
    cr = n if readout.shape[1] > 1 else 0
    a = alpha[n] if alpha.shape[0] > 1 else alpha[0]
    b = beta[n] if beta.shape[0] > 1 else beta[0]
    u1 = 0.0
    for i in range(m):
        zi = z[i, n] * decay[i, cd]
        z[i, n] = zi
        u1 += readout[i, cr] * zi
    delta = a - b * u1
    if clip:
        delta = min(max(u1 + delta, lower), upper) - u1
    for i in range(m):
        z[i, n] += delta * kick[i, ck]
    weight_out[n] = u1 + delta


def eigen_step(z, decay, kick, readout, alpha, beta, clip, lower, upper, weight_out):
    """One exact step of every synapse on the GPU (see the module docstring)."""
    _eigen_step[blocks_for(z.shape[1]), THREADS_PER_BLOCK](z, decay, kick, readout, alpha, beta, bool(clip),
                                                           float(lower), float(upper), weight_out)


@cuda.jit
def _eigen_run(z, decay, kick, readout, alpha, beta, clip, lower, upper, weights):
    n = cuda.grid(1)
    m = z.shape[0]
    if n >= z.shape[1]:
        return
    cd = n if decay.shape[1] > 1 else 0
    ck = n if kick.shape[1] > 1 else 0
    cr = n if readout.shape[1] > 1 else 0
    ca = n if alpha.shape[1] > 1 else 0
    cb = n if beta.shape[1] > 1 else 0
    for t in range(alpha.shape[0]):
        u1 = 0.0
        for i in range(m):
            zi = z[i, n] * decay[i, cd]
            z[i, n] = zi
            u1 += readout[i, cr] * zi
        delta = alpha[t, ca] - beta[t, cb] * u1
        if clip:
            delta = min(max(u1 + delta, lower), upper) - u1
        for i in range(m):
            z[i, n] += delta * kick[i, ck]
        weights[t, n] = u1 + delta


def eigen_run(z, decay, kick, readout, alpha, beta, clip, lower, upper, weights):
    """T fused exact steps (α, β (T, 1|N); ``weights`` (T, N) receives u_1 after each step)."""
    _eigen_run[blocks_for(z.shape[1]), THREADS_PER_BLOCK](z, decay, kick, readout, alpha, beta, bool(clip),
                                                          float(lower), float(upper), weights)


@cuda.jit
def _eigen_event_driven(z, rates, kick, readout, offsets, times, alpha, beta, clip, lower, upper, t_start, t_end,
                        weight_at_event):
    n = cuda.grid(1)
    m = z.shape[0]
    if n >= z.shape[1]:
        return
    cl = n if rates.shape[1] > 1 else 0
    ck = n if kick.shape[1] > 1 else 0
    cr = n if readout.shape[1] > 1 else 0
    t_prev = t_start
    for e in range(offsets[n], offsets[n + 1]):
        dt = times[e] - t_prev
        u1 = 0.0
        for i in range(m):
            zi = z[i, n] * math.exp(rates[i, cl] * dt)
            z[i, n] = zi
            u1 += readout[i, cr] * zi
        delta = alpha[e] - beta[e] * u1
        if clip:
            delta = min(max(u1 + delta, lower), upper) - u1
        for i in range(m):
            z[i, n] += delta * kick[i, ck]
        weight_at_event[e] = u1 + delta
        t_prev = times[e]
    dt = t_end - t_prev
    for i in range(m):
        z[i, n] *= math.exp(rates[i, cl] * dt)


def eigen_event_driven(z, rates, kick, readout, offsets, times, alpha, beta, clip, lower, upper, t_start, t_end,
                       weight_at_event):
    """Exact event-driven integration of every synapse's CSR event list up to ``t_end``."""
    _eigen_event_driven[blocks_for(z.shape[1]), THREADS_PER_BLOCK](
        z, rates, kick, readout, offsets, times, alpha, beta, bool(clip), float(lower), float(upper),
        float(t_start), float(t_end), weight_at_event)
