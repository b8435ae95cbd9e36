r"""Exact transient of a device's storage chain (an RC ladder) driven through a source
conductance by a piecewise-linear voltage — the reference that SPICE transients are checked
against.

The chain (the core's :class:`~neuromorph.synapses.chain.LinearChain`, SI units) is

    C_k du_k/dt = g_{k-1}(u_{k-1} − u_k) − g_k (u_k − u_{k+1}),   u_{m+1} = 0,

i.e. du/dt = A u with A = C⁻¹L. A gate source V_s(t) behind a conductance g_s (the gate's
injection conductance, R_s = 1/g_s) adds g_s (V_s − u_1) to node 1 while it is connected:

    du/dt = A' u + b(t),   A' = A − (g_s/C_1) e_1 e_1ᵀ,   b(t) = (g_s/C_1) V_s(t) e_1.

Between two breakpoints of the source, V_s(t) = V_a + ṡ·(t − t_a) is linear, so with
τ = t − t_a the augmented state y = [u; τ; 1] obeys the *constant* linear system

    dy/dτ = M y,   M = [[A', ṡ g_s/C_1 e_1, V_a g_s/C_1 e_1], [0, 0, 1], [0, 0, 0]],

solved exactly by y(τ) = expm(M τ) y(0) (scipy.linalg.expm): this carries the state from one
breakpoint to the next. Inside a segment, at the (many) output times, the same solution is
evaluated in closed form in the eigenbasis of A' (similar to the symmetric
C^{-1/2} L' C^{-1/2}, so real eigenvalues λ_i and a well-conditioned basis):

    z_i(τ) = e^{λ_i τ} z_i(0) + β_{0,i} τ φ_1(λ_i τ) + β_{1,i} τ² φ_2(λ_i τ),
    φ_1(x) = (e^x − 1)/x,   φ_2(x) = (e^x − 1 − x)/x²   (Taylor series for |x| < 10⁻²),

with β the mode-space images of the constant and ramp parts of b. Both are exact (tests check
them against each other and against scipy.integrate.solve_ivp). Rise and fall ramps of a SPICE
``PULSE`` are therefore integrated exactly: no time step, no truncation error, only rounding.

``connected``: ``"always"`` keeps the source resistor in the circuit at every time (what a
SPICE deck with ``Vsrc``–``Rsrc`` does: between pulses node 1 is tied to the low level through
R_s); ``"while_driven"`` connects it only on segments where the source differs from its resting
(first) value — a gate that floats between pulses, which is what the device's event model
assumes.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ..synapses.chain import LinearChain

__all__ = ["ladder_response", "ladder_rhs"]


def _segments(knot_t: np.ndarray, t_start: float, t_end: float) -> np.ndarray:
    inner = knot_t[(knot_t > t_start) & (knot_t < t_end)]
    return np.unique(np.concatenate(([t_start], inner, [t_end])))


def _check(chain: LinearChain, source_conductance_s: float, knot_t, knot_v, t_eval, u0):
    if not isinstance(chain, LinearChain):
        raise TypeError(f"chain must be a LinearChain, got {type(chain).__name__}")
    g_s = float(source_conductance_s)
    if not (np.isfinite(g_s) and g_s >= 0):
        raise ValueError(f"source conductance must be finite and >= 0 S, got {source_conductance_s}")
    knot_t = np.asarray(knot_t, float)
    knot_v = np.asarray(knot_v, float)
    if knot_t.ndim != 1 or knot_t.shape != knot_v.shape or knot_t.size < 1:
        raise ValueError("knot times and values must be 1-D arrays of the same, non-zero length")
    if np.any(np.diff(knot_t) < 0) or not np.all(np.isfinite(knot_t)) or not np.all(np.isfinite(knot_v)):
        raise ValueError("knot times must be finite and non-decreasing, values finite")
    t_eval = np.asarray(t_eval, float)
    if t_eval.ndim != 1 or t_eval.size == 0 or np.any(np.diff(t_eval) < 0):
        raise ValueError("t_eval must be a non-empty, non-decreasing 1-D array of times [s]")
    m = chain.n_variables
    u0 = np.zeros(m) if u0 is None else np.asarray(u0, float)
    if u0.shape != (m,):
        raise ValueError(f"u0 must have one value per compartment ({m}), got shape {u0.shape}")
    return g_s, knot_t, knot_v, t_eval, u0


def ladder_response(chain: LinearChain, source_conductance_s: float, knot_t, knot_v, t_eval,
                    u0=None, t_start: float = 0.0, connected: str = "always") -> np.ndarray:
    """Node voltages u_k(t) [V], shape (m, T), of the ladder driven by the piecewise-linear source
    through ``knot_t`` [s] / ``knot_v`` [V] (constant before the first and after the last knot),
    from ``u0`` (default 0) at ``t_start``; ``t_eval`` ≥ t_start, non-decreasing."""
    g_s, knot_t, knot_v, t_eval, u = _check(chain, source_conductance_s, knot_t, knot_v, t_eval, u0)
    if connected not in ("always", "while_driven"):
        raise ValueError(f"connected must be 'always' or 'while_driven', got {connected!r}")
    if t_eval[0] < t_start:
        raise ValueError(f"t_eval starts at {t_eval[0]} s, before t_start = {t_start} s")
    m = chain.n_variables
    a_chain = chain.operator() / chain.time_unit_s
    c1 = chain.capacities[0]
    v_rest = knot_v[0]
    bounds = _segments(knot_t, t_start, max(t_eval[-1], t_start))
    out = np.empty((m, t_eval.size))
    cursor = 0
    # outputs exactly at t_start
    while cursor < t_eval.size and t_eval[cursor] == t_start:
        out[:, cursor] = u
        cursor += 1
    for a, b in zip(bounds[:-1], bounds[1:]):
        va, vb = np.interp([a, b], knot_t, knot_v)
        on = connected == "always" or max(abs(va - v_rest), abs(vb - v_rest)) > 0
        gain = g_s / c1 if on else 0.0
        big = np.zeros((m + 2, m + 2))
        big[:m, :m] = a_chain
        big[0, 0] -= gain
        big[0, m] = gain * (vb - va) / (b - a)
        big[0, m + 1] = gain * va
        big[m, m + 1] = 1.0
        stop = cursor + np.searchsorted(t_eval[cursor:], b, side="right")
        y0 = np.concatenate((u, [0.0, 1.0]))
        if stop > cursor:
            out[:, cursor:stop] = _dense(chain, gain, big[0, m + 1], big[0, m], u, t_eval[cursor:stop] - a)
            cursor = stop
        u = (scipy.linalg.expm(big * (b - a)) @ y0)[:m]
    return out


def _phi(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """φ_1(x) = (e^x − 1)/x and φ_2(x) = (e^x − 1 − x)/x², accurate for every x."""
    small = np.abs(x) < 1e-2
    xs = np.where(small, 1.0, x)
    em1 = np.expm1(xs)
    phi1 = np.where(small, 1 + x / 2 + x**2 / 6 + x**3 / 24 + x**4 / 120, em1 / xs)
    phi2 = np.where(small, 0.5 + x / 6 + x**2 / 24 + x**3 / 120 + x**4 / 720, (em1 - xs) / xs**2)
    return phi1, phi2


def _dense(chain: LinearChain, gain: float, b0: float, b1: float, u0: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """u(τ) (m, T) of du/dτ = A'u + (b0 + b1 τ) e_1 in the eigenbasis of A' (closed form)."""
    c = chain.capacities
    lap = chain.conductance_matrix() / chain.time_unit_s
    lap[0, 0] -= gain * c[0]
    root = np.sqrt(c)
    lam, vecs = np.linalg.eigh(lap / np.outer(root, root))
    to_modes = vecs.T * root[None, :]          # z = Vᵀ C^{1/2} u
    to_state = vecs / root[:, None]            # u = C^{-1/2} V z
    z0 = to_modes @ u0
    kick = to_modes[:, 0]
    x = np.multiply.outer(tau, lam)            # (T, m)
    phi1, phi2 = _phi(x)
    z = np.exp(x) * z0 + kick * (b0 * tau[:, None] * phi1 + b1 * tau[:, None] ** 2 * phi2)
    return to_state @ z.T


def ladder_rhs(chain: LinearChain, source_conductance_s: float, knot_t, knot_v, connected: str = "always"):
    """f(t, u) of the same ODE, for a general-purpose integrator (tests use it with
    scipy.integrate.solve_ivp as an independent reference)."""
    a_chain = chain.operator() / chain.time_unit_s
    c1 = chain.capacities[0]
    knot_t = np.asarray(knot_t, float)
    knot_v = np.asarray(knot_v, float)
    v_rest = knot_v[0]

    def rhs(t, u):
        v = np.interp(t, knot_t, knot_v)
        du = a_chain @ u
        if connected == "always" or v != v_rest:
            du[0] += source_conductance_s * (v - u[0]) / c1
        return du

    return rhs
