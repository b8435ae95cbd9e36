r"""The fused per-tile, per-batch write of crossbar training (numba), with its NumPy reference.

A mini-batch of B samples updates a tile as hardware does: B rank-1 pulse writes η x_b δ_bᵀ, one
per update slot, the chains relaxing exactly between them. :func:`batch_write` does the whole
batch in one call, parallel over the array's rows (each row's cells are independent, so the
result does not depend on the thread count):

1. pulse counts of weight (i, j) in write b, computed where they are used:
   ``stochastic``     n = sign(x_i δ_j)·|R_b,i AND C_b,j|, the coincidences of the packed row and
                      column pulse trains (:mod:`neuromorph.kernels.pulse_streams`, Gokmen &
                      Vlasov 2016), counted from the set bits (rows and columns that fire
                      nothing cost nothing);
   ``deterministic``  n = clip(rint(η x_i δ_j / Δw_min), −BL, BL);
   cell counts: differential pairs (+n on column 2j, −n on 2j+1), a reference-column array n on
   column j; stuck cells get none.
2. lazy exact relaxation: between writes a cell only decays, linearly per eigenmode
   (z ← e^{λ Δt} ⊙ z), so the state is kept in the frame of the time t_0 the population was last
   advanced to, and a cell is touched only when it is pulsed. At slot b (time t_b = t_s +
   b·Δt_slot, t_s the array's time at slot 0) the cell's true state is F_b ⊙ z_n with
   F_b = e^{λ (t_b − t_0)}, taken from a frame table (a row per cell with variation, built by
   the caller once for a run of writes) times a power of the per-slot factor e^{λ Δt_slot} for
   the slots between the row's time and t_b (binary powering: a few ulp); a row per cell then
   moves to t_b, so in a run of writes the gaps, and the powering, stay short. The pulse event
   at slot b:

        u_1 = r·(F_b ⊙ z_n),   Δu_1 = event(n, ξ)   (ideal / linear / soft gate model, pulse_delta)
        Δu_1 ← clip(u_1 + Δu_1, lower, upper) − u_1   (bounded devices)
        z_n ← z_n + Δu_1 · kick_n ⊘ F_b

   (the kick, added at t_b, expressed at t_0). Cells no write pulses are not touched at all; the
   next read advances every cell from t_0 as it would have anyway. Exact: the flow is linear and
   F_b > 0; the caller keeps λ·(t − t_0) bounded so that 1/F_b stays far from overflow.
   ξ is the cell's cycle-noise normal of that write (counter-based, per cell and write key).

Cost: O(set row bits + coincidences) to find the counts and O(pulsed cells·m) for the events —
no pass over the unpulsed cells — instead of the O(B·N_in·N_out) coincidence products and
O(B·N_cells·m) of slot-by-slot relaxation. The per-cell work is written out in the kernel body,
not in inlined helpers that take arrays: numba's reference counting adds an atomic increment and
decrement per array argument per call, which made up ~2/3 of the kernel's time (perf, 1024²).
Per pulsed cell (1024², one thread) the time is mostly memory — the cell's state, frame row,
kick and read-out vectors, ~200 bytes — then the cycle-noise draw (splitmix64, log, sqrt,
sincos per pair: ~1/3 of the kernel with σ ≠ 0); the soft gain of a cell pulsed once comes from
a cached table (k = 1 is ~45 % of the pulsed cells). :func:`batch_write_reference` does the same slot by
slot with NumPy (every cell decayed every slot, counts by unpacked bit products, the final state
divided back to the frame of t_0): the two agree to rounding.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import inline_helper, population_kernel, serial_kernel
from .crossbar import coincidence_counts_reference, popcount, pulse_delta, pulse_step_reference
from .pulse_gain import _cell_delta, _power
from .pulse_streams import cycle_normal, cycle_normal_pair, cycle_normal_reference

__all__ = ["batch_write", "batch_write_reference", "scatter_cell_counts", "scatter_cell_counts_reference"]

@inline_helper
def _lowest_bit(word):
    """(index of the lowest set bit of a non-zero uint64, word without that bit)."""
    low = word & (~word + np.uint64(1))
    return popcount(low - np.uint64(1)), word ^ low


@serial_kernel
def _column_bit_lists(col_words, ptr, idx):
    """For every write b and train bit t, the columns whose train fires bit t, in column order:
    idx[ptr[b·L + t] : ptr[b·L + t + 1]] (L = 64·W). ``ptr`` (B·L + 1,) int64 and ``idx``
    (≥ set bits,) int32 are filled."""
    n_batch, n_out, n_words = col_words.shape
    n_bits = 64 * n_words
    ptr[:] = 0
    for b in range(n_batch):
        for j in range(n_out):
            for w in range(n_words):
                word = col_words[b, j, w]
                while word != 0:
                    t, word = _lowest_bit(word)
                    ptr[b * n_bits + w * 64 + t + 1] += 1
    for k in range(n_batch * n_bits):
        ptr[k + 1] += ptr[k]
    cursor = ptr[:-1].copy()
    for b in range(n_batch):
        for j in range(n_out):
            for w in range(n_words):
                word = col_words[b, j, w]
                while word != 0:
                    t, word = _lowest_bit(word)
                    k = b * n_bits + w * 64 + t
                    idx[cursor[k]] = j
                    cursor[k] += 1


@population_kernel
def batch_write(z, decay_first, frame_slot, decay_slot, slot_offset, kick, readout, rate, gain_one, target, mode,
                sigma, clip, lower, upper, stochastic, row_words, col_words, row_sign, col_sign, x, d, d_max, eta,
                dw_min, bit_length, col_list, col_count, noise_keys, differential, stuck, keep, counts_out, pulses_out,
                clipped_out):
    """All B writes of a batch on one array (module docstring), in place on ``z`` (N_cells, m).

    Chain data: the frame table ``decay_first`` (1|N, m), row n = e^{λ_n (t_f − t_0 +
    s_n·Δt_slot)} with s_n = ``frame_slot[n]`` (int64 (1|N,)), and ``decay_slot`` e^{λ Δt_slot}
    (1|N, m): write b lands at slot g = ``slot_offset`` + b of the frame (time t_f + g·Δt_slot)
    and uses F = decay_first[n] ⊙ decay_slot^(g − s_n) (binary powering; a division by the power
    when g < s_n). With a row per cell the kernel then stores F and s_n = g back (the cell's
    frame follows its last pulse: the next gap is short and powering it cheap); a shared row
    (1, m) is left as it is. ``kick``,
    ``readout`` (1|N, m); pulse model ``rate`` r (1|N), ``gain_one`` a = 1 − e^{−r} (1|N, the
    soft model's one-pulse gain; unused by the other modes), ``target``, ``mode``, ``sigma``;
    bounds ``clip``, ``lower``, ``upper``. Writes: ``x`` (B, N_in), ``d`` (B, N_out), ``d_max``
    (B,) = max_j |d_bj|, ``eta``, ``dw_min``, ``bit_length``; ``stochastic`` selects the counts:
    packed trains ``row_words`` (B, N_in, W), ``col_words`` (B, N_out, W) uint64 and their
    polarities ``row_sign``, ``col_sign`` (int8), or (deterministic; the word arrays are then
    unused) the rounded products over the columns ``col_list[b, :col_count[b]]`` (δ_bj ≠ 0).
    ``noise_keys`` (B,) the cycle-noise sub-keys, ``stuck`` (N_cells,) bool. Outputs:
    ``counts_out`` (B, N_in, N_out) int32 signed weight counts if ``keep``; per row
    ``pulses_out`` Σ|cell count| and ``clipped_out`` the number of (b, j) with
    |η x_i δ_j|/Δw_min > BL + ½ (int64 (N_in,)). ``z`` stays in the frame of t_0.

    Stochastic coincidences are found from the set bits: for each bit t a row fires, the columns
    firing bit t (per-write bit lists built once per call) each gain one coincidence — work
    ∝ set row bits + coincidences, not N_in·N_out. The weights of a row are then written in
    column order (a scan of the row's counters when many are hit, a sort of the few hit
    otherwise), so the cells' state and tables stream through memory in order; every cell is
    written once per write, so the order changes no number."""
    n_batch, n_in = x.shape
    n_out = d.shape[1]
    lines = 2 * n_out if differential else n_out
    n_words = row_words.shape[2]
    n_bits = 64 * n_words
    sf = 1 if decay_first.shape[0] > 1 else 0
    ss = 1 if decay_slot.shape[0] > 1 else 0
    sk = 1 if kick.shape[0] > 1 else 0
    sr = 1 if readout.shape[0] > 1 else 0
    sq = 1 if rate.shape[0] > 1 else 0
    limit = bit_length + 0.5
    noisy = sigma != 0.0 and mode != 2
    if stochastic:
        ptr = np.empty(n_batch * n_bits + 1, dtype=np.int64)
        idx = np.empty(n_batch * n_out * n_bits, dtype=np.int32)
        _column_bit_lists(col_words, ptr, idx)
    else:
        ptr = np.zeros(1, dtype=np.int64)
        idx = np.zeros(1, dtype=np.int32)
    m = z.shape[1]
    for i in prange(n_in):
        f = np.empty(m)
        acc = np.zeros(n_out, dtype=np.int64)
        touched = np.empty(n_out, dtype=np.int64)
        pulses = 0
        clipped = 0
        for b in range(n_batch):
            xi_b = x[b, i]
            g = slot_offset + b
            if keep:
                for j in range(n_out):
                    counts_out[b, i, j] = 0
            if xi_b == 0.0:
                continue
            if eta * (abs(xi_b) * d_max[b]) / dw_min > limit:
                for j in range(n_out):
                    if abs(eta * (xi_b * d[b, j])) / dw_min > limit:
                        clipped += 1
            key = noise_keys[b]
            # 1. the row's weight counts: acc[j] (signed), the columns hit in touched[:n_touched]
            n_touched = 0
            if stochastic:
                for w in range(n_words):
                    word = row_words[b, i, w]
                    while word != 0:
                        t, word = _lowest_bit(word)
                        k = b * n_bits + w * 64 + t
                        for q in range(ptr[k], ptr[k + 1]):
                            j = idx[q]
                            if acc[j] == 0:
                                touched[n_touched] = j
                                n_touched += 1
                            acc[j] += 1
                if n_touched == 0:
                    continue
                if 8 * n_touched < n_out:       # few hit: sort them (else scan every counter)
                    touched[:n_touched].sort()
                else:
                    n_touched = 0
                    for j in range(n_out):
                        if acc[j] != 0:
                            touched[n_touched] = j
                            n_touched += 1
                sign = row_sign[b, i]
                for jj in range(n_touched):
                    j = touched[jj]
                    acc[j] *= sign * col_sign[b, j]
            else:
                for jj in range(col_count[b]):
                    j = col_list[b, jj]
                    c = int(min(max(np.rint(eta * (xi_b * d[b, j]) / dw_min), -bit_length), bit_length))
                    if c != 0:
                        acc[j] = c
                        touched[n_touched] = j
                        n_touched += 1
            # 2. the pulse events, in column order. Written out here rather than in helpers that
            # take arrays: every array passed to an inlined helper costs an atomic reference
            # count increment and decrement per call (numba's NRT), which made up ~2/3 of the time
            for jj in range(n_touched):
                j = touched[jj]
                c = acc[j]
                acc[j] = 0
                if keep:
                    counts_out[b, i, j] = c
                if differential:
                    n0 = i * lines + 2 * j      # even: the pair (n0, n0 + 1) shares one Box–Muller draw
                    n_cells = 2
                    xi_first, xi_second = cycle_normal_pair(key, n0 // 2) if noisy else (0.0, 0.0)
                else:
                    n0 = i * lines + j
                    n_cells = 1
                    xi_first, xi_second = (cycle_normal(key, n0) if noisy else 0.0), 0.0
                for h in range(n_cells):
                    n = n0 + h
                    if stuck[n]:
                        continue
                    pulses += abs(c)
                    # u_1 = r·(F ⊙ z_n), F = decay_first ⊙ decay_slot^g (binary powering)
                    u1 = 0.0
                    nf, ns, nr = n * sf, n * ss, n * sr
                    gap = g - frame_slot[nf]
                    for mode_i in range(m):
                        fi = decay_first[nf, mode_i]
                        if 0 < gap < 8:             # _power's products, selected without branches
                            s1 = decay_slot[ns, mode_i]
                            s2 = s1 * s1
                            power = s1 if gap & 1 else 1.0
                            power *= s2 if gap & 2 else 1.0
                            power *= s2 * s2 if gap & 4 else 1.0
                            fi *= power
                        elif gap > 0:
                            fi *= _power(decay_slot[ns, mode_i], gap)
                        elif gap < 0:
                            fi /= _power(decay_slot[ns, mode_i], -gap)
                        f[mode_i] = fi
                        u1 += readout[nr, mode_i] * (z[n, mode_i] * fi)
                    if sf == 1 and gap != 0:    # the cell's frame moves to this slot
                        for mode_i in range(m):
                            decay_first[n, mode_i] = f[mode_i]
                        frame_slot[n] = g
                    delta = _cell_delta(c if h == 0 else -c, u1, rate[n * sq], gain_one[n * sq], target, mode, sigma,
                                        xi_first if h == 0 else xi_second, clip, lower, upper)
                    nk = n * sk
                    for mode_i in range(m):
                        z[n, mode_i] += delta * kick[nk, mode_i] / f[mode_i]
        pulses_out[i] = pulses
        clipped_out[i] = clipped


def batch_write_reference(z, decay_first, frame_slot, decay_slot, slot_offset, kick, readout, rate, gain_one,
                          target, mode, sigma, clip, lower, upper, stochastic, row_words, col_words, row_sign,
                          col_sign, x, d, d_max, eta, dw_min, bit_length, col_list, col_count, noise_keys, differential,
                          stuck, keep, counts_out, pulses_out, clipped_out):
    """NumPy reference of :func:`batch_write`, slot by slot: counts of every weight (unpacked bit
    products or rounded products), cell counts, every cell's noise normal, then
    :func:`~neuromorph.kernels.crossbar.pulse_step_reference` decaying every cell each slot (the
    first by decay_first·decay_slot^(g₀ − s_n)); the state after the last write is divided by the
    decay since t_0 (the kernel's frame), and the frame rows of the pulsed cells move to their
    last pulse's slot (per-cell tables), as the kernel leaves them. The soft gain is computed from
    ``rate`` here (``gain_one`` is not read), so a comparison with the kernel also checks the
    kernel's table."""
    n_batch, n_in = x.shape
    n_out = d.shape[1]
    lines = 2 * n_out if differential else n_out
    n_cells = z.shape[0]
    cells = np.empty(n_cells, dtype=np.int32)
    counts = np.empty((n_in, n_out), dtype=np.int32)
    pulses_out[:] = 0
    clipped_out[:] = 0
    scratch = np.empty(n_cells)
    first = decay_first * decay_slot ** (slot_offset - frame_slot.astype(float))[:, None]
    last_pulse = np.full(n_cells, -1, dtype=np.int64)
    for b in range(n_batch):
        product = eta * np.multiply.outer(x[b], d[b])
        if stochastic:
            coincidence_counts_reference(row_words[b], col_words[b], row_sign[b], col_sign[b], counts)
        else:
            counts[:] = np.clip(np.rint(product / dw_min), -bit_length, bit_length)
        scatter_cell_counts_reference(counts, differential, stuck, cells)
        noisy = sigma != 0.0 and mode != 2
        xi = cycle_normal_reference(noise_keys[b], np.arange(n_cells)) if noisy else np.zeros(n_cells)
        pulse_step_reference(z, first if b == 0 else decay_slot, kick, readout, cells, rate, target, mode,
                             sigma, xi, clip, lower, upper, scratch)
        last_pulse[cells != 0] = b
        pulses_out += np.abs(cells).reshape(n_in, lines).sum(axis=1)
        clipped_out += np.count_nonzero(np.abs(product) / dw_min > bit_length + 0.5, axis=1)
        if keep:
            counts_out[b] = counts
    if n_batch > 0:                                  # back to the frame of t_0
        z /= first * decay_slot ** (n_batch - 1)
        if decay_first.shape[0] > 1:
            moved = last_pulse >= 0
            slots = slot_offset + last_pulse[moved]
            decay_first[moved] *= decay_slot[moved if decay_slot.shape[0] > 1 else 0] ** \
                (slots - frame_slot[moved]).astype(float)[:, None]
            frame_slot[moved] = slots


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


