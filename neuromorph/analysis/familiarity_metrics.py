"""Familiarity-detection metrics per age and lifetimes, as published (Ji-An, Stefanini, Benna &
Fusi, iScience 26:105856, 2023; authors' ``analysis.compute_perf``).

Signals have shape (ages, items): the r- or io-signal of familiar probes and of never-seen probes
read at the same moments. Per age:

* SNR = mean / std of the familiar signal across items (population std, ddof = 0);
* forced choice FC = P(r_fam > r_nov) + ½ P(r_fam = r_nov), familiar items paired with a random
  permutation of the never-seen items (one permutation, the same at every age);
* ROC AUC between familiar and never-seen r (Mann–Whitney statistic, ties ½);
* TPR at the threshold giving TNR = 0.8413 (the 0.8413 quantile of all never-seen r, pooled over
  ages: one threshold for all ages);
* FD accuracy (TPR + TNR)/2 at one best threshold θ ∈ {0, 0.005, …, 0.995}: θ maximises the
  accuracy averaged over the age axis (linear interpolation between grid ages, i.e. weighted by
  time) over the ages up to the ioSNR lifetime.

Lifetime t* (authors' ``get_tstar``): on the axis x = log10(t + 1), with i the first grid age where
the metric is below its threshold, t* = 10^((x_i + x_{i−1})/2) − 1 (the midpoint, in log10(t + 1),
between the last age above and the first below); NaN if at most one age is at or above the
threshold; if none is below, the last grid age (a lower bound; ``censored``).
Thresholds: SNR 0.5, FC 0.6, FD 0.6, AUC 0.6, TPR 0.8413.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["THRESHOLDS", "snr", "snr_standard_error", "forced_choice", "roc_auc", "roc_curve",
           "tpr_at_tnr", "accuracy_at_threshold", "best_threshold", "lifetime", "lifetime_censored",
           "FamiliarityMetrics", "familiarity_metrics", "fit_capacity_exponent", "fit_complexity_exponent",
           "mix_novel"]

THRESHOLDS = {"io_snr": 0.5, "r_snr": 0.5, "forced_choice": 0.6, "fd_accuracy": 0.6, "auc": 0.6,
              "tpr_at_tnr": 0.8413}
TNR_TARGET = 0.8413


def snr(signal: np.ndarray) -> np.ndarray:
    """mean/std over the last axis (items)."""
    mean = signal.mean(axis=-1)
    std = signal.std(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 0, mean / np.where(std > 0, std, 1.0), np.sign(mean) * np.inf)


def snr_standard_error(snr_value: np.ndarray, n_items: int) -> np.ndarray:
    """Standard error of an SNR estimated from n Gaussian samples: √((1 + SNR²/2)/n)."""
    return np.sqrt((1.0 + 0.5 * np.asarray(snr_value) ** 2) / n_items)


def mix_novel(novel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Permute the items of the never-seen signal (the same permutation at every age)."""
    return novel[:, rng.permutation(novel.shape[-1])]


def forced_choice(familiar: np.ndarray, novel: np.ndarray) -> np.ndarray:
    """P(familiar > paired novel) + ½ P(equal) per age."""
    return (familiar > novel).mean(axis=-1) + 0.5 * (familiar == novel).mean(axis=-1)


def _auc_one(pos: np.ndarray, neg: np.ndarray) -> float:
    values = np.concatenate([pos, neg])
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(values.size)
    sorted_values = values[order]
    # average ranks of ties
    _, start, counts = np.unique(sorted_values, return_index=True, return_counts=True)
    avg = start + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0) / (pos.size * neg.size))


def roc_auc(familiar: np.ndarray, novel: np.ndarray) -> np.ndarray:
    """ROC AUC per age (Mann–Whitney U / (n_fam·n_nov), ties count ½)."""
    return np.array([_auc_one(f, n) for f, n in zip(familiar, novel)])


def roc_curve(familiar_row: np.ndarray, novel_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false-positive rate, true-positive rate) for 'familiar if r > θ' over all θ (one age)."""
    thresholds = np.concatenate([[np.inf], np.unique(np.concatenate([familiar_row, novel_row]))[::-1], [-np.inf]])
    tpr = np.array([(familiar_row > t).mean() for t in thresholds])
    fpr = np.array([(novel_row > t).mean() for t in thresholds])
    tpr[-1] = fpr[-1] = 1.0
    return fpr, tpr


def tpr_at_tnr(familiar: np.ndarray, novel: np.ndarray, tnr: float = TNR_TARGET) -> np.ndarray:
    """TPR per age at the threshold θ = quantile(novel, tnr) pooled over all ages."""
    theta = np.quantile(novel, tnr)
    return (familiar > theta).mean(axis=-1)


def accuracy_at_threshold(familiar: np.ndarray, novel: np.ndarray, theta: float):
    """((TPR + TNR)/2, TPR, TNR) per age for 'familiar if r > θ'."""
    tpr = (familiar > theta).mean(axis=-1)
    tnr = (novel <= theta).mean(axis=-1)
    return (tpr + tnr) / 2.0, tpr, tnr


def _time_average(curve: np.ndarray, ages: np.ndarray) -> float:
    if ages.size == 1:
        return float(curve.mean())
    pieces = [np.linspace(curve[i], curve[i + 1], int(ages[i + 1] - ages[i]), endpoint=False)
              for i in range(ages.size - 1)]
    return float(np.concatenate(pieces).mean())


def best_threshold(familiar: np.ndarray, novel: np.ndarray, ages: np.ndarray) -> float:
    """θ ∈ {0, 0.005, …, 0.995} maximising the time-averaged accuracy over ``ages``."""
    grid = np.arange(0.0, 1.0, 0.005)
    scores = [_time_average(accuracy_at_threshold(familiar, novel, t)[0], ages) for t in grid]
    return float(grid[int(np.argmax(scores))])


def lifetime(ages: np.ndarray, metric: np.ndarray, threshold: float) -> float:
    """t* (see the module docstring) in the units of ``ages``."""
    ages = np.asarray(ages, dtype=float)
    metric = np.asarray(metric, dtype=float)
    x = np.log10(ages + 1.0)
    if np.sum(metric >= threshold) <= 1:
        return float("nan")
    below = np.flatnonzero(metric < threshold)
    if below.size == 0:
        lo = hi = int(np.flatnonzero(metric >= threshold)[-1])
    else:
        hi = int(below[0])
        lo = hi - 1
    return float(10 ** ((x[lo] + x[hi]) / 2.0) - 1.0)


def lifetime_censored(metric: np.ndarray, threshold: float) -> bool:
    """True when the metric never falls below the threshold on the grid (t* is a lower bound)."""
    return bool(np.sum(np.asarray(metric) >= threshold) > 1 and not np.any(np.asarray(metric) < threshold))


@dataclass
class FamiliarityMetrics:
    """Per-age curves (arrays over ages) and lifetimes (dict metric -> t*)."""

    io_snr: np.ndarray
    r_snr: np.ndarray
    forced_choice: np.ndarray
    auc: np.ndarray
    tpr_at_tnr: np.ndarray
    fd_accuracy: np.ndarray
    fd_tpr: np.ndarray
    fd_tnr: np.ndarray
    fd_threshold: float
    lifetimes: dict
    censored: dict

    def curves(self) -> dict:
        return {k: getattr(self, k) for k in ("io_snr", "r_snr", "forced_choice", "auc", "tpr_at_tnr",
                                                  "fd_accuracy", "fd_tpr", "fd_tnr")}


def familiarity_metrics(ages: np.ndarray, r_familiar: np.ndarray, io_familiar: np.ndarray,
                        r_novel: np.ndarray, rng: np.random.Generator) -> FamiliarityMetrics:
    """All published metrics from signals of shape (ages, items)."""
    ages = np.asarray(ages)
    novel = mix_novel(r_novel, rng)
    io = snr(io_familiar)
    r = snr(r_familiar)
    fc = forced_choice(r_familiar, novel)
    auc = roc_auc(r_familiar, novel)
    tpr = tpr_at_tnr(r_familiar, novel)
    io_life = lifetime(ages, io, THRESHOLDS["io_snr"])
    window = ages <= io_life if io_life == io_life else np.zeros(ages.size, bool)
    if window.sum() > 0:
        theta = best_threshold(r_familiar[window], novel[window], ages[window])
        fd, fd_tpr, fd_tnr = accuracy_at_threshold(r_familiar, novel, theta)
    else:
        theta = float("nan")
        fd = fd_tpr = fd_tnr = np.full(ages.size, np.nan)
    curves = {"io_snr": io, "r_snr": r, "forced_choice": fc, "auc": auc, "tpr_at_tnr": tpr, "fd_accuracy": fd}
    lifetimes = {k: lifetime(ages, v, THRESHOLDS[k]) for k, v in curves.items()}
    censored = {k: lifetime_censored(v, THRESHOLDS[k]) for k, v in curves.items()}
    return FamiliarityMetrics(io_snr=io, r_snr=r, forced_choice=fc, auc=auc, tpr_at_tnr=tpr, fd_accuracy=fd,
                              fd_tpr=fd_tpr, fd_tnr=fd_tnr, fd_threshold=theta, lifetimes=lifetimes,
                              censored=censored)


def fit_capacity_exponent(n_neurons, tstar) -> tuple[float, float]:
    """Published capacity fit: regress log2 t* + log2 log2 N on log2 N; returns (slope, intercept)
    (slope ≈ 2: t* ∝ N²/log N, about linear in synapses). NaN lifetimes are left out."""
    n = np.asarray(n_neurons, dtype=float)
    t = np.asarray(tstar, dtype=float)
    ok = np.isfinite(t) & (t > 0)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    slope, intercept = np.polyfit(np.log2(n[ok]), np.log2(t[ok]) + np.log2(np.log2(n[ok])), 1)
    return float(slope), float(intercept)


def fit_complexity_exponent(n_variables, tstar) -> tuple[float, float]:
    """t* versus m at fixed N: regress log2 t* on m; returns (slope, intercept)."""
    m = np.asarray(n_variables, dtype=float)
    t = np.asarray(tstar, dtype=float)
    ok = np.isfinite(t) & (t > 0)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    slope, intercept = np.polyfit(m[ok], np.log2(t[ok]), 1)
    return float(slope), float(intercept)
