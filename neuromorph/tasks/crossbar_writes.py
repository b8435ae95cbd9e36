"""The crossbar write-sequence experiment behind ``neuromorph crossbar``: random outer-product
updates on a :class:`~neuromorph.crossbar.CrossbarArray`, read before and after (an xarray
Dataset)."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["run_write_sequence"]


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
        raise InvalidParameterError(f"the number of updates must be >= 0, got {n_updates}")
    if interval_s < 0 or relax_s < 0:
        raise InvalidParameterError("interval and relax times must be >= 0 s")
    if n_probes < 1:
        raise InvalidParameterError(f"the number of probe inputs must be >= 1, got {n_probes}")
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
