"""Mean-field and Markov-chain memory theory against independent references (quadrature, direct
sums, scipy Lyapunov solvers, matrix exponentials, closed forms) and the scaling laws of the
literature (Benna & Fusi 2016; Amit & Fusi 1994; Fusi, Drew & Abbott 2005)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from scipy.optimize import minimize_scalar

from neuromorph.analysis import memory_theory as mt
from neuromorph.analysis.lifetime import first_crossing, lifetime_band, lifetime_of_function
from neuromorph.devices.base import ChainDevice, StochasticDevice
from neuromorph.devices.loader import load_device
from neuromorph.synapses.chain import LinearChain
from neuromorph.synapses.models import BinarySynapse, CascadeSynapse


def geometric_chain(m: int, ratio: float = 0.5) -> LinearChain:
    """Benna–Fusi geometric chain: C_k = 2^(k-1), g_k = 0.25·ratio^(k-1) (devices/benna_fusi_m8.yaml)."""
    return LinearChain(2.0 ** np.arange(m), 0.25 * ratio ** np.arange(m))


def bf_device(m: int) -> ChainDevice:
    return ChainDevice(f"bf{m}", geometric_chain(m), 1.0)


@pytest.fixture(scope="module")
def m8(root):
    return load_device(root / "devices/benna_fusi_m8.yaml")


@pytest.fixture(scope="module")
def root():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------------------
# closed forms vs independent numerics
# ---------------------------------------------------------------------------------------------

def test_campbell_integral_matches_quadrature(m8):
    # reference: trapezoid quadrature of K(t)^2 on a fine log grid (K from response_to_unit_event)
    t = np.concatenate(([0.0], np.logspace(-5, 8, 200_001)))
    k = m8.chain.response_to_unit_event(t)
    reference = np.trapezoid(k**2, t)
    assert mt.campbell_integral(m8.chain) == pytest.approx(reference, rel=1e-6)
    # Campbell: Var u_1 = r Δ² ∫K²
    assert mt.campbell_variance(m8.chain, 2.0, 0.5) == pytest.approx(2.0 * 0.25 * reference, rel=1e-6)


def test_step_sum_matches_direct_sum(m8):
    # reference: the sum itself, term by term, until the terms are below 1e-16 of the total
    dt = 0.7
    n = np.arange(3_000_000)
    direct = np.sum(m8.chain.response_to_unit_event(n * dt) ** 2)
    assert mt.step_sum(m8.chain, dt) == pytest.approx(direct, rel=1e-9)
    assert mt.step_variance(m8.chain, dt, 2.0) == pytest.approx(4.0 * direct, rel=1e-9)


@pytest.mark.parametrize("events", ["poisson", "per_step"])
def test_stationary_covariance_matches_scipy_lyapunov_linear(m8, events):
    # reference: scipy's Lyapunov solvers on the dense operator A = C^-1 L (rate 1.3 Hz)
    rate = 1.3
    model = mt.chain_memory_model(m8)
    cov = mt.chain_stationary_covariance(model, rate, events)[0]
    e11 = np.zeros((8, 8))
    e11[0, 0] = 1.0
    if events == "poisson":
        ref = rate * scipy.linalg.solve_continuous_lyapunov(m8.chain.operator(), -e11)
    else:
        ref = scipy.linalg.solve_discrete_lyapunov(m8.chain.propagator(1.0 / rate), e11)
    np.testing.assert_allclose(cov, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())
    assert mt.chain_u1_variance(model, rate, events)[0] == pytest.approx(ref[0, 0], rel=1e-10)


def _soft_model(chain: LinearChain, a: float, b: float, c: float) -> mt.ChainMemoryModel:
    base = mt.chain_memory_model(ChainDevice("x", chain, 1.0))
    return mt.ChainMemoryModel(sym=base.sym, capacities=base.capacities, a=np.array([a]), b=np.array([b]), c=c,
                               slope=np.ones(1), w_rest=np.zeros(1), read_noise=0.0, exact=True, note="")


@pytest.mark.parametrize("events", ["poisson", "per_step"])
def test_affine_events_second_moments_match_brute_force(events):
    # Events Δu_1 = (1+cη)(a s − b u_1). Reference: the full linear system of the stationary
    # second moments written out with Kronecker products and solved densely (no closure trick):
    # Poisson  0 = A'M + MA'ᵀ + r(1+c²)(a² + b² M11) E11, A' = A − r b E11
    # per step M = DPMPᵀD + b²c²(PMPᵀ)11 E11 + a²(1+c²) E11, D = I − b E11
    chain = geometric_chain(4)
    a, b, c, rate = 0.3, 0.2, 0.4, 0.8
    m = 4
    e11 = np.zeros((m, m))
    e11[0, 0] = 1.0
    eye = np.eye(m)
    vec_e11 = e11.reshape(-1)
    if events == "poisson":
        ap = chain.operator() - rate * b * e11
        system = np.kron(ap, eye) + np.kron(eye, ap) + rate * (1 + c**2) * b**2 * np.outer(vec_e11, vec_e11)
        rhs = -rate * (1 + c**2) * a**2 * vec_e11
    else:
        p = chain.propagator(1.0 / rate)
        dp = (eye - b * e11) @ p
        pp = np.kron(p, p)
        system = np.eye(m * m) - np.kron(dp, dp) - b**2 * c**2 * np.outer(vec_e11, pp[0])
        rhs = a**2 * (1 + c**2) * vec_e11
    ref = np.linalg.solve(system, rhs).reshape(m, m)
    model = _soft_model(chain, a, b, c)
    np.testing.assert_allclose(mt.chain_stationary_covariance(model, rate, events)[0], ref, rtol=1e-9,
                               atol=1e-13)


def test_affine_events_mean_signal_matches_expm_and_matrix_power():
    # reference: m(t) = expm((A − r b E11) t) a e1 (Poisson), ((I − b E11) P)^k a e1 (per step)
    chain = geometric_chain(5)
    a, b, rate = 0.7, 0.15, 0.5
    model = _soft_model(chain, a, b, 0.0)
    e11 = np.zeros((5, 5))
    e11[0, 0] = 1.0
    t = np.array([0.0, 0.3, 4.0, 37.0, 500.0])
    got = mt.chain_signal_u1(model, t, rate, "poisson")[0]
    ref = [a * scipy.linalg.expm((chain.operator() - rate * b * e11) * ti)[0, 0] for ti in t]
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-15)
    steps = np.array([0, 1, 2, 10, 77])
    got = mt.chain_signal_u1(model, steps / rate, rate, "per_step")[0]
    dp = (np.eye(5) - b * e11) @ chain.propagator(1.0 / rate)
    ref = [a * np.linalg.matrix_power(dp, k)[0, 0] for k in steps]
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-15)


def test_linear_chain_signal_is_the_response_kernel(m8):
    # b = 0: the mean signal is Δ·K(t) with K = LinearChain.response_to_unit_event (module doc)
    model = mt.chain_memory_model(m8)
    t = np.logspace(-2, 5, 30)
    np.testing.assert_allclose(mt.chain_signal_u1(model, t, 1.0)[0], m8.chain.response_to_unit_event(t),
                               rtol=1e-10)


def test_single_timescale_closed_form():
    # du/dt = −u/τ, ±Δ Poisson events at rate r: Var u = rΔ²τ/2 (Campbell), K = e^{−t/τ}, so
    # SNR(t) = √(2N/(rτ)) e^{−t/τ} and lifetime τ/2·ln(2N/(rτ)) (criterion 1).
    tau, rate, n = 100.0, 1.0, 10_000
    device = ChainDevice("s", LinearChain([1.0], [1.0 / tau]), 1.0)
    t = np.logspace(-1, 3, 9)
    pred = mt.predict_memory(device, t, n, rate)
    np.testing.assert_allclose(pred.snr, np.sqrt(2 * n / (rate * tau)) * np.exp(-t / tau), rtol=1e-10)
    assert pred.lifetime == pytest.approx(tau / 2 * np.log(2 * n / (rate * tau)), rel=1e-9)
    # one event per step dt: Var u (just after an event) = Δ²/(1 − e^{−2dt/τ})
    step = mt.predict_memory(device, t, n, rate, "per_step")
    assert step.noise**2 * n == pytest.approx(1.0 / (1.0 - np.exp(-2.0 / tau)), rel=1e-10)


def test_proton_transistor_event_amplitude_matches_device(root):
    # the model's a must be the device's own nominal pulse (|Δu_1| from rest), b its soft gain
    device = load_device(root / "devices/proton_transistor_5.yaml")
    model = mt.chain_memory_model(device, n_devices=1)
    nominal = mt.chain_memory_model(device, n_devices=4000, rng=np.random.default_rng(3))
    assert nominal.n_devices == 4000 and not nominal.exact
    alpha, beta = device.event_coefficients(np.ones(1), device.sample_population(1, np.random.default_rng(0)),
                                            np.random.default_rng(0))
    assert np.median(nominal.a) == pytest.approx(device.nominal_event_size(), rel=0.02)
    assert model.b[0] > 0  # soft saturation → affine events
    assert np.median(nominal.b) == pytest.approx(np.median(nominal.a) / device.card.gate.amplitude, rel=1e-12)
    assert abs(alpha[0]) == pytest.approx(beta[0] * device.card.gate.amplitude, rel=0.2)  # cycle noise only


# ---------------------------------------------------------------------------------------------
# binary and cascade: Markov chain vs closed forms
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("q", [0.05, 0.1, 0.5, 1.0])
def test_binary_markov_chain_matches_closed_form(q):
    # Amit & Fusi 1994 / Fusi et al. 2005 with ±1 events of probability 1/2: P(w = ξ) relaxes by
    # 1 − q per event, so S_k = q(1 − q)^k and, for Poisson events, S(t) = q e^{−q r t}.
    syn = BinarySynapse(q)
    t = np.array([0.0, 1.0, 2.0, 7.0, 30.0])
    # (the signal is a difference of probabilities: absolute round-off ~1e-16)
    np.testing.assert_allclose(mt.markov_signal(syn, t, 1.0, "per_step"), q * (1 - q) ** t, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(mt.markov_signal(syn, t, 2.0, "poisson"), q * np.exp(-q * 2.0 * t), rtol=1e-9,
                               atol=1e-14)
    np.testing.assert_allclose(mt.binary_signal(q, t, 2.0), q * np.exp(-2.0 * q * t))


def test_binary_lifetime_and_best_q():
    # lifetime ln(q√N)/(q r); maximal at q* = e/√N where it is √N/(e r)
    n, rate = 10_000, 2.0
    device = StochasticDevice("b", BinarySynapse(0.05))
    pred = mt.predict_memory(device, np.array([1.0]), n, rate)
    assert pred.lifetime == pytest.approx(np.log(0.05 * 100) / (0.05 * rate), rel=1e-9)
    assert mt.binary_lifetime(0.05, n, rate) == pytest.approx(pred.lifetime, rel=1e-9)
    q_best = mt.binary_best_q(n)
    assert mt.binary_lifetime(q_best, n, rate) == pytest.approx(np.sqrt(n) / (np.e * rate), rel=1e-12)
    for q in (0.5 * q_best, 2 * q_best):
        assert mt.binary_lifetime(q, n, rate) < mt.binary_lifetime(q_best, n, rate)


def test_cascade_markov_chain_matches_probability_propagation():
    # reference: propagate the 2n-state distribution with the update rule applied to every state
    # (written out here from the model's definition: same sign → one level deeper with p_i,
    # opposite sign → switch to level 1 with q_i), averaging the + and − event
    syn = CascadeSynapse(5, 0.5)
    q, p = syn.probabilities()
    n = 5

    class Dist(dict):
        def __missing__(self, key):
            return 0.0

    def apply(dist, sign):
        new = Dist()
        for state in (1, -1):
            for lv in range(n):
                mass = dist[(state, lv)]
                if sign == state:
                    deeper = p[lv] if lv < n - 1 else 0.0
                    new[(state, min(lv + 1, n - 1))] += mass * deeper
                    new[(state, lv)] += mass * (1 - deeper)
                else:
                    new[(sign, 0)] += mass * q[lv]
                    new[(state, lv)] += mass * (1 - q[lv])
        return new

    def as_dist(vec):
        d = Dist()
        for lv in range(n):
            d[(1, lv)], d[(-1, lv)] = vec[lv], vec[n + lv]
        return d

    # stationary distribution by iterating the mean update from uniform
    dist = as_dist(np.full(2 * n, 1 / (2 * n)))
    for _ in range(20_000):
        plus, minus = apply(dist, 1), apply(dist, -1)
        dist = Dist({k: 0.5 * (plus[k] + minus[k]) for k in set(plus) | set(minus)})
    dist = apply(dist, 1)  # store ξ = +1
    signals = []
    for k in range(40):
        signals.append(sum(dist[(1, lv)] - dist[(-1, lv)] for lv in range(n)))
        plus, minus = apply(dist, 1), apply(dist, -1)
        dist = Dist({key: 0.5 * (plus[key] + minus[key]) for key in set(plus) | set(minus)})
    np.testing.assert_allclose(mt.markov_signal(syn, np.arange(40.0), 1.0, "per_step"), signals, rtol=1e-8)


# ---------------------------------------------------------------------------------------------
# scaling oracles
# ---------------------------------------------------------------------------------------------

def test_initial_snr_scales_as_sqrt_n(m8):
    # SNR(0) = √N Δ/σ_u (module doc): ×4 synapses → ×2 SNR, for chains and binary synapses
    for device in (m8, StochasticDevice("b", BinarySynapse(0.1))):
        s1 = mt.predict_memory(device, np.array([1.0]), 1_000, 1.0).snr_initial
        s2 = mt.predict_memory(device, np.array([1.0]), 4_000, 1.0).snr_initial
        assert s2 / s1 == pytest.approx(2.0, rel=1e-12)


def test_geometric_chain_decays_as_inverse_square_root():
    # Benna & Fusi 2016: between the fastest and slowest timescale the memory signal of the
    # geometric chain decays ≈ t^(−1/2). Expected log–log slope −0.5 ± 0.1 over
    # [10 τ_fastest, τ_slowest/10] (m = 12: 2.5 s … 3.9e7 s); a single variable decays exponentially.
    device = bf_device(12)
    tau = device.chain.timescales()
    t = np.logspace(np.log10(10 * tau[-1]), np.log10(tau[0] / 10), 40)
    pred = mt.predict_memory(device, t, 10_000, 1.0)
    slope = np.polyfit(np.log(t), np.log(pred.snr), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.1)
    single = mt.predict_memory(ChainDevice("s", LinearChain([1.0], [0.01]), 1.0), np.array([100.0, 200.0]), 1, 1.0)
    assert single.snr[1] / single.snr[0] == pytest.approx(np.exp(-1.0), rel=1e-10)


def test_lifetime_grows_linearly_with_n_when_m_grows_as_log_n():
    # Benna & Fusi 2016: with m ∝ log N (enough stages that the slowest timescale covers the
    # lifetime), the lifetime grows about linearly with N (N/log N here, since σ² ∝ ∫K² ∝ m).
    # Expected log–log slope over N = 1e3…1e7 with m = ⌈log4 N⌉ + 1: 0.93, tolerance [0.85, 1.0].
    ns = 10.0 ** np.arange(3, 8)
    lifetimes = []
    variances = []
    for n in ns:
        m = int(np.ceil(np.log(n) / np.log(4))) + 1
        device = bf_device(m)
        lifetimes.append(mt.predict_memory(device, np.array([1.0]), n, 1.0).lifetime)
        variances.append(mt.campbell_variance(device.chain, 1.0, 1.0))
        assert lifetimes[-1] < device.chain.timescales()[0]  # the chain covers its lifetime
    slope_bf = np.polyfit(np.log(ns), np.log(lifetimes), 1)[0]
    assert 0.85 <= slope_bf <= 1.0
    # ... while the stationary spread of u_1 (the dynamic range the synapse needs) grows only ∝ m
    assert variances[-1] / variances[0] < 3.0

    # Simple bounded synapses at their best learning rate: binary, q* = e/√N (found numerically
    # here from the Markov chain, not from the closed form): lifetime √N/(e r), slope 0.5 ± 0.02
    # (Amit & Fusi 1994; Fusi, Drew & Abbott 2005).
    best = []
    for n in ns:
        res = minimize_scalar(
            lambda lq: -mt.predict_memory(StochasticDevice("b", BinarySynapse(np.exp(lq))), np.array([1.0]), n,
                                          1.0).lifetime, bounds=(np.log(1e-6), 0.0), method="bounded",
            options={"xatol": 1e-6})
        best.append(-res.fun)
        assert np.exp(res.x) == pytest.approx(np.e / np.sqrt(n), rel=1e-3)
    slope_binary = np.polyfit(np.log(ns), np.log(best), 1)[0]
    assert slope_binary == pytest.approx(0.5, abs=0.02)
    assert lifetimes[-1] / best[-1] > 100  # orders of magnitude apart at N = 1e7

    # A single-timescale linear synapse at a fixed τ: lifetime τ/2·ln(2N/(rτ)) grows as log N.
    # (At its lifetime-optimal τ* = 2N/(e r) it reaches N/(e r), but only with SNR(0) = √e and a
    # stationary Var u_1 = N/e ∝ N: its dynamic range must grow with N, unlike the chain's.)
    tau = 100.0
    single = [mt.predict_memory(ChainDevice("s", LinearChain([1.0], [1 / tau]), 1.0), np.array([1.0]), n,
                                1.0).lifetime for n in ns]
    np.testing.assert_allclose(single, tau / 2 * np.log(2 * ns / tau), rtol=1e-9)
    tau_opt = 2 * ns[-1] / np.e
    opt = mt.predict_memory(ChainDevice("s", LinearChain([1.0], [1 / tau_opt]), 1.0), np.array([1.0]), ns[-1], 1.0)
    assert opt.snr_initial == pytest.approx(np.sqrt(np.e), rel=1e-9)
    assert opt.lifetime == pytest.approx(ns[-1] / np.e, rel=1e-6)


def test_binary_decay_rate_is_proportional_to_q():
    # S(t) = q e^{−q r t}: fitted exponential rate / (q r) = 1 (exact for the Markov chain)
    t = np.linspace(0.0, 50.0, 11)
    for q in (0.02, 0.1, 0.3):
        s = mt.markov_signal(BinarySynapse(q), t, 0.5, "poisson")
        rate = -np.polyfit(t, np.log(s), 1)[0]
        assert rate / (q * 0.5) == pytest.approx(1.0, rel=1e-8)


# ---------------------------------------------------------------------------------------------
# refusals and lifetime helpers
# ---------------------------------------------------------------------------------------------

def test_bounded_chain_has_no_mean_field():
    device = ChainDevice("bounded", geometric_chain(3), 1.0, bounds=(-2.0, 2.0))
    with pytest.raises(mt.NotApplicable, match="Monte-Carlo only"):
        mt.predict_memory(device, np.array([1.0]), 100, 1.0)


def test_chain_without_leak_has_no_stationary_state():
    chain = LinearChain([1.0, 2.0], [0.5, 0.0])
    with pytest.raises(mt.NoStationaryState, match="leak"):
        mt.predict_memory(ChainDevice("closed", chain, 1.0), np.array([1.0]), 100, 1.0)


def test_first_crossing_is_exact_for_a_power_law():
    # log–log interpolation is exact for SNR = 10·t^(−1/2): SNR = 1 at t = 100
    t = np.logspace(-1, 4, 13)
    assert first_crossing(t, 10 * t**-0.5, 1.0) == pytest.approx(100.0, rel=1e-12)
    assert first_crossing(t, np.full(t.size, 0.5), 1.0) == 0.0
    assert first_crossing(t, np.full(t.size, 5.0), 1.0) == np.inf
    assert np.isnan(first_crossing(t, np.full(t.size, np.nan), 1.0))
    lo, hi = lifetime_band(t, 10 * t**-0.5, 2 * t**-0.5, 1.0)  # SNR ∓ SE = 8, 12 × t^(−1/2)
    assert lo == pytest.approx(64.0, rel=1e-9) and hi == pytest.approx(144.0, rel=1e-9)
    assert lifetime_of_function(lambda x: 10 * x**-0.5, 1e-3, 1e6) == pytest.approx(100.0, rel=1e-10)
