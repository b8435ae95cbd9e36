"""Time-stepping kernels for populations of linear chains (numba), each with a NumPy reference.

State layout: one row per synapse, ``(N, m)`` float64, C-contiguous. Per-synapse parameters are
passed as arrays whose first axis is either N (one per synapse) or 1 (shared by all), so the same
kernel serves a uniform population and one with device-to-device variation.

Plasticity events act on u_1 at the end of a step. Their size may depend on u_1 (soft
saturation), so every kernel takes the general affine form

    Δu_1 = α_n − β_n · u_1        (β = 0: fixed ±Δ events; α = 0, β = 0: no event)

Integrators (``dt`` in the chain's time unit):

``eigen_step``            exact, O(m) per synapse: z ← e^{λ dt} ⊙ z in the chain's eigenbasis,
                          u_1 = r·z, events z += Δu_1·k. Bounds only if lower ≤ 0 ≤ upper
                          (then only u_1 can leave the box, at events; see the kernel).
``eigen_run``             T eigen steps fused in one call (cache-resident blocks of synapses)
``dense_step``            exact, O(m²): u ← P u with P = expm(A dt); optional clipping.
``implicit_euler_step``   (C − dt·L) u' = C u, Thomas algorithm, O(m), unconditionally stable;
                          optional clipping.
``explicit_euler_step``   u' = u + dt·A u, O(m); stable only for dt ≤ 2/max|λ| (the caller
                          checks; see :func:`neuromorph.synapses.integrators`); optional clipping.
``eigen_event_driven``    exact jumps across event-free intervals, O(m) per event.
"""

from __future__ import annotations

import numpy as np
from numba import prange, uint64

from ._jit import PARALLEL_MIN_ROWS, inline_helper, population_kernel  # noqa: F401 (re-exported)

__all__ = [
    "eigen_step",
    "eigen_step_reference",
    "eigen_run",
    "eigen_run_reference",
    "dense_step",
    "dense_step_reference",
    "implicit_euler_step",
    "implicit_euler_step_reference",
    "explicit_euler_step",
    "explicit_euler_step_reference",
    "eigen_event_driven",
    "eigen_event_driven_reference",
    "thomas_factor",
]

@inline_helper
def decay_and_read_u1(z, n, decay, sd, readout, sr):
    """z[n] ← decay ⊙ z[n] in mode space and return u_1 = readout·z[n] (one pass over m).
    ``sd``/``sr`` are row strides: 0 for parameters shared by all synapses, 1 for per-synapse."""
    u1 = 0.0
    for i in range(z.shape[1]):
        zi = z[n, i] * decay[n * sd, i]
        z[n, i] = zi
        u1 += readout[n * sr, i] * zi
    return u1


@inline_helper
def flat_rows(a):
    """``a`` (1|N, m) as a flat (size,) array: a view if ``a`` is C-contiguous, else a copy. Row n
    of a per-synapse parameter is then ``a[n·m : n·m + m]``, of a shared one ``a[0 : m]`` (row
    stride 0). Flat indexing on a C-typed array lets the compiler see unit-stride rows; 2-D
    ``a[n·s, i]`` compiled to scalar loads with index arithmetic per element (the flat form made
    :func:`eigen_step` ~10 % faster, results bit-identical). The row stride is computed beside the
    call, not returned with the array: returned in a tuple it made the step 1.5x slower."""
    return np.ascontiguousarray(a).reshape(a.size)


@inline_helper
def event_clip_store(u, n, new, alpha, beta, clip, lower, upper, weight_out):
    """Apply the event Δu_1 = α − β·u_1 to the stepped state ``new`` of synapse n, clip it to
    [lower, upper] if asked, store it in u[n] and u_1 in weight_out[n] (state-space kernels)."""
    a = alpha[0] if alpha.shape[0] == 1 else alpha[n]
    b = beta[0] if beta.shape[0] == 1 else beta[n]
    new[0] += a - b * new[0]
    for k in range(new.shape[0]):
        v = new[k]
        if clip:
            v = min(max(v, lower), upper)
        u[n, k] = v
    weight_out[n] = u[n, 0]


#: synapses per cache block of :func:`eigen_run` (1024 × m doubles: 80 KiB at m = 10, in L2)
RUN_BLOCK = 1024


@inline_helper
def _advance_row(zf, dec, kic, rea, n, m, sd, sk, sr, alpha_n, beta_n, clip, lower, upper):
    """One synapse's exact step on flat rows: z ← e^{λ dt} ⊙ z, u_1 = r·z, Δu_1 = α − β·u_1
    (clipped so that u_1 stays in [lower, upper] if ``clip``), z += Δu_1·k; returns u_1 after
    the event (r·k = (T⁻¹T)_{11} = 1, so the event changes u_1 by exactly Δu_1). The decayed z
    is recomputed (bit-identical) in the second loop instead of stored and reloaded, and the
    event is added branch-free (adding 0·k costs less than a mispredicted branch).

    Indices are unsigned (``uint64``): numba wraps negative signed indices, and when the compiler
    cannot prove an index ≥ 0 (here: row strides and m are run-time values) that check stays in
    the inner loop and blocks vectorisation — with signed indices the same loop ran 2× slower."""
    zn, dn, kn, rn = uint64(n * m), uint64(n * sd), uint64(n * sk), uint64(n * sr)
    u1 = 0.0
    for i in range(m):
        iu = uint64(i)
        u1 += rea[rn + iu] * (zf[zn + iu] * dec[dn + iu])
    delta = alpha_n - beta_n * u1
    if clip:
        delta = min(max(u1 + delta, lower), upper) - u1
    for i in range(m):
        iu = uint64(i)
        zf[zn + iu] = zf[zn + iu] * dec[dn + iu] + delta * kic[kn + iu]
    return u1 + delta


@population_kernel(reassociate=True)
def eigen_step(z, decay, kick, readout, alpha, beta, clip, lower, upper, weight_out):
    """Exact step in mode space. z (N,m) C-contiguous, in place; decay = e^{λ dt} (1|N, m);
    kick, readout (1|N, m); alpha, beta (1|N,); weight_out (N,) receives u_1 after the event.

    With ``clip`` the event is truncated so that u_1 stays in [lower, upper]. The other variables
    need no clipping when lower ≤ 0 ≤ upper: exp(A t) is a non-negative matrix with row sums
    ≤ 1 (A is Metzler with A·1 ≤ 0), so the free flow never leaves that box (maximum principle).

    Speed (``neuromorph bench step``): flat unit-stride rows (:func:`flat_rows`) indexed with
    unsigned integers (see :func:`_advance_row`), one store per variable, and the read-out sum
    r·z reassociated (SIMD; the order is fixed at compile time, so the serial and parallel builds
    give identical bits, and the reference agrees to m·ε).
    """
    n_syn, m = z.shape
    zf = z.reshape(n_syn * m)
    dec, kic, rea = flat_rows(decay), flat_rows(kick), flat_rows(readout)
    # row strides in the flat arrays: 0 for parameters shared by all synapses
    sd = m if decay.shape[0] > 1 else 0
    sk = m if kick.shape[0] > 1 else 0
    sr = m if readout.shape[0] > 1 else 0
    sa = 1 if alpha.shape[0] > 1 else 0
    sb = 1 if beta.shape[0] > 1 else 0
    for n in prange(n_syn):
        weight_out[uint64(n)] = _advance_row(zf, dec, kic, rea, n, m, sd, sk, sr, alpha[uint64(n * sa)],
                                             beta[uint64(n * sb)], clip, lower, upper)


def eigen_step_reference(z, decay, kick, readout, alpha, beta, clip, lower, upper, weight_out):
    """NumPy version of :func:`eigen_step` (same algorithm, vectorised over synapses)."""
    z *= decay
    u1 = np.einsum("nm,nm->n", z, np.broadcast_to(readout, z.shape))
    delta = alpha - beta * u1
    if clip:
        delta = np.clip(u1 + delta, lower, upper) - u1
    z += delta[:, None] * kick
    weight_out[:] = u1 + delta


@population_kernel(reassociate=True)
def eigen_run(z, decay, kick, readout, alpha, beta, clip, lower, upper, weights):
    """T exact steps fused in one call: for t = 0..T−1 every synapse decays by ``decay`` and then
    gets the event Δu_1 = alpha[t] − beta[t]·u_1 (alpha, beta: (T, 1|N)); ``weights`` (T, N)
    receives u_1 after each step. Same arithmetic as T calls of :func:`eigen_step` (the same
    inlined row update), but blocks of ``RUN_BLOCK`` synapses stay in cache for all T steps
    instead of streaming the whole state through memory every step: on the 2-core reference VM
    (one thread, CPU time, T = 8) 29 ms per step against 48 ms for :func:`eigen_step` at
    N = 4·10⁶, m = 10, and 12 against 15 ms at N = 2·10⁶, m = 5."""
    n_syn, m = z.shape
    n_steps = alpha.shape[0]
    zf = z.reshape(n_syn * m)
    dec, kic, rea = flat_rows(decay), flat_rows(kick), flat_rows(readout)
    sd = m if decay.shape[0] > 1 else 0
    sk = m if kick.shape[0] > 1 else 0
    sr = m if readout.shape[0] > 1 else 0
    sa = 1 if alpha.shape[1] > 1 else 0
    sb = 1 if beta.shape[1] > 1 else 0
    for b in prange((n_syn + RUN_BLOCK - 1) // RUN_BLOCK):
        start = b * RUN_BLOCK
        stop = min(n_syn, start + RUN_BLOCK)
        for t in range(n_steps):
            tu = uint64(t)
            for n in range(start, stop):
                weights[tu, uint64(n)] = _advance_row(zf, dec, kic, rea, n, m, sd, sk, sr, alpha[tu, uint64(n * sa)],
                                                      beta[tu, uint64(n * sb)], clip, lower, upper)


def eigen_run_reference(z, decay, kick, readout, alpha, beta, clip, lower, upper, weights):
    """NumPy version of :func:`eigen_run`: T vectorised steps."""
    for t in range(alpha.shape[0]):
        eigen_step_reference(z, decay, kick, readout, alpha[t], beta[t], clip, lower, upper, weights[t])


@population_kernel
def dense_step(u, propagator, alpha, beta, clip, lower, upper, weight_out):
    """Exact step u ← P u (P = expm(A dt), shared), event on u_1, optional clip to [lower, upper]."""
    n_syn, m = u.shape
    for n in prange(n_syn):
        row = np.empty(m)
        for i in range(m):
            acc = 0.0
            for j in range(m):
                acc += propagator[i, j] * u[n, j]
            row[i] = acc
        event_clip_store(u, n, row, alpha, beta, clip, lower, upper, weight_out)


def dense_step_reference(u, propagator, alpha, beta, clip, lower, upper, weight_out):
    u[:] = u @ propagator.T
    u[:, 0] += alpha - beta * u[:, 0]
    if clip:
        np.clip(u, lower, upper, out=u)
    weight_out[:] = u[:, 0]


def thomas_factor(capacities, couplings, dt):
    """Factor the implicit-Euler matrix M = C − dt·L (symmetric tridiagonal, diagonally dominant).

    Returns (sub, inv_pivot, upper_mod): forward-elimination coefficients of the Thomas
    algorithm, so each synapse's solve is O(m) with no divisions.
    """
    c = np.asarray(capacities, float)
    g = np.asarray(couplings, float)
    m = c.size
    left = np.concatenate(([0.0], g[:-1]))
    diag = c + dt * (left + g)
    off = -dt * g[:-1]  # M_{k,k+1} = M_{k+1,k}
    inv_pivot = np.empty(m)
    upper_mod = np.zeros(m)
    pivot = diag[0]
    inv_pivot[0] = 1.0 / pivot
    for k in range(1, m):
        upper_mod[k - 1] = off[k - 1] * inv_pivot[k - 1]
        pivot = diag[k] - off[k - 1] * upper_mod[k - 1]
        inv_pivot[k] = 1.0 / pivot
    sub = np.concatenate((off, [0.0]))
    return sub, inv_pivot, upper_mod


@population_kernel
def implicit_euler_step(u, capacities, sub, inv_pivot, upper_mod, alpha, beta, clip, lower, upper, weight_out):
    """Backward Euler (C − dt L) u' = C u via a pre-factored Thomas solve, then event and clip."""
    n_syn, m = u.shape
    for n in prange(n_syn):
        y = np.empty(m)
        y[0] = capacities[0] * u[n, 0] * inv_pivot[0]
        for k in range(1, m):
            y[k] = (capacities[k] * u[n, k] - sub[k - 1] * y[k - 1]) * inv_pivot[k]
        for k in range(m - 2, -1, -1):
            y[k] -= upper_mod[k] * y[k + 1]
        event_clip_store(u, n, y, alpha, beta, clip, lower, upper, weight_out)


def implicit_euler_step_reference(u, capacities, couplings, dt, alpha, beta, clip, lower, upper, weight_out):
    """Backward Euler with a banded solver (scipy), independent of the Thomas factorisation."""
    import scipy.linalg

    c = np.asarray(capacities, float)
    g = np.asarray(couplings, float)
    m = c.size
    left = np.concatenate(([0.0], g[:-1]))
    banded = np.zeros((3, m))
    banded[0, 1:] = -dt * g[:-1]
    banded[1] = c + dt * (left + g)
    banded[2, :-1] = -dt * g[:-1]
    u[:] = scipy.linalg.solve_banded((1, 1), banded, (u * c).T).T
    u[:, 0] += alpha - beta * u[:, 0]
    if clip:
        np.clip(u, lower, upper, out=u)
    weight_out[:] = u[:, 0]


@population_kernel
def explicit_euler_step(u, capacities, couplings, dt, alpha, beta, clip, lower, upper, weight_out):
    """Forward Euler u' = u + dt·C⁻¹(L u); stable only for dt ≤ 2/max|λ| (checked by the caller)."""
    n_syn, m = u.shape
    for n in prange(n_syn):
        new = np.empty(m)
        for k in range(m):
            flux = -couplings[k] * u[n, k]
            if k + 1 < m:
                flux += couplings[k] * u[n, k + 1]
            if k > 0:
                flux += couplings[k - 1] * (u[n, k - 1] - u[n, k])
            new[k] = u[n, k] + dt * flux / capacities[k]
        event_clip_store(u, n, new, alpha, beta, clip, lower, upper, weight_out)


def explicit_euler_step_reference(u, capacities, couplings, dt, alpha, beta, clip, lower, upper, weight_out):
    c = np.asarray(capacities, float)
    g = np.asarray(couplings, float)
    left = np.concatenate(([0.0], g[:-1]))
    lap = np.diag(-(left + g)) + np.diag(g[:-1], 1) + np.diag(g[:-1], -1)
    u[:] = u + dt * (u @ lap.T) / c
    u[:, 0] += alpha - beta * u[:, 0]
    if clip:
        np.clip(u, lower, upper, out=u)
    weight_out[:] = u[:, 0]


@population_kernel
def eigen_event_driven(z, rates, kick, readout, offsets, times, alpha, beta, clip, lower, upper, t_start, t_end,
                       weight_at_event):
    """Exact event-driven integration in mode space.

    Synapse n has events ``times[offsets[n]:offsets[n+1]]`` (sorted, within [t_start, t_end])
    with affine sizes alpha/beta (same indexing). Between events every mode decays exactly by
    e^{λ Δt}; nothing is computed for the empty time in between. ``weight_at_event`` receives u_1
    just after each event; z is advanced to ``t_end`` in place.
    """
    n_syn, m = z.shape
    for n in prange(n_syn):
        lam = rates[0] if rates.shape[0] == 1 else rates[n]
        k = kick[0] if kick.shape[0] == 1 else kick[n]
        r = readout[0] if readout.shape[0] == 1 else readout[n]
        t_prev = t_start
        for e in range(offsets[n], offsets[n + 1]):
            dt = times[e] - t_prev
            u1 = 0.0
            for i in range(m):
                zi = z[n, i] * np.exp(lam[i] * dt)
                z[n, i] = zi
                u1 += r[i] * zi
            delta = alpha[e] - beta[e] * u1
            if clip:
                delta = min(max(u1 + delta, lower), upper) - u1
            for i in range(m):
                z[n, i] += delta * k[i]
            weight_at_event[e] = u1 + delta
            t_prev = times[e]
        dt = t_end - t_prev
        for i in range(m):
            z[n, i] *= np.exp(lam[i] * dt)


def eigen_event_driven_reference(z, rates, kick, readout, offsets, times, alpha, beta, clip, lower, upper,
                                 t_start, t_end, weight_at_event):
    """Same algorithm, one synapse at a time, with NumPy vector operations per event."""
    for n in range(z.shape[0]):
        lam = rates[0] if rates.shape[0] == 1 else rates[n]
        k = kick[0] if kick.shape[0] == 1 else kick[n]
        r = readout[0] if readout.shape[0] == 1 else readout[n]
        t_prev = t_start
        for e in range(offsets[n], offsets[n + 1]):
            z[n] *= np.exp(lam * (times[e] - t_prev))
            u1 = r @ z[n]
            delta = alpha[e] - beta[e] * u1
            if clip:
                delta = np.clip(u1 + delta, lower, upper) - u1
            z[n] += delta * k
            weight_at_event[e] = u1 + delta
            t_prev = times[e]
        z[n] *= np.exp(lam * (t_end - t_prev))
