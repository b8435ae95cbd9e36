r"""Crossbar read kernels (numba), each with a NumPy reference: the fused conductance refresh of
every cell and the line currents of one input vector with the cell-noise variance.

``refresh_conductance``  one pass over the cells of an array, row by row of the physical matrix:

    z_n ← e^{λ_n Δt} ⊙ z_n                       (exact decay of every mode, in place)
    u_1 = r_n · z_n                               (read-out of the first compartment)
    G_n = G_base,n + ΔG_n · s(u_1)                (channel transfer, straight into G (N_in, N_lines))

    with s linear-clipped  s = clip((u − u_low)/(u_high − u_low), 0, 1)   (``kind`` 0, a = u_low,
                                                                           b = u_high − u_low)
         s logistic        s = ½(1 + tanh(½(u − u_mid)/u_slope))         (``kind`` 1, a = u_mid,
                                                                           b = u_slope)

    (:mod:`neuromorph.devices.channel`). A stuck cell has G_base = its stuck conductance and
    ΔG = 0, so it reads its stuck value exactly. Cell n of the flat population sits at row
    n // L, column n mod L of G (L = plastic lines per row); G's columns from L on (a reference
    column) are not touched. With ``bound``, ``row_speed`` (N_in,) receives per row of the array
    the largest S_n = w_n Σ_k Λ_k |r_nk z_nk| after the decay (Λ_k = max over cells of |λ_nk|,
    w_n ≥ 0 a per-cell weight): with w_n = ΔG_n·ρ_n, ρ_n = max_k |λ_nk|/Λ_k, S_n bounds how fast
    cell n's conductance can move, |dG_n/dt| ≤ L_s·S_n, the caller's bound on how stale G may get
    (:mod:`neuromorph.crossbar.refresh`). ``g2_out`` receives G² when ``with_g2`` (the cell read
    noise of batched reads). The transfer kind and the bound are compile-time constants of four
    kernel builds (their branches cost ~25 % of the pass as run-time flags).

``line_currents``        I_j = Σ_i G_ij v_i and S_j = Σ_i G_ij² v_i² (forward, ideal wires) in one
                         pass over G: the sensed currents and the sum of squared cell currents
                         whose square root, times σ_cell, is each line's cell-noise std
                         (:class:`neuromorph.crossbar.readout.ReadNoise`). Parallel over blocks of
                         columns; every sum runs over the rows in order, so the numbers do not
                         depend on the thread count.
``row_currents``         the transposed read: I_i = Σ_j G_ij d_j, S_i = Σ_j G_ij² d_j².
``forward_adc``          the rest of a one-vector forward read in one pass over the lines: read
                         noise, pair (or reference) subtraction, ADC code, clamp and saturation
                         flag (the NumPy periphery did it in ~10 array operations, ~35 µs of the
                         ~85 µs of a 256² read).

The NumPy references use the same formulas (the refresh is the unfused path it replaces:
:func:`neuromorph.kernels.crossbar.advance_read_u1_reference`, then the channel, then the write
into G); the kernels agree with them to rounding.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._jit import inline_helper, population_kernel, serial_kernel

__all__ = ["TRANSFER_LINEAR", "TRANSFER_SIGMOID", "refresh_conductance", "refresh_conductance_reference",
           "line_currents", "line_currents_reference", "row_currents", "row_currents_reference",
           "forward_adc", "forward_adc_reference", "speed_weights", "speed_weights_reference", "column_abs_max",
           "column_abs_max_reference", "LINE_BLOCK"]

TRANSFER_LINEAR, TRANSFER_SIGMOID = 0, 1

#: columns per block of :func:`line_currents` (an 8 KiB row segment; the block's two accumulators,
#: 16 KiB, stay in L1). 1024 rather than 256: at 1024² the longer contiguous segments read G
#: ~1.4x faster (0.61 vs 0.87 ms CPU, one thread); the sums (over the rows, in order) are the same
LINE_BLOCK = 1024


@inline_helper
def _refresh_row(z, decay, readout, g_base, g_span, speed_weight, a, b, g_out, g2_out, with_g2, rates_max, i, kind,
                 bound):
    """Row i of :func:`refresh_conductance`; ``kind`` and ``bound`` are literals in every caller, so
    the compiler drops the branches not taken. Returns the row's largest w_n Σ_k Λ_k |r_nk z_nk|."""
    n_cell, m = z.shape
    n_lines = n_cell // g_out.shape[0]
    sd = 1 if decay.shape[0] > 1 else 0
    sr = 1 if readout.shape[0] > 1 else 0
    fastest = 0.0
    for j in range(n_lines):
        n = i * n_lines + j
        u1 = 0.0
        speed = 0.0
        for k in range(m):
            zk = z[n, k] * decay[n * sd, k]
            z[n, k] = zk
            term = readout[n * sr, k] * zk
            u1 += term
            if bound:
                speed += rates_max[k] * abs(term)
        if bound:
            speed *= speed_weight[n]
            fastest = speed if speed > fastest else fastest
        if kind == 0:
            s = min(max((u1 - a) / b, 0.0), 1.0)
        else:
            s = 0.5 * (1.0 + math.tanh(0.5 * (u1 - a) / b))
        g = g_base[n] + g_span[n] * s
        g_out[i, j] = g
        if with_g2:
            g2_out[i, j] = g * g
    return fastest


# one compiled kernel per (transfer, bound): the flags are compile-time constants inside each
@population_kernel
def _refresh_linear(z, decay, readout, g_base, g_span, speed_weight, a, b, g_out, g2_out, with_g2, rates_max,
                    row_speed):
    for i in prange(g_out.shape[0]):
        row_speed[i] = _refresh_row(z, decay, readout, g_base, g_span, speed_weight, a, b, g_out, g2_out, with_g2,
                                    rates_max, i, 0, False)


@population_kernel
def _refresh_linear_bound(z, decay, readout, g_base, g_span, speed_weight, a, b, g_out, g2_out, with_g2, rates_max,
                          row_speed):
    for i in prange(g_out.shape[0]):
        row_speed[i] = _refresh_row(z, decay, readout, g_base, g_span, speed_weight, a, b, g_out, g2_out, with_g2,
                                    rates_max, i, 0, True)


@population_kernel
def _refresh_sigmoid(z, decay, readout, g_base, g_span, speed_weight, a, b, g_out, g2_out, with_g2, rates_max,
                     row_speed):
    for i in prange(g_out.shape[0]):
        row_speed[i] = _refresh_row(z, decay, readout, g_base, g_span, speed_weight, a, b, g_out, g2_out, with_g2,
                                    rates_max, i, 1, False)


@population_kernel
def _refresh_sigmoid_bound(z, decay, readout, g_base, g_span, speed_weight, a, b, g_out, g2_out, with_g2, rates_max,
                           row_speed):
    for i in prange(g_out.shape[0]):
        row_speed[i] = _refresh_row(z, decay, readout, g_base, g_span, speed_weight, a, b, g_out, g2_out, with_g2,
                                    rates_max, i, 1, True)


_REFRESH = {(TRANSFER_LINEAR, False): _refresh_linear, (TRANSFER_LINEAR, True): _refresh_linear_bound,
            (TRANSFER_SIGMOID, False): _refresh_sigmoid, (TRANSFER_SIGMOID, True): _refresh_sigmoid_bound}


def refresh_conductance(z, decay, readout, g_base, g_span, speed_weight, kind, a, b, g_out, g2_out, with_g2, rates_max,
                        row_speed, bound=True, build=None):
    """Fused decay + u_1 + channel transfer + conductance for every cell (module docstring).

    z (N_cells, m) mode-space state, updated in place; decay, readout (1|N_cells, m);
    g_base, g_span (N_cells,) [S]; speed_weight (N_cells,) w_n ≥ 0 of the bound
    (:mod:`neuromorph.crossbar.refresh` passes ΔG_n·ρ_n [S]); ``kind``, a, b: the transfer;
    g_out (N_in, ≥ L) [S]; g2_out (N_in, ≥ L) [S²] (written when ``with_g2``; pass g_out
    otherwise); rates_max (m,) Λ_k; row_speed (N_in,) receives max over the row's cells of
    w_n Σ_k Λ_k |r_nk z_nk| when ``bound`` (0 otherwise). ``build``: None dispatches on the cell
    count, "parallel"/"serial" force one."""
    kernel = _REFRESH[(int(kind), bool(bound))]
    run = kernel if build is None else getattr(kernel, build)
    run(z, decay, readout, g_base, g_span, speed_weight, float(a), float(b), g_out, g2_out, bool(with_g2), rates_max,
        row_speed)


def refresh_conductance_reference(z, decay, readout, g_base, g_span, speed_weight, kind, a, b, g_out, g2_out, with_g2,
                                  rates_max, row_speed, bound=True, build=None):
    """NumPy version of :func:`refresh_conductance` (vectorised over cells)."""
    n_rows = g_out.shape[0]
    n_lines = z.shape[0] // n_rows
    z *= decay
    terms = np.broadcast_to(readout, z.shape) * z
    u1 = np.einsum("nm,nm->n", z, np.broadcast_to(readout, z.shape))
    if kind == TRANSFER_LINEAR:
        s = np.clip((u1 - a) / b, 0.0, 1.0)
    else:
        s = 0.5 * (1.0 + np.tanh(0.5 * (u1 - a) / b))
    g = (g_base + g_span * s).reshape(n_rows, n_lines)
    g_out[:, :n_lines] = g
    if with_g2:
        g2_out[:, :n_lines] = g * g
    row_speed[:] = (speed_weight * (np.abs(terms) @ rates_max)).reshape(n_rows, n_lines).max(axis=1) if bound else 0.0


@serial_kernel
def _line_block(g, v, squares, lines_out, sq_out, c0, c1):
    # local accumulators: the compiler cannot prove that the output arrays do not alias g, so
    # sums kept in them would not vectorise (10x slower). Four rows per sweep of the block (the
    # accumulators are loaded and stored a quarter as often: 1.15-1.4x faster); each sum still
    # adds the rows one by one in order, so the numbers are those of a row-by-row loop.
    width = c1 - c0
    acc = np.zeros(width)
    acc2 = np.zeros(width)
    n_rows = g.shape[0]
    i = 0
    while i + 4 <= n_rows:
        v0, v1, v2, v3 = v[i], v[i + 1], v[i + 2], v[i + 3]
        r0, r1, r2, r3 = g[i, c0:c1], g[i + 1, c0:c1], g[i + 2, c0:c1], g[i + 3, c0:c1]
        if squares:
            w0, w1, w2, w3 = v0 * v0, v1 * v1, v2 * v2, v3 * v3
            for j in range(width):
                a0, a1, a2, a3 = r0[j], r1[j], r2[j], r3[j]
                acc[j] = (((acc[j] + a0 * v0) + a1 * v1) + a2 * v2) + a3 * v3
                acc2[j] = (((acc2[j] + a0 * a0 * w0) + a1 * a1 * w1) + a2 * a2 * w2) + a3 * a3 * w3
        else:
            for j in range(width):
                acc[j] = (((acc[j] + r0[j] * v0) + r1[j] * v1) + r2[j] * v2) + r3[j] * v3
        i += 4
    while i < n_rows:
        vi = v[i]
        row = g[i, c0:c1]
        if squares:
            vi2 = vi * vi
            for j in range(width):
                gij = row[j]
                acc[j] += gij * vi
                acc2[j] += gij * gij * vi2
        else:
            for j in range(width):
                acc[j] += row[j] * vi
        i += 1
    lines_out[c0:c1] = acc
    sq_out[c0:c1] = acc2


def _line_currents(g, v, squares, lines_out, sq_out):
    n_cols = g.shape[1]
    n_blocks = (n_cols + LINE_BLOCK - 1) // LINE_BLOCK
    for blk in prange(n_blocks):
        c0 = blk * LINE_BLOCK
        _line_block(g, v, squares, lines_out, sq_out, c0, min(c0 + LINE_BLOCK, n_cols))


_line_builds = population_kernel(_line_currents)   # both builds; the dispatch below picks one


def line_currents(g, v, squares, lines_out, sq_out):
    """Forward read of one input vector, ideal wires: ``lines_out`` = Gᵀv (N_lines,) and, when
    ``squares``, ``sq_out`` = (G²)ᵀ(v²) in the same pass (module docstring). g (N_in, N_lines)
    C-contiguous [S], v (N_in,) [V]. Parallel over column blocks when G has ≥ 2 blocks and
    :data:`~neuromorph.kernels._jit.PARALLEL_MIN_ROWS` cells or more."""
    from ._jit import PARALLEL_MIN_ROWS

    big = g.shape[1] > LINE_BLOCK and g.size >= PARALLEL_MIN_ROWS
    (_line_builds.parallel if big else _line_builds.serial)(g, v, squares, lines_out, sq_out)


def line_currents_reference(g, v, squares, lines_out, sq_out):
    """NumPy version of :func:`line_currents`."""
    lines_out[:] = g.T @ v
    if squares:
        sq_out[:] = (g * g).T @ (v * v)


def _row_currents(g, d, squares, rows_out, sq_out):
    n_rows, n_cols = g.shape
    for i in prange(n_rows):
        acc = 0.0
        acc2 = 0.0
        for j in range(n_cols):
            gij = g[i, j]
            acc += gij * d[j]
            if squares:
                acc2 += gij * gij * d[j] * d[j]
        rows_out[i] = acc
        sq_out[i] = acc2


_row_builds = population_kernel(_row_currents)


def row_currents(g, d, squares, rows_out, sq_out):
    """Transposed read of one drive vector, ideal wires: ``rows_out`` = G d (N_in,) and, when
    ``squares``, ``sq_out`` = (G²)(d²), one pass over G, parallel over rows (from
    :data:`~neuromorph.kernels._jit.PARALLEL_MIN_ROWS` cells on). g (N_in, N_lines) [S],
    d (N_lines,) [V]."""
    from ._jit import PARALLEL_MIN_ROWS

    (_row_builds.parallel if g.size >= PARALLEL_MIN_ROWS else _row_builds.serial)(g, d, squares, rows_out, sq_out)


def row_currents_reference(g, d, squares, rows_out, sq_out):
    """NumPy version of :func:`row_currents`."""
    rows_out[:] = g @ d
    sq_out[:] = (g * g) @ (d * d) if squares else 0.0


@serial_kernel
def _forward_adc(lines, sq, xi, cell2, out2, noise, differential, n_out, step, k, saturate, signed, converted,
                 saturated):
    for j in range(signed.shape[0]):
        p = 2 * j if differential else j
        q = 2 * j + 1 if differential else n_out
        ip = lines[p]
        iq = lines[q]
        if noise:
            ip = ip + math.sqrt(cell2 * sq[p] + out2) * xi[p]
            iq = iq + math.sqrt(cell2 * sq[q] + out2) * xi[q]
        s = ip - iq
        signed[j] = s
        code = np.rint(s / step)
        saturated[j] = saturate and abs(code) > k
        if saturate:
            code = min(max(code, -k), k)
        converted[j] = code * step


def forward_adc(lines, sq, xi, cell2, out2, noise, differential, n_out, step, k, saturate, signed, converted,
                saturated):
    """The periphery of a forward read of one vector after the line sums, in one pass over the
    lines (the NumPy path is :class:`neuromorph.crossbar.readout.ReadNoise` then the pair or
    reference subtraction then :class:`~neuromorph.crossbar.readout.ADC`; same operations in
    the same order, so the same numbers):

        I'_l = I_l + sqrt(σ_cell² S_l + σ_out²)·ξ_l     (``noise``; ξ the caller's standard normal draws)
        I_s = I'_{2j} − I'_{2j+1}  (differential)  or  I'_j − I'_ref  (reference column n_out)
        code = rint(I_s/Δ), saturated = |code| > K, clamped to ±K when ``saturate``; out = code·Δ

    lines, sq, xi (N_lines,) [A], [A²/σ²], [1]; cell2 = σ_cell², out2 = σ_out² [A²]; step Δ [A],
    k = K (float); signed, converted (N_out,) [A] and saturated (N_out,) bool receive the results."""
    _forward_adc(lines, sq, xi, float(cell2), float(out2), bool(noise), bool(differential), int(n_out), float(step),
                 float(k), bool(saturate), signed, converted, saturated)


def forward_adc_reference(lines, sq, xi, cell2, out2, noise, differential, n_out, step, k, saturate, signed,
                          converted, saturated):
    """NumPy version of :func:`forward_adc`."""
    noisy = lines + np.sqrt(cell2 * sq + out2) * xi if noise else lines
    s = noisy[0::2] - noisy[1::2] if differential else noisy[:n_out] - noisy[n_out]
    code = np.round(s / step)
    signed[:] = s
    saturated[:] = (np.abs(code) > k) if saturate else False
    converted[:] = (np.clip(code, -k, k) if saturate else code) * step


@population_kernel
def speed_weights(span, rates, rate_max, out):
    """w_n = ΔG_n ρ_n with ρ_n = max_k |λ_nk|/Λ_k rounded up by 4ε (the lazy refresh's per-cell
    weight, :mod:`neuromorph.crossbar.refresh`): ``span`` ΔG_n (N,) [S], ``rates`` λ (1|N, m),
    ``rate_max`` Λ (m,) (a mode with Λ_k = 0 never moves and does not count); ``out`` (N,). One
    pass without the (N, m) temporaries of the NumPy form (at 1024² those cost ~0.4 s of page
    faults and passes in every array build)."""
    n_cells = span.shape[0]
    m = rate_max.shape[0]
    sr = 1 if rates.shape[0] > 1 else 0
    up = 1.0 + 4 * np.finfo(np.float64).eps
    for n in prange(n_cells):
        rho = 0.0
        for k in range(m):
            if rate_max[k] > 0:
                rho = max(rho, abs(rates[n * sr, k]) / rate_max[k])
        out[n] = span[n] * (rho * up)


def speed_weights_reference(span, rates, rate_max, out):
    """NumPy version of :func:`speed_weights`."""
    rates = np.abs(np.asarray(rates, dtype=float))
    ratio = np.divide(rates, rate_max, out=np.zeros_like(rates), where=rate_max > 0)
    out[:] = span * (ratio.max(axis=1) * (1.0 + 4 * np.finfo(float).eps))


@serial_kernel
def column_abs_max(a, out):
    """out[k] = max_n |a[n, k]| of ``a`` (N, m) in one row-order pass (the lazy refresh's Λ_k;
    NumPy's axis-0 reductions of an (N, m) C array walk it column-strided, ~10x slower)."""
    n_rows, m = a.shape
    for k in range(m):
        out[k] = 0.0
    for n in range(n_rows):
        for k in range(m):
            out[k] = max(out[k], abs(a[n, k]))


def column_abs_max_reference(a, out):
    """NumPy version of :func:`column_abs_max`."""
    out[:] = np.abs(a).max(axis=0)
