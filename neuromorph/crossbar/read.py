r"""Read path of a crossbar: pure functions of (conductances, inputs, wires, noise, ADC, rng),
mirroring :mod:`neuromorph.crossbar.write`.

Forward read (drive rows with x ∈ [−1, 1]^N_in, sense columns)
    v = DAC(x);  I = Gᵀv (ideal) or the sparse nodal solve with wire resistance (IR drop);
    + read noise;  I_s = I⁺ − I⁻ (or I − I_ref), subtracted before the ADC;
    y = ADC(I_s) / (h·ΔG·c),  h = DAC half range, ΔG = G_max − G_min, c = 1 (differential) or 1/2
    (reference), so y ≈ Wᵀx_q with x_q the DAC-quantised input (exactly, for a symmetric DAC
    range and ideal everything else).
Transposed read (drive columns with δ ∈ [−1, 1]^N_out, sense rows): differential pairs are
    driven with +v_j on G⁺ and −v_j on G⁻ (inverting driver), so each row current is
    Σ_j (G⁺ − G⁻)v_j; with a reference column the reference line is held at 0 V and the periphery
    subtracts the known G_ref·Σ_j v_j. y ≈ W δ_q.

The DAC, ADC and read noise are defined once, in :mod:`neuromorph.crossbar.readout`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels.read import forward_adc, line_currents, row_currents
from .cells import CellLayout
from .irdrop import WireParameters, solve_read
from .readout import ADC, DAC, ReadNoise

__all__ = ["ReadResult", "Periphery", "read_array", "read_conductance_map", "ir_drop_error_map", "current_scale"]


@dataclass
class ReadResult:
    """One (possibly batched) read.

    y:             outputs in weight units, (N_out[, B]) forward or (N_in[, B]) transposed
    current_a:     signed analog current fed to the ADC (after noise) [A]
    adc_current_a: the ADC's output current [A] (y = adc_current_a / scale_a_per_weight)
    line_current_a: current of every sensed physical line before noise [A]
    saturated:     ADC conversions that hit full scale
    input_q:       the DAC-quantised inputs (x units)
    """

    y: np.ndarray
    current_a: np.ndarray
    adc_current_a: np.ndarray
    line_current_a: np.ndarray
    saturated: np.ndarray
    input_q: np.ndarray
    scale_a_per_weight: float


@dataclass(frozen=True)
class Periphery:
    """Everything around the cells that a read uses: DAC, wires, read noise, one ADC per read
    direction (fan-in N_in forward, N_out transposed) and the cell layout."""

    layout: CellLayout
    dac: DAC
    wires: WireParameters
    noise: ReadNoise
    adc_forward: ADC
    adc_transposed: ADC


def current_scale(periphery: Periphery) -> float:
    """Signed current per unit weight per unit input [A]: h·ΔG·c."""
    return periphery.dac.half_range * periphery.layout.delta_g_s * periphery.layout.weight_factor


def read_array(g: np.ndarray, x: np.ndarray, periphery: Periphery, rng: np.random.Generator, *,
               ir_drop: bool = False, transposed: bool = False, noise: bool = True,
               g_squared: np.ndarray | None = None, fused: bool = True) -> ReadResult:
    """One read of the physical conductances ``g`` (N_in, N_lines) [S] with inputs ``x`` (checked
    by the caller): forward (x (N_in[, B])) or transposed (x (N_out[, B])), ideal wires or the
    IR-drop solve, read noise drawn from ``rng`` when ``noise``. ``g_squared`` (G², optional) is a
    cached elementwise square for the ideal-wire cell noise of a batch. ``fused``: one input
    vector with ideal wires is read in one pass over G that sums the line currents and, when the
    cell noise is on, the squared cell currents (:func:`neuromorph.kernels.read.line_currents`,
    :func:`~neuromorph.kernels.read.row_currents`), and a forward read's noise, subtraction and
    ADC run as one more pass over the lines (:func:`~neuromorph.kernels.read.forward_adc`);
    otherwise BLAS products (Gᵀv, then (G²)ᵀv²) and the NumPy periphery. Both agree to rounding.
    """
    layout = periphery.layout
    dac = periphery.dac
    xq = dac.quantise(x)
    v = dac.v_mid + dac.half_range * xq    # = dac.voltages(x), without quantising twice
    # Σ(G v)² only matters through σ_cell (ReadNoise.line_std); with σ_cell = 0 it is not formed
    draw = noise and periphery.noise.cell > 0
    one_pass = fused and not ir_drop and v.ndim == 1 and g.flags.c_contiguous
    if not transposed:
        if ir_drop:
            sol = solve_read(g, v, periphery.wires)
            lines = sol.output_current_a
            cell_i = g.reshape(g.shape + (1,) * (v.ndim - 1)) * (sol.row_node_v - sol.col_node_v)
            sq = np.sum(cell_i**2, axis=0)
        elif one_pass:
            lines, sq = np.empty(g.shape[1]), np.empty(g.shape[1])
            line_currents(g, np.ascontiguousarray(v), draw, lines, sq)
            if periphery.adc_forward.levels_per_side is not None:
                return _forward_one_pass(lines, sq, xq, periphery, rng, noise)
            sq = sq if draw else 0.0
        else:
            lines = g.T @ v
            sq = (g**2 if g_squared is None else g_squared).T @ (v**2) if draw else 0.0
        noisy = periphery.noise.add(lines, sq, rng) if noise else lines
        if layout.differential:
            signed = noisy[0::2] - noisy[1::2]
        else:
            signed = noisy[: layout.n_out] - noisy[layout.n_out]
        adc = periphery.adc_forward
    else:
        drive = np.zeros((layout.n_lines,) + v.shape[1:])
        offset = 0.0
        if layout.differential:
            drive[0::2], drive[1::2] = v, -v
        else:
            drive[: layout.n_out] = v
            offset = layout.g_reference_s * v.sum(axis=0)
        if ir_drop:
            sol = solve_read(g, drive, periphery.wires, transposed=True)
            lines = sol.output_current_a
            cell_i = g.reshape(g.shape + (1,) * (v.ndim - 1)) * (sol.col_node_v - sol.row_node_v)
            sq = np.sum(cell_i**2, axis=1)
        elif one_pass:
            lines, sq = np.empty(g.shape[0]), np.empty(g.shape[0])
            row_currents(g, np.ascontiguousarray(drive), draw, lines, sq)
            sq = sq if draw else 0.0
        else:
            lines = g @ drive
            sq = (g**2 if g_squared is None else g_squared) @ (drive**2) if draw else 0.0
        noisy = periphery.noise.add(lines, sq, rng) if noise else lines
        signed = noisy - offset
        adc = periphery.adc_transposed
    converted = adc.convert(signed)
    scale = current_scale(periphery)
    return ReadResult(y=converted / scale, current_a=signed, adc_current_a=converted, line_current_a=lines,
                      saturated=adc.saturated(signed), input_q=xq, scale_a_per_weight=scale)


def _forward_one_pass(lines: np.ndarray, sq: np.ndarray, xq: np.ndarray, periphery: Periphery,
                      rng: np.random.Generator, noise: bool) -> ReadResult:
    """Noise, pair/reference subtraction and ADC of a one-vector forward read in one pass over the
    lines (:func:`neuromorph.kernels.read.forward_adc`): the numbers of the NumPy periphery below
    (same noise draws from ``rng``, same operations in the same order)."""
    layout, adc, rn = periphery.layout, periphery.adc_forward, periphery.noise
    active = noise and rn.active
    xi = rng.standard_normal(lines.shape) if active else lines
    n = layout.n_out
    signed, converted, saturated = np.empty(n), np.empty(n), np.empty(n, dtype=bool)
    forward_adc(lines, sq, xi, rn.cell**2, rn.output_a**2, active, layout.differential, n, adc.step,
                adc.levels_per_side, adc.saturate, signed, converted, saturated)
    scale = current_scale(periphery)
    return ReadResult(y=converted / scale, current_a=signed, adc_current_a=converted, line_current_a=lines,
                      saturated=saturated, input_q=xq, scale_a_per_weight=scale)


def read_conductance_map(g: np.ndarray, read_voltage_v: float, wires: WireParameters, noise: ReadNoise,
                         rng: np.random.Generator, *, ir_drop: bool = False, with_noise: bool = True) -> np.ndarray:
    """Conductance map measured row by row: row i at the read voltage, the others at 0 V, every
    column current divided by the read voltage (with read noise, no ADC: a precise verify read).
    With ``ir_drop`` the wires are included (effective conductances). Returns (N_in, N_lines) [S]."""
    n_in = g.shape[0]
    v = read_voltage_v * np.eye(n_in)
    if ir_drop:
        sol = solve_read(g, v, wires)
        # batch b drives row b: current of line j in batch b is the measured cell (b, j)
        measured = sol.output_current_a.T
        sq = np.einsum("ij,ijb->bj", g**2, (sol.row_node_v - sol.col_node_v) ** 2)
    else:
        measured = g * read_voltage_v
        sq = measured**2
    if with_noise:
        measured = noise.add(measured, sq, rng)
    return measured / read_voltage_v


def ir_drop_error_map(g: np.ndarray, voltage_v: float, wires: WireParameters
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All rows at ``voltage_v``: relative error of every cell's current with wire resistance vs
    ideal wires, (ΔV_cell − V)/V, and the sense currents (ideal, IR drop) [A]."""
    v = np.full(g.shape[0], voltage_v)
    sol = solve_read(g, v, wires)
    rel = (sol.row_node_v - sol.col_node_v) / voltage_v - 1.0
    return rel, g.T @ v, sol.output_current_a
