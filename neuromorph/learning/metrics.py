"""Alignment between forward weights and the feedback a rule actually uses (DESIGN §2.3).

Path alignment angle   θ_l = arccos( ⟨vec W_l, vec F_l⟩ / (‖W_l‖_F ‖F_l‖_F) )   [degrees]
Path norm ratio        ρ_l = ‖F_l‖_F / ‖W_l‖_F
with F_l the effective feedback matrix of layer l in W_l's shape (n_l × n_{l−1}): W_l for BP
(θ = 0), the fixed B_l for FA, the learned B_l for Kolen–Pollack and B_l R_l for PFA (the
transpose of the paper's R_l B_l in its column convention).
"""

from __future__ import annotations

import numpy as np

__all__ = ["alignment_angle_deg", "norm_ratio"]


def alignment_angle_deg(w: np.ndarray, f: np.ndarray) -> float:
    """Angle in degrees between two matrices seen as vectors (NaN if either is zero)."""
    w = np.asarray(w, float).ravel()
    f = np.asarray(f, float).ravel()
    denom = np.linalg.norm(w) * np.linalg.norm(f)
    if denom == 0.0:
        return float("nan")
    return float(np.degrees(np.arccos(np.clip(np.dot(w, f) / denom, -1.0, 1.0))))


def norm_ratio(w: np.ndarray, f: np.ndarray) -> float:
    """‖F‖_F / ‖W‖_F."""
    nw = np.linalg.norm(w)
    return float(np.linalg.norm(f) / nw) if nw > 0 else float("nan")
