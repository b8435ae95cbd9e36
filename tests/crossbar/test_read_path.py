"""The crossbar read path as a pure function (neuromorph/crossbar/read.py) and the cell layout
(neuromorph/crossbar/cells.py), against the matrix products they must equal."""

import numpy as np
import pytest

from neuromorph.crossbar.cells import CellLayout
from neuromorph.crossbar.irdrop import WireParameters
from neuromorph.crossbar.read import Periphery, read_array, read_conductance_map
from neuromorph.crossbar.readout import ADC, DAC, ReadNoise

G_MIN, G_MAX = 1e-6, 9e-6


def layout(differential: bool, n_in=5, n_out=3) -> CellLayout:
    return CellLayout(n_in, n_out, differential, G_MIN, G_MAX, 0.5 * (G_MIN + G_MAX))


def periphery(lay: CellLayout, noise=ReadNoise()) -> Periphery:
    """Ideal DAC (symmetric ±0.2 V) and ADCs, no wire resistance."""
    return Periphery(lay, DAC(None, -0.2, 0.2), WireParameters(0.0, 0.0, 0.0, 0.0), noise,
                     ADC(None, 1.0), ADC(None, 1.0))


@pytest.mark.parametrize("differential", [True, False])
def test_layout_round_trips_weights_through_conductances(differential):
    lay = layout(differential)
    w = np.random.default_rng(0).uniform(-1, 1, (lay.n_in, lay.n_out))
    g = lay.with_reference(lay.target_conductances(w))
    assert g.shape == (lay.n_in, lay.n_lines)
    np.testing.assert_allclose(lay.weights_from_conductances(g), w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("differential", [True, False])
def test_ideal_read_is_the_weight_matrix_product(differential):
    """Ideal DAC, wires, ADC and no noise: forward y = Wᵀx, transposed y = Wδ (to rounding)."""
    lay = layout(differential)
    rng = np.random.default_rng(1)
    w = rng.uniform(-1, 1, (lay.n_in, lay.n_out))
    g = lay.with_reference(lay.target_conductances(w))
    g_before = g.copy()
    x, delta = rng.uniform(-1, 1, (lay.n_in, 4)), rng.uniform(-1, 1, lay.n_out)
    p = periphery(lay)
    forward = read_array(g, x, p, rng)
    np.testing.assert_allclose(forward.y, w.T @ x, rtol=1e-10, atol=1e-12)
    transposed = read_array(g, delta, p, rng, transposed=True)
    np.testing.assert_allclose(transposed.y, w @ delta, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(g, g_before)  # the read does not touch the conductances


def test_read_noise_comes_only_from_the_generator_it_is_given():
    lay = layout(True)
    g = lay.with_reference(lay.target_conductances(np.zeros((lay.n_in, lay.n_out))))
    p = periphery(lay, ReadNoise(0.05, 1e-9))
    x = np.ones(lay.n_in)
    a = read_array(g, x, p, np.random.default_rng(7)).y
    b = read_array(g, x, p, np.random.default_rng(7)).y
    c = read_array(g, x, p, np.random.default_rng(8)).y
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(read_array(g, x, p, None, noise=False).y, np.zeros(lay.n_out))


def test_conductance_map_reads_each_cell_at_the_read_voltage():
    lay = layout(False)
    g = np.random.default_rng(3).uniform(G_MIN, G_MAX, (lay.n_in, lay.n_lines))
    measured = read_conductance_map(g, 0.1, WireParameters(0.0, 0.0, 0.0, 0.0), ReadNoise(), None, with_noise=False)
    np.testing.assert_allclose(measured, g, rtol=1e-13)


def test_cell_counts_drive_the_pair_with_opposite_polarity_and_skip_stuck_cells():
    lay = layout(True, n_in=2, n_out=2)
    counts = np.array([[3, -1], [0, 2]])
    cells = lay.cell_counts(counts, stuck=np.array([1]))
    np.testing.assert_array_equal(cells.reshape(2, 4), [[3, 0, -1, 1], [0, 0, 2, -2]])


@pytest.mark.parametrize("differential", [True, False])
@pytest.mark.parametrize("transposed", [False, True])
def test_one_pass_read_equals_the_blas_read(differential, transposed):
    """The fused one-vector read (line currents and Σ(G v)² in one pass over G,
    neuromorph/kernels/read.py) against the BLAS products Gᵀv and (G²)ᵀv², with cell and output
    noise from identical generators: the same noise draws, currents equal to rounding (the sums
    run in another order: 1e-12 of the full scale), the same ADC codes."""
    lay = layout(differential, n_in=70, n_out=90)
    rng = np.random.default_rng(4)
    g = lay.with_reference(lay.target_conductances(rng.uniform(-1, 1, (lay.n_in, lay.n_out))))
    p = Periphery(lay, DAC(8, -0.2, 0.2), WireParameters(0.0, 0.0, 0.0, 0.0), ReadNoise(0.005, 2e-9),
                  ADC(10, 70 * 0.2 * 8e-6), ADC(10, 90 * 0.2 * 8e-6))
    x = rng.uniform(-1, 1, lay.n_out if transposed else lay.n_in)
    fused = read_array(g, x, p, np.random.default_rng(9), transposed=transposed, fused=True)
    blas = read_array(g, x, p, np.random.default_rng(9), transposed=transposed, fused=False)
    full_scale = (p.adc_transposed if transposed else p.adc_forward).full_scale_a
    np.testing.assert_allclose(fused.current_a, blas.current_a, rtol=0, atol=1e-12 * full_scale)
    np.testing.assert_array_equal(fused.y, blas.y)
