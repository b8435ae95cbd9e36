"""Run a device population through a pulse protocol (``neuromorph simulate``).

The protocol is expanded into event lists (time, sign) per device and a set of recording times.
Chain devices are then integrated with one of two exact paths, or an approximate one:

* ``eigen`` (default): event-driven in the chain's eigenbasis — each device jumps exactly from one
  event to the next at O(m) per event, and nothing is computed for empty time
  (:func:`neuromorph.kernels.chain.eigen_event_driven`); handles device-to-device variation.
* ``dense`` / ``implicit_euler`` / ``explicit_euler``: a time-line walk over the union of all
  event and recording times, advancing every device with the chosen integrator (Euler
  integrators sub-step empty intervals). Needs one shared chain (no variation).

Stochastic devices (binary, cascade) change only at events.

Output: an :class:`xarray.Dataset` with ``u`` (device, time, compartment) [V or chain units],
``weight`` (device, time) — channel conductance [S] for proton transistors, u_1 otherwise — and
the event raster as attributes/coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ..config.protocol_schema import ProtocolCard, RandomStream, Relax, Train
from ..devices.base import Device
from ..errors import InvalidParameterError
from ..synapses.population import ChainPopulation, MarkovPopulation, run_event_lists

__all__ = ["ExpandedProtocol", "expand_protocol", "run_protocol"]


@dataclass
class ExpandedProtocol:
    """Per-device event lists in CSR form plus the recording times (all in seconds)."""

    offsets: np.ndarray  # (N+1,) int64
    times: np.ndarray  # (E,) float64, sorted within each device
    signs: np.ndarray  # (E,) int8
    record_times: np.ndarray  # (T,) sorted, unique
    t_end: float

    def device_of_event(self) -> np.ndarray:
        return np.repeat(np.arange(self.offsets.size - 1), np.diff(self.offsets))


def expand_protocol(protocol: ProtocolCard, n_devices: int, rng: np.random.Generator) -> ExpandedProtocol:
    """Event lists and recording times of ``protocol`` for ``n_devices`` devices."""
    shared_t: list[np.ndarray] = []
    shared_s: list[np.ndarray] = []
    private: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(n_devices)]
    record: list[np.ndarray] = []
    rec = protocol.record
    t0 = 0.0
    for segment in protocol.segments:
        body, duration = segment.body, segment.duration_s
        if isinstance(body, Train):
            times = t0 + body.interval * np.arange(body.pulses)
            if body.sign == "alternate":
                signs = np.where(np.arange(body.pulses) % 2 == 0, 1, -1).astype(np.int8)
            else:
                signs = np.full(body.pulses, body.sign, dtype=np.int8)
            shared_t.append(times)
            shared_s.append(signs)
            stride = max(1, int(np.ceil(body.pulses / rec.max_train_samples)))
            record.append(times[::stride])
        elif isinstance(body, RandomStream):
            for n in range(n_devices):
                count = rng.poisson(body.rate * duration)
                times = np.sort(t0 + duration * rng.random(count))
                signs = np.where(rng.random(count) < body.p_potentiate, 1, -1).astype(np.int8)
                private[n].append((times, signs))
        else:
            assert isinstance(body, Relax)
        n_log = max(2, int(np.ceil(rec.per_decade * rec.decades)) + 1)
        record.append(t0 + duration * np.logspace(-rec.decades, 0.0, n_log))
        t0 += duration
    shared_t_all = np.concatenate(shared_t) if shared_t else np.empty(0)
    shared_s_all = np.concatenate(shared_s) if shared_s else np.empty(0, np.int8)
    all_times, all_signs, counts = [], [], []
    for n in range(n_devices):
        t = np.concatenate([shared_t_all] + [p[0] for p in private[n]])
        s = np.concatenate([shared_s_all] + [p[1] for p in private[n]]).astype(np.int8)
        order = np.argsort(t, kind="stable")
        all_times.append(t[order])
        all_signs.append(s[order])
        counts.append(t.size)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    record_times = np.unique(np.concatenate(record))
    return ExpandedProtocol(offsets, np.concatenate(all_times), np.concatenate(all_signs), record_times, t0)


def run_protocol(device, protocol: ProtocolCard, n_devices: int = 1, seed: int = 0,
                 integrator: str = "eigen", progress: bool = True, max_step_s: float | None = None,
                 backend: str = "cpu") -> xr.Dataset:
    """Simulate ``n_devices`` devices under ``protocol``; see the module docstring.

    ``max_step_s`` bounds the step of the Euler integrators (ignored by the exact ones).
    ``backend`` ``cuda`` runs the event-driven eigenbasis integration on the GPU
    (:mod:`neuromorph.kernels.backend`; chain devices, integrator ``eigen``, pulse protocols)."""
    if n_devices < 1:
        raise InvalidParameterError(f"n_devices must be >= 1, got {n_devices}")
    check_backend(device, protocol, integrator, backend)
    if any(getattr(segment, "square_wave", None) is not None for segment in protocol.segments):
        from .gate_protocol import run_gate_protocol  # finite-width gate drives, integrated exactly

        return run_gate_protocol(device, protocol, n_devices=n_devices, seed=seed, progress=progress)
    rng = np.random.default_rng(seed)
    plan = expand_protocol(protocol, n_devices, rng)
    extra = {}
    if device.dynamics == "markov":
        u, level = _run_markov(device, plan, n_devices, rng, progress)
        weight, units = u[:, :, 0].copy(), "1"
        extra["level"] = (("device", "time"), level, {"long_name": "metaplastic level (1 = most plastic)"})
    else:
        u, weight = _run_chain(device, plan, n_devices, rng, integrator, progress, max_step_s, backend)
        units = device.state_units
    ds = xr.Dataset(
        {
            "u": (("device", "time", "compartment"), u,
                  {"long_name": "chain variables u_k", "units": units}),
            device.readout_name: (("device", "time"), weight,
                                  {"long_name": device.readout_name, "units": device.readout_units}),
            "event_count": (("device",), np.diff(plan.offsets)),
            **extra,
        },
        coords={"device": np.arange(n_devices), "time": ("time", plan.record_times, {"units": "s"}),
                "compartment": np.arange(1, u.shape[2] + 1)},
        attrs={"device_name": device.name, "device_kind": device.kind, "readout": device.readout_name,
               "protocol": protocol.name or "", "seed": seed, "integrator": integrator, "backend": backend,
               "n_events": int(plan.times.size)},
    )
    return ds


def check_backend(device, protocol: ProtocolCard, integrator: str, backend: str) -> None:
    """Refuse, before any work, what the ``cuda`` backend does not run: discrete (Markov)
    devices, finite-width gate drives (square waves) and integrators other than ``eigen``."""
    if backend == "cpu":
        return
    problem = None
    if device.dynamics == "markov":
        problem = f"device {device.name!r} is a discrete (binary/cascade) synapse; the GPU runs chain devices only"
    elif any(getattr(segment, "square_wave", None) is not None for segment in protocol.segments):
        problem = "the protocol drives the gate with square waves (finite-width pulses), which run on the CPU only"
    elif integrator != "eigen":
        problem = f"integrator {integrator!r} runs on the CPU only; the GPU runs the exact integrator 'eigen'"
    if problem:
        raise InvalidParameterError(f"--backend {backend}: {problem}; use --backend cpu", option="--backend")


def _run_chain(device: Device, plan: ExpandedProtocol, n_devices, rng, integrator_name, progress,
               max_step_s=None, backend="cpu"):
    population = device.sample_population(n_devices, rng)
    if integrator_name != "eigen" and not population.shared_chain:
        raise InvalidParameterError(f"integrator {integrator_name!r} needs identical devices; this card has "
                         "device-to-device variation: use the default integrator 'eigen'")
    options = {}
    if max_step_s is not None and integrator_name in ("implicit_euler", "explicit_euler"):
        if not max_step_s > 0:
            raise InvalidParameterError(f"the maximum step must be > 0 s, got {max_step_s}")
        options["max_dt"] = max_step_s / device.chain.time_unit_s
    chains = ChainPopulation(population.chains, n=n_devices, bounds=device.bounds, integrator=integrator_name,
                             backend=backend, **options)
    m = device.n_variables
    # event sizes are drawn up front (cycle-to-cycle noise); soft saturation enters via β·u_1
    event_device = plan.device_of_event()
    alpha, beta = device.event_coefficients(plan.signs, population.take(event_device), rng)
    n_rec = plan.record_times.size
    u = np.empty((n_devices, n_rec, m))
    if integrator_name == "eigen":
        cursor = plan.offsets[:-1].copy()
        for k in tqdm(range(n_rec), desc=f"simulate {device.name}", disable=not progress, unit="sample"):
            t_rec = plan.record_times[k]
            stop = np.array([np.searchsorted(plan.times[plan.offsets[n]:plan.offsets[n + 1]], t_rec, "right")
                             for n in range(n_devices)]) + plan.offsets[:-1]
            offsets, index = _window(cursor, stop)
            run_event_lists(chains, offsets, plan.times[index], alpha[index], beta[index], t_rec)
            cursor = stop
            u[:, k, :] = chains.state()
    else:
        timeline = np.unique(np.concatenate([plan.times, plan.record_times]))
        rec_index = np.searchsorted(timeline, plan.record_times)
        is_record = np.zeros(timeline.size, bool)
        is_record[rec_index] = True
        # events at each time-line point: (event index sorted by time)
        by_time = np.argsort(plan.times, kind="stable")
        event_slot = np.searchsorted(timeline, plan.times[by_time])
        bounds = np.searchsorted(event_slot, np.arange(timeline.size + 1))
        k = 0
        for j in tqdm(range(timeline.size), desc=f"simulate {device.name}", disable=not progress, unit="step"):
            chains.advance(timeline[j])
            events = by_time[bounds[j]:bounds[j + 1]]
            if events.size:
                a = np.zeros(n_devices)
                b = np.zeros(n_devices)
                a[event_device[events]] = alpha[events]
                b[event_device[events]] = beta[events]
                chains.apply(a, b)
            if is_record[j]:
                u[:, k, :] = chains.state()
                k += 1
    return u, device.readout(u[:, :, 0], population.column(), rng)


def _window(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR offsets and flat event indices of the per-device ranges [start, stop)."""
    counts = stop - start
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    index = np.concatenate([np.arange(a, b) for a, b in zip(start, stop)]) if counts.sum() else np.empty(0, np.int64)
    return offsets, index.astype(np.int64)


def _run_markov(device: Device, plan: ExpandedProtocol, n_devices, rng, progress):
    synapses = MarkovPopulation(device.markov_model().synapse, n_devices, rng)
    event_device = plan.device_of_event()
    order = np.argsort(plan.times, kind="stable")
    times = plan.times[order]
    n_rec = plan.record_times.size
    u = np.empty((n_devices, n_rec, 1))
    level = np.ones((n_devices, n_rec), dtype=np.int16)
    cursor = 0
    for k in tqdm(range(n_rec), desc=f"simulate {device.name}", disable=not progress, unit="sample"):
        stop = np.searchsorted(times, plan.record_times[k], "right")
        while cursor < stop:
            # all events at one instant are applied together
            same = cursor + np.searchsorted(times[cursor:stop], times[cursor], "right")
            signs = np.zeros(n_devices, np.int8)
            signs[event_device[order[cursor:same]]] = plan.signs[order[cursor:same]]
            synapses.apply_signs(signs, rng)
            cursor = same
        u[:, k, 0] = synapses.read()
        if synapses.level() is not None:
            level[:, k] = synapses.level() + 1
    return u, level
