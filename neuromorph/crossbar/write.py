r"""Write path of a crossbar: outer-product updates ΔW = η x δᵀ as gate pulses on the first
compartment of every cell (the write-sequence experiment behind ``neuromorph crossbar`` is
:func:`neuromorph.tasks.crossbar_writes.run_write_sequence`).

Pulse counts (``n_ij``, signed: the sign is the pulse polarity)
----------------------------------------------------------------
``stochastic`` (Gokmen & Vlasov, Front. Neurosci. 10:333, 2016)
    Row i fires a Bernoulli bit stream of length BL with probability p_i = C|x_i|, column j one
    with q_j = C|δ_j|; cell (i, j) receives one pulse per coincidence, of polarity
    sign(x_i δ_j). The number of coincidences is Binomial(BL, p_i q_j) (counted as the popcount of
    the AND of the packed bit streams, :func:`neuromorph.kernels.crossbar.coincidence_counts`), so

        E[n_ij]·Δw_min = BL·C²·|x_i δ_j|·Δw_min = η |x_i δ_j|   for   C = sqrt(η / (BL·Δw_min)),

    i.e. the expected update is the intended outer product (exactly, for a device whose pulses
    add a fixed Δw_min; the device's nonlinearity enters from the second pulse on).
    C·max|x| ≤ 1 is needed
    (η ≤ BL·Δw_min/(max|x|·max|δ|)); larger learning rates are refused.
    Random numbers: every write takes one 64-bit key from the array's write stream
    (:func:`write_keys`); the trains and the cycle noise of the write are counter-based functions
    of that key and of the line or cell (:mod:`neuromorph.kernels.pulse_streams`), so B writes
    in one batch draw exactly what B single writes draw, on any number of threads.
``deterministic``
    n_ij = round(η x_i δ_j / Δw_min), clipped to ±BL (at most BL pulses fit in one update slot).

Δw_min is the weight change of one pulse on a cell at rest (u = 0), for a whole weight:
(G(Δu) − G(−Δu))/(G_max − G_min) — in a differential pair one pulse on G⁺ and one of opposite
polarity on G⁻; with a reference column one pulse on the single cell (w = 2(G − G_ref)/ΔG).

Pulses → chain event (Δu_1 = α − β·u_1, applied by the core's eigenbasis kernel)
---------------------------------------------------------------------------------
k identical pulses of polarity s on one cell within one update are applied as one event (they
are much shorter than the fastest chain timescale; the chain evolves over the whole update slot
before the next update). With r = g_gate·w/C_1 (per cell), V_t = s·π·V_gate:

``linear`` gate      α = s·π·V_gate·r·(k + σ·√k·ξ),  β = 0
                     (k pulses of charge g_gate·V_gate·w each; per-pulse noise (1 + σξ_p) sums
                     to a variance k·σ² — exact)
``soft`` saturation  gain = 1 − (1 − a)^k + σ·a·(1 − a)^(k−1)·√k·ξ,  a = 1 − e^{−r},
                     α = V_t·gain,  β = gain
                     (k compounded charging steps of an isolated compartment towards V_t:
                     V_t − u_1 shrinks by (1 − a) per pulse, so the noise-free part is exact for
                     any k; the noise term is the first-order (in σ) propagation of independent
                     per-pulse noise, exact in mean and, to O(σ²), in variance)
ideal chain device   α = s·k·Δ,  β = 0   (events of fixed size Δ, no noise)

ξ ~ N(0, 1) is drawn once per pulsed cell and update. Saturation near the bounds (the device
card's ``bounds``) is the eigen kernel's exact clipping of u_1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError
from ..devices.linear_model import LinearEventModel
from ..kernels import crossbar as xkern
from ..kernels import pulse_streams as pstreams

__all__ = ["PulseModel", "pulse_model", "write_keys", "probability_scale", "pulse_trains", "stochastic_counts",
           "deterministic_counts", "check_inputs", "pulse_noise", "pulse_coefficients"]


@dataclass(frozen=True)
class PulseModel:
    """What one gate pulse does to u_1 of every cell (see the module docstring).

    mode:          ``linear``, ``soft`` (proton-transistor gate) or ``ideal`` (chain events)
    target_v:      π·V_gate [V] (``linear``/``soft``); the polarity s multiplies it
    rate:          r = g_gate·w/C_1 per cell (N,) or shared (1,) (``linear``/``soft``)
    cycle_noise:   σ, relative std of each pulse's charge
    event_size:    Δ of an ideal chain device
    pulse_width_s: duration of one pulse (0 for ideal devices)
    """

    mode: str
    target_v: float = 0.0
    rate: np.ndarray | None = None
    cycle_noise: float = 0.0
    event_size: float = 0.0
    pulse_width_s: float = 0.0


def pulse_model(linear: LinearEventModel) -> PulseModel:
    """The pulse model of a cell population from its device's affine-event data
    (:meth:`neuromorph.devices.base.Device.linear_model`)."""
    if linear.mode == "ideal":
        return PulseModel("ideal", event_size=linear.target)
    return PulseModel(linear.mode, target_v=linear.target, rate=linear.rate, cycle_noise=linear.cycle_noise,
                      pulse_width_s=linear.pulse_width_s)


def check_inputs(x, delta) -> tuple[np.ndarray, np.ndarray]:
    """x and δ as float arrays, refused unless finite and within [−1, 1] (any shape)."""
    x = np.asarray(x, dtype=float)
    delta = np.asarray(delta, dtype=float)
    for name, v in (("x", x), ("delta", delta)):
        if not np.all(np.isfinite(v)) or np.any(np.abs(v) > 1.0):
            raise ValueError(f"{name} must be finite and within [-1, 1] (got max |{name}| = {np.max(np.abs(v)):.4g})")
    return x, delta


def _check_inputs(x, delta) -> tuple[np.ndarray, np.ndarray]:
    x, delta = check_inputs(x, delta)
    if x.ndim != 1 or delta.ndim != 1:
        raise ValueError(f"x and delta must be 1-D vectors, got shapes {x.shape} and {delta.shape}")
    return x, delta


def write_keys(rng: np.random.Generator, n: int) -> np.ndarray:
    """The 64-bit write keys of ``n`` consecutive rank-1 writes: one raw word each from the
    array's write stream, in order (so n writes at once draw what n single writes draw)."""
    return np.asarray(rng.bit_generator.random_raw(int(n)), dtype=np.uint64).reshape(int(n))


def probability_scale(x_max: float, d_max: float, learning_rate: float, dw_min: float, bit_length: int) -> float:
    """C = sqrt(η / (BL·Δw_min)) of the stochastic update, after checking that the pulse
    probabilities C·|x|, C·|δ| of inputs up to ``x_max``, ``d_max`` stay ≤ 1."""
    if not (learning_rate > 0 and dw_min > 0 and bit_length >= 1):
        raise InvalidParameterError(f"need learning_rate > 0, dw_min > 0, bit_length >= 1; got {learning_rate}, {dw_min}, {bit_length}")
    c = np.sqrt(learning_rate / (bit_length * dw_min))
    worst = c * max(x_max, d_max)
    if worst > 1.0:
        limit = bit_length * dw_min / max(x_max, d_max) ** 2
        raise InvalidParameterError(
            f"learning rate {learning_rate:g} needs pulse probabilities up to {worst:.3g} > 1 with bit length "
            f"{bit_length} and Δw_min = {dw_min:.4g}: use a learning rate <= {limit:.4g} or a longer bit length")
    return float(c)


def pulse_trains(x, delta, c: float, bit_length: int, subkeys: np.ndarray, fused: bool = True):
    """Packed row and column pulse trains of B writes (x (B, N_in), δ (B, N_out)) with firing
    probabilities C|x_i|, C|δ_j| (:mod:`neuromorph.kernels.pulse_streams`; ``subkeys`` (B, 3)
    from :func:`~neuromorph.kernels.pulse_streams.write_subkeys`). Returns row words
    (B, N_in, W), column words (B, N_out, W) and the polarities sign(x), sign(δ) as int8."""
    n_words = pstreams.train_words(bit_length)
    trains = pstreams.pulse_trains if fused else pstreams.pulse_trains_reference
    out = []
    for v, s in ((x, 0), (delta, 1)):
        words = np.empty((v.size, n_words), dtype=np.uint64)
        trains(np.ascontiguousarray(c * np.abs(v)).reshape(-1), np.ascontiguousarray(subkeys[:, s]), int(bit_length),
               words)
        out.append(words.reshape(v.shape + (n_words,)))
    return out[0], out[1], np.sign(x).astype(np.int8), np.sign(delta).astype(np.int8)


def stochastic_counts(x, delta, learning_rate: float, dw_min: float, bit_length: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Signed coincidence counts (N_in, N_out) int32 of the Gokmen–Vlasov stochastic update: one
    write key from ``rng``, the trains of :func:`pulse_trains`, the popcount of their AND — the
    counts :meth:`CrossbarArray.update` writes for the same state of the write stream."""
    x, delta = _check_inputs(x, delta)
    c = probability_scale(float(np.abs(x).max(initial=0.0)), float(np.abs(delta).max(initial=0.0)), learning_rate,
                          dw_min, bit_length)
    subkeys = np.empty((1, 3), dtype=np.uint64)
    pstreams.write_subkeys(write_keys(rng, 1), subkeys)
    rows, cols, rs, cs = pulse_trains(x[None], delta[None], c, bit_length, subkeys)
    counts = np.empty((x.size, delta.size), dtype=np.int32)
    xkern.coincidence_counts(rows[0], cols[0], rs[0], cs[0], counts)
    return counts


def deterministic_counts(x, delta, learning_rate: float, dw_min: float, bit_length: int) -> np.ndarray:
    """Signed pulse counts round(η x_i δ_j / Δw_min), clipped to ±BL, as (N_in, N_out) int32."""
    x, delta = _check_inputs(x, delta)
    target = learning_rate * np.multiply.outer(x, delta) / dw_min
    return np.clip(np.rint(target), -bit_length, bit_length).astype(np.int32)


def pulse_noise(model: PulseModel, counts: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    """ξ per cell: one standard normal per pulsed cell (in cell order), 0 elsewhere; all zero
    without cycle noise. The noise of pulses given as cell counts
    (:meth:`CrossbarArray.apply_pulses`, fused or not: they agree draw for draw); outer-product
    writes (``update``/``update_batch``) take theirs from their write key instead."""
    counts = np.asarray(counts)
    xi = np.zeros(counts.shape)
    if model.cycle_noise and model.mode != "ideal" and rng is not None:
        pulsed = np.flatnonzero(counts)
        if pulsed.size:
            xi[pulsed] = rng.standard_normal(pulsed.size)
    return xi


def pulse_coefficients(model: PulseModel, counts: np.ndarray, rng: np.random.Generator | None,
                       xi: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(α, β) per cell for ``counts`` (N,) signed pulse counts (see the module docstring);
    ``xi`` (default: drawn by :func:`pulse_noise` from ``rng``) is the per-cell pulse noise."""
    counts = np.asarray(counts)
    k = np.abs(counts).astype(float)
    s = np.sign(counts).astype(float)
    if xi is None:
        xi = pulse_noise(model, counts, rng)
    if model.mode == "ideal":
        alpha = counts.astype(float) * model.event_size
        return alpha, np.zeros_like(alpha)
    rate = np.broadcast_to(np.asarray(model.rate, float), counts.shape)
    sigma = model.cycle_noise
    if model.mode == "linear":
        alpha = s * model.target_v * rate * (k + sigma * np.sqrt(k) * xi)
        return alpha, np.zeros_like(alpha)
    if model.mode != "soft":
        raise ValueError(f"unknown pulse mode {model.mode!r}")
    gain = -np.expm1(-k * rate)
    if sigma:
        # a·(1 − a)^(k−1) with a = 1 − e^{−r}
        gain = gain + sigma * -np.expm1(-rate) * np.exp(-np.maximum(k - 1.0, 0.0) * rate) * np.sqrt(k) * xi
    return s * model.target_v * gain, gain
