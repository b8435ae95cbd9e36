"""Periphery of the crossbar read path: input DAC, output ADC and read noise (all SI).

DAC (inputs x ∈ [−1, 1] → row/column voltages)
    v = v_mid + x·h,  v_mid = (v_low + v_high)/2,  h = (v_high − v_low)/2,
    rounded to the mid-tread grid v_mid + k·h/K, k ∈ {−K … K}, K = 2^(bits−1) − 1
    (2^bits − 1 levels: v_mid and both range ends are exact, as in a sign-magnitude DAC).
    Inputs outside [−1, 1] are clipped. ``bits=None`` is an ideal DAC.

ADC (signed current I → code → current)
    code = round(I/Δ), Δ = I_fs/K, K = 2^(bits−1) − 1; with saturation the code is clamped to
    [−K, K], so |I| ≥ I_fs reads as ±I_fs. The conversion error is ≤ Δ/2 inside the range.
    ``bits=None`` is an ideal ADC.

Read noise (Gaussian, drawn per read)
    cell:   every cell current G·ΔV is multiplied by (1 + σ_cell·ξ), independently per cell and
            per read. Summed on a sensed line this is exactly a Gaussian of std
            σ_cell·sqrt(Σ_i (G_i ΔV_i)²), which is what is drawn (one number per line instead of
            one per cell). With wire resistance ΔV is the solved voltage across each cell; the
            noise's own (second-order) effect on the node voltages is neglected.
    output: an additive current of std σ_out on each sensed line (sense-amplifier noise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DAC", "ADC", "ReadNoise"]


def _levels(bits: int | None) -> int | None:
    if bits is None:
        return None
    if not (isinstance(bits, (int, np.integer)) and 2 <= bits <= 32):
        raise ValueError(f"bits must be an integer in 2..32 (or None for an ideal converter), got {bits!r}")
    return (1 << (int(bits) - 1)) - 1


@dataclass(frozen=True)
class DAC:
    """Input DAC over the voltage range [v_low, v_high] (see the module docstring)."""

    bits: int | None
    v_low: float
    v_high: float

    def __post_init__(self) -> None:
        _levels(self.bits)
        if not (np.isfinite(self.v_low) and np.isfinite(self.v_high) and self.v_low < self.v_high):
            raise ValueError(f"DAC range must satisfy v_low < v_high, got [{self.v_low}, {self.v_high}]")

    @property
    def levels_per_side(self) -> int | None:
        """K = 2^(bits−1) − 1 (None for an ideal DAC)."""
        return _levels(self.bits)

    @property
    def v_mid(self) -> float:
        return 0.5 * (self.v_low + self.v_high)

    @property
    def half_range(self) -> float:
        """h = (v_high − v_low)/2: the voltage of x = 1 above v_mid."""
        return 0.5 * (self.v_high - self.v_low)

    @property
    def step(self) -> float:
        """Voltage of one LSB (0 for an ideal DAC)."""
        k = self.levels_per_side
        return 0.0 if k is None else self.half_range / k

    def quantise(self, x) -> np.ndarray:
        """Inputs x (any shape) clipped to [−1, 1] and rounded to the DAC grid (still in x units)."""
        x = np.clip(np.asarray(x, dtype=float), -1.0, 1.0)
        k = self.levels_per_side
        return x if k is None else np.round(x * k) / k

    def voltages(self, x) -> np.ndarray:
        """Output voltages [V] for inputs x."""
        return self.v_mid + self.half_range * self.quantise(x)

    def max_abs_voltage(self) -> float:
        return max(abs(self.v_low), abs(self.v_high))


@dataclass(frozen=True)
class ADC:
    """Output ADC of full scale ±``full_scale_a`` (see the module docstring)."""

    bits: int | None
    full_scale_a: float
    saturate: bool = True

    def __post_init__(self) -> None:
        _levels(self.bits)
        if not (np.isfinite(self.full_scale_a) and self.full_scale_a > 0):
            raise ValueError(f"ADC full scale must be > 0 A, got {self.full_scale_a}")

    @property
    def levels_per_side(self) -> int | None:
        return _levels(self.bits)

    @property
    def step(self) -> float:
        """Current of one LSB [A] (0 for an ideal ADC)."""
        k = self.levels_per_side
        return 0.0 if k is None else self.full_scale_a / k

    def codes(self, current) -> np.ndarray:
        """Integer output codes (int64); an ideal ADC has no codes."""
        k = self.levels_per_side
        if k is None:
            raise ValueError("an ideal ADC (bits=None) has no codes")
        code = np.round(np.asarray(current, dtype=float) / self.step)
        if self.saturate:
            code = np.clip(code, -k, k)
        return code.astype(np.int64)

    def convert(self, current) -> np.ndarray:
        """Quantised (and saturated) current [A]."""
        if self.levels_per_side is None:
            return np.asarray(current, dtype=float).copy()
        return self.codes(current) * self.step

    def saturated(self, current) -> np.ndarray:
        """Boolean mask of the conversions that hit full scale."""
        k = self.levels_per_side
        if k is None or not self.saturate:
            return np.zeros(np.shape(current), bool)
        return np.abs(np.round(np.asarray(current, dtype=float) / self.step)) > k


@dataclass(frozen=True)
class ReadNoise:
    """Relative per-cell current noise and additive per-line current noise [A]."""

    cell: float = 0.0
    output_a: float = 0.0

    def __post_init__(self) -> None:
        if not (self.cell >= 0 and self.output_a >= 0):
            raise ValueError(f"read noise must be >= 0, got cell={self.cell}, output={self.output_a}")

    @property
    def active(self) -> bool:
        return self.cell > 0 or self.output_a > 0

    def line_std(self, cell_currents_sq_sum) -> np.ndarray:
        """Std [A] of the noise on each sensed line given Σ_i (G_i ΔV_i)² of its cells."""
        return np.sqrt(self.cell**2 * np.asarray(cell_currents_sq_sum, float) + self.output_a**2)

    def add(self, currents: np.ndarray, cell_currents_sq_sum: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``currents`` plus one Gaussian draw per entry with :meth:`line_std` (a new array)."""
        if not self.active:
            return np.asarray(currents, float).copy()
        std = self.line_std(cell_currents_sq_sum)
        return currents + std * rng.standard_normal(np.shape(currents))
