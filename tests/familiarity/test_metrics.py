"""Published familiarity metrics against independent computations (scikit-learn, hand examples)."""

import numpy as np
from sklearn.metrics import roc_auc_score

from neuromorph.analysis import familiarity_metrics as fm


def test_auc_equals_scikit_learn_including_ties():
    rng = np.random.default_rng(0)
    fam = np.round(rng.normal(0.3, 1, size=(5, 60)), 1)       # rounded: many ties
    nov = np.round(rng.normal(0.0, 1, size=(5, 60)), 1)
    ours = fm.roc_auc(fam, nov)
    ref = [roc_auc_score(np.r_[np.ones(60), np.zeros(60)], np.r_[f, n]) for f, n in zip(fam, nov)]
    assert np.allclose(ours, ref, rtol=0, atol=1e-12)


def test_forced_choice_counts_ties_as_half():
    fam = np.array([[1.0, 0.5, 0.2, 0.0]])
    nov = np.array([[0.0, 0.5, 0.3, 0.0]])
    assert fm.forced_choice(fam, nov)[0] == (1 + 0.5 + 0 + 0.5) / 4


def test_lifetime_is_the_log_midpoint_between_last_above_and_first_below():
    ages = np.array([0, 1, 2, 3, 9, 99])
    metric = np.array([3.0, 2.0, 1.0, 0.7, 0.4, 0.1])
    # last above 0.5 at age 3, first below at age 9: 10^((log10 4 + log10 10)/2) - 1
    assert np.isclose(fm.lifetime(ages, metric, 0.5), np.sqrt(40.0) - 1.0)
    assert np.isnan(fm.lifetime(ages, np.array([0.6, 0.4, 0.3, 0.2, 0.1, 0.0]), 0.5))   # one age above only
    never = fm.lifetime(ages, np.full(6, 2.0), 0.5)
    assert never == 99.0 and fm.lifetime_censored(np.full(6, 2.0), 0.5)


def test_tpr_at_tnr_uses_the_0_8413_quantile_of_novel_signals():
    nov = np.tile(np.linspace(0, 1, 10001), (2, 1))
    fam = np.tile(np.linspace(0.5, 1.5, 10001), (2, 1))
    tpr = fm.tpr_at_tnr(fam, nov)
    assert np.allclose(tpr, 1 - (0.8413 - 0.5), atol=1e-3)


def test_best_threshold_separates_two_clusters():
    fam = np.full((4, 50), 0.8)
    nov = np.full((4, 50), 0.1)
    theta = fm.best_threshold(fam, nov, np.array([0, 1, 2, 3]))
    acc, tpr, tnr = fm.accuracy_at_threshold(fam, nov, theta)
    assert 0.1 <= theta < 0.8 and np.all(acc == 1.0)


def test_snr_standard_error_matches_sampling_spread():
    """√((1 + SNR²/2)/n) is the spread of mean/std estimated from n Gaussian samples (5 % agreement)."""
    rng = np.random.default_rng(1)
    estimates = fm.snr(rng.normal(2.0, 1.0, size=(20000, 100)))
    assert abs(estimates.std() / fm.snr_standard_error(2.0, 100) - 1) < 0.05


def test_capacity_fit_recovers_the_exponent():
    n = np.array([16, 32, 64, 128, 256])
    t = 3.0 * n**2 / np.log2(n)
    slope, intercept = fm.fit_capacity_exponent(n, t)
    assert np.isclose(slope, 2.0) and np.isclose(intercept, np.log2(3.0))
    slope_m, _ = fm.fit_complexity_exponent([1, 2, 3, 4], [10, 20, 40, 80])
    assert np.isclose(slope_m, 1.0)
