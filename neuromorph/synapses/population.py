r"""One population engine: N linear chains (one shared chain or one per synapse) with a clock,
driven by event streams — the engine behind ``simulate``, the memory Monte-Carlo and the
crossbar array.

A :class:`ChainPopulation` owns the state of N chains in its integrator's representation (mode
space for the exact eigenbasis integrator) and the time ``time_s`` that state refers to:

``advance(t)``            move every chain exactly to time t [s] (no events)
``apply(α, β)``           one event on every chain now: Δu_1 = α − β·u_1 (α, β per chain or shared;
                          α = β = 0 is no event); bounds clip u_1 exactly (eigen) or all u (others)
``read()`` / ``state()``  u_1 (N,) / u (N, m) now
``save_at(times, …)``     run a stream driver and read at each time of a sorted list (diffrax's
                          ``SaveAt``)

Stream drivers (what changes u_1, and when) are plain functions over the engine:

* :func:`run_event_lists`  explicit per-chain event lists (CSR offsets, times, α, β) up to a time:
  exact event-driven integration (protocols, Poisson streams);
* :func:`run_poisson`      Poisson events of rate r per chain with random signs, coefficients
  from a callback ``coefficients(signs, chain_index) -> (α, β)``;
* :func:`run_per_step`     one event of random sign per step dt = 1/r on every chain.

The coefficients come from the device (:meth:`neuromorph.devices.base.Device.event_coefficients`),
so the engine never knows which device it integrates.

How the next experiments use it as is: a training run holds a ``ChainPopulation`` per weight
matrix (through :class:`neuromorph.crossbar.CrossbarArray`, which advances it lazily and applies
pulse counts with :meth:`ChainPopulation.apply_pulses`); a familiarity experiment builds one
population of N synapses, applies one event per presented item with :meth:`apply` (signs from
the item, coefficients from the device), lets time pass with :meth:`advance` and reads with
:meth:`read`; random background activity is :func:`run_poisson` or :func:`run_per_step`.

:class:`MarkovPopulation` is the same engine for discrete synapses (binary, cascade): time
passes without change, events act through the synapse's transition rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..kernels import crossbar as xkern
from ..kernels.backend import population_integrator
from .chain import ChainBatch, LinearChain
from .integrators import make_integrator

__all__ = ["ChainPopulation", "MarkovPopulation", "run_event_lists", "run_poisson", "run_per_step",
           "poisson_event_times", "random_signs", "PULSE_MODE_CODES"]

PULSE_MODE_CODES = {"linear": xkern.MODE_LINEAR, "soft": xkern.MODE_SOFT, "ideal": xkern.MODE_IDEAL}

Coefficients = Callable[[np.ndarray, "np.ndarray | None"], "tuple[np.ndarray, np.ndarray]"]


def random_signs(rng: np.random.Generator, n: int) -> np.ndarray:
    """n independent event signs ±1 (int8), each with probability 1/2."""
    return rng.integers(0, 2, size=n, dtype=np.int8) * np.int8(2) - np.int8(1)


def poisson_event_times(rng: np.random.Generator, counts: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Sorted uniform times in [t0, t1) for each chain (``counts[n]`` of them, concatenated):
    normalised partial sums of counts+1 exponentials are sorted uniforms — O(events), no sort."""
    seg = counts + 1
    ends = np.cumsum(seg)
    starts = ends - seg
    cs = np.cumsum(rng.standard_exponential(int(ends[-1])))
    base = np.where(starts > 0, cs[np.maximum(starts - 1, 0)], 0.0)
    total = cs[ends - 1] - base
    mask = np.ones(int(ends[-1]), dtype=bool)
    mask[ends - 1] = False
    seg_id = np.repeat(np.arange(counts.size), counts)
    frac = (cs[mask] - base[seg_id]) / total[seg_id]
    return t0 + frac * (t1 - t0)


class ChainPopulation:
    """N chains with a clock (see the module docstring).

    chains:      a shared :class:`LinearChain` or a :class:`ChainBatch` (one chain per synapse;
                 only the ``eigen`` integrator takes one)
    n:           number of chains (required with a shared chain)
    bounds:      hard bounds on u (``(lower, upper)``) or None
    integrator:  ``eigen`` (exact, O(m)), ``dense``, ``implicit_euler`` or ``explicit_euler``
                 (:mod:`neuromorph.synapses.integrators`); ``options`` go to it (e.g. ``max_dt``)
    backend:     ``cpu`` (default) or ``cuda`` (:mod:`neuromorph.kernels.backend`; ``eigen`` only):
                 on cuda the state stays in GPU memory and is copied back only by :meth:`state` /
                 :meth:`read`; :meth:`apply` / :meth:`step` then return u_1 as a device array
    """

    def __init__(self, chains: LinearChain | ChainBatch, n: int | None = None,
                 bounds: tuple[float, float] | None = None, integrator: str = "eigen", backend: str = "cpu",
                 **options):
        if isinstance(chains, ChainBatch):
            n = len(chains) if n is None else n
        if n is None or n < 1:
            raise ValueError(f"a population needs n >= 1 chains, got {n}")
        self.chains = chains
        self.n = int(n)
        self.bounds = bounds
        self.integrator = make_integrator(integrator, chains, bounds, **options)
        self.backend = getattr(backend, "name", backend)
        if self.backend != "cpu":
            self.integrator = population_integrator(backend, self.integrator)
        self.time_unit_s = float(chains.time_unit_s)
        self.x = self.integrator.encode(np.zeros((self.n, chains.n_variables)))
        self.time_s = 0.0
        self._decay_cache: dict[float, np.ndarray] = {}

    @property
    def n_variables(self) -> int:
        return self.chains.n_variables

    # ---- state -------------------------------------------------------------------------------
    def set_state(self, u: np.ndarray) -> None:
        """Set u (N, m) of every chain at the current time."""
        x = self.integrator.encode(u)
        self.x = np.ascontiguousarray(x) if self.backend == "cpu" else x

    def state(self) -> np.ndarray:
        """u (N, m) now."""
        return self.integrator.decode(self.x)

    def read(self) -> np.ndarray:
        """u_1 (N,) now."""
        return self.integrator.read_u1(self.x)

    # ---- time and events ---------------------------------------------------------------------
    def reset_clock(self, t_s: float = 0.0) -> None:
        """Call the current time ``t_s`` (e.g. age 0 at the moment a pattern is stored)."""
        self.time_s = float(t_s)

    def advance(self, t_s: float) -> None:
        """Move every chain exactly to time ``t_s`` [s] (no events); t_s ≥ the current time."""
        dt = t_s - self.time_s
        if dt < 0:
            raise ValueError(f"cannot advance backwards in time ({self.time_s} s -> {t_s} s)")
        self.integrator.advance(self.x, dt / self.time_unit_s)
        self.time_s = float(t_s)

    def apply(self, alpha, beta=0.0) -> np.ndarray:
        """One event Δu_1 = α − β·u_1 on every chain now (α, β scalars or per chain); returns u_1."""
        return self.integrator.step(self.x, 0.0, alpha, beta)

    def step(self, dt_s: float, alpha, beta=0.0) -> np.ndarray:
        """Advance by ``dt_s`` then apply one event (one step of a per-step stream); returns u_1."""
        out = self.integrator.step(self.x, dt_s / self.time_unit_s, alpha, beta)
        self.time_s += dt_s
        return out

    # ---- lazily advanced populations (crossbar cells) -----------------------------------------
    def _cpu_only(self, method: str) -> None:
        if self.backend != "cpu":
            from ..errors import InvalidParameterError

            raise InvalidParameterError(f"ChainPopulation.{method} runs on backend cpu only (the crossbar write "
                                        f"path is not on the GPU yet), got backend {self.backend!r}",
                                        option="--backend")

    def _decay(self, dt: float) -> np.ndarray:
        """e^{λ dt} per mode ((1|N, m)), cached for the last two step lengths. Keyed on 12
        significant digits: accumulated times repeat a step length only up to rounding."""
        key = float(f"{dt:.12g}")
        if key not in self._decay_cache:
            if len(self._decay_cache) >= 2:
                self._decay_cache.pop(next(iter(self._decay_cache)))
            self._decay_cache[key] = np.exp(self.integrator.rates * key)
        return self._decay_cache[key]

    def advance_and_read(self, t_s: float) -> np.ndarray:
        """``eigen`` only: advance to ``t_s`` and return u_1 (N,) in one pass over the state
        (:func:`neuromorph.kernels.crossbar.advance_read_u1`)."""
        self._cpu_only("advance_and_read")
        dt = t_s - self.time_s
        u1 = np.empty(self.n)
        decay = self._decay(dt / self.time_unit_s) if dt > 0 else np.ones((1, self.x.shape[1]))
        xkern.advance_read_u1(self.x, decay, self.integrator.readout, u1)
        self.time_s = float(t_s)
        return u1

    def apply_pulses(self, t_s: float, counts: np.ndarray, mode: str, target: float, rate: np.ndarray,
                     cycle_noise: float, xi: np.ndarray) -> None:
        """``eigen`` only: advance to ``t_s``, then k identical pulses per chain as one event
        (``counts`` signed int32 per chain; ``mode``, ``target``, ``rate`` (1|N) and
        ``cycle_noise`` of :class:`neuromorph.devices.linear_model.LinearEventModel`; ``xi`` the
        per-chain pulse noise), fused in :func:`neuromorph.kernels.crossbar.pulse_step`."""
        self._cpu_only("apply_pulses")
        integ = self.integrator
        decay = self._decay((t_s - self.time_s) / self.time_unit_s)
        xkern.pulse_step(self.x, decay, integ.kick, integ.readout, counts, rate, float(target),
                         PULSE_MODE_CODES[mode], float(cycle_noise), xi, integ.clip, float(integ.lower),
                         float(integ.upper), np.empty(self.n))
        self.time_s = float(t_s)

    def step_coefficients(self, t_s: float, alpha: np.ndarray, beta: np.ndarray) -> None:
        """Advance to ``t_s`` then apply (α, β): the unfused reference of :meth:`apply_pulses`."""
        self.integrator.step(self.x, (t_s - self.time_s) / self.time_unit_s, alpha, beta)
        self.time_s = float(t_s)

    # ---- read-out schedule ---------------------------------------------------------------------
    def save_at(self, times_s: Sequence[float], drive: Callable[["ChainPopulation", float, float], None],
                read: Callable[["ChainPopulation"], object] | None = None) -> list:
        """For each time of the sorted ``times_s``: ``drive(self, t_from, t_to)`` (a stream driver
        that ends with the population at t_to) then ``read(self)`` (default u (N, m)); returns the
        reads."""
        read = read or (lambda pop: pop.state())
        out = []
        for t in times_s:
            drive(self, self.time_s, float(t))
            out.append(read(self))
        return out


# ---- stream drivers ------------------------------------------------------------------------------

def run_event_lists(population: ChainPopulation, offsets: np.ndarray, times_s: np.ndarray, alpha: np.ndarray,
                    beta: np.ndarray, t_end_s: float) -> None:
    """Explicit events: chain n receives events ``offsets[n]:offsets[n+1]`` at ``times_s`` (sorted
    per chain, within [now, t_end)) with coefficients α, β; the population ends at ``t_end_s``.
    ``eigen`` jumps exactly from event to event
    (:func:`neuromorph.kernels.chain.eigen_event_driven`)."""
    unit = population.time_unit_s
    population.integrator.run_events(population.x, offsets, times_s / unit, np.ascontiguousarray(alpha, float),
                                     np.ascontiguousarray(np.broadcast_to(beta, np.shape(alpha)), float),
                                     population.time_s / unit, t_end_s / unit)
    population.time_s = float(t_end_s)


def run_poisson(population: ChainPopulation, rate_hz: float, t_end_s: float, rng: np.random.Generator,
                coefficients: Coefficients, chunk_events: int = 2_000_000) -> None:
    """Poisson events of rate ``rate_hz`` per chain, random signs, from now to ``t_end_s``; the
    stream is generated in pieces of about ``chunk_events`` events (memory bound). For each piece:
    counts ~ Poisson, times (:func:`poisson_event_times`), signs, then
    ``coefficients(signs, chain_index)``."""
    t0 = population.time_s
    if t_end_s <= t0:
        return
    n = population.n
    expected = n * rate_hz * (t_end_s - t0)
    pieces = max(1, int(np.ceil(expected / chunk_events)))
    edges = np.linspace(t0, t_end_s, pieces + 1)
    for a, b in zip(edges[:-1], edges[1:]):
        counts = rng.poisson(rate_hz * (b - a), size=n)
        total = int(counts.sum())
        if total == 0:
            population.advance(b)
            continue
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        times = poisson_event_times(rng, counts, a, b)
        signs = random_signs(rng, total).astype(float)
        alpha, beta = coefficients(signs, np.repeat(np.arange(n), counts))
        run_event_lists(population, offsets, times, alpha, beta, b)


def run_per_step(population: ChainPopulation, rate_hz: float, n_steps: int, rng: np.random.Generator,
                 coefficients: Coefficients, chunk_events: int = 2_000_000) -> None:
    """``n_steps`` steps of dt = 1/rate: every chain decays for dt, then receives one event of
    random sign. With the ``eigen`` integrator blocks of steps run in one kernel call
    (:func:`neuromorph.kernels.chain.eigen_run`)."""
    n = population.n
    integ = population.integrator
    dt = 1.0 / rate_hz / population.time_unit_s
    fused = hasattr(integ, "run")
    block = max(1, chunk_events // n) if fused else 1
    remaining = int(n_steps)
    while remaining > 0:
        steps = min(block, remaining)
        signs = random_signs(rng, steps * n).reshape(steps, n).astype(float)
        alpha, beta = coefficients(signs, None)
        if fused:
            beta = np.broadcast_to(beta, alpha.shape) if np.ndim(beta) else np.zeros((steps, 1))
            integ.run(population.x, dt, alpha, beta)
        else:
            integ.step(population.x, dt, alpha[0], beta[0] if np.ndim(beta) else beta)
        remaining -= steps
    population.time_s += n_steps / rate_hz


class MarkovPopulation:
    """N discrete synapses (``BinarySynapse`` or ``CascadeSynapse``) with the interface of
    :class:`ChainPopulation`: time passes without change; events act through the synapse's
    transition rule (:mod:`neuromorph.kernels.stochastic`)."""

    def __init__(self, synapse, n: int, rng: np.random.Generator):
        self.synapse = synapse
        self.n = int(n)
        self.state_arrays = synapse.initial_state(self.n, rng)
        self.time_s = 0.0

    def reset_clock(self, t_s: float = 0.0) -> None:
        self.time_s = float(t_s)

    def advance(self, t_s: float) -> None:
        self.time_s = float(t_s)

    def apply_signs(self, signs: np.ndarray, rng: np.random.Generator) -> None:
        """One event of sign ±1 (0 = none) on every synapse."""
        self.synapse.apply_events(self.state_arrays, signs.astype(np.int8), rng)

    def read(self) -> np.ndarray:
        """The weights ±1 (N,)."""
        return self.synapse.weight(self.state_arrays)

    def level(self) -> np.ndarray | None:
        """Metaplastic level (0 = most plastic) of a cascade, None for binary synapses."""
        return self.state_arrays.get("level")

    def run_poisson(self, rate_hz: float, t_end_s: float, rng: np.random.Generator) -> None:
        """Poisson events up to ``t_end_s``: counts per synapse, then rounds of simultaneous events."""
        if t_end_s <= self.time_s:
            return
        counts = rng.poisson(rate_hz * (t_end_s - self.time_s), size=self.n)
        for round_ in range(int(counts.max(initial=0))):
            signs = np.where(counts > round_, random_signs(rng, self.n), np.int8(0)).astype(np.int8)
            self.apply_signs(signs, rng)
        self.time_s = float(t_end_s)

    def run_per_step(self, rate_hz: float, n_steps: int, rng: np.random.Generator) -> None:
        for _ in range(int(n_steps)):
            self.apply_signs(random_signs(rng, self.n), rng)
        self.time_s += n_steps / rate_hz
