r"""Write path of a crossbar: outer-product updates ΔW = η x δᵀ as gate pulses on the first
compartment of every cell, and the write-sequence experiment behind ``neuromorph crossbar``.

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

from ..kernels import crossbar as xkern

__all__ = ["PulseModel", "stochastic_counts", "deterministic_counts", "pulse_noise", "pulse_coefficients",
           "run_write_sequence"]


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


def _check_inputs(x, delta) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    delta = np.asarray(delta, dtype=float)
    if x.ndim != 1 or delta.ndim != 1:
        raise ValueError(f"x and delta must be 1-D vectors, got shapes {x.shape} and {delta.shape}")
    for name, v in (("x", x), ("delta", delta)):
        if not np.all(np.isfinite(v)) or np.any(np.abs(v) > 1.0):
            raise ValueError(f"{name} must be finite and within [-1, 1] (got max |{name}| = {np.max(np.abs(v)):.4g})")
    return x, delta


def stochastic_counts(x, delta, learning_rate: float, dw_min: float, bit_length: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Signed coincidence counts (N_in, N_out) int32 of the Gokmen–Vlasov stochastic update."""
    x, delta = _check_inputs(x, delta)
    if not (learning_rate > 0 and dw_min > 0 and bit_length >= 1):
        raise ValueError(f"need learning_rate > 0, dw_min > 0, bit_length >= 1; got {learning_rate}, {dw_min}, {bit_length}")
    c = np.sqrt(learning_rate / (bit_length * dw_min))
    p, q = c * np.abs(x), c * np.abs(delta)
    worst = max(float(p.max(initial=0.0)), float(q.max(initial=0.0)))
    if worst > 1.0:
        limit = bit_length * dw_min / max(float(np.abs(x).max()) ** 2, float(np.abs(delta).max()) ** 2)
        raise ValueError(
            f"learning rate {learning_rate:g} needs pulse probabilities up to {worst:.3g} > 1 with bit length "
            f"{bit_length} and Δw_min = {dw_min:.4g}: use a learning rate <= {limit:.4g} or a longer bit length")
    rows = rng.random((x.size, bit_length)) < p[:, None]
    cols = rng.random((delta.size, bit_length)) < q[:, None]
    counts = np.empty((x.size, delta.size), dtype=np.int32)
    xkern.coincidence_counts(xkern.pack_bits(rows), xkern.pack_bits(cols), np.sign(x).astype(np.int8),
                             np.sign(delta).astype(np.int8), counts)
    return counts


def deterministic_counts(x, delta, learning_rate: float, dw_min: float, bit_length: int) -> np.ndarray:
    """Signed pulse counts round(η x_i δ_j / Δw_min), clipped to ±BL, as (N_in, N_out) int32."""
    x, delta = _check_inputs(x, delta)
    target = learning_rate * np.multiply.outer(x, delta) / dw_min
    return np.clip(np.rint(target), -bit_length, bit_length).astype(np.int32)


def pulse_noise(model: PulseModel, counts: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    """ξ per cell: one standard normal per pulsed cell (in cell order), 0 elsewhere; all zero
    without cycle noise. Every write path draws its noise here, so they agree draw for draw."""
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


def run_write_sequence(array, n_updates: int, seed: int = 0, learning_rate: float | None = None,
                       scheme: str | None = None, interval_s: float = 0.0, relax_s: float = 0.0,
                       n_probes: int = 8, progress: bool = True):
    """Random outer-product updates on ``array`` with reads before and after; an xarray Dataset.

    Each update draws x ~ U[−1, 1]^N_in and δ ~ U[−1, 1]^N_out and writes η x δᵀ; the array's
    chains evolve during every update slot (``timing.update``), for ``interval_s`` more between
    updates and for ``relax_s`` after the last one. Before and after, the array is read with
    ``n_probes`` random inputs through the ideal and the IR-drop read paths (DAC, noise, ADC),
    its conductances are read row by row at the read voltage, and the IR-drop error map (all rows
    at the read voltage) is computed.
    """
    import xarray as xr
    from tqdm.auto import tqdm

    if n_updates < 0:
        raise ValueError(f"the number of updates must be >= 0, got {n_updates}")
    if interval_s < 0 or relax_s < 0:
        raise ValueError("interval and relax times must be >= 0 s")
    if n_probes < 1:
        raise ValueError(f"the number of probe inputs must be >= 1, got {n_probes}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED]))
    probes = rng.uniform(-1.0, 1.0, (array.n_in, n_probes))

    def snapshot():
        g_true = array.conductances()
        w_true = array.weights()
        g_read = array.read_conductances()
        exact = array.dac.quantise(probes).T @ w_true
        ideal = array.read(probes, ir_drop=False).y.T
        irdrop = array.read(probes, ir_drop=True).y.T
        return g_true, w_true, g_read, exact, ideal, irdrop

    before = snapshot()
    t_start = array.time_s
    eta = array.learning_rate if learning_rate is None else learning_rate
    intended = np.zeros((array.n_in, array.n_out))
    pulses = np.zeros((array.n_in, array.n_out), np.int64)
    mean_abs_w = np.empty(n_updates)
    times = np.empty(n_updates)
    for t in tqdm(range(n_updates), desc=f"crossbar {array.name}", disable=not progress, unit="update"):
        x = rng.uniform(-1.0, 1.0, array.n_in)
        d = rng.uniform(-1.0, 1.0, array.n_out)
        result = array.update(x, d, learning_rate=eta, scheme=scheme)
        intended += result.intended
        pulses += np.abs(result.counts)
        times[t] = array.time_s
        mean_abs_w[t] = float(np.mean(np.abs(array.weights())))
        if interval_s:
            array.wait(interval_s)
    if relax_s:
        array.wait(relax_s)
    t_end = array.time_s
    after = snapshot()
    rel_err, i_ideal, i_ir = array.ir_drop_map()

    realised = after[1] - before[1]
    corr = float(np.corrcoef(realised.ravel(), intended.ravel())[0, 1]) if n_updates and intended.std() > 0 else np.nan
    dims_g = ("row", "line")
    dims_w = ("row", "column")
    ds = xr.Dataset(
        {
            "conductance_before": (dims_g, before[0], {"long_name": "cell conductance before the writes", "units": "S"}),
            "conductance_after": (dims_g, after[0], {"long_name": "cell conductance after the writes", "units": "S"}),
            "conductance_read_before": (dims_g, before[2], {"long_name": "conductance read row by row at the read voltage (with read noise), before", "units": "S"}),
            "conductance_read_after": (dims_g, after[2], {"long_name": "conductance read row by row at the read voltage (with read noise), after", "units": "S"}),
            "weight_before": (dims_w, before[1], {"long_name": "signed weight before the writes", "units": "1"}),
            "weight_after": (dims_w, after[1], {"long_name": "signed weight after the writes", "units": "1"}),
            "intended_update": (dims_w, intended, {"long_name": "sum of the intended outer products eta x delta^T", "units": "1"}),
            "realised_update": (dims_w, realised, {"long_name": "weight_after - weight_before", "units": "1"}),
            "pulse_count": (dims_w, pulses, {"long_name": "pulses received by each weight (all updates)", "units": "1"}),
            "probe_input": (("row", "probe"), probes, {"long_name": "probe inputs x in [-1, 1]", "units": "1"}),
            "mvm_exact_before": (("probe", "column"), before[3], {"long_name": "DAC-quantised x^T W (no noise, ideal wires, no ADC)"}),
            "mvm_exact_after": (("probe", "column"), after[3], {"long_name": "DAC-quantised x^T W (no noise, ideal wires, no ADC)"}),
            "mvm_ideal_before": (("probe", "column"), before[4], {"long_name": "read output, ideal wires (DAC, read noise, ADC)"}),
            "mvm_ideal_after": (("probe", "column"), after[4], {"long_name": "read output, ideal wires (DAC, read noise, ADC)"}),
            "mvm_irdrop_before": (("probe", "column"), before[5], {"long_name": "read output with IR drop (DAC, read noise, ADC)"}),
            "mvm_irdrop_after": (("probe", "column"), after[5], {"long_name": "read output with IR drop (DAC, read noise, ADC)"}),
            "irdrop_cell_error": (dims_g, rel_err, {"long_name": "relative cell-current error, IR-drop solve vs ideal, all rows at the read voltage", "units": "1"}),
            "line_current_ideal": (("line",), i_ideal, {"long_name": "sense current, ideal wires, all rows at the read voltage", "units": "A"}),
            "line_current_irdrop": (("line",), i_ir, {"long_name": "sense current with IR drop, all rows at the read voltage", "units": "A"}),
            "mean_abs_weight": (("update",), mean_abs_w, {"long_name": "mean |w| after each update", "units": "1"}),
            "update_time": (("update",), times - t_start, {"long_name": "time after each update", "units": "s"}),
        },
        coords={"row": np.arange(array.n_in), "column": np.arange(array.n_out),
                "line": ("line", np.arange(array.n_lines), {"long_name": "physical column"}),
                "line_role": ("line", np.array(array.line_roles())), "probe": np.arange(n_probes),
                "update": np.arange(n_updates)},
        attrs={"crossbar": array.name, "device": array.device.name, "scheme": array.scheme,
               "write_scheme": scheme or array.write_scheme, "learning_rate": eta, "n_updates": n_updates,
               "bit_length": array.bit_length, "delta_w_min": array.delta_w_min, "seed": seed,
               "array_seed": array.seed, "interval_s": interval_s, "relax_s": relax_s,
               "duration_s": t_end - t_start, "update_correlation": corr,
               "wires_ohm": str(array.wires), "card": str(array.card_path)},
    )
    return ds
