"""Autoassociative familiarity network of chain synapses (Ji-An, Stefanini, Benna & Fusi,
iScience 26:105856, 2023).

N neurons; neuron i has a synapse from every other neuron j (optionally only from a random
fraction of them) plus a bias; every synapse and bias is a chain of m variables u_1..u_m whose
dynamics per stored item is u ← T u with T = I + A, A = C⁻¹L the chain operator in units of one
item (the authors' per-item Euler step; :func:`published_chain` gives their geometric chain). The
weight is the first variable, w_ij = u_1,ij. Storage and read-out run in the numba kernels of
:mod:`neuromorph.kernels.familiarity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import InvalidParameterError, StoreError
from ...kernels.backend import network_state
from ...kernels.familiarity import recurrent_readout, store_items
from ...synapses.chain import LinearChain

__all__ = ["SynapseModel", "published_chain", "FamiliarityNetwork", "key_from_seed"]


def published_chain(n_variables: int, leak: float = 1.0) -> LinearChain:
    """The authors' geometric chain in units of one item: C_k = 2^(k−1), g_{k,k+1} = 2^−(k+2)
    (g_12 = 1/8), leak to ground g_{m,m+1} = leak·2^−(m+2). m = 1 is the published "simple"
    synapse u ← (1 − 1/8)·u + Δ."""
    k = np.arange(1, n_variables + 1, dtype=float)
    capacities = 2.0 ** (k - 1)
    couplings = 2.0 ** -(k + 2)
    couplings[-1] *= leak
    return LinearChain(capacities=capacities, couplings=couplings)


@dataclass(frozen=True)
class SynapseModel:
    """One synapse type.

    chain:     the chain (capacities, couplings) in units of one stored item
    levels:    discretise every variable to this many levels by stochastic rounding (0 = continuous;
               the paper uses 32: values ±0.5 … ±15.5)
    bound:     clamp every variable to [−bound, bound] (0 = unbounded); the paper: (levels − 1)/2
    q:         stochastic learning rate: each synapse keeps an item's update (and its dynamics
               step) with probability q, else stays unchanged (1 = deterministic)
    q_in_burn_in: apply q also during burn-in (the authors do not)
    label:     name used in outputs
    """

    chain: LinearChain
    levels: int = 32
    bound: float = 15.5
    q: float = 1.0
    q_in_burn_in: bool = False
    label: str = "synapse"

    def __post_init__(self) -> None:
        if self.levels < 0 or self.levels == 1:
            raise InvalidParameterError(f"levels: expected 0 (continuous) or >= 2, got {self.levels}")
        if not self.bound >= 0:
            raise InvalidParameterError(f"bound: expected >= 0 (0 = unbounded), got {self.bound}")
        if not 0.0 < self.q <= 1.0:
            raise InvalidParameterError(f"q: expected 0 < q <= 1, got {self.q}")
        diag, lower, upper = self.tridiagonal()
        if np.any(diag < 0):
            raise InvalidParameterError(
                "the chain is too fast for one Euler step per item (a diagonal entry of T = I + A is "
                f"negative: {diag}); slow the chain down")

    @property
    def n_variables(self) -> int:
        return self.chain.n_variables

    def transition(self) -> np.ndarray:
        """T = I + A (m×m), the per-item chain dynamics."""
        return np.eye(self.n_variables) + self.chain.operator()

    def tridiagonal(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(diag, lower, upper) of T: lower[k] = T[k, k−1] (lower[0] = 0), upper[k] = T[k, k+1]."""
        t = self.transition()
        m = self.n_variables
        lower = np.zeros(m)
        upper = np.zeros(m)
        lower[1:] = np.diag(t, -1)
        upper[:-1] = np.diag(t, 1)
        return np.ascontiguousarray(np.diag(t)), lower, upper


def key_from_seed(seed: int, stream: int = 0) -> np.uint64:
    """The 64-bit key of the kernels' counter-based generator for ``seed`` (and a sub-stream)."""
    return np.uint64(np.random.SeedSequence([int(seed), 0xFA41, int(stream)]).generate_state(1, np.uint64)[0])


class FamiliarityNetwork:
    """N neurons, dense chain synapses (state (N, N, m) float64, biases on the diagonal).

    ``connectivity`` < 1: every neuron receives synapses from round(N·connectivity) − 1 randomly
    chosen other neurons (the authors' ``pre_feature_ratio``).

    ``backend`` ``cuda``: the state lives on the GPU and items are stored there
    (:func:`neuromorph.kernels.cuda.familiarity.store_items`, the same numbers bit for bit); it is
    copied back to ``state`` only when read (probes, weights, checkpoints)."""

    def __init__(self, n_neurons: int, synapse: SynapseModel, connectivity: float = 1.0, seed: int = 0,
                 backend: str = "cpu"):
        if n_neurons < 2:
            raise InvalidParameterError(f"neurons: expected >= 2, got {n_neurons}")
        if not 0.0 < connectivity <= 1.0:
            raise InvalidParameterError(f"connectivity: expected 0 < c <= 1, got {connectivity}")
        self.n_neurons = int(n_neurons)
        self.synapse = synapse
        self.connectivity = float(connectivity)
        self.key = key_from_seed(seed)
        n = self.n_neurons
        mask = np.ones((n, n), dtype=bool)
        if connectivity < 1.0:
            rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xC0AA]))
            partners = max(int(round(n * connectivity)) - 1, 1)
            mask[:] = False
            for i in range(n):
                others = np.delete(np.arange(n), i)
                mask[i, rng.choice(others, size=partners, replace=False)] = True
        np.fill_diagonal(mask, True)
        self.mask = mask
        self.n_connections = int(mask.sum() - n)
        self.state = np.zeros((n, n, synapse.n_variables))
        self.items_stored = 0
        self._diag, self._lower, self._upper = synapse.tridiagonal()
        self._device = network_state(backend, self.state, mask, self._lower, self._diag, self._upper)
        self._host_stale = False

    def _sync(self) -> None:
        """Bring ``state`` up to date with the GPU copy (cuda backend; nothing on cpu)."""
        if self._host_stale:
            self._device.to_host(self.state)
            self._host_stale = False

    @property
    def weights(self) -> np.ndarray:
        """w_ij = u_1,ij (N×N; diagonal: biases)."""
        self._sync()
        return self.state[:, :, 0]

    def store(self, items: np.ndarray, learning: bool = True) -> None:
        """Store ``items`` (n, N) ±1 in order; ``learning`` False (burn-in) skips the stochastic
        learning rate unless the model applies it in burn-in."""
        items = np.ascontiguousarray(items, dtype=np.int8)
        if items.ndim != 2 or items.shape[1] != self.n_neurons:
            raise InvalidParameterError(f"items: expected shape (n, {self.n_neurons}), got {items.shape}")
        if items.shape[0] == 0:
            return
        syn = self.synapse
        q = syn.q if (learning or syn.q_in_burn_in) else 1.0
        if self._device is not None:
            self._device.store(items, self.items_stored, self.key, float(q), int(syn.levels), float(syn.bound))
            self._host_stale = True
        else:
            store_items(self.state, self.mask, items, self.items_stored, self.key, self._lower, self._diag,
                        self._upper, float(q), int(syn.levels), float(syn.bound))
        self.items_stored += items.shape[0]

    def probe(self, probes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(r, io) for each row of ``probes`` (P, N) ±1: r-signal 1 − 2·Hamming fraction between the
        probe and the memory after one recurrent step; io-signal mean over synapses of w_ij·y_i·y_j."""
        probes = np.ascontiguousarray(np.atleast_2d(probes), dtype=np.int8)
        self._sync()
        return recurrent_readout(self.state, self.mask, probes, float(self.n_connections))

    # checkpoints ---------------------------------------------------------------------------------
    def save(self, path: str | Path, extra: dict | None = None) -> None:
        """Write the state atomically (``.npz``) so a long stream can resume."""
        from ...outputs import write_npz

        self._sync()
        write_npz({"state": self.state, "mask": self.mask, "items_stored": self.items_stored,
                   "key": np.array(self.key, dtype=np.uint64), **(extra or {})}, Path(path))

    def restore(self, path: str | Path) -> dict:
        """Load a checkpoint written by :meth:`save`; returns its extra arrays. A checkpoint that
        fails its checksum or cannot be read raises :class:`~neuromorph.errors.CorruptStoreError`."""
        from ...outputs import read_npz

        arrays = read_npz(path, "familiarity checkpoint")
        if arrays is None:
            raise StoreError(f"{path}: no familiarity checkpoint there")
        if arrays["state"].shape != self.state.shape or not np.array_equal(arrays["mask"], self.mask) \
                or np.uint64(arrays["key"]) != self.key:
            raise StoreError(f"{path}: checkpoint belongs to another network or seed; delete it or use another output")
        self.state[...] = arrays.pop("state")
        if self._device is not None:
            self._device.from_host(self.state)
            self._host_stale = False
        self.items_stored = int(arrays.pop("items_stored"))
        arrays.pop("mask"), arrays.pop("key")
        return arrays
