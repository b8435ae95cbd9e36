"""DAC, ADC and read noise of the crossbar periphery against independent references: explicit
level tables, hand-computed codes and Monte-Carlo sums of per-cell noise."""

import numpy as np
import pytest

from neuromorph.crossbar.readout import ADC, DAC, ReadNoise


def test_dac_levels_are_the_mid_tread_grid():
    dac = DAC(bits=3, v_low=-0.2, v_high=0.2)
    # 3 bits, sign-magnitude: K = 3 levels per side, 7 levels: 0, ±0.2/3, ±0.4/3, ±0.2 V
    table = np.arange(-3, 4) * 0.2 / 3
    x = np.linspace(-1.3, 1.3, 1001)
    v = dac.voltages(x)
    nearest = table[np.argmin(np.abs(np.clip(x, -1, 1)[:, None] * 0.2 - table[None, :]), axis=1)]
    np.testing.assert_allclose(v, nearest, rtol=0, atol=1e-15)
    assert dac.voltages(0.0) == 0.0 and dac.voltages(1.0) == pytest.approx(0.2, abs=1e-16)
    assert dac.voltages(-5.0) == pytest.approx(-0.2, abs=1e-16)  # clipped
    assert np.unique(v).size == 7


def test_dac_error_is_at_most_half_a_step_and_range_can_be_offset():
    dac = DAC(bits=8, v_low=0.1, v_high=0.5)
    x = np.random.default_rng(0).uniform(-1, 1, 10_000)
    ideal = 0.3 + 0.2 * x
    err = np.abs(dac.voltages(x) - ideal)
    assert err.max() <= dac.step / 2 * (1 + 1e-9)
    assert dac.step == pytest.approx(0.2 / 127)
    assert dac.voltages(0.0) == pytest.approx(0.3)  # v_mid is a level


def test_ideal_dac_and_adc_pass_values_through():
    x = np.random.default_rng(1).uniform(-1, 1, 100)
    np.testing.assert_array_equal(DAC(None, -1.0, 1.0).voltages(x), x)
    current = np.random.default_rng(2).normal(0, 1e-5, 100)
    np.testing.assert_array_equal(ADC(None, 1e-6).convert(current), current)


def test_adc_quantises_within_half_an_lsb_and_saturates():
    adc = ADC(bits=6, full_scale_a=10e-6, saturate=True)
    step = 10e-6 / 31
    assert adc.step == pytest.approx(step)
    inside = np.random.default_rng(3).uniform(-10e-6, 10e-6, 5000)
    assert np.max(np.abs(adc.convert(inside) - inside)) <= step / 2 * (1 + 1e-9)
    # hand-computed codes
    np.testing.assert_array_equal(adc.codes([0.0, step * 0.49, step * 0.51, -2.6 * step]), [0, 0, 1, -3])
    # beyond full scale: clamped to ±31 codes = ±10 µA
    np.testing.assert_allclose(adc.convert([50e-6, -50e-6]), [10e-6, -10e-6])
    np.testing.assert_array_equal(adc.saturated([50e-6, 5e-6, -50e-6]), [True, False, True])
    free = ADC(bits=6, full_scale_a=10e-6, saturate=False)
    assert free.convert(50e-6) == pytest.approx(50e-6, abs=step / 2)


def test_converter_arguments_are_checked():
    with pytest.raises(ValueError, match="bits"):
        DAC(bits=1, v_low=-1, v_high=1)
    with pytest.raises(ValueError, match="v_low < v_high"):
        DAC(bits=8, v_low=1, v_high=-1)
    with pytest.raises(ValueError, match="full scale"):
        ADC(bits=8, full_scale_a=0.0)
    with pytest.raises(ValueError, match="no codes"):
        ADC(None, 1.0).codes([1.0])


def test_line_noise_equals_the_sum_of_independent_cell_noise():
    """Monte Carlo: every cell current multiplied by (1 + σξ) independently, summed per line,
    against ReadNoise's one draw per line of std σ·sqrt(Σ I_cell²) (plus the output noise)."""
    rng = np.random.default_rng(4)
    g = rng.uniform(1e-6, 1e-5, (32, 3))
    v = rng.uniform(-0.2, 0.2, 32)
    cell = g * v[:, None]
    noise = ReadNoise(cell=0.05, output_a=3e-8)
    samples = 20_000
    explicit = (cell[None] * (1 + 0.05 * rng.standard_normal((samples,) + cell.shape))).sum(axis=1)
    explicit += 3e-8 * rng.standard_normal((samples, 3))
    drawn = np.stack([noise.add(cell.sum(axis=0), (cell**2).sum(axis=0), rng) for _ in range(samples)])
    # relative std error of a sample std with 20 000 samples ≈ 1/sqrt(2·20 000) = 0.5 %: 3 % is > 5σ
    np.testing.assert_allclose(explicit.std(axis=0), drawn.std(axis=0), rtol=0.03)
    np.testing.assert_allclose(drawn.std(axis=0), noise.line_std((cell**2).sum(axis=0)), rtol=0.03)
    np.testing.assert_allclose(drawn.mean(axis=0), cell.sum(axis=0), atol=5 * drawn.std(axis=0).max() / np.sqrt(samples))
