"""Exact response of a linear chain to a piecewise-constant gate drive (square waves, pulses).

Between switching times the chain obeys an affine linear ODE with constant coefficients,

    du/dt = A_r u + b_r          (regime r: gate off, or on at some voltage),

where A_r = C⁻¹ L_r is symmetrisable (L_r symmetric tridiagonal) and b_r is the injection. With
the eigenbasis of regime r (λ_i, T = Vᵀ C^{1/2}, T⁻¹ = C^{-1/2} V) and z = T u, β = T b_r each
mode is independent, dz_i/dt = λ_i z_i + β_i, and its exact solution after a time τ is

    z_i(τ) = e^{λ_i τ} z_i(0) + β_i φ(λ_i, τ),    φ(λ, τ) = (e^{λτ} − 1)/λ  (= τ for λ = 0).

Linear gate ("charge injected while on"): the on-regime shares the chain's basis and injects the
constant current I = g_gate·V_gate into compartment 1, b = e_1·I/C_1. Soft (saturating) gate: the
on-regime adds the gate conductance from u_1 to V_gate, L_on = L − g_gate e_1e_1ᵀ, b = e_1·g_gate·V_gate/C_1,
so it has its own basis. Gate off: free relaxation, b = 0.

:func:`drive_response` walks the segments once, converting to the next regime's basis at every
switch (O(m²)) and evaluating every sample time inside a segment in O(m²); nothing is stepped, so
the result is exact to rounding whatever the segment lengths. :func:`drive_response_reference`
is the plain NumPy version the tests compare it with.

Arguments (time in the chain's unit, usually seconds):
  u0           (m,)      state at ``boundaries[0]``
  boundaries   (P+1,)    segment edges, increasing; the last may be +inf
  regime       (P,)      regime index of each segment
  rates        (R, m)    λ of each regime
  to_modes     (R, m, m) T of each regime
  to_state     (R, m, m) T⁻¹ of each regime
  source_modes (R, m)    β = T b of each regime
  sample_times (S,)      non-decreasing, inside [boundaries[0], boundaries[-1]]
  out          (S, m)    receives u at the sample times (a sample on an edge sees the state there)
"""

from __future__ import annotations

import numpy as np
from ._jit import inline_helper, serial_kernel

__all__ = ["drive_response", "drive_response_reference", "relaxation_factor"]


@inline_helper
def relaxation_factor(rate, tau):
    """φ(λ, τ) = (e^{λτ} − 1)/λ, accurate for small |λτ| (expm1) and equal to τ at λ = 0."""
    if rate == 0.0:
        return tau
    return np.expm1(rate * tau) / rate


@inline_helper
def _state_after(z, tau, rates, source_modes, to_state, zs, dst):
    """dst ← the state τ after mode state ``z`` in one drive regime: z_i e^{λ_i τ} + s_i φ(λ_i, τ)
    in mode space (``zs``, scratch), transformed back to compartment space."""
    m = z.shape[0]
    for i in range(m):
        lam = rates[i]
        zs[i] = np.exp(lam * tau) * z[i] + source_modes[i] * relaxation_factor(lam, tau)
    for k in range(m):
        acc = 0.0
        for i in range(m):
            acc += to_state[k, i] * zs[i]
        dst[k] = acc


@serial_kernel
def drive_response(u0, boundaries, regime, rates, to_modes, to_state, source_modes, sample_times, out):
    m = u0.shape[0]
    n_seg = regime.shape[0]
    n_samples = sample_times.shape[0]
    u = u0.copy()
    z = np.empty(m)
    zs = np.empty(m)
    s = 0
    for p in range(n_seg):
        r = regime[p]
        t0 = boundaries[p]
        t1 = boundaries[p + 1]
        for i in range(m):
            acc = 0.0
            for k in range(m):
                acc += to_modes[r, i, k] * u[k]
            z[i] = acc
        last = p == n_seg - 1
        while s < n_samples and (sample_times[s] < t1 or (last and sample_times[s] <= t1)):
            _state_after(z, sample_times[s] - t0, rates[r], source_modes[r], to_state[r], zs, out[s])
            s += 1
        if last or not np.isfinite(t1):
            break
        _state_after(z, t1 - t0, rates[r], source_modes[r], to_state[r], zs, u)
    return s


def drive_response_reference(u0, boundaries, regime, rates, to_modes, to_state, source_modes, sample_times, out):
    """NumPy reference of :func:`drive_response` (same arguments, same result)."""
    u = np.asarray(u0, dtype=float).copy()
    sample_times = np.asarray(sample_times, dtype=float)
    n_seg = len(regime)
    s = 0
    for p in range(n_seg):
        r = int(regime[p])
        t0, t1 = boundaries[p], boundaries[p + 1]
        lam, beta = rates[r], source_modes[r]
        z = to_modes[r] @ u
        last = p == n_seg - 1
        stop = np.searchsorted(sample_times, t1, side="right" if last else "left")
        tau = sample_times[s:stop] - t0
        with np.errstate(invalid="ignore", divide="ignore"):
            phi = np.where(lam == 0.0, tau[:, None], np.expm1(np.outer(tau, lam)) / np.where(lam == 0.0, 1.0, lam))
        out[s:stop] = (np.exp(np.outer(tau, lam)) * z + phi * beta) @ to_state[r].T
        s = stop
        if last or not np.isfinite(t1):
            break
        tau1 = t1 - t0
        phi1 = np.where(lam == 0.0, tau1, np.expm1(lam * tau1) / np.where(lam == 0.0, 1.0, lam))
        u = to_state[r] @ (np.exp(lam * tau1) * z + phi1 * beta)
    return s
