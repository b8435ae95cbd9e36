"""Memory-signal experiment, Monte-Carlo part: SNR curves of simulated synapse populations
(xarray Datasets) on the population engine (:mod:`neuromorph.synapses.population`).

What is simulated (definitions shared with :mod:`neuromorph.analysis.memory_theory`)
------------------------------------------------------------------------------------
``trials`` independent populations of N synapses of one device (N·trials simulated synapses,
each its own device when the card has device-to-device variation) receive plasticity events of
random sign, at Poisson times of rate r (``events="poisson"``, exact event-driven integration:
the chain is advanced analytically between events) or one per step dt = 1/r (``"per_step"``).
With device-to-device variation one array of N devices is sampled per run and reused by every
trial (as one chip measured repeatedly; trials differ in event streams and initial states).
At t = 0 a random pattern ξ = ±1 is written once (one event of sign ξ_n per synapse; in
per-step mode it replaces the random event of step 0); afterwards the stream goes on. At each
recorded age the overlap h = (1/N) Σ ξ_n π (w_n − w_n^rest) of every population is read
(π = sign of the weight change of a "+" event, w^rest the weight at u = 0; conductances with
read noise for proton transistors). Reported:

* signal(t)   mean overlap, pooled over all simulated synapses; its standard error from the
              spread of ξ·w over synapses (independent synapses);
* noise       σ_h = √(E[(w − w^rest)²]/N), measured on the stationary population just before
              storage: the standard deviation of the overlap with a pattern the synapses never
              stored (also checked empirically: ``overlap_control`` is that overlap per trial);
* SNR(t) = signal/noise with ±1 SE, SNR at 0⁺ (right after storage), and the lifetime
  (first age where SNR < criterion, with the band from SNR ± SE).

Stationary start
----------------
The noise must be that of the ongoing stream, so populations start in the stream's stationary
state:

* chains (ideal or proton transistor, with or without soft gate saturation, cycle noise and
  device variation): the state is drawn from a Gaussian with the *exact* stationary covariance
  of the event stream (Lyapunov equation, see :func:`chain_stationary_covariance`). The SNR
  depends only on first and second moments, and those equations are closed and linear, so
  this start is exact for the SNR and no burn-in is needed (a burn-in would take several of
  the slowest timescales, up to ~10⁵ events per synapse for m = 8). Higher moments relax
  during the run but never enter the SNR.
* chains with hard bounds (nonlinear): the same Gaussian, clipped to the bounds, then a
  burn-in of ``burn_in`` seconds of stream (default: 3 slowest timescales) before storage.
* binary and cascade synapses: sampled exactly from their stationary distribution
  (``initial_state``), no burn-in.

All random numbers come from one ``numpy`` generator seeded by ``seed`` (numba kernels receive
them as arrays), so results depend on the seed only, never on threads or executors.
"""

from __future__ import annotations

import time

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ..analysis.lifetime import first_crossing, lifetime_band
from ..analysis.memory_theory import NoStationaryState, chain_memory_model, chain_stationary_covariance, \
    fastest_timescale, slowest_timescale
from ..devices.base import Device
from ..errors import InvalidParameterError
from ..synapses.population import ChainPopulation, MarkovPopulation, random_signs, run_per_step, run_poisson
from .memory_settings import MemoryConfig, age_grid, default_duration, device_label

__all__ = ["simulate_memory", "check_memory_backend"]


# ----------------------------------------------------------------------------------------------
# Monte-Carlo engines
# ----------------------------------------------------------------------------------------------

class _ChainEngine:
    """A population of chain devices (ideal or proton transistor) on the population engine
    (:class:`~neuromorph.synapses.population.ChainPopulation`)."""

    def __init__(self, device: Device, n_total: int, config: MemoryConfig, rng: np.random.Generator,
                 backend: str = "cpu"):
        self.device, self.config, self.rng, self.n = device, config, rng, n_total
        # one array of N devices, reused by every trial (trials differ in streams and states)
        self.n_devices = config.n_synapses
        self.trials = n_total // self.n_devices
        self.devices = device.sample_population(self.n_devices, rng)
        self.population = self.devices.tile(self.trials)
        bounds = device.bounds
        eigen_ok = bounds is None or bounds[0] <= 0.0 <= bounds[1]
        if eigen_ok:
            integrator = "eigen"
        elif self.population.shared_chain and config.events == "per_step":
            integrator = "dense"
        else:
            raise InvalidParameterError(f"{device.name}: bounds [{bounds[0]:g}, {bounds[1]:g}] exclude 0; Monte-Carlo "
                                        "supports them only with events per_step and no device variation")
        self.chains = ChainPopulation(self.population.chains, n=n_total, bounds=bounds, integrator=integrator,
                                      backend=backend)
        self.read_noise = device.channel.read_noise > 0
        self.polarity = device.polarity
        self.w_rest = np.asarray(device.readout(np.zeros(n_total), self.population), float)
        self._start()

    def _start(self) -> None:
        cfg, device = self.config, self.device
        m = device.n_variables
        try:
            model = chain_memory_model(device, population=self.devices, ignore_bounds=True)
            cov = chain_stationary_covariance(model, cfg.rate, cfg.events)
            vals, vecs = np.linalg.eigh(cov)
            root = vecs * np.sqrt(np.clip(vals, 0.0, None))[:, None, :]
            if root.shape[0] > 1:
                root = np.tile(root, (self.trials, 1, 1))
            z = self.rng.standard_normal((self.n, m))
            u = np.einsum("nij,nj->ni", np.broadcast_to(root, (self.n, m, m)), z)
        except NoStationaryState:
            if device.bounds is None:
                raise
            u = np.zeros((self.n, m))
        if device.bounds is not None:
            np.clip(u, device.bounds[0], device.bounds[1], out=u)
        self.chains.set_state(u)

    @property
    def nonlinear(self) -> bool:
        return self.device.bounds is not None

    def _coefficients(self, signs: np.ndarray, index: np.ndarray | None):
        population = self.population if index is None else self.population.take(index)
        return self.device.event_coefficients(signs, population, self.rng)

    def store(self, pattern: np.ndarray) -> None:
        alpha, beta = self._coefficients(pattern.astype(float), None)
        self.chains.apply(alpha, beta)
        self.chains.reset_clock(0.0)

    def run(self, t0: float, t1: float) -> None:
        """Advance the stream from t0 to t1 [s] (Poisson: exact event-driven)."""
        cfg = self.config
        if t1 <= t0:
            return
        if cfg.events == "per_step":
            run_per_step(self.chains, cfg.rate, int(round((t1 - t0) * cfg.rate)), self.rng, self._coefficients,
                         cfg.chunk_events)
            return
        self.chains.reset_clock(t0)
        run_poisson(self.chains, cfg.rate, t1, self.rng, self._coefficients, cfg.chunk_events)

    def deviation(self) -> np.ndarray:
        """π·(w − w_rest) per synapse (weight units)."""
        w = self.device.readout(self.chains.read(), self.population, self.rng if self.read_noise else None)
        return self.polarity * (np.asarray(w, float) - self.w_rest)


class _MarkovEngine:
    """A population of binary or cascade synapses; time enters only through the event stream."""

    nonlinear = False

    def __init__(self, device: Device, n_total: int, config: MemoryConfig, rng: np.random.Generator,
                 backend: str = "cpu"):
        self.device, self.config, self.rng, self.n = device, config, rng, n_total
        self.synapses = MarkovPopulation(device.markov_model().synapse, n_total, rng)

    def store(self, pattern: np.ndarray) -> None:
        self.synapses.apply_signs(pattern, self.rng)
        self.synapses.reset_clock(0.0)

    def run(self, t0: float, t1: float) -> None:
        cfg = self.config
        if t1 <= t0:
            return
        if cfg.events == "per_step":
            self.synapses.run_per_step(cfg.rate, int(round((t1 - t0) * cfg.rate)), self.rng)
            return
        self.synapses.reset_clock(t0)
        self.synapses.run_poisson(cfg.rate, t1, self.rng)

    def deviation(self) -> np.ndarray:
        return self.synapses.read()


def check_memory_backend(device, backend: str) -> None:
    """Refuse, before any work, a Monte-Carlo run the ``cuda`` backend cannot do: discrete
    (binary/cascade) synapses, and bounds that exclude 0 (those need the CPU's dense integrator)."""
    if backend == "cpu":
        return
    problem = None
    if device.dynamics == "markov":
        problem = "is a discrete (binary/cascade) synapse; the GPU runs chain devices only"
    elif device.bounds is not None and not device.bounds[0] <= 0.0 <= device.bounds[1]:
        problem = (f"has bounds [{device.bounds[0]:g}, {device.bounds[1]:g}] that exclude 0, which need the dense "
                   "integrator on the CPU")
    if problem:
        raise InvalidParameterError(f"--backend {backend}: device {device_label(device)!r} {problem}; use --backend cpu",
                                    option="--backend")


def simulate_memory(device, config: MemoryConfig, ages: np.ndarray | None = None, seed: int = 0,
                    progress: bool = True, label: str | None = None, backend: str = "cpu") -> xr.Dataset:
    """Monte-Carlo memory curve of one device (see the module doc). ``ages`` [s] are the read-out
    ages (default: ``config.n_ages`` log-spaced up to the duration); ages beyond the duration
    are not simulated (NaN). Returns a Dataset with dims ``age`` and ``trial``."""
    config.check()
    check_memory_backend(device, backend)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    duration = config.duration if config.duration is not None else default_duration(device, config)
    if ages is None:
        t_first = min(1.0 / config.rate, fastest_timescale(device, config.rate)) / 10.0
        ages = age_grid(t_first, duration, config.n_ages, config.events, config.rate)
    ages = np.asarray(ages, float)
    if config.events == "per_step":
        steps = np.rint(ages * config.rate)
        if np.any(np.abs(steps - ages * config.rate) > 1e-6 * np.maximum(1, steps)) or np.any(steps < 1):
            raise InvalidParameterError("per-step ages must be whole numbers (>= 1) of steps 1/rate")
    if np.any(np.diff(ages) <= 0) or np.any(ages <= 0):
        raise InvalidParameterError("ages must be positive and increasing")
    n, trials = config.n_synapses, config.trials
    n_total = n * trials
    start = time.perf_counter()
    markov = device.dynamics == "markov"
    engine = (_MarkovEngine if markov else _ChainEngine)(device, n_total, config, rng, backend)
    burn_in = config.burn_in
    if burn_in is None:
        burn_in = 3.0 * slowest_timescale(device, config.rate) if engine.nonlinear else 0.0
        if not np.isfinite(burn_in):
            raise InvalidParameterError(f"{device_label(device)}: the chain has no finite slowest timescale (no leak), so "
                             "the burn-in before storage cannot be chosen automatically; give --burn-in")
    if config.events == "per_step":
        burn_in = np.ceil(burn_in * config.rate) / config.rate
    simulated = ages[ages <= duration * (1 + 1e-12)]
    total_time = burn_in + (simulated[-1] if simulated.size else 0.0)
    bar = tqdm(total=total_time, disable=None if progress else True, unit="s", unit_scale=True, leave=False,
               desc=f"memory {label or device_label(device)}", mininterval=0.5,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.3g}/{total:.3g} s simulated [{elapsed}<{remaining}]")
    # burn-in in pieces so the bar moves
    pieces = np.linspace(0.0, burn_in, max(2, min(101, int(np.ceil(burn_in * config.rate)) + 1)))
    if config.events == "per_step":
        pieces = np.unique(np.rint(pieces * config.rate)) / config.rate
    for a, b in zip(pieces[:-1], pieces[1:]):
        engine.run(a, b)
        bar.update(b - a)
    pre = engine.deviation()
    noise_sq = float(np.mean(pre**2)) / n
    noise = np.sqrt(noise_sq)
    noise_rel_se = 0.5 * float(np.std(pre**2)) / max(float(np.mean(pre**2)), 1e-300) / np.sqrt(n_total)
    control = 2 * rng.integers(0, 2, size=n_total) - 1
    overlap_control = (control * pre).reshape(trials, n).mean(axis=1)
    pattern = random_signs(rng, n_total)
    engine.store(pattern)

    def read():
        proj = pattern * engine.deviation()
        return proj.reshape(trials, n).mean(axis=1), float(proj.mean()), float(proj.std() / np.sqrt(n_total))

    h0, s0, se0 = read()
    overlap = np.full((trials, ages.size), np.nan)
    signal = np.full(ages.size, np.nan)
    signal_se = np.full(ages.size, np.nan)
    t_prev = 0.0
    for i, age in enumerate(ages):
        if age > duration * (1 + 1e-12):
            break
        # long gaps are cut so that the progress bar moves
        gaps = np.linspace(t_prev, age, 2 + int((age - t_prev) * config.rate * n_total // (4 * config.chunk_events)))
        if config.events == "per_step":
            gaps = np.unique(np.rint(gaps * config.rate)) / config.rate
        for a, b in zip(gaps[:-1], gaps[1:]):
            engine.run(a, b)
            bar.update(b - a)
        overlap[:, i], signal[i], signal_se[i] = read()
        t_prev = age
    bar.close()
    elapsed = time.perf_counter() - start
    snr = signal / noise
    snr_se = signal_se / noise
    life = first_crossing(ages, snr, config.criterion) if s0 / noise >= config.criterion else 0.0
    lo, hi = lifetime_band(ages, snr, snr_se, config.criterion)
    units = device.readout_units
    ds = xr.Dataset(
        {
            "overlap": (("trial", "age"), overlap, {"long_name": "overlap h of each population with the stored pattern", "units": units}),
            "overlap_initial": (("trial",), h0, {"long_name": "overlap right after storage (age 0+)", "units": units}),
            "overlap_control": (("trial",), overlap_control, {"long_name": "overlap with a never-stored pattern, stationary state before storage", "units": units}),
            "signal": (("age",), signal, {"long_name": "mean overlap with the stored pattern", "units": units}),
            "signal_se": (("age",), signal_se, {"long_name": "standard error of the signal", "units": units}),
            "snr": (("age",), snr, {"long_name": "signal-to-noise ratio", "units": "1"}),
            "snr_se": (("age",), snr_se, {"long_name": "standard error of the SNR", "units": "1"}),
            "noise": ((), noise, {"long_name": "std of the overlap with a never-stored pattern (stationary)", "units": units}),
            "noise_rel_se": ((), noise_rel_se, {"long_name": "relative standard error of the noise estimate", "units": "1"}),
            "snr_initial": ((), s0 / noise, {"long_name": "SNR right after storage (age 0+)", "units": "1"}),
            "snr_initial_se": ((), se0 / noise, {"units": "1"}),
            "lifetime": ((), life, {"long_name": f"first age where SNR < {config.criterion:g}", "units": "s"}),
            "lifetime_lo": ((), lo, {"long_name": "lifetime of SNR - SE", "units": "s"}),
            "lifetime_hi": ((), hi, {"long_name": "lifetime of SNR + SE", "units": "s"}),
            "duration": ((), float(min(duration, ages[-1])), {"long_name": "simulated time after storage", "units": "s"}),
        },
        coords={"age": ("age", ages, {"long_name": "time since storage", "units": "s"}),
                "trial": ("trial", np.arange(trials))},
        attrs={"device": label or device_label(device), "kind": device.kind, "n_synapses": n,
               "trials": trials, "rate_hz": config.rate, "events": config.events, "criterion": config.criterion,
               "burn_in_s": float(burn_in), "seed": int(seed), "wall_time_s": elapsed,
               "start": ("exact stationary distribution (stochastic synapse)" if markov
                         else "Gaussian with the exact stationary covariance" +
                         (" (clipped to the bounds) + burn-in" if engine.nonlinear else ""))},
    )
    return ds
