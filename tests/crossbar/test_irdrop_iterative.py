"""The iterative IR-drop solve (conjugate gradients on the line Schur complement) against the
sparse direct solve, which the ngspice tests check independently (tests/spice)."""

import numpy as np
import pytest

from neuromorph.crossbar import irdrop
from neuromorph.crossbar.irdrop import WireParameters, solve_read
from neuromorph.crossbar.irdrop_pcg import solve_chain_chain_pcg
from neuromorph.errors import InvalidParameterError

WIRES = [
    WireParameters(r_row_ohm=2.0, r_col_ohm=2.0, r_driver_ohm=1.0, r_sense_ohm=1.0),
    WireParameters(r_row_ohm=0.5, r_col_ohm=3.0, r_driver_ohm=0.0, r_sense_ohm=0.0),
    # weak wires beside strong cells: S⁻¹K badly conditioned, CG needs many more iterations
    WireParameters(r_row_ohm=50.0, r_col_ohm=80.0, r_driver_ohm=100.0, r_sense_ohm=100.0),
]


def assert_same_read(direct, iterative, rtol):
    scale = np.abs(direct.output_current_a).max()
    np.testing.assert_allclose(iterative.output_current_a, direct.output_current_a, rtol=0, atol=rtol * scale)
    np.testing.assert_allclose(iterative.input_current_a, direct.input_current_a, rtol=0, atol=rtol * scale)
    vscale = np.abs(direct.row_node_v).max()
    np.testing.assert_allclose(iterative.row_node_v, direct.row_node_v, rtol=0, atol=rtol * vscale)
    np.testing.assert_allclose(iterative.col_node_v, direct.col_node_v, rtol=0, atol=rtol * vscale)


@pytest.mark.parametrize("wires", WIRES, ids=["typical", "ideal-ends", "weak-wires"])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("batch", [None, 3])
def test_iterative_read_equals_direct_read(wires, transposed, batch):
    rng = np.random.default_rng(21)
    G = rng.uniform(1e-6, 1e-3, (37, 29))
    G[rng.random(G.shape) < 0.1] = 0.0  # some open cells
    n_v = 29 if transposed else 37
    v = rng.uniform(-0.3, 0.3, (n_v,) if batch is None else (n_v, batch))
    direct = solve_read(G, v, wires, transposed=transposed, method="direct")
    iterative = solve_read(G, v, wires, transposed=transposed, method="iterative")
    assert iterative.output_current_a.shape == direct.output_current_a.shape
    # 1e-8 of the largest current / node voltage: the CG stops at a relative residual of 1e-10,
    # and the error is at most κ(S⁻¹K)·rtol; the direct solve itself carries rounding of
    # ~eps·g_max/g_min ≈ 1e-11 here (see irdrop.solve_read)
    assert_same_read(direct, iterative, rtol=1e-8)


def test_tighter_rtol_gives_a_closer_answer():
    rng = np.random.default_rng(22)
    G = rng.uniform(1e-5, 1e-3, (30, 30))
    v = rng.uniform(0, 0.3, 30)
    w = WIRES[2]
    direct = solve_read(G, v, w, method="direct").output_current_a
    errors = [np.abs(solve_read(G, v, w, method="iterative", rtol=tol).output_current_a - direct).max()
              for tol in (1e-3, 1e-6, 1e-10)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] <= 1e-8 * np.abs(direct).max()


def test_auto_uses_the_iterative_solve_from_the_threshold_on(monkeypatch):
    calls = []
    real = irdrop.solve_chain_chain_pcg

    def spy(*args, **kwargs):
        calls.append(args[0].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(irdrop, "solve_chain_chain_pcg", spy)
    monkeypatch.setattr(irdrop, "ITERATIVE_MIN_CELLS", 100)
    rng = np.random.default_rng(23)
    w = WIRES[0]
    solve_read(rng.uniform(1e-6, 1e-4, (9, 11)), np.ones(9), w)  # 99 cells: direct
    assert calls == []
    solve_read(rng.uniform(1e-6, 1e-4, (10, 10)), np.ones(10), w)  # 100 cells: iterative
    assert calls == [(10, 10)]
    # a zero column resistance merges the sensed lines: always the direct solve
    solve_read(rng.uniform(1e-6, 1e-4, (10, 10)), np.ones(10), WireParameters(2.0, 0.0, 1.0, 1.0))
    assert calls == [(10, 10)]


def test_a_256_square_array_reads_the_same_both_ways():
    rng = np.random.default_rng(24)
    G = rng.uniform(1e-6, 1e-4, (256, 256))
    v = rng.uniform(0, 0.3, (256, 2))
    w = WIRES[0]
    # default method at this size is the iterative one
    assert 256 * 256 >= irdrop.ITERATIVE_MIN_CELLS
    # 1e-8: as in test_iterative_read_equals_direct_read
    assert_same_read(solve_read(G, v, w, method="direct"), solve_read(G, v, w), rtol=1e-8)


def test_iterative_method_validation():
    G = np.full((3, 3), 1e-5)
    with pytest.raises(InvalidParameterError, match="method must be one of"):
        solve_read(G, np.ones(3), WIRES[0], method="cg")
    with pytest.raises(InvalidParameterError, match="rtol must be in"):
        solve_read(G, np.ones(3), WIRES[0], method="iterative", rtol=0.0)
    with pytest.raises(InvalidParameterError, match="did not reach rtol"):
        solve_chain_chain_pcg(np.random.default_rng(0).uniform(1e-3, 1e-2, (40, 40)), np.ones((40, 1)),
                              50.0, 80.0, 100.0, 100.0, rtol=1e-12, maxiter=2)
    with pytest.raises(InvalidParameterError, match="r_row_ohm > 0 and r_col_ohm > 0"):
        solve_chain_chain_pcg(G, np.ones((3, 1)), 0.0, 1.0, 1.0, 1.0)


@pytest.mark.parametrize("shape", [(1, 1), (1, 6), (6, 1), (2, 3)])
@pytest.mark.parametrize("transposed", [False, True])
def test_iterative_read_of_thin_arrays_equals_direct_read(shape, transposed):
    rng = np.random.default_rng(25)
    G = rng.uniform(1e-5, 1e-3, shape)
    v = rng.uniform(0, 0.3, shape[1] if transposed else shape[0])
    w = WIRES[0]
    # 1e-8: as in test_iterative_read_equals_direct_read
    assert_same_read(solve_read(G, v, w, transposed=transposed, method="direct"),
                     solve_read(G, v, w, transposed=transposed, method="iterative"), rtol=1e-8)


def test_zero_input_reads_zero_without_iterating():
    G = np.full((20, 20), 1e-4)
    sol = solve_read(G, np.zeros(20), WIRES[0], method="iterative")
    np.testing.assert_array_equal(sol.output_current_a, 0.0)
    np.testing.assert_array_equal(sol.row_node_v, 0.0)


@pytest.mark.parametrize("shape", [(23, 19), (9, 517)], ids=["square", "wider-than-a-line-chunk"])
def test_results_do_not_depend_on_the_column_blocks_or_the_thread_count(shape):
    """Every input column is its own CG, frozen once it meets rtol: a batch solved in blocks of
    1, 3 or 8 columns, on one or two kernel threads, gives bit-for-bit the same read, and so does
    one column alone (on the parallel kernels)."""
    from neuromorph.kernels._jit import set_thread_count, thread_count

    rng = np.random.default_rng(26)
    G = rng.uniform(1e-6, 1e-3, shape)
    V = rng.uniform(-0.3, 0.3, (shape[0], 7))
    V[:, 2] *= 1e-3  # columns of very different size need different iteration counts
    w = WIRES[2]
    before = thread_count()
    try:
        results = []
        for threads in (1, 2):
            set_thread_count(threads)
            for block in (1, 3, 8):
                results.append(solve_chain_chain_pcg(G, V, w.r_row_ohm, w.r_col_ohm, w.r_driver_ohm,
                                                     w.r_sense_ohm, block=block))
    finally:
        set_thread_count(before)
    for other in results[1:]:
        for x, y in zip(results[0][:4], other[:4]):
            np.testing.assert_array_equal(x, y)
    # and each column equals its own one-column solve (on two threads: the parallel kernels)
    try:
        set_thread_count(2)
        alone = solve_chain_chain_pcg(G, V[:, 4:5], w.r_row_ohm, w.r_col_ohm, w.r_driver_ohm, w.r_sense_ohm)
    finally:
        set_thread_count(before)
    np.testing.assert_array_equal(alone[0][:, 0], results[0][0][:, 4])
    np.testing.assert_array_equal(alone[2][..., 0], results[0][2][..., 4])
