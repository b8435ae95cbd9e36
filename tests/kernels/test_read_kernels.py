"""The crossbar read kernels (neuromorph/kernels/read.py) against their NumPy references.

Tolerances: the state update z ← e^{λΔt} z is the same multiplication in both, so z agrees
exactly; u_1 = Σ_k r_k z_k may be summed in another order by NumPy's einsum, so G agrees to
m·ε·Σ|r_k z_k|·max ΔG·L_s (a few 1e-16 relative), and so does the per-row bound
max_n w_n Σ_k Λ_k |r_nk z_nk| (relative m·ε). The line sums run over the rows in another order than BLAS, so they
agree to N·ε·Σ|G||v| (checked at 1e-12 of that scale). Parallel and serial builds have no
reductions across threads and give identical numbers."""

import numpy as np
import pytest

from neuromorph.kernels import read as rk

N_IN, N_LINES, M = 48, 96, 5   # 4,608 cells: at PARALLEL_MIN_ROWS, so the parallel build dispatches


def _population(rng, per_cell: bool, n_cells=N_IN * N_LINES):
    z = rng.normal(0.0, 0.3, (n_cells, M))
    rows = n_cells if per_cell else 1
    rates = -np.sort(rng.uniform(1e-3, 1.0, (rows, M)), axis=1)
    decay = np.exp(rates * 0.37)
    readout = rng.normal(0.0, 1.0, (rows, M))
    g_base = rng.uniform(0.9e-6, 1.1e-6, n_cells)
    g_span = rng.uniform(8e-6, 10e-6, n_cells)
    g_span[rng.choice(n_cells, 20, replace=False)] = 0.0  # stuck cells: base is the stuck value
    return z, decay, readout, g_base, g_span


def _weights(rng, g_span):
    """Per-cell weights of the bound, w_n = ΔG_n·ρ_n with ρ_n ∈ (0.3, 1] (0 for stuck cells)."""
    return g_span * rng.uniform(0.3, 1.0, g_span.shape)


@pytest.mark.parametrize("per_cell", [True, False], ids=["variation", "shared-chain"])
@pytest.mark.parametrize("kind,a,b", [(rk.TRANSFER_LINEAR, -0.5, 1.0), (rk.TRANSFER_SIGMOID, 0.1, 0.25)],
                         ids=["linear-clipped", "sigmoid"])
@pytest.mark.parametrize("reference_column", [False, True])
@pytest.mark.parametrize("bound", [True, False])
def test_refresh_conductance_matches_the_numpy_reference(per_cell, kind, a, b, reference_column, bound):
    rng = np.random.default_rng(11)
    z, decay, readout, g_base, g_span = _population(rng, per_cell)
    weight = _weights(rng, g_span)
    rates_max = np.sort(rng.uniform(1e-3, 1.0, M))[::-1].copy()
    n_lines = N_LINES + (1 if reference_column else 0)
    outs = {}
    for name, build in [("reference", None), ("parallel", "parallel"), ("serial", "serial"), ("dispatch", None)]:
        fn = rk.refresh_conductance_reference if name == "reference" else rk.refresh_conductance
        zz = z.copy()
        g = np.full((N_IN, n_lines), -1.0)
        g2 = np.full((N_IN, n_lines), -1.0)
        speed = np.full(N_IN, -1.0)
        fn(zz, decay, readout, g_base, g_span, weight, kind, a, b, g, g2, True, rates_max, speed, bound, build=build)
        outs[name] = (zz, g, g2, speed)
    z_ref, g_ref, g2_ref, speed_ref = outs["reference"]
    scale = g_span.max() * (1.0 if kind == rk.TRANSFER_LINEAR else 0.25 / b) / (b if kind == rk.TRANSFER_LINEAR else 1.0)
    atol = M * np.finfo(float).eps * np.abs(readout).max() * np.abs(z).max() * scale * 10
    for name in ("parallel", "serial", "dispatch"):
        zz, g, g2, mm = outs[name]
        np.testing.assert_array_equal(zz, z_ref)
        np.testing.assert_allclose(g, g_ref, rtol=0, atol=atol)
        np.testing.assert_allclose(g2, g2_ref, rtol=0, atol=2 * 11e-6 * atol)
        np.testing.assert_allclose(mm, speed_ref, rtol=4 * M * np.finfo(float).eps, atol=0)
        if reference_column:
            assert np.all(g[:, -1] == -1.0) and np.all(g2[:, -1] == -1.0)  # the reference column is left alone
    np.testing.assert_array_equal(outs["parallel"][1], outs["serial"][1])
    np.testing.assert_array_equal(outs["parallel"][3], outs["serial"][3])
    if bound:  # the bound it reports: the row's largest w_n Σ_k Λ_k |r_nk z_nk| (stuck cells count 0)
        terms = np.abs(np.broadcast_to(readout, z.shape) * (z * decay))
        np.testing.assert_allclose(speed_ref, (weight * (terms @ rates_max)).reshape(N_IN, N_LINES).max(axis=1),
                                   rtol=1e-14)
    else:
        assert np.all(outs["parallel"][3] == 0.0)
    # the physics, independently of both: G = base + span·s(u_1) of the decayed state
    u1 = np.sum(np.broadcast_to(readout, z.shape) * (z * decay), axis=1)
    s = np.clip((u1 - a) / b, 0, 1) if kind == rk.TRANSFER_LINEAR else 1 / (1 + np.exp(-(u1 - a) / b))
    np.testing.assert_allclose(outs["parallel"][1][:, :N_LINES], (g_base + g_span * s).reshape(N_IN, N_LINES),
                               rtol=0, atol=atol * 10)
    # a stuck cell (span 0) reads exactly its stuck value
    stuck = g_span == 0
    np.testing.assert_array_equal(outs["parallel"][1][:, :N_LINES].ravel()[stuck], g_base[stuck])


def test_refresh_without_g2_leaves_the_g2_buffer_alone():
    rng = np.random.default_rng(2)
    z, decay, readout, g_base, g_span = _population(rng, True)
    g, g2 = np.empty((N_IN, N_LINES)), np.full((N_IN, N_LINES), 7.0)
    rk.refresh_conductance(z, decay, readout, g_base, g_span, g_span, rk.TRANSFER_LINEAR, -0.5, 1.0, g, g2, False,
                           np.ones(M), np.empty(N_IN))
    assert np.all(g2 == 7.0)


@pytest.mark.parametrize("squares", [True, False])
@pytest.mark.parametrize("n_in,n_lines", [(7, 5), (40, 600), (300, 257), (5, 2 * rk.LINE_BLOCK + 300)])
def test_line_and_row_currents_match_the_matrix_products(squares, n_in, n_lines):
    """Forward Gᵀv and (G²)ᵀv², transposed G d and (G²) d², against BLAS; the block-parallel and
    serial builds agree exactly (the last size has three column blocks)."""
    rng = np.random.default_rng(n_in)
    g = rng.uniform(1e-6, 10e-6, (n_in, n_lines))
    v, d = rng.uniform(-0.2, 0.2, n_in), rng.uniform(-0.2, 0.2, n_lines)
    eps = np.finfo(float).eps
    for kernel, reference, vec, n_out, scale in [
            (rk.line_currents, rk.line_currents_reference, v, n_lines, np.abs(g).T @ np.abs(v)),
            (rk.row_currents, rk.row_currents_reference, d, n_in, np.abs(g) @ np.abs(d))]:
        out, sq = np.empty(n_out), np.zeros(n_out)
        ref, ref_sq = np.empty(n_out), np.zeros(n_out)
        kernel(g, vec, squares, out, sq)
        reference(g, vec, squares, ref, ref_sq)
        tol = 4 * max(g.shape) * eps
        np.testing.assert_allclose(out, ref, rtol=0, atol=tol * scale.max())
        if squares:
            np.testing.assert_allclose(sq, ref_sq, rtol=tol)
        else:
            assert np.all(sq == 0.0)
    if g.size >= 4096:
        builds = rk._line_builds
        a, b = (np.empty(n_lines), np.empty(n_lines)), (np.empty(n_lines), np.empty(n_lines))
        builds.parallel(g, v, squares, *a)
        builds.serial(g, v, squares, *b)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("n_in", [1, 3, 4, 41, 130])
def test_line_currents_add_the_rows_one_by_one_in_order(n_in):
    """The line sums take four rows per sweep, but every sum adds the rows one by one from row 0
    (NumPy below, row by row): the numbers are bit-identical to that loop, whatever the row count
    modulo 4, the column blocks or the build."""
    rng = np.random.default_rng(n_in)
    n_lines = rk.LINE_BLOCK + 77
    g = rng.uniform(1e-6, 10e-6, (n_in, n_lines))
    v = rng.uniform(-0.2, 0.2, n_in)
    acc, acc2 = np.zeros(n_lines), np.zeros(n_lines)
    for i in range(n_in):
        acc = acc + g[i] * v[i]
        acc2 = acc2 + g[i] * g[i] * (v[i] * v[i])
    for build in (rk._line_builds.serial, rk._line_builds.parallel):
        out, sq = np.empty(n_lines), np.empty(n_lines)
        build(g, v, True, out, sq)
        np.testing.assert_array_equal(out, acc)
        np.testing.assert_array_equal(sq, acc2)
        build(g, v, False, out, sq)
        np.testing.assert_array_equal(out, acc)


@pytest.mark.parametrize("differential", [True, False], ids=["differential", "reference-column"])
@pytest.mark.parametrize("noise", [True, False])
@pytest.mark.parametrize("saturate", [True, False])
def test_forward_adc_gives_the_numbers_of_the_numpy_periphery(differential, noise, saturate):
    """forward_adc against ReadNoise.add, the pair/reference subtraction and ADC.convert/saturated
    of neuromorph.crossbar.readout with the same draws: identical numbers (same operations in the
    same order), including currents beyond full scale and currents within an ulp of half-step
    boundaries (where round-half-to-even must agree), and against its own NumPy reference."""
    from neuromorph.crossbar.readout import ADC, ReadNoise

    rng = np.random.default_rng(3)
    n_out = 300
    n_lines = 2 * n_out if differential else n_out + 1
    lines = rng.uniform(0, 30e-6, n_lines)
    sq = rng.uniform(0, 1e-12, n_lines)
    adc, rn = ADC(bits=10, full_scale_a=20e-6, saturate=saturate), ReadNoise(cell=0.005, output_a=2e-9)
    if not noise:  # signed currents at k·Δ + Δ/2 (to rounding)
        base = lines[1::2] if differential else np.full(n_out, lines[n_out])
        ties = (rng.integers(-600, 600, n_out) + 0.5) * adc.step
        (lines[0::2] if differential else lines[:n_out])[:] = base + ties
    lines[0] = (lines[1] if differential else lines[n_out]) + 1.5 * adc.full_scale_a  # beyond full scale
    xi = rng.standard_normal(n_lines)
    noisy = lines + rn.line_std(sq) * xi if noise else lines
    signed_np = noisy[0::2] - noisy[1::2] if differential else noisy[:n_out] - noisy[n_out]
    for fn in (rk.forward_adc, rk.forward_adc_reference):
        signed, conv, sat = np.empty(n_out), np.empty(n_out), np.empty(n_out, dtype=bool)
        fn(lines, sq, xi, rn.cell**2, rn.output_a**2, noise, differential, n_out, adc.step, adc.levels_per_side,
           adc.saturate, signed, conv, sat)
        np.testing.assert_array_equal(signed, signed_np)
        np.testing.assert_array_equal(conv, adc.convert(signed_np))
        np.testing.assert_array_equal(sat, adc.saturated(signed_np))
    assert sat[0] == saturate  # beyond full scale: flagged (and clamped) only with saturation


@pytest.mark.parametrize("build", ["serial", "parallel"])
@pytest.mark.parametrize("shared", [False, True])
def test_speed_weights_kernel_equals_its_numpy_form_bit_for_bit(build, shared):
    """w_n = ΔG_n·max_k(|λ_nk|/Λ_k)·(1 + 4ε): the same divisions, maximum and products as the
    NumPy form, so the two agree exactly; a mode with Λ_k = 0 does not count, and ρ_n Λ_k ≥ |λ_nk|
    holds for every computed number (the bound's premise)."""
    from neuromorph.crossbar.refresh import largest_rates
    from neuromorph.kernels.read import speed_weights, speed_weights_reference

    rng = np.random.default_rng(5)
    n, m = 5000, 6
    rates = -rng.uniform(1e-4, 2.0, (1 if shared else n, m))
    rates[:, 3] = 0.0  # a closed chain's zero mode
    span = rng.uniform(0, 1e-6, n)
    span[::7] = 0.0  # stuck cells
    rate_max = largest_rates(rates)
    ours_max, ref_max = np.empty(m), np.empty(m)
    rk.column_abs_max(rates, ours_max)
    rk.column_abs_max_reference(rates, ref_max)
    assert np.array_equal(rate_max, ref_max) and np.array_equal(ours_max, ref_max)
    ours, ref = np.empty(n), np.empty(n)
    getattr(speed_weights, build)(span, rates, rate_max, ours)
    speed_weights_reference(span, rates, rate_max, ref)
    assert np.array_equal(ours, ref)
    rho = ours[span > 0] / span[span > 0]
    rows = np.abs(np.broadcast_to(rates, (n, m))[span > 0])
    assert np.all(rho[:, None] * rate_max[None, :] >= rows)
