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

from ._jit import inline_helper, population_kernel, serial_kernel
from .crossbar import pulse_delta, pulse_step_reference

__all__ = ["batch_pulse_step", "batch_pulse_step_reference", "scatter_cell_counts", "scatter_cell_counts_reference",
           "fill_pulse_noise", "fill_pulse_noise_reference"]


@inline_helper
def _catch_up_and_read_u1(z, n, pending, first_done, decay_first, sf, log_decay_slot, ss, readout, sr):
    """Apply the decay cell n owes — e^{λ Δt_0} if it was not yet advanced this batch, times
    e^{g λ Δt_slot} for its ``pending`` = g slots without a pulse — and return u_1 = r·z_n."""
    u1 = 0.0
    for i in range(z.shape[1]):
        f = math.exp(log_decay_slot[n * ss, i] * pending) if pending > 0 else 1.0
        if not first_done:
            f *= decay_first[n * sf, i]
        zi = z[n, i] * f
        z[n, i] = zi
        u1 += readout[n * sr, i] * zi
    return u1


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
            u1 = _catch_up_and_read_u1(z, n, pending, first_done, decay_first, sf, log_decay_slot, ss, readout, sr)
            first_done = True
            pending = 0
            delta = pulse_delta(c, u1, rate[n * sq], target, mode, sigma, xi[b, n] if sigma != 0.0 else 0.0,
                                clip, lower, upper)
            for i in range(m):
                z[n, i] += delta * kick[n * sk, i]
        u1_out[n] = _catch_up_and_read_u1(z, n, pending, first_done, decay_first, sf, log_decay_slot, ss, readout, sr)


def batch_pulse_step_reference(z, decay_first, log_decay_slot, kick, readout, counts, rate, target, mode, sigma, xi,
                               clip, lower, upper, u1_out):
    """NumPy reference: B calls of :func:`~neuromorph.kernels.crossbar.pulse_step_reference`,
    decaying every cell slot by slot."""
    decay_slot = np.exp(log_decay_slot)
    for b in range(counts.shape[0]):
        pulse_step_reference(z, decay_first if b == 0 else decay_slot, kick, readout, counts[b], rate, target, mode,
                             sigma, xi[b], clip, lower, upper, u1_out)


@serial_kernel
def scatter_cell_counts(weight_counts, differential, stuck, cells_out):
    """Per-cell signed pulse counts of one write from its weight counts (N_in, N_out), in the
    array's cell order: differential pairs get (+c, −c) on columns (2j, 2j+1), a reference-column
    array c on column j; ``stuck`` cells (bool per cell) get none. Returns (pulsed cells,
    Σ|count|) — one pass, no temporaries."""
    n_in, n_out = weight_counts.shape
    lines = 2 * n_out if differential else n_out
    pulsed = 0
    total = 0
    for i in range(n_in):
        for j in range(n_out):
            c = weight_counts[i, j]
            if differential:
                a = i * lines + 2 * j
                cells_out[a] = 0 if stuck[a] else c
                cells_out[a + 1] = 0 if stuck[a + 1] else -c
                for n in (a, a + 1):
                    if cells_out[n] != 0:
                        pulsed += 1
                        total += abs(cells_out[n])
            else:
                a = i * lines + j
                cells_out[a] = 0 if stuck[a] else c
                if cells_out[a] != 0:
                    pulsed += 1
                    total += abs(cells_out[a])
    return pulsed, total


def scatter_cell_counts_reference(weight_counts, differential, stuck, cells_out):
    """NumPy reference of :func:`scatter_cell_counts`."""
    n_in, n_out = weight_counts.shape
    if differential:
        cells = np.empty((n_in, 2 * n_out), dtype=cells_out.dtype)
        cells[:, 0::2] = weight_counts
        cells[:, 1::2] = -weight_counts
    else:
        cells = np.array(weight_counts, dtype=cells_out.dtype)
    flat = cells.reshape(-1)
    flat[stuck] = 0
    cells_out[:] = flat
    return int(np.count_nonzero(flat)), int(np.abs(flat).sum())


@serial_kernel
def fill_pulse_noise(cells, draws, xi_out):
    """ξ of one write: the standard normals ``draws`` go to the pulsed cells in cell order (as
    :func:`neuromorph.crossbar.write.pulse_noise` assigns them); other entries are left as they
    are (the batch kernel reads ξ only where a cell is pulsed)."""
    k = 0
    for n in range(cells.shape[0]):
        if cells[n] != 0:
            xi_out[n] = draws[k]
            k += 1


def fill_pulse_noise_reference(cells, draws, xi_out):
    xi_out[np.flatnonzero(cells)] = draws
