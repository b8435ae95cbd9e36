"""Mean-field theory of the memory signal of a synapse population (SNR vs time since storage).

The experiment (shared with :mod:`neuromorph.tasks.memory`)
------------------------------------------------------------
N independent synapses receive plasticity events of random sign s = ±1 (probability 1/2 each),
either at Poisson times of rate r (``events="poisson"``) or exactly one per time step dt = 1/r
(``events="per_step"``). At t = 0 a tracked pattern ξ ∈ {±1}^N is stored: every synapse gets one
event of sign ξ_n (Poisson: an extra event; per step: it *is* the event of step 0). The stream
goes on. The read-out is the overlap

    h(t) = (1/N) Σ_n ξ_n · π · (w_n(t) − w_n^rest)

(w^rest the weight at rest, u = 0; π = ±1 the sign of the weight change of a "+" event, so
the signal is positive). **Signal** S(t) = E[h(t)]. **Noise** σ_h = standard deviation of the
overlap of the weights with a pattern they never stored, in the stationary state of the
stream: σ_h² = E[(w − w^rest)²]/N. **SNR(t)** = S(t)/σ_h; **lifetime** = first age where
SNR falls to a criterion (1 by default), see :mod:`neuromorph.analysis.lifetime`.

Linear chains with affine events (exact)
----------------------------------------
A chain du/dt = A u (A = C⁻¹L, :class:`~neuromorph.synapses.chain.LinearChain`) receives events
Δu_1 = (1 + cη)(a·s − b·u_1), η ~ N(0, 1) (cycle-to-cycle noise c). Ideal chains have a = Δ,
b = c = 0; a proton transistor has a = V_gate·g_gate·w/C_1 (linear gate) or
a = V_gate·b, b = 1 − exp(−g_gate·w/C_1) (soft saturation). Because event signs and times are
independent of the state, first and second moments obey closed *linear* equations:

* mean signal m(t) = E[ξ u(t)]: m(0⁺) = a e_1, then Poisson dm/dt = (A − r b E_11) m; per step
  m_k = (I − b E_11) P m_{k−1}, P = exp(A dt). With b = 0: m_1(t) = a·K(t), K the chain's linear
  response kernel (``LinearChain.response_to_unit_event``).
* stationary covariance M = E[u uᵀ]:
  Poisson  0 = A'M + MA'ᵀ + r(1 + c²)(a² + b² M_11) E_11,  A' = A − r b E_11;
  per step M = D P M Pᵀ D + b²c² (P M Pᵀ)_11 E_11 + a²(1 + c²) E_11,  D = I − b E_11
  (state just after a step's event). For b = 0 these are Campbell's theorem,
  Var u_1 = r Δ² ∫₀^∞ K(t)² dt, and its discrete analogue Var u_1 = Δ² Σ_{n≥0} K(n dt)².

All of it is evaluated in closed form in the symmetric basis S = C^{-1/2} L C^{-1/2}
(A' ↦ S − r b E_11; per step B = D^{1/2} e^{S dt} D^{1/2}, real positive spectrum), so a chain's
curve costs one m×m eigendecomposition: e.g. ∫K² = Σ_ij w_i w_j / (−(λ_i + λ_j)) with
w_i = W_1i², and m_1(t) = a Σ_i w_i e^{λ_i t}. Then

    SNR(t) = √N · slope · m_1(t) / √(slope²·M_11 + σ_read²·E[w²]),

exact for unbounded ideal chains (slope 1, no read noise). For a proton transistor the state
moments are still exact; the channel G(u_1) is linearised at rest (slope dG/du_1 at u_1 = 0,
fine while the stationary spread of u_1 stays inside the linear range) and device-to-device
variation is averaged over a sample of devices (signal and variance averaged separately).
Hard bounds make the dynamics nonlinear: no mean-field curve then (Monte-Carlo only).

Binary and cascade synapses (exact mean signal)
-----------------------------------------------
Markov chains over their discrete states: :mod:`neuromorph.analysis.markov_theory` (re-exported
here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..config.experiment_schema import EVENT_MODES, check_event_mode
from ..errors import InvalidParameterError
from ..devices.base import Device
from ..synapses.chain import ChainBatch, LinearChain
from .lifetime import lifetime_of_function
from .markov_theory import binary_best_q, binary_lifetime, binary_signal, markov_matrices, markov_signal

__all__ = [
    "EVENT_MODES",
    "NoStationaryState",
    "NotApplicable",
    "ChainMemoryModel",
    "chain_memory_model",
    "campbell_integral",
    "step_sum",
    "campbell_variance",
    "step_variance",
    "chain_signal_u1",
    "chain_u1_variance",
    "chain_stationary_covariance",
    "binary_signal",
    "binary_lifetime",
    "binary_best_q",
    "markov_matrices",
    "markov_signal",
    "MemoryPrediction",
    "predict_memory",
    "slowest_timescale",
]

EventMode = Literal["poisson", "per_step"]


class NoStationaryState(InvalidParameterError):
    """The event stream has no stationary state (e.g. a chain without leak and fixed events)."""


class NotApplicable(ValueError):
    """No mean-field prediction for this device (nonlinear dynamics: bounds)."""


# ----------------------------------------------------------------------------------------------
# linear chains: closed forms
# ----------------------------------------------------------------------------------------------

def _sym_matrix(chain: LinearChain) -> np.ndarray:
    """Dense S = C^{-1/2} L C^{-1/2} in 1/s."""
    diag, off = chain.symmetric_tridiagonal()
    s = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
    return s / chain.time_unit_s


def _sym_batch(chains: LinearChain | ChainBatch) -> tuple[np.ndarray, np.ndarray]:
    """(S (n, m, m) in 1/s, capacities (n, m)) of one chain (n = 1) or of a ChainBatch."""
    if isinstance(chains, LinearChain):
        return _sym_matrix(chains)[None], chains.capacities[None].copy()
    return chains.symmetric_matrices() / chains.time_unit_s, chains.capacities.copy()


def campbell_integral(chain: LinearChain) -> float:
    """∫₀^∞ K(t)² dt in chain time units, K = ``chain.response_to_unit_event``:
    Σ_ij w_i w_j / (−(λ_i + λ_j)), w = readout ⊙ kick. Infinite for a chain without leak."""
    basis = chain.eigenbasis
    w = basis.readout * basis.kick
    lam = basis.rates
    total = -(lam[:, None] + lam[None, :])
    if np.any(total <= 0):
        return float("inf")
    return float(np.sum(np.outer(w, w) / total))


def step_sum(chain: LinearChain, dt: float) -> float:
    """Σ_{n≥0} K(n·dt)² (dt in chain time units), closed form Σ_ij w_i w_j / (1 − e^{(λ_i+λ_j)dt})."""
    basis = chain.eigenbasis
    w = basis.readout * basis.kick
    lam = basis.rates
    denom = -np.expm1((lam[:, None] + lam[None, :]) * dt)
    if np.any(denom <= 0):
        return float("inf")
    return float(np.sum(np.outer(w, w) / denom))


def campbell_variance(chain: LinearChain, rate: float, event_size: float) -> float:
    """Stationary Var u_1 for ±Δ events at Poisson rate ``rate`` (per chain time unit):
    r Δ² ∫K² (Campbell's theorem for shot noise with random signs)."""
    return rate * event_size**2 * campbell_integral(chain)


def step_variance(chain: LinearChain, dt: float, event_size: float) -> float:
    """Stationary Var u_1 just after an event, one ±Δ event every ``dt``: Δ² Σ_{n≥0} K(n dt)²."""
    return event_size**2 * step_sum(chain, dt)


@dataclass(frozen=True)
class ChainMemoryModel:
    """Linear(ised) memory dynamics of n sampled devices of one kind (arrays over devices).

    sym: (n, m, m) S = C^{-1/2} L C^{-1/2} [1/s]; capacities (n, m); a, b (n,) of the affine
    event Δu_1 = (1 + cη)(a s − b u_1) (a > 0, sign folded into the read-out); c cycle noise;
    slope (n,) |dw/du_1| at rest; w_rest (n,); read_noise relative std of each read.
    """

    sym: np.ndarray
    capacities: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: float
    slope: np.ndarray
    w_rest: np.ndarray
    read_noise: float
    exact: bool
    note: str

    @property
    def n_devices(self) -> int:
        return self.sym.shape[0]


def chain_memory_model(device: Device, n_devices: int = 256,
                       rng: np.random.Generator | None = None, population=None,
                       ignore_bounds: bool = False) -> ChainMemoryModel:
    """The :class:`ChainMemoryModel` of a chain device, from its
    :meth:`~neuromorph.devices.base.Device.linear_model`; raises :class:`NotApplicable` with
    bounds (unless ``ignore_bounds``, used to seed a Monte-Carlo start that is then burnt in).

    Devices with device-to-device variation are represented by ``n_devices`` sampled devices
    (drawn with ``rng``), or by the given ``population`` (one entry per device); others by
    their single nominal chain.
    """
    if device.bounds is not None and not ignore_bounds:
        raise NotApplicable(f"{device.name}: hard bounds [{device.bounds[0]:g}, {device.bounds[1]:g}] make the "
                            "dynamics nonlinear; no mean-field curve (Monte-Carlo only)")
    if population is None:
        rng = np.random.default_rng(0) if rng is None else rng
        population = device.sample_population(n_devices if device.has_variation else 1, rng)
    linear = device.linear_model(population)
    sym, caps = _sym_batch(linear.chains)
    n = sym.shape[0]
    return ChainMemoryModel(sym=sym, capacities=caps, a=linear.a[:n], b=linear.b[:n], c=linear.cycle_noise,
                            slope=linear.slope[:n], w_rest=linear.w_rest[:n], read_noise=linear.read_noise,
                            exact=linear.exact, note=linear.note)


def _signal_modes(model: ChainMemoryModel, rate: float, events: str):
    """Spectrum of the mean-signal dynamics: (exponents per second or per-step factors, weights
    w_i = W_1i², eigenvectors W) for every device; see the module doc."""
    check_event_mode(events)
    sym = model.sym
    if events == "poisson":
        shifted = sym.copy()
        shifted[:, 0, 0] -= rate * model.b
        lam, vecs = np.linalg.eigh(shifted)
        if np.any(lam >= -1e-12 * np.max(np.abs(lam), axis=-1, keepdims=True)):
            raise NoStationaryState("the chain has a mode that never decays (no leak, and events do not "
                                    "pull u_1 back): no stationary state, so no noise level and no SNR; "
                                    "add a leak (leak: true) or use soft gate saturation")
        return lam, vecs[:, 0, :] ** 2, vecs
    dt = 1.0 / rate
    lam, vecs = np.linalg.eigh(sym)
    if np.any(lam >= -1e-12 * np.max(np.abs(lam), axis=-1, keepdims=True)) and np.any(model.b <= 0):
        raise NoStationaryState("the chain has a mode that never decays (no leak, and events do not pull u_1 "
                                "back): no stationary state, so no noise level and no SNR; add a leak "
                                "(leak: true) or use soft gate saturation")
    prop = np.einsum("nij,nj,nkj->nik", vecs, np.exp(lam * dt), vecs)
    dh = np.sqrt(1.0 - model.b)
    scaled = prop.copy()
    scaled[:, 0, :] *= dh[:, None]
    scaled[:, :, 0] *= dh[:, None]
    mu, w_vecs = np.linalg.eigh(scaled)
    if np.any(mu >= 1.0 - 1e-12):
        raise NoStationaryState("the chain has a mode that never decays: no stationary state")
    return mu, w_vecs[:, 0, :] ** 2, w_vecs


def chain_signal_u1(model: ChainMemoryModel, t: np.ndarray, rate: float, events: str = "poisson") -> np.ndarray:
    """E[ξ·u_1](t) per device, shape (n, len(t)), t in seconds (≥ 0)."""
    t = np.atleast_1d(np.asarray(t, float))
    spec, w1, _ = _signal_modes(model, rate, events)
    if events == "poisson":
        decay = np.exp(spec[:, None, :] * t[None, :, None])
    else:
        decay = spec[:, None, :] ** (t[None, :, None] * rate)
    return model.a[:, None] * np.einsum("nm,ntm->nt", w1, decay)


def _second_moment_parts(model: ChainMemoryModel, rate: float, events: str):
    """(s, Ẑ, spectrum data) with M = s·(C-scaled Ẑ); see chain_stationary_covariance."""
    spec, _, vecs = _signal_modes(model, rate, events)
    v1 = vecs[:, 0, :]
    if events == "poisson":
        g = v1[:, :, None] * v1[:, None, :] / (-(spec[:, :, None] + spec[:, None, :]))
    else:
        g = v1[:, :, None] * v1[:, None, :] / (1.0 - spec[:, :, None] * spec[:, None, :])
    zhat = np.einsum("nij,njk,nlk->nil", vecs, g, vecs)
    y11 = zhat[:, 0, 0]
    c2 = model.c**2
    a2, b2 = model.a**2, model.b**2
    if events == "poisson":
        denom = 1.0 - rate * (1.0 + c2) * b2 * y11
        numer = rate * (1.0 + c2) * a2
    else:
        dt = 1.0 / rate
        lam, svecs = np.linalg.eigh(model.sym)
        prop = np.einsum("nij,nj,nkj->nik", svecs, np.exp(lam * dt), svecs)
        dh = np.sqrt(1.0 - model.b)
        inner = zhat.copy()
        inner[:, 0, :] *= dh[:, None]
        inner[:, :, 0] *= dh[:, None]
        q = np.einsum("ni,nij,nj->n", prop[:, 0, :], inner, prop[:, 0, :]) / (1.0 - model.b)
        denom = 1.0 - b2 * c2 * q
        numer = a2 * (1.0 + c2)
    if np.any(denom <= 0):
        raise NoStationaryState("the multiplicative gate noise is too strong: the second moment of the state "
                                "grows without bound")
    return numer / denom, zhat


def chain_u1_variance(model: ChainMemoryModel, rate: float, events: str = "poisson") -> np.ndarray:
    """Stationary Var u_1 per device (n,) (just after a step's event in ``per_step`` mode)."""
    s, zhat = _second_moment_parts(model, rate, events)
    return s * zhat[:, 0, 0]


def chain_stationary_covariance(model: ChainMemoryModel, rate: float, events: str = "poisson") -> np.ndarray:
    """Stationary E[u uᵀ] per device (n, m, m) in state units (mean is 0 by symmetry)."""
    s, zhat = _second_moment_parts(model, rate, events)
    c = model.capacities
    inv_sqrt = 1.0 / np.sqrt(c)
    if events == "poisson":
        scale = c[:, 0]
        left = inv_sqrt
    else:
        dh = np.ones_like(c)
        dh[:, 0] = np.sqrt(1.0 - model.b)
        scale = c[:, 0] / (1.0 - model.b)
        left = inv_sqrt * dh
    cov = left[:, :, None] * zhat * left[:, None, :] * scale[:, None, None]
    return s[:, None, None] * cov


# ----------------------------------------------------------------------------------------------
# device-level predictions
# ----------------------------------------------------------------------------------------------

@dataclass
class MemoryPrediction:
    """A predicted memory curve (ages in s, signal and noise in the device's weight units)."""

    t: np.ndarray
    signal: np.ndarray
    noise: float
    snr: np.ndarray
    snr_initial: float
    lifetime: float
    method: str
    exact: bool
    note: str


def slowest_timescale(device, rate: float) -> float:
    """Slowest relaxation time [s] relevant to the memory (chain: slowest eigen-timescale;
    binary/cascade: slowest relaxation of the event-driven Markov chain)."""
    if device.dynamics == "markov":
        t_plus, t_minus, _ = markov_matrices(device.markov_model().synapse)
        ev = np.linalg.eigvals(0.5 * (t_plus + t_minus))
        ev = np.sort(np.abs(ev))[::-1]
        second = ev[1] if ev.size > 1 else 0.0
        return float(-1.0 / (rate * np.log(max(min(second, 1 - 1e-15), 1e-300))))
    tau = device.chain.timescales()
    return float(tau[0])


def fastest_timescale(device, rate: float) -> float:
    """Fastest relaxation time [s]: the chain's fastest eigen-timescale, or 1/rate (one event)."""
    if device.dynamics == "markov":
        return 1.0 / rate
    return float(device.chain.timescales()[-1])


def predict_memory(device, ages: np.ndarray, n_synapses: int, rate: float, events: str = "poisson",
                   criterion: float = 1.0, n_devices: int = 256, seed: int = 0,
                   ignore_bounds: bool = False) -> MemoryPrediction:
    """Mean-field (chains) or exact-Markov (binary, cascade) memory curve at ``ages`` [s].

    Raises :class:`NotApplicable` for bounded chains (unless ``ignore_bounds``: the prediction
    of the same chain without bounds, e.g. to plan a simulation) and :class:`NoStationaryState`
    where the stream has no stationary state.
    """
    check_event_mode(events)
    ages = np.asarray(ages, float)
    root_n = np.sqrt(n_synapses)
    if device.dynamics == "markov":
        markov = device.markov_model()

        def signal_fn(t):
            return markov_signal(markov.synapse, t, rate, events)

        noise = 1.0 / root_n
        method = "markov"
        exact, note = True, "exact mean signal of independent Markov-chain synapses; E[w^2] = 1"
        if markov.switch_probability is not None:
            q = markov.switch_probability

            def signal_fn(t):  # noqa: F811 - closed form for the binary synapse
                return binary_signal(q, t, rate, events)
            note = "exact: binary synapse, S = q e^{-q r t} (Poisson) or q (1-q)^k (per step)"
        t_far = 50.0 * slowest_timescale(device, rate)
    else:
        model = chain_memory_model(device, n_devices, np.random.default_rng(seed), ignore_bounds=ignore_bounds)
        var_u1 = chain_u1_variance(model, rate, events)
        e_w2 = model.w_rest**2 + model.slope**2 * var_u1
        per_device_var = model.slope**2 * var_u1 + model.read_noise**2 * e_w2
        noise = float(np.sqrt(np.mean(per_device_var) / n_synapses))

        def signal_fn(t):
            return np.mean(model.slope[:, None] * chain_signal_u1(model, t, rate, events), axis=0)

        method = "mean_field" if model.exact else "mean_field_linearised"
        exact, note = model.exact, model.note
        spec, _, _ = _signal_modes(model, rate, events)
        if events == "poisson":
            slowest = float(np.max(-1.0 / spec))
        else:
            slowest = float(np.max(-1.0 / (rate * np.log(spec))))
        t_far = 50.0 * slowest
    signal = np.asarray(signal_fn(ages), float)
    snr_initial = float(np.asarray(signal_fn(np.zeros(1)))[0] / noise)
    t_min = min(ages[ages > 0].min() if np.any(ages > 0) else 1.0, 1e-3 * fastest_timescale(device, rate))
    if events == "per_step":
        t_min = max(t_min, 1.0 / rate)

    def snr_fn(t):
        return np.asarray(signal_fn(t), float) / noise

    if snr_initial < criterion:
        life = 0.0
    else:
        life = lifetime_of_function(snr_fn, t_min, max(t_far, ages.max() if ages.size else t_far), criterion)
    return MemoryPrediction(t=ages, signal=signal, noise=noise, snr=signal / noise, snr_initial=snr_initial,
                            lifetime=life, method=method, exact=exact, note=note)
