r"""Continual-learning metrics from the accuracy matrix (Lopez-Paz & Ranzato, NeurIPS 2017;
Chaudhry et al., ECCV 2018).

R[i, j] = test accuracy on task j after training on tasks 0..i (T × T); b[j] = accuracy on task
j of the network before any training (the same initial weights).

    ACC        = (1/T) Σ_j R[T−1, j]                              average final accuracy
    BWT        = (1/(T−1)) Σ_{j<T−1} (R[T−1, j] − R[j, j])        backward transfer (< 0: forgetting)
    FWT        = (1/(T−1)) Σ_{j≥1} (R[j−1, j] − b[j])             forward transfer
    forgetting = (1/(T−1)) Σ_{j<T−1} (max_{l<T−1} R[l, j] − R[T−1, j])
"""

from __future__ import annotations

import numpy as np

__all__ = ["average_accuracy", "backward_transfer", "forward_transfer", "forgetting", "continual_summary"]


def _square(r) -> np.ndarray:
    r = np.asarray(r, dtype=float)
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape[0] < 1:
        raise ValueError(f"the accuracy matrix must be square T x T, got shape {r.shape}")
    return r


def average_accuracy(r) -> float:
    r = _square(r)
    return float(r[-1].mean())


def backward_transfer(r) -> float:
    r = _square(r)
    t = r.shape[0]
    if t < 2:
        return float("nan")
    return float(np.mean(r[-1, :-1] - np.diag(r)[:-1]))


def forward_transfer(r, baseline) -> float:
    r = _square(r)
    b = np.asarray(baseline, dtype=float)
    t = r.shape[0]
    if b.shape != (t,):
        raise ValueError(f"baseline needs one accuracy per task ({t}), got shape {b.shape}")
    if t < 2:
        return float("nan")
    return float(np.mean([r[j - 1, j] - b[j] for j in range(1, t)]))


def forgetting(r) -> float:
    r = _square(r)
    t = r.shape[0]
    if t < 2:
        return float("nan")
    return float(np.mean([r[: t - 1, j].max() - r[-1, j] for j in range(t - 1)]))


def continual_summary(r, baseline) -> dict[str, float]:
    return {"average_accuracy": average_accuracy(r), "backward_transfer": backward_transfer(r),
            "forward_transfer": forward_transfer(r, baseline), "forgetting": forgetting(r)}
