r"""A learned matrix stored on m independent single-array tiles, read as their mean: the
matched-variables baseline of Benna & Fusi (2016).

Benna & Fusi compare an m-variable chain with the fair alternative of the *same number of
dynamical variables*: m independent single-timescale synapses per weight, read as their mean,
each written with its own independent stochastic pulses (Benna, M. K. & Fusi, S. (2016)
"Computational principles of synaptic memory consolidation", Nat. Neurosci. 19, 1697-1706).
Here the weight of a network is

    M = (1/m) Σ_{k=1..m} M_k            (``cells_per_weight`` = m replicas of the card's array)

In hardware: m cells per weight on m separate column lines (or m arrays) sharing the row
drivers; the column currents of the m replicas are combined into one output. Every replica is a
:class:`~neuromorph.crossbar.CrossbarArray` of the same card with its own seed (its own
device-to-device variation, stuck cells, write and read noise streams), so nothing inside the
crossbar changes.

Reads. Forward y = Mᵀx and transposed y = M x are the mean of the m replicas' reads, each with
its own read noise and its own ADC, averaged digitally. *Separate ADCs per replica are a
modelling choice*: independent output noise (σ per replica) averages to σ/√m on the mean, and
each replica's quantisation error is its own; a shared ADC after summing the m column currents
would add the output noise once (σ/m relative to the mean), quantise once with the same step
relative to the mean as one array (the full-scale range grows with m), and need one conversion
instead of m. Converter energy is not counted by the tile counters either way.

Writes. ΔM = −η Σ_b p_bᵀ q_b is written *with the same η* to every replica, each with its own
independent pulse draws (stochastic scheme: own Bernoulli streams per column line), so
E[ΔM_k] = the intended ΔM for every k and E[ΔM] is unchanged while the variance of ΔM per weight
shrinks as 1/m (independent draws; with deterministic rounding all replicas write the same
counts and nothing averages). The smallest step of the mean weight is Δw_min/m.

Explicit decay: each replica receives the pulses of −factor·M_k, so the mean decays by
−factor·M (up to the per-replica rounding).

Counters (shared :class:`~.tiles.TileCounters`): every replica's reads, read energy, rank-1
writes, pulses and write energy are added — m× the cells, reads of all replicas. Device time:
the replicas are written in the same update slot and read in the same read slot (parallel
column lines), so a step's time is one replica's, not m×.
"""

from __future__ import annotations

import numpy as np

from .tiles import TileMatrix

__all__ = ["ReplicatedTile", "replica_seed"]


def replica_seed(tile_seed: int, k: int) -> int:
    """Seed of replica k of a tile: the tile's own seed for k = 0 (so one replica is the plain
    tile), an independent 32-bit draw of SeedSequence([tile_seed, k]) for k ≥ 1."""
    if k == 0:
        return int(tile_seed)
    return int(np.random.SeedSequence([int(tile_seed), int(k)]).generate_state(1, dtype=np.uint32)[0])


class ReplicatedTile:
    """One learned matrix M = mean of m :class:`TileMatrix` replicas (see the module docstring)."""

    def __init__(self, replicas: list[TileMatrix]):
        if len(replicas) < 2:
            raise ValueError(f"a replicated tile needs at least 2 replicas (got {len(replicas)})")
        shapes = {r.shape for r in replicas}
        if len(shapes) != 1:
            raise ValueError(f"replicas of one tile must have one shape (got {sorted(shapes)})")
        self.replicas = list(replicas)
        self.explicit_decay = replicas[0].explicit_decay

    @property
    def cells_per_weight(self) -> int:
        return len(self.replicas)

    @property
    def shape(self) -> tuple[int, int]:
        return self.replicas[0].shape

    @property
    def arrays(self) -> list:
        return [r.array for r in self.replicas]

    def set_weights(self, matrix: np.ndarray) -> None:
        """Program every replica to ``matrix`` (their mean is then ``matrix`` up to programming error)."""
        for r in self.replicas:
            r.set_weights(matrix)

    def value(self) -> np.ndarray:
        return np.mean([r.value() for r in self.replicas], axis=0)

    def right(self, v: np.ndarray) -> np.ndarray:
        """v @ M: the mean of the m replicas' forward reads."""
        return np.mean([r.right(v) for r in self.replicas], axis=0)

    def left(self, u: np.ndarray) -> np.ndarray:
        """u @ Mᵀ: the mean of the m replicas' transposed reads."""
        return np.mean([r.left(u) for r in self.replicas], axis=0)

    def write(self, p: np.ndarray, q: np.ndarray, learning_rate: float) -> None:
        """The same intended ΔM = −η Σ_b p_bᵀ q_b on every replica, with independent pulse draws."""
        for r in self.replicas:
            r.write(p, q, learning_rate)

    def decay(self, factor: float) -> None:
        for r in self.replicas:
            r.decay(factor)

    def snapshot(self) -> dict[str, np.ndarray]:
        return {f"r{k}/{key}": v for k, r in enumerate(self.replicas) for key, v in r.snapshot().items()}

    def restore(self, state: dict) -> None:
        for k, r in enumerate(self.replicas):
            prefix = f"r{k}/"
            r.restore({key[len(prefix):]: v for key, v in state.items() if key.startswith(prefix)})
