r"""The write path of :class:`~neuromorph.crossbar.array.CrossbarArray` for B ≥ 1 rank-1 writes
(``update`` is the case B = 1): pulse counts, cycle noise and the exact relaxation between the
writes in one call of :func:`neuromorph.kernels.training.batch_write` (or its NumPy reference).

Random numbers: write b takes one 64-bit key K_b from the array's write stream (B writes take
K_1 … K_B in order, so a batch draws what B single writes draw); everything random in the
write — both scheme's cycle-noise normals, the stochastic scheme's row and column pulse trains —
is a counter-based function of K_b and of the line or cell it belongs to
(:mod:`neuromorph.kernels.pulse_streams`). The numbers therefore do not depend on the thread
count or on how writes are grouped into calls.

Timing: write b is applied at the start of update slot b (array time t + b·Δt_slot); the array's
time after the batch is t + B·Δt_slot. The population's clock t_0 does not move: pulsed cells are
written in its frame (:mod:`neuromorph.kernels.training`) and the next read advances every cell
from t_0, as it would after any wait. Only when the batch would reach |λ|·(t − t_0) > 40 (long
writing without reads) is the population advanced to t first. The decay table of that frame,
e^{λ (t − t_0)} per cell and mode, is built once and kept for a run of writes (:func:`_frame`):
a run of ``update`` calls computes no N·m exponentials after its first, and nothing in a write
touches the cells it does not pulse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kernels import pulse_streams as pstreams
from ..kernels.pulse_gain import one_pulse_gain
from ..kernels import thread_count
from ..kernels import training as tkern
from ..synapses.population import PULSE_MODE_CODES
from . import write as _write
from .refresh import CLOCK_ULPS, same_step

__all__ = ["BatchUpdateResult", "UpdateResult", "write_batch"]


@dataclass
class BatchUpdateResult:
    """A mini-batch of B outer-product updates: signed pulse counts per sample and weight
    (B, N_in, N_out; None unless asked for), the pulses written to cells (Σ|count| over cells
    and samples) and the weight updates whose intended pulse count |η x_i δ_j|/Δw_min exceeded
    the bit length + ½ (clipped)."""

    counts: np.ndarray | None
    learning_rate: float
    scheme: str
    pulses: int
    clipped: int


@dataclass
class UpdateResult:
    """One outer-product update (:meth:`CrossbarArray.update`): signed pulse counts per weight,
    the learning rate, the scheme, the clipped weights, and the intended ΔW = η x δᵀ — computed
    when first read (an N_in × N_out product the write itself does not need: 3 ms of a 1024²
    update)."""

    counts: np.ndarray
    learning_rate: float
    scheme: str
    clipped: int = 0
    x: np.ndarray | None = field(default=None, repr=False)
    delta: np.ndarray | None = field(default=None, repr=False)

    @property
    def intended(self) -> np.ndarray:
        """η x δᵀ (N_in, N_out)."""
        return self.learning_rate * np.multiply.outer(self.x, self.delta)


def _pulsed_columns(nonzero: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per write, the columns that can be pulsed (δ_j ≠ 0) first, in column order, and their
    number (the deterministic scheme's column lists)."""
    order = np.argsort(~nonzero, axis=1, kind="stable").astype(np.int32)
    return np.ascontiguousarray(order), nonzero.sum(axis=1).astype(np.int64)


#: largest |λ|·(t − t_0) a batch may span in the population's frame (1/F ≤ e^40 ≈ 2·10^17)
MAX_FRAME = 40.0


def _lambda_max(array) -> float:
    cache = array._write_decay_cache
    if "lambda_max" not in cache:
        cache["lambda_max"] = float(np.abs(array.integrator.rates).max(initial=0.0))
    return cache["lambda_max"]


def _decay(array, which: str, dt: float) -> np.ndarray:
    """e^{λ dt} per mode (1|N_cells, m), dt in the chains' time unit, cached per array for the
    last ``slot`` step (with variation every cell has its own rates: N·m exponentials per table)."""
    cache = array._write_decay_cache
    rates = array.integrator.rates
    dt = max(float(dt), 0.0)
    hit = cache.get(which)
    if hit is None or not same_step(dt, hit[0], array.time_s, array.time_unit_s):
        decay = np.exp(rates * dt) if dt > 0 else np.ones((1, rates.shape[1]))
        hit = cache[which] = (dt, np.ascontiguousarray(decay))
    return hit[1]


#: writes after which the per-cell frame table is rebuilt from e^{λ dt} (module docstring)
FRAME_REBUILD_WRITES = 1024


def _frame(array, n_batch: int):
    r"""The frame of the batch's writes in the population's clock: (table, table slots, slot
    table, g₀) for :func:`neuromorph.kernels.training.batch_write` — write b lands at slot
    g₀ + b of the frame, cell n's row of the table is e^{λ_n (dt_f + s_n·Δt_slot)} (s_n its
    table slot), dt = (t − t_0) in the chains' unit.

    The table is built once, e^{λ dt_f} with every s_n = 0, and reused while dt = dt_f +
    g₀·Δt_slot for an integer g₀ ≥ 0 — consecutive writes with no read or wait between them, or
    batches after the same read pattern (g₀ = 0) — so a run of ``update`` calls costs no N·m
    exponentials; with per-cell chains the kernel moves a pulsed cell's row to the slot of its
    pulse, so the next gap is short. "Equal" allows the clock's rounding, CLOCK_ULPS·ε·t per
    clock addition (g₀ + 1 of them): F then differs from e^{λ dt} by |λ|·(g₀ + 1)·8ε·t, what the
    clock already puts into dt. Each move multiplies a row by a power of the slot decay (a few
    ulp), so the table is rebuilt after :data:`FRAME_REBUILD_WRITES` writes: F stays within
    ~10⁻¹² relative of e^{λ dt} (tests/crossbar/test_write_frame.py)."""
    cache = array._write_decay_cache
    unit = array.time_unit_s
    dt = max((array.time_s - array.population.time_s) / unit, 0.0)
    slot = array.t_update / unit
    m = array.integrator.rates.shape[1]
    hit = cache.get("frame")            # [dt_f, table, table slots, writes since built]
    g0 = -1
    if hit is not None and slot > 0 and hit[3] + n_batch <= FRAME_REBUILD_WRITES:
        g = int(round((dt - hit[0]) / slot))
        slack = (g + 1) * CLOCK_ULPS * np.finfo(float).eps * max(abs(array.time_s), dt * unit) / unit
        if g >= 0 and abs(dt - (hit[0] + g * slot)) <= slack:
            g0 = g
    if g0 < 0:
        rates = array.integrator.rates
        table = np.ascontiguousarray(np.exp(rates * dt))          # a row per cell with variation
        hit = cache["frame"] = [dt, table, np.zeros(table.shape[0], dtype=np.int64), 0]
        g0 = 0
    # a first single write at slot 0 of a fresh table never powers: skip the slot table's N·m exponentials
    fresh = hit[3] == 0 and g0 == 0 and n_batch == 1
    hit[3] += n_batch
    slot_table = np.ones((1, m)) if fresh else _decay(array, "slot", slot)
    return hit[1], hit[2], slot_table, g0


def _gain_one(array) -> np.ndarray:
    """a = 1 − e^{−r} per cell (the soft model's one-pulse gain; (1|N), cached per array): the
    kernel's table for cells pulsed once, which are the most frequent."""
    cache = array._write_decay_cache
    if "gain_one" not in cache:
        if array.pulse_model.mode == "soft":
            table = np.empty_like(array._rate)
            one_pulse_gain(array._rate, table)
        else:
            table = array._rate                           # not read by the other modes
        cache["gain_one"] = table
    return cache["gain_one"]


#: expected pulse events of a batch from which the kernel's parallel build runs
PARALLEL_MIN_EVENTS = 50_000


def _expected_events(x: np.ndarray, delta: np.ndarray, stochastic: bool, c: float, bit_length: int) -> float:
    """Expected weights pulsed over the batch: Σ_b BL·(Σ_i p_bi)(Σ_j q_bj) coincidences
    (stochastic; an upper bound on the weights with a pulse), or the products with x_i δ_j ≠ 0
    (deterministic)."""
    if stochastic:
        return float(bit_length * c * c * np.dot(np.abs(x).sum(axis=1), np.abs(delta).sum(axis=1)))
    return float(np.dot(np.count_nonzero(x, axis=1), np.count_nonzero(delta, axis=1)))


def write_batch(array, x: np.ndarray, delta: np.ndarray, eta: float, scheme: str, fused: bool = True,
                keep_counts: bool = True) -> BatchUpdateResult:
    """B writes η x_b δ_bᵀ (x (B, N_in), δ (B, N_out), checked by the caller for shape) on
    ``array`` in consecutive update slots (module docstring). ``fused`` runs the numba kernel,
    otherwise the NumPy reference (same numbers to rounding)."""
    if scheme not in ("stochastic", "deterministic"):
        raise ValueError(f"unknown write scheme {scheme!r}; expected 'stochastic' or 'deterministic'")
    x, delta = (np.ascontiguousarray(v) for v in _write.check_inputs(x, delta))
    n_batch = x.shape[0]
    if n_batch == 0:
        return BatchUpdateResult(np.zeros((0, array.n_in, array.n_out), np.int32) if keep_counts else None, eta,
                                 scheme, 0, 0)
    bl, dw = int(array.bit_length), float(array.delta_w_min)
    stochastic = scheme == "stochastic"
    x_max = np.abs(x).max(axis=1, initial=0.0)
    d_max = np.abs(delta).max(axis=1, initial=0.0)
    if stochastic:
        c = _write.probability_scale(float(x_max.max(initial=0.0)), float(d_max.max(initial=0.0)), eta, dw, bl)
    elif not (eta > 0 and dw > 0):
        raise ValueError(f"need learning_rate > 0 and dw_min > 0; got {eta}, {dw}")
    subkeys = np.empty((n_batch, 3), dtype=np.uint64)
    (pstreams.write_subkeys if fused else pstreams.write_subkeys_reference)(
        _write.write_keys(array._write_rng, n_batch), subkeys)
    if stochastic:
        rows, cols, row_sign, col_sign = _write.pulse_trains(x, delta, c, bl, subkeys, fused=fused)
        col_list, col_count = np.zeros((1, 1), np.int32), np.zeros(1, np.int64)   # columns come from the bits
    else:
        rows = cols = np.zeros((1, 1, 1), dtype=np.uint64)
        row_sign = col_sign = np.zeros((1, 1), dtype=np.int8)
        col_list, col_count = _pulsed_columns(delta != 0)

    model, pop, integ = array.pulse_model, array.population, array.integrator
    # cells stay in the frame of the population's clock t_0 (kernels.training): keep the decay
    # e^{λ (t − t_0)} of the batch's last slot above e^{-MAX_FRAME} so that 1/F stays finite
    last_slot = array.time_s + (n_batch - 1) * array.t_update
    if _lambda_max(array) * (last_slot - pop.time_s) / array.time_unit_s > MAX_FRAME:
        pop.advance(array.time_s)
    decay_first, frame_slot, decay_slot, slot_offset = _frame(array, n_batch)
    target = model.event_size if model.mode == "ideal" else model.target_v
    counts = np.empty((n_batch, array.n_in, array.n_out) if keep_counts else (1, 1, 1), dtype=np.int32)
    pulses = np.zeros(array.n_in, dtype=np.int64)
    clipped = np.zeros(array.n_in, dtype=np.int64)
    if not fused:
        kernel = tkern.batch_write_reference
    else:  # the thread pool only with threads to use and enough events: a few ms of serial work
        # costs less than waking it, and one thread in a parallel region still waits for a pool
        # worker to be scheduled (~10 ms on a loaded machine)
        kernel = tkern.batch_write.parallel if thread_count() > 1 and _expected_events(
            x, delta, stochastic, c if stochastic else 0.0, bl) >= PARALLEL_MIN_EVENTS else tkern.batch_write.serial
    kernel(pop.x, decay_first, frame_slot, decay_slot, slot_offset, integ.kick, integ.readout, array._rate,
           _gain_one(array), float(target), PULSE_MODE_CODES[model.mode], float(model.cycle_noise), integ.clip,
           float(integ.lower), float(integ.upper), stochastic, rows, cols, row_sign, col_sign, x, delta, d_max,
           float(eta), dw, bl, col_list, col_count, np.ascontiguousarray(subkeys[:, 2]), array.differential,
           array.stuck_mask, keep_counts, counts, pulses, clipped)
    array.time_s += n_batch * array.t_update
    return BatchUpdateResult(counts if keep_counts else None, eta, scheme, int(pulses.sum()), int(clipped.sum()))
