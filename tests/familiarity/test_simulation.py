"""Protocol-2 simulations of the familiarity network against the ideal-chain theory and the
published claims, at reduced size (full size behind -m slow)."""

import numpy as np
import pytest

from neuromorph.analysis.familiarity_metrics import fit_capacity_exponent
from neuromorph.tasks.familiarity import ModelSpec, ProtocolSpec, familiarity_experiment, protocol2_schedule


def test_protocol2_schedule_probes_familiar_items_at_their_ages():
    sched = protocol2_schedule(half=5, fill_in=100)
    assert list(sched.ages[:12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]
    assert sched.ages.max() < 100
    for p, time in enumerate(sched.times):
        rows = slice(sched.start[p], sched.start[p + 1])
        for kind, item, age in zip(sched.kind[rows], sched.item[rows], sched.age_index[rows]):
            if kind < 2:      # familiar and never-seen: probed age t after storing item s at s
                assert time == item + sched.ages[age]
            else:             # second half: item H + s stored at H + F + s, probed t + 1 before
                assert time == 5 + 100 + item - sched.ages[age] - 1


@pytest.fixture(scope="module")
def ideal_chains():
    """Ideal linear chains (no discretisation, no bounds), N = 2^(m+1), on i.i.d. ±1 patterns."""
    models = [ModelSpec(f"N{n}", n, int(np.log2(n)) - 1, levels=0, bound=0.0) for n in (16, 32, 64)]
    return familiarity_experiment(models, ProtocolSpec(test_items=200, fill_in=4096), seed=2, progress=False)


def test_simulated_io_snr_matches_ideal_chain_theory(ideal_chains):
    """Every age within 4 standard errors (SE of an SNR from H = 100 Gaussian samples,
    √((1 + SNR²/2)/H)); the average deviation within 1.5 SE."""
    z = ((ideal_chains.io_snr - ideal_chains.io_snr_theory) / ideal_chains.io_snr_se).values
    assert np.all(np.abs(z) < 4.0), np.abs(z).max(axis=1)
    assert np.all(np.abs(z.mean(axis=1)) < 1.5)


def test_lifetime_grows_with_neurons_with_the_theory_exponent(ideal_chains):
    """Published fit (log2 t* + log2 log2 N on log2 N) at m = log2 N − 1: the theory gives 2.06 for
    N = 16 … 64 (1.8 … 2.4 up to N = 1024); the simulation must be within ±0.4 of the theory's slope."""
    n = ideal_chains.neurons.values
    sim, _ = fit_capacity_exponent(n, ideal_chains.lifetime_io_snr.values)
    theory, _ = fit_capacity_exponent(n, ideal_chains.lifetime_io_snr_theory.values)
    assert 1.8 < theory < 2.4
    assert abs(sim - theory) < 0.4, (sim, theory)
    assert np.all(np.diff(ideal_chains.lifetime_io_snr.values) > 0)


def _matched(complex_n, complex_m, simple_qs, test_items, fill_in, seed):
    simple_n = int(round(complex_n * np.sqrt(complex_m)))
    models = [ModelSpec(f"complex N={complex_n} m={complex_m}", complex_n, complex_m)]
    models += [ModelSpec(f"simple N={simple_n} q={q}", simple_n, 1, q=q) for q in simple_qs]
    return familiarity_experiment(models, ProtocolSpec(test_items=test_items, fill_in=fill_in), seed=seed,
                                  progress=False, theory=False)


def test_complex_beats_simple_at_matched_variables():
    """Published claim at reduced size: complex N = 64, m = 4 versus simple N = 128, m = 1
    (16384 variables each), 32 levels: the complex synapses' lifetimes (ioSNR and forced choice)
    are more than 3x those of the simple synapses at q = 1 and q = 0.128."""
    ds = _matched(64, 4, (1.0, 0.128), 200, 2048, seed=3)
    assert ds.dynamical_variables.values[0] == ds.dynamical_variables.values[1]
    for metric in ("lifetime_io_snr", "lifetime_forced_choice"):
        life = np.nan_to_num(ds[metric].values, nan=0.0)
        assert np.all(life[0] > 3 * life[1:]), (metric, life)


@pytest.mark.slow
def test_complex_beats_simple_at_matched_variables_larger():
    """Complex N = 128, m = 6 versus simple N = 314, m = 1, q ∈ {1, 0.128, 0.01}."""
    ds = _matched(128, 6, (1.0, 0.128, 0.01), 400, 16384, seed=4)
    life = np.nan_to_num(ds["lifetime_io_snr"].values, nan=0.0)
    assert np.all(life[0] > 3 * life[1:]), life
