"""Memory lifetime: the age at which a decaying SNR curve first falls to a criterion.

Curves are sampled on a grid of ages ``t`` (> 0, increasing). Between two samples the crossing
is interpolated linearly in log t – log SNR (exact for a power law, close for an exponential
sampled finely); where the lower sample is ≤ 0 (a Monte-Carlo estimate can be), linearly in SNR.

Conventions (used everywhere in neuromorph):

* ``0.0``      the curve is already below the criterion at the first age (never memorable);
* ``inf``      it never falls below the criterion within the sampled range (lifetime > t[-1]);
* ``nan``      no data (all samples NaN).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import brentq

__all__ = ["first_crossing", "lifetime_from_curve", "lifetime_band", "lifetime_of_function"]


def first_crossing(t: np.ndarray, y: np.ndarray, level: float) -> float:
    """First age where ``y`` falls from ≥ ``level`` to < ``level`` (see module doc for 0/inf/nan)."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(y) & np.isfinite(t)
    if not ok.any():
        return float("nan")
    t, y = t[ok], y[ok]
    below = y < level
    if below[0]:
        return 0.0
    if not below.any():
        return float("inf")
    i = int(np.argmax(below))
    t0, t1, y0, y1 = t[i - 1], t[i], y[i - 1], y[i]
    if y1 > 0 and y0 > 0 and level > 0 and t0 > 0:
        frac = (np.log(level) - np.log(y0)) / (np.log(y1) - np.log(y0))
        return float(np.exp(np.log(t0) + frac * (np.log(t1) - np.log(t0))))
    frac = (level - y0) / (y1 - y0)
    return float(t0 + frac * (t1 - t0))


def lifetime_from_curve(t: np.ndarray, snr: np.ndarray, criterion: float = 1.0) -> float:
    """Memory lifetime of a sampled SNR curve: first age where SNR < ``criterion``."""
    return first_crossing(t, snr, criterion)


def lifetime_band(t: np.ndarray, snr: np.ndarray, snr_se: np.ndarray,
                  criterion: float = 1.0) -> tuple[float, float]:
    """(low, high) lifetimes of the curves SNR − SE and SNR + SE: a ±1 standard-error band for
    a Monte-Carlo estimate."""
    snr = np.asarray(snr, float)
    se = np.asarray(snr_se, float)
    return first_crossing(t, snr - se, criterion), first_crossing(t, snr + se, criterion)


def lifetime_of_function(snr: Callable[[np.ndarray], np.ndarray], t_min: float, t_max: float,
                         criterion: float = 1.0, points_per_decade: int = 40) -> float:
    """Lifetime of a continuous SNR(t) (vectorised callable): bracket the first crossing on a
    log grid over [t_min, t_max], then refine with Brent's method in log t.

    Returns 0 if SNR(t_min) < criterion and inf if SNR stays ≥ criterion up to t_max.
    """
    decades = max(np.log10(t_max / t_min), 1e-9)
    grid = np.logspace(np.log10(t_min), np.log10(t_max), int(np.ceil(decades * points_per_decade)) + 2)
    values = np.asarray(snr(grid), dtype=float)
    below = values < criterion
    if below[0]:
        return 0.0
    if not below.any():
        return float("inf")
    i = int(np.argmax(below))

    def f(log_t: float) -> float:
        return float(np.asarray(snr(np.array([np.exp(log_t)])))[0]) - criterion

    return float(np.exp(brentq(f, np.log(grid[i - 1]), np.log(grid[i]), xtol=1e-12, rtol=1e-12)))
