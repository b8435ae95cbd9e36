"""Monte-Carlo memory experiment against independent references: the mean-field theory (exact
for linear chains, state-exact for proton transistors), the binary closed form, the cascade
Markov chain, and the scaling laws. Tolerances are in units of the Monte-Carlo standard error
(SE) that the experiment itself reports; points at different ages come from the same synapses,
so their errors are correlated and a handful of SE is the right scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neuromorph.analysis.memory_theory import predict_memory
from neuromorph.devices.base import ChainDevice, StochasticDevice
from neuromorph.devices.loader import load_device
from neuromorph.synapses.chain import LinearChain
from neuromorph.synapses.models import BinarySynapse
from neuromorph.tasks.memory import MemoryConfig, memory_experiment, simulate_memory

ROOT = Path(__file__).resolve().parents[2]
K_SE = 4.0  # |MC − theory| ≤ 4 SE at every age


def device(name: str):
    return load_device(ROOT / "devices" / f"{name}.yaml")


def assert_matches_theory(ds, pred, k=K_SE):
    ok = np.isfinite(ds["snr"].values)
    z = (ds["snr"].values[ok] - pred.snr[ok]) / ds["snr_se"].values[ok]
    assert np.all(np.abs(z) < k), f"z-scores {np.round(z, 2)}"
    z0 = (float(ds["snr_initial"]) - pred.snr_initial) / float(ds["snr_initial_se"])
    assert abs(z0) < k
    # the stationary noise: relative SE of the estimate is reported by the experiment
    assert float(ds["noise"]) == pytest.approx(pred.noise, rel=k * float(ds["noise_rel_se"]) + 1e-12)


@pytest.mark.parametrize("events", ["poisson", "per_step"])
def test_benna_fusi_monte_carlo_matches_mean_field(events):
    # reference: Campbell/Lyapunov mean field, exact for the linear chain (analysis.memory_theory)
    dev = device("benna_fusi_m8")
    config = MemoryConfig(n_synapses=200, trials=40, rate=1.0, events=events, duration=60.0, n_ages=10)
    ds = simulate_memory(dev, config, seed=11, progress=False)
    pred = predict_memory(dev, ds["age"].values, 200, 1.0, events)
    assert_matches_theory(ds, pred)


def test_single_timescale_per_step_matches_closed_form():
    # du/dt = −u/τ, one ±1 event per step dt: SNR(k dt) = √N e^{−k dt/τ} √(1 − e^{−2dt/τ})
    dev = device("single_timescale")  # τ = 100 s
    config = MemoryConfig(n_synapses=100, trials=100, rate=0.5, events="per_step", duration=400.0, n_ages=8)
    ds = simulate_memory(dev, config, seed=3, progress=False)
    t = ds["age"].values
    expected = np.sqrt(100) * np.exp(-t / 100.0) * np.sqrt(1 - np.exp(-2 * 2.0 / 100.0))
    z = (ds["snr"].values - expected) / ds["snr_se"].values
    assert np.all(np.abs(z) < K_SE)


def test_proton_transistor_monte_carlo_matches_linearised_mean_field():
    # soft gate saturation (affine events), cycle noise, read noise and device variation:
    # state moments are exact, the channel is linear over the stationary spread (σ_u ≈ 60 mV
    # inside ±0.5 V); the theory averages 4000 sampled devices.
    dev = device("proton_transistor_3")
    config = MemoryConfig(n_synapses=200, trials=20, rate=1.0, duration=300.0, n_ages=8)
    ds = simulate_memory(dev, config, seed=5, progress=False)
    pred = predict_memory(dev, ds["age"].values, 200, 1.0, n_devices=4000, seed=1)
    assert not pred.exact
    assert_matches_theory(ds, pred)


@pytest.mark.parametrize("events", ["poisson", "per_step"])
def test_binary_synapse_decays_exponentially_with_rate_proportional_to_q(events):
    # Amit & Fusi 1994; Fusi et al. 2005. With ±1 events of probability 1/2 the expected overlap
    # is S = q e^{−q r t} (Poisson) or q (1 − q)^k (per step): fitted decay rate / (q r) = 1 ± 0.15
    # (Poisson) and fitted per-event log factor / ln(1 − q) = 1 ± 0.15 (per step), and every age
    # within 4 SE of the closed form.
    rate = 2.0
    for q in (0.05, 0.2):
        dev = StochasticDevice("binary", BinarySynapse(q))
        config = MemoryConfig(n_synapses=4000, trials=100, rate=rate, events=events, duration=2.0 / (q * rate),
                              n_ages=12)
        ds = simulate_memory(dev, config, seed=int(q * 100), progress=False)
        t = ds["age"].values
        expected = np.sqrt(4000) * (q * np.exp(-q * rate * t) if events == "poisson" else q * (1 - q) ** (rate * t))
        z = (ds["snr"].values - expected) / ds["snr_se"].values
        assert np.all(np.abs(z) < K_SE)
        keep = ds["snr"].values > 5 * ds["snr_se"].values
        fit = np.polyfit(t[keep], np.log(ds["snr"].values[keep]), 1, w=(ds["snr"].values / ds["snr_se"].values)[keep])[0]
        if events == "poisson":
            assert -fit / (q * rate) == pytest.approx(1.0, abs=0.15)
        else:
            assert (fit / rate) / np.log1p(-q) == pytest.approx(1.0, abs=0.15)


def test_cascade_monte_carlo_matches_markov_chain():
    # reference: exact expected overlap of the 2n-state Markov chain (Fusi, Drew & Abbott 2005)
    dev = device("cascade")
    config = MemoryConfig(n_synapses=1000, trials=16, rate=1.0, duration=100.0, n_ages=10)
    ds = simulate_memory(dev, config, seed=2, progress=False)
    pred = predict_memory(dev, ds["age"].values, 1000, 1.0)
    assert pred.method == "markov"
    assert_matches_theory(ds, pred)


def test_initial_snr_scales_as_sqrt_n_from_trial_statistics():
    # Oracle: SNR(0⁺) ∝ √N (Benna & Fusi 2016). Measured without the √N of the noise formula:
    # signal = mean over trials of each population's overlap right after storage, noise = the
    # standard deviation over trials of the overlap with a never-stored pattern. Same number of
    # simulated synapses (102 400) for N = 16 and N = 256: expected ratio 4 ± 20% (about 4 SE),
    # and each within 25% of √(2N/(rτ)) (single timescale, τ = 100 s, r = 1 Hz).
    dev = device("single_timescale")
    measured = {}
    for n, trials in ((16, 6400), (256, 400)):
        config = MemoryConfig(n_synapses=n, trials=trials, rate=1.0, duration=0.5, n_ages=2)
        ds = simulate_memory(dev, config, ages=np.array([0.1, 0.5]), seed=n, progress=False)
        signal = float(ds["overlap_initial"].mean())
        noise = float(ds["overlap_control"].std())
        measured[n] = signal / noise
        assert measured[n] == pytest.approx(np.sqrt(2 * n / 100.0), rel=0.25)
        # the noise formula σ_h = √(E[w²]/N) agrees with the empirical spread over trials
        assert float(ds["noise"]) == pytest.approx(noise, rel=4 / np.sqrt(2 * trials))
    assert measured[256] / measured[16] == pytest.approx(4.0, rel=0.2)


def test_benna_fusi_monte_carlo_decays_as_inverse_square_root():
    # Oracle (Benna & Fusi 2016): the geometric chain's SNR decays ≈ t^(−1/2) between its fastest
    # (2.5 s) and slowest timescales. Monte-Carlo slope over 5…60 s: −0.5 ± 0.1 (the exact mean
    # field gives −0.49 there).
    dev = device("benna_fusi_m8")
    config = MemoryConfig(n_synapses=1000, trials=48, rate=1.0, duration=60.0)
    ages = np.logspace(np.log10(5.0), np.log10(60.0), 8)
    ds = simulate_memory(dev, config, ages=ages, seed=8, progress=False)
    slope = np.polyfit(np.log(ages), np.log(ds["snr"].values), 1, w=(ds["snr"] / ds["snr_se"]).values)[0]
    assert slope == pytest.approx(-0.5, abs=0.1)


def test_bounded_chain_monte_carlo_only_and_bounds_matter():
    # Wide bounds (±30, ~10 σ_u) never bind: the curve equals the unbounded theory within 4 SE.
    # Tight bounds (±1 ≈ 0.7 σ_u) truncate events and forget faster: lower SNR at 30 s.
    chain = LinearChain([1.0, 2.0, 4.0], [0.25, 0.125, 0.0625])
    free = ChainDevice("free", chain, 1.0)
    config = MemoryConfig(n_synapses=200, trials=80, rate=1.0, duration=30.0, n_ages=6, burn_in=200.0)
    wide = simulate_memory(ChainDevice("wide", chain, 1.0, bounds=(-30.0, 30.0)), config, seed=1, progress=False)
    assert wide.attrs["burn_in_s"] == 200.0 and "burn-in" in wide.attrs["start"]
    assert_matches_theory(wide, predict_memory(free, wide["age"].values, 200, 1.0))
    tight = simulate_memory(ChainDevice("tight", chain, 1.0, bounds=(-1.0, 1.0)), config, seed=1, progress=False)
    se = np.hypot(float(tight["snr_se"][-1]), float(wide["snr_se"][-1]))
    assert float(tight["snr"][-1]) < float(wide["snr"][-1]) - 3 * se


def test_default_burn_in_for_bounded_chain_is_three_slowest_timescales():
    chain = LinearChain([1.0], [0.5])
    config = MemoryConfig(n_synapses=10, trials=2, rate=1.0, duration=2.0, n_ages=2)
    ds = simulate_memory(ChainDevice("b", chain, 1.0, bounds=(-1.0, 1.0)), config, seed=0, progress=False)
    assert ds.attrs["burn_in_s"] == pytest.approx(6.0)


def test_same_seed_same_numbers_and_different_seed_differs():
    dev = device("benna_fusi_m8")
    config = MemoryConfig(n_synapses=50, trials=4, rate=1.0, duration=10.0, n_ages=5)
    a = simulate_memory(dev, config, seed=7, progress=False)
    b = simulate_memory(dev, config, seed=7, progress=False)
    c = simulate_memory(dev, config, seed=8, progress=False)
    np.testing.assert_array_equal(a["overlap"].values, b["overlap"].values)
    assert float(a["noise"]) == float(b["noise"])
    assert not np.array_equal(a["overlap"].values, c["overlap"].values)


def test_memory_experiment_combines_devices_on_one_age_grid():
    devices = [device("benna_fusi_m8"), device("binary_stochastic"),
               ChainDevice("bounded", LinearChain([1.0], [0.1]), 1.0, bounds=(-3.0, 3.0))]
    config = MemoryConfig(n_synapses=100, trials=4, rate=1.0, n_ages=12, burn_in=5.0)
    ds = memory_experiment(devices, config, seed=1, progress=False)
    assert list(ds["device"].values) == ["benna_fusi_m8", "binary_stochastic", "bounded"]
    assert ds["snr_mc"].dims == ("device", "age") and ds["overlap"].dims == ("device", "trial", "age")
    assert list(ds["theory_method"].values) == ["mean_field", "markov", "none"]
    assert np.isnan(ds["snr_theory"].sel(device="bounded").values).all()
    assert "Monte-Carlo only" in str(ds["theory_note"].sel(device="bounded").values)
    # each device is followed for its own duration: NaN beyond it on the common grid
    durations = ds["duration"].values
    assert len(set(np.round(durations, 6))) > 1
    for i, duration in enumerate(durations):
        curve = ds["snr_mc"].isel(device=i).values
        assert np.isnan(curve[ds["age"].values > duration * 1.0001]).all()
        assert np.isfinite(curve[ds["age"].values <= duration]).all()


def test_adding_a_device_does_not_change_another_devices_numbers():
    # each device draws from its own child seed; with a fixed duration the age grid is shared
    config = MemoryConfig(n_synapses=50, trials=4, rate=1.0, duration=20.0, n_ages=6)
    one = memory_experiment([device("benna_fusi_m8")], config, seed=4, progress=False)
    two = memory_experiment([device("benna_fusi_m8"), device("cascade")], config, seed=4, progress=False)
    np.testing.assert_array_equal(one["snr_mc"].isel(device=0).values, two["snr_mc"].isel(device=0).values)
