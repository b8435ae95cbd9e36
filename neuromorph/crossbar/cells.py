r"""The cells of a crossbar: layout, sampling (device-to-device variation, stuck cells) and the
conversions conductance ↔ signed weight.

Physical layout (N_in rows × N_lines physical columns, the topology of
:mod:`neuromorph.crossbar.irdrop`)
    ``differential``      N_lines = 2·N_out: column 2j holds G⁺ of weight column j, 2j+1 holds G⁻;
                          w_ij = (G⁺_ij − G⁻_ij)/(G_max − G_min).
    ``reference_column``  N_lines = N_out + 1: columns 0..N_out−1 hold one cell per weight, the
                          last column holds fixed conductances G_ref (resistors, not devices);
                          w_ij = 2(G_ij − G_ref)/(G_max − G_min).
    G_max − G_min and G_ref are the nominal channel values; device-to-device variation of each
    cell's G_min/G_max therefore shows up as weight error, as in hardware.

Cell conductance: G = G_min + (G_max − G_min)·s(u_1) per cell, with the cell's own G_min/G_max
(the device card's channel, or the crossbar card's ``channel`` for ideal chain devices). Stuck
cells keep their own G_min or G_max.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.device_schema import Channel, Variation
from ..devices.base import DevicePopulation, lognormal_jitter
from ..devices.proton_transistor import channel_transfer, inverse_transfer
from ..kernels.training import scatter_cell_counts_reference
from .card import CrossbarConfig, cell_channel

__all__ = ["CellLayout", "Cells", "sample_cells", "cell_conductance", "inverse_transfer"]


@dataclass(frozen=True)
class CellLayout:
    """Where the N_in × N_out signed weights sit on the N_in × N_lines physical cells.

    g_min_nominal_s, g_max_nominal_s: the nominal channel range [S]; g_reference_s: the
    reference column's conductance [S] (unused when differential).
    """

    n_in: int
    n_out: int
    differential: bool
    g_min_nominal_s: float
    g_max_nominal_s: float
    g_reference_s: float

    @classmethod
    def from_config(cls, config: CrossbarConfig) -> "CellLayout":
        card, channel = config.card, cell_channel(config)
        g_min, g_max = float(channel.g_min), float(channel.g_max)
        ref = card.weights.reference_conductance
        return cls(card.size.rows, card.size.columns, card.weights.scheme == "differential", g_min, g_max,
                   float(ref) if ref is not None else 0.5 * (g_min + g_max))

    @property
    def n_cell_lines(self) -> int:
        """Physical columns holding plastic cells."""
        return 2 * self.n_out if self.differential else self.n_out

    @property
    def n_lines(self) -> int:
        """All physical columns (with the reference column)."""
        return 2 * self.n_out if self.differential else self.n_out + 1

    @property
    def n_cells(self) -> int:
        return self.n_in * self.n_cell_lines

    @property
    def delta_g_s(self) -> float:
        """ΔG = G_max − G_min of the nominal channel [S]."""
        return self.g_max_nominal_s - self.g_min_nominal_s

    @property
    def weight_factor(self) -> float:
        """ΔG per unit weight, relative to ΔG: 1 (differential) or 1/2 (reference column)."""
        return 1.0 if self.differential else 0.5

    def with_reference(self, g_cells: np.ndarray) -> np.ndarray:
        """Plastic-cell conductances (N_in, N_cell_lines) → the physical matrix (N_in, N_lines)."""
        if self.differential:
            return g_cells
        return np.concatenate([g_cells, np.full((self.n_in, 1), self.g_reference_s)], axis=1)

    def weights_from_conductances(self, g: np.ndarray) -> np.ndarray:
        """Signed weights (N_in, N_out) represented by a physical conductance matrix (N_in, N_lines)."""
        if self.differential:
            return (g[:, 0::2] - g[:, 1::2]) / self.delta_g_s
        return (g[:, : self.n_out] - g[:, -1:]) / (self.weight_factor * self.delta_g_s)

    def target_conductances(self, w: np.ndarray) -> np.ndarray:
        """Conductances (N_in, N_cell_lines) [S] of the plastic cells that represent weights w
        (centred on the channel mid-point or on G_ref)."""
        half = 0.5 * self.delta_g_s * w
        if self.differential:
            mid = 0.5 * (self.g_min_nominal_s + self.g_max_nominal_s)
            target = np.empty((self.n_in, self.n_cell_lines))
            target[:, 0::2] = mid + half
            target[:, 1::2] = mid - half
            return target
        return self.g_reference_s + half

    def cell_counts(self, counts: np.ndarray, stuck: np.ndarray) -> np.ndarray:
        """Per-cell signed pulse counts (N_cells,) int32 for weight counts (N_in, N_out): G⁺ gets
        the counts, G⁻ the opposite polarity; the ``stuck`` cells (flat indices) get none."""
        cells = np.empty(self.n_in * self.n_cell_lines, dtype=np.int32)
        scatter_cell_counts_reference(np.asarray(counts), self.differential, stuck, cells)
        return cells

    def line_roles(self) -> list[str]:
        """Role of every physical column: ``+j``/``-j`` (differential), ``j`` or ``ref``."""
        if self.differential:
            return [f"{'+' if p % 2 == 0 else '-'}{p // 2}" for p in range(self.n_lines)]
        return [str(j) for j in range(self.n_out)] + ["ref"]


@dataclass
class Cells:
    """The sampled plastic cells: their device population, per-cell channel range [S] and the
    stuck cells (flat indices) with the conductance [S] each is stuck at."""

    population: DevicePopulation
    g_min_s: np.ndarray
    g_max_s: np.ndarray
    stuck: np.ndarray
    stuck_value_s: np.ndarray


def sample_cells(config: CrossbarConfig, layout: CellLayout, rng: np.random.Generator) -> Cells:
    """Draw every cell's device (variation of the device card, or the crossbar card's ``variation``
    of G_min/G_max for ideal chain devices) and the stuck cells (``stuck.fraction`` of the cells,
    at G_min, G_max or either with probability 1/2)."""
    device, card = config.device, config.card
    n = layout.n_cells
    population = device.sample_population(n, rng)
    if population.parameters.g_min_s is not None:
        g_min, g_max = population.parameters.g_min_s, population.parameters.g_max_s
    else:
        var = card.variation or Variation()
        g_min = lognormal_jitter(rng, layout.g_min_nominal_s, var.g_min, n)
        g_max = lognormal_jitter(rng, layout.g_max_nominal_s, var.g_max, n)
        population = population.with_channel(g_min, g_max)
    n_stuck = int(round(card.stuck.fraction * n))
    stuck = np.sort(rng.choice(n, size=n_stuck, replace=False)) if n_stuck else np.empty(0, np.int64)
    at_max = {"g_min": np.zeros(n_stuck, bool), "g_max": np.ones(n_stuck, bool),
              "both": rng.random(n_stuck) < 0.5}[card.stuck.at]
    value = np.where(at_max, g_max[stuck], g_min[stuck])
    return Cells(population, g_min, g_max, stuck, value)


def cell_conductance(cells: Cells, channel: Channel, u1: np.ndarray) -> np.ndarray:
    """Noise-free conductance [S] of every plastic cell (flat) at potentials ``u1``: the cell's own
    G_min + (G_max − G_min)·s(u_1); stuck cells read their stuck value."""
    g = cells.g_min_s + (cells.g_max_s - cells.g_min_s) * channel_transfer(u1, channel.transfer)
    g = np.array(g, dtype=float)
    g[cells.stuck] = cells.stuck_value_s
    return g
