"""Memory-signal experiment: SNR curves and lifetimes of synapse populations, Monte-Carlo
(:mod:`neuromorph.tasks.memory_monte_carlo`, where the simulated experiment is defined) and
theory (:mod:`neuromorph.analysis.memory_theory`) side by side; :func:`run_memory_point` is the
one function behind ``neuromorph memory`` and every ``neuromorph sweep`` point."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..analysis.memory_theory import MemoryPrediction, NotApplicable, fastest_timescale, predict_memory, \
    slowest_timescale
from ..config.experiment_schema import normalise_method, resolve_method
from ..devices.base import Device
from ..errors import InvalidParameterError
from .memory_monte_carlo import simulate_memory
from .memory_settings import MemoryConfig, age_grid, default_duration, device_label

__all__ = ["MemoryConfig", "MemoryPoint", "run_memory_point", "simulate_memory", "memory_experiment",
           "default_duration", "age_grid", "device_label"]


@dataclass
class MemoryPoint:
    """One device's memory experiment: the method that ran (``theory``, ``monte_carlo`` or
    ``both``), the Monte-Carlo Dataset (:func:`simulate_memory`) and the theory
    (:class:`~neuromorph.analysis.memory_theory.MemoryPrediction`), each None when not computed;
    ``theory_note`` says why there is no theory (e.g. bounds)."""

    method: str
    monte_carlo: xr.Dataset | None
    theory: MemoryPrediction | None
    theory_note: str = ""


def run_memory_point(device: Device, config: MemoryConfig, ages: np.ndarray, method: str = "auto",
                     monte_carlo_seed: int = 0, theory_seed: int = 0, progress: bool = False,
                     label: str | None = None, backend: str = "cpu") -> MemoryPoint:
    """The memory experiment of one device at read-out ``ages`` [s] — the one function behind
    ``neuromorph memory`` (per device) and every ``neuromorph sweep`` point.

    ``method`` is one of auto | theory | monte_carlo | both (older spellings mean_field, mc are
    accepted; ``auto`` = theory where it exists, i.e. without hard bounds, else Monte-Carlo). The
    Monte-Carlo run uses ``monte_carlo_seed``, the theory's device sample ``theory_seed``."""
    method = resolve_method(method, device.bounds is None)
    mc = None
    if method in ("monte_carlo", "both"):
        mc = simulate_memory(device, config, ages, seed=monte_carlo_seed, progress=progress, label=label,
                             backend=backend)
    theory, note = None, ""
    if method in ("theory", "both"):
        try:
            theory = predict_memory(device, ages, config.synapses, config.rate, config.events, config.criterion,
                                    n_devices=config.theory_devices, seed=theory_seed)
        except NotApplicable as exc:
            note = str(exc)
    return MemoryPoint(method, mc, theory, note)


def memory_experiment(devices: list, config: MemoryConfig, method: str = "both", seed: int = 0,
                      progress: bool = True, labels: list[str] | None = None, backend: str = "cpu") -> xr.Dataset:
    """Memory curves of several devices on one age grid (:func:`run_memory_point` per device):
    Monte-Carlo (``method`` monte_carlo or both) and the mean-field / Markov prediction (theory or
    both; NaN where none exists, e.g. bounded chains); auto picks per device. Each device gets
    its own duration (see :func:`default_duration`) and its own random stream (child ``i`` of the
    seed), so adding a device changes no other curve."""
    config.check()
    try:
        method = normalise_method(method)
    except ValueError as exc:
        raise InvalidParameterError(str(exc)) from None
    labels = list(labels) if labels is not None else [device_label(d) for d in devices]
    if len(set(labels)) != len(labels):
        seen: dict[str, int] = {}
        unique = []
        for lab in labels:
            seen[lab] = seen.get(lab, 0) + 1
            unique.append(lab if seen[lab] == 1 else f"{lab}#{seen[lab]}")
        labels = unique
    durations = [config.duration if config.duration is not None else default_duration(d, config) for d in devices]
    t_first = min(min(1.0 / config.rate, fastest_timescale(d, config.rate)) for d in devices) / 10.0
    ages = age_grid(t_first, max(durations), config.n_ages, config.events, config.rate)
    children = np.random.SeedSequence(seed).spawn(len(devices))
    per_device = []
    for device, label, duration, child in zip(devices, labels, durations, children):
        data: dict = {}
        point = run_memory_point(device, config.replace(duration=duration), ages, method,
                                 monte_carlo_seed=int(child.generate_state(1, dtype=np.uint64)[0]),
                                 theory_seed=int(child.generate_state(2, dtype=np.uint64)[1] % 2**31),
                                 progress=progress, label=label, backend=backend)
        mc = point.monte_carlo
        if mc is not None:
            for name in ("signal", "signal_se", "snr", "snr_se", "overlap", "overlap_initial", "overlap_control",
                         "noise", "noise_rel_se", "snr_initial", "snr_initial_se", "lifetime", "lifetime_lo",
                         "lifetime_hi", "duration"):
                data[f"{name}_mc" if name not in ("overlap", "overlap_initial", "overlap_control", "duration") else name] = mc[name]
            data["burn_in"] = xr.DataArray(mc.attrs["burn_in_s"], attrs={"units": "s"})
            data["mc_wall_time"] = xr.DataArray(mc.attrs["wall_time_s"], attrs={"units": "s", "long_name": "Monte-Carlo wall time (not reproducible)"})
        theory_method, exact, note = "none", 0, point.theory_note
        nan_curve = xr.DataArray(np.full(ages.size, np.nan), dims=("age",))
        signal_t, snr_t = nan_curve, nan_curve
        noise_t = snr0_t = life_t = xr.DataArray(np.nan)
        pred = point.theory
        if pred is not None:
            theory_method, exact, note = pred.method, int(pred.exact), pred.note
            signal_t = xr.DataArray(pred.signal, dims=("age",))
            snr_t = xr.DataArray(pred.snr, dims=("age",))
            noise_t, snr0_t, life_t = (xr.DataArray(pred.noise), xr.DataArray(pred.snr_initial),
                                       xr.DataArray(pred.lifetime))
        data.update({"signal_theory": signal_t, "snr_theory": snr_t, "noise_theory": noise_t,
                     "snr_initial_theory": snr0_t, "lifetime_theory": life_t,
                     "theory_method": xr.DataArray(theory_method), "theory_exact": xr.DataArray(exact),
                     "theory_note": xr.DataArray(note),
                     "readout_units": xr.DataArray(device.readout_units),
                     "kind": xr.DataArray(device.kind),
                     "slowest_timescale": xr.DataArray(slowest_timescale(device, config.rate), attrs={"units": "s"}),
                     "fastest_timescale": xr.DataArray(fastest_timescale(device, config.rate), attrs={"units": "s"})})
        per_device.append(xr.Dataset(data, coords={"age": ages}))
    ds = xr.concat(per_device, dim=xr.DataArray(labels, dims="device", name="device"), data_vars="all",
                   coords="minimal", join="outer", combine_attrs="drop")
    ds["age"].attrs.update({"long_name": "time since storage", "units": "s"})
    for name, long_name in (("snr_mc", "SNR, Monte-Carlo"), ("snr_theory", "SNR, mean field / Markov chain"),
                            ("lifetime_mc", f"memory lifetime (SNR < {config.criterion:g}), Monte-Carlo"),
                            ("lifetime_theory", f"memory lifetime (SNR < {config.criterion:g}), theory")):
        if name in ds:
            ds[name].attrs.update({"long_name": long_name, "units": "s" if "lifetime" in name else "1"})
    ds.attrs.update({"title": "neuromorph memory-signal experiment", "n_synapses": config.n_synapses,
                     "trials": config.trials, "rate_hz": config.rate, "events": config.events,
                     "criterion": config.criterion, "method": method, "seed": int(seed), "backend": backend,
                     "definitions": "overlap h = mean_n xi_n*pi*(w_n - w_rest); signal = E[h]; noise = "
                                    "sqrt(E[(w - w_rest)^2]/N) (stationary, never-stored pattern); SNR = signal/noise"})
    return ds
