"""The linear chain of communicating vessels behind every Benna–Fusi synapse.

    C_k du_k/dt = g_{k-1,k}(u_{k-1} − u_k) + g_{k,k+1}(u_{k+1} − u_k),   k = 1..m,
    g_{0,1} = 0 (nothing before u_1),  u_{m+1} = 0 (leak to ground through g_{m,m+1}).

In matrix form du/dt = A u with A = C⁻¹ L, where L is the symmetric, tridiagonal conductance
(negative graph-Laplacian-plus-leak) matrix. The similarity transform w = C^{1/2} u gives
dw/dt = S w with S = C^{-1/2} L C^{-1/2} symmetric, so S = V Λ Vᵀ with real eigenvalues
λ_i ≤ 0 and orthonormal V: the chain's relaxation timescales are τ_i = −1/λ_i. In eigen
coordinates z = Vᵀ C^{1/2} u each mode decays independently, z_i(t) = e^{λ_i t} z_i(0), which is
what makes the O(m) exact integrator in :mod:`neuromorph.kernels.chain` possible.

Units are whatever the caller uses consistently: SI (F, S, V, s) for physical devices,
dimensionless chain units for the abstract model (then ``time_unit_s`` converts to seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.linalg

from ..kernels.tridiagonal import dense_tridiagonals

__all__ = ["LinearChain", "ChainBatch", "ChainEigenbasis", "ChainModes"]


@dataclass(frozen=True)
class ChainEigenbasis:
    """Eigen-decomposition of a chain (or, with a leading axis N, of a :class:`ChainBatch`),
    everything an O(m) integrator needs.

    rates:    λ_i (m,), ascending, all ≤ 0 [1/time]
    to_modes: T = Vᵀ C^{1/2} (m×m), z = T u
    to_state: T⁻¹ = C^{-1/2} V (m×m), u = T⁻¹ z
    kick:     T e_1 (m,), the mode-space image of a unit change of u_1
    readout:  row 0 of T⁻¹ (m,), u_1 = readout · z
    """

    rates: np.ndarray
    to_modes: np.ndarray
    to_state: np.ndarray

    @property
    def kick(self) -> np.ndarray:
        return self.to_modes[..., :, 0]

    @property
    def readout(self) -> np.ndarray:
        return self.to_state[..., 0, :]


@dataclass(frozen=True)
class ChainModes:
    """The mode-space coefficients of N chains, (N, m) each: ``rates`` λ_i [1/time], ``kick``
    (T e_1, the image of a unit change of u_1) and ``readout`` (row 0 of T⁻¹, u_1 = readout·z)."""

    rates: np.ndarray
    kick: np.ndarray
    readout: np.ndarray


def _zero_rounding_modes(rates: np.ndarray) -> None:
    """A closed chain has an exact zero mode; rounding leaves ~1e-17 of either sign: set it to 0
    (in place, per chain, relative to the chain's fastest rate)."""
    scale = np.max(np.abs(rates), axis=1, keepdims=True)
    rates[np.abs(rates) < 1e-13 * scale] = 0.0


@dataclass(frozen=True)
class LinearChain:
    """Chain parameters: ``capacities`` C_k (m,) and ``couplings`` g_{k,k+1} (m,), where
    ``couplings[-1]`` is the leak g_{m,m+1} (0 for a closed chain). ``time_unit_s`` is the
    length of one time unit in seconds (1 for SI devices)."""

    capacities: np.ndarray
    couplings: np.ndarray
    time_unit_s: float = 1.0
    _cache: dict = field(default_factory=dict, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        c = np.atleast_1d(np.asarray(self.capacities, dtype=float))
        g = np.atleast_1d(np.asarray(self.couplings, dtype=float))
        if c.ndim != 1 or c.size < 1:
            raise ValueError("capacities must be a non-empty 1-D array (one per variable)")
        if g.shape != c.shape:
            raise ValueError(f"couplings must have one entry per variable ({c.size}: g_12..g_m,leak), "
                             f"got {g.size}")
        if not np.all(np.isfinite(c)) or np.any(c <= 0):
            raise ValueError(f"capacities must be finite and > 0, got {c}")
        if not np.all(np.isfinite(g)) or np.any(g < 0):
            raise ValueError(f"couplings must be finite and >= 0, got {g}")
        if c.size > 1 and np.any(g[:-1] == 0):
            raise ValueError("an internal coupling g_{k,k+1} is 0: the chain would split in two")
        if not (np.isfinite(self.time_unit_s) and self.time_unit_s > 0):
            raise ValueError(f"time_unit_s must be > 0, got {self.time_unit_s}")
        c.setflags(write=False)
        g.setflags(write=False)
        object.__setattr__(self, "capacities", c)
        object.__setattr__(self, "couplings", g)

    @property
    def n_variables(self) -> int:
        return self.capacities.size

    @property
    def has_leak(self) -> bool:
        return bool(self.couplings[-1] > 0)

    def conductance_matrix(self) -> np.ndarray:
        """L (m×m), symmetric: L_kk = −(g_{k-1,k} + g_{k,k+1}), L_{k,k+1} = g_{k,k+1}."""
        g = self.couplings
        left = np.concatenate(([0.0], g[:-1]))
        lap = np.diag(-(left + g))
        off = g[:-1]
        lap += np.diag(off, 1) + np.diag(off, -1)
        return lap

    def operator(self) -> np.ndarray:
        """A = C⁻¹ L, so that du/dt = A u (units 1/time)."""
        return self.conductance_matrix() / self.capacities[:, None]

    def symmetric_tridiagonal(self) -> tuple[np.ndarray, np.ndarray]:
        """Diagonal and off-diagonal of S = C^{-1/2} L C^{-1/2}."""
        g, c = self.couplings, self.capacities
        left = np.concatenate(([0.0], g[:-1]))
        diag = -(left + g) / c
        off = g[:-1] / np.sqrt(c[:-1] * c[1:])
        return diag, off

    @cached_property
    def eigenbasis(self) -> ChainEigenbasis:
        diag, off = self.symmetric_tridiagonal()
        if self.n_variables == 1:
            rates, vecs = diag.copy(), np.ones((1, 1))
        else:
            rates, vecs = scipy.linalg.eigh_tridiagonal(diag, off)
        # a closed chain has an exact zero mode; rounding leaves ~1e-17 of either sign
        rates = np.where(np.abs(rates) < 1e-13 * np.max(np.abs(rates)), 0.0, rates)
        sqrt_c = np.sqrt(self.capacities)
        to_modes = vecs.T * sqrt_c[None, :]
        to_state = vecs / sqrt_c[:, None]
        return ChainEigenbasis(rates=rates, to_modes=to_modes, to_state=to_state)

    def timescales(self) -> np.ndarray:
        """Relaxation timescales τ_i = −1/λ_i in **seconds**, longest first (inf for a zero mode)."""
        rates = self.eigenbasis.rates
        tau = np.full(rates.shape, np.inf)
        tau[rates < 0] = -1.0 / rates[rates < 0]
        return np.sort(tau)[::-1] * self.time_unit_s

    def stage_time_constants(self) -> np.ndarray:
        """Per-compartment RC constants τ_k = C_k / g_{k,k+1} in seconds (inf where g = 0)."""
        with np.errstate(divide="ignore"):
            return np.where(self.couplings > 0, self.capacities / self.couplings, np.inf) * self.time_unit_s

    def stability_limit(self) -> float:
        """Largest stable explicit-Euler step (time units): |1 + λ_i dt| ≤ 1 ⇔ dt ≤ 2 / max|λ_i|."""
        return 2.0 / float(np.max(np.abs(self.eigenbasis.rates)))

    def propagator(self, dt: float) -> np.ndarray:
        """P(dt) = exp(A·dt), computed through the symmetric eigenbasis (exact, cached per dt)."""
        key = ("P", float(dt))
        if key not in self._cache:
            basis = self.eigenbasis
            self._cache[key] = (basis.to_state * np.exp(basis.rates * dt)[None, :]) @ basis.to_modes
        return self._cache[key]

    def total_charge(self, u: np.ndarray) -> np.ndarray:
        """Σ_k C_k u_k (conserved when the leak is 0)."""
        return np.asarray(u) @ self.capacities

    def response_to_unit_event(self, t: np.ndarray) -> np.ndarray:
        """u_1(t) after u_1 += 1 at t = 0 from rest: Σ_i readout_i · kick_i · e^{λ_i t} (t ≥ 0)."""
        basis = self.eigenbasis
        weights = basis.readout * basis.kick
        return np.exp(np.multiply.outer(np.asarray(t, float), basis.rates)) @ weights


@dataclass(frozen=True)
class ChainBatch:
    """N chains with the same m but their own parameters (device-to-device variation), stored as
    arrays ``capacities`` (N, m) and ``couplings`` (N, m). The eigen-decomposition of all N
    symmetric tridiagonal operators is one call of a batched numba tridiagonal eigensolver, so a
    million cells of a crossbar cost a fraction of a second, not a Python loop."""

    capacities: np.ndarray
    couplings: np.ndarray
    time_unit_s: float = 1.0

    def __post_init__(self) -> None:
        c = np.asarray(self.capacities, dtype=float)
        g = np.asarray(self.couplings, dtype=float)
        if c.ndim != 2 or c.shape != g.shape or c.shape[1] < 1:
            raise ValueError(f"capacities and couplings must both be (N, m) arrays, got {c.shape} and {g.shape}")
        if c.size:  # min/max reductions (NaN propagates into both): no (N, m) temporaries
            if not (c.min() > 0 and c.max() < np.inf):
                raise ValueError("capacities must be finite and > 0")
            if not (g.min() >= 0 and g.max() < np.inf) or (c.shape[1] > 1 and not g[:, :-1].min() > 0):
                raise ValueError("couplings must be finite, >= 0, and non-zero inside the chain")
        object.__setattr__(self, "capacities", c)
        object.__setattr__(self, "couplings", g)

    @classmethod
    def from_chains(cls, chains: list[LinearChain]) -> "ChainBatch":
        units = {c.time_unit_s for c in chains}
        if len(units) != 1:
            raise ValueError("all chains of a batch need the same time unit")
        return cls(np.stack([c.capacities for c in chains]), np.stack([c.couplings for c in chains]), units.pop())

    def __len__(self) -> int:
        return self.capacities.shape[0]

    @property
    def n_variables(self) -> int:
        return self.capacities.shape[1]

    def chain(self, index: int) -> LinearChain:
        return LinearChain(self.capacities[index], self.couplings[index], self.time_unit_s)

    def symmetric_matrices(self) -> np.ndarray:
        """S = C^{-1/2} L C^{-1/2} of every chain as dense (N, m, m) arrays [1/time unit]."""
        return dense_tridiagonals(*self.symmetric_tridiagonals())

    def symmetric_tridiagonals(self) -> tuple[np.ndarray, np.ndarray]:
        """Diagonals (N, m) and off-diagonals (N, m-1) of every S = C^{-1/2} L C^{-1/2} (the
        assembly :attr:`modes` does per chain inside its kernel, same IEEE operations)."""
        from ..kernels.chain_modes import chain_tridiagonals_reference

        return chain_tridiagonals_reference(self.capacities, self.couplings)

    @cached_property
    def modes(self) -> ChainModes:
        """Rates (N, m), kick and readout (N, m) of every chain — all the O(m) integrator needs —
        without the (N, m, m) eigenvectors, straight from the capacities and couplings
        (:func:`neuromorph.kernels.chain_modes.chain_modes`: Newton on the Sturm recurrence
        started from Rayleigh quotients at a neighbouring chain's eigenvectors, implicit QL where
        it does not settle; O(N·m) memory). The same numbers as the rows of :attr:`eigenbasis` to rounding (rates to
        ~ε·‖S‖, first components to the Davis–Kahan bound), same sign convention, not bit for bit
        (two algorithms); taken from :attr:`eigenbasis` when that is already decomposed."""
        if "eigenbasis" in self.__dict__:  # already decomposed in full: take the rows from it
            basis = self.eigenbasis
            return ChainModes(basis.rates, np.ascontiguousarray(basis.kick), np.ascontiguousarray(basis.readout))
        from ..kernels.chain_modes import chain_modes

        c = self.capacities
        n, m = c.shape
        rates, kick, readout = np.empty((n, m)), np.empty((n, m)), np.empty((n, m))
        chain_modes(np.ascontiguousarray(c), np.ascontiguousarray(self.couplings), rates, kick, readout,
                    np.empty(n, dtype=np.uint8))
        failed = np.flatnonzero(np.isnan(rates[:, 0]))
        if failed.size:  # never seen: redo those chains with LAPACK, as eigenbasis does
            r, vecs = np.linalg.eigh(self.symmetric_matrices()[failed])
            root = np.sqrt(c[failed, :1])
            _zero_rounding_modes(r)  # the kernel did this for the others
            rates[failed], kick[failed], readout[failed] = r, vecs[:, 0, :] * root, vecs[:, 0, :] / root
        return ChainModes(rates, kick, readout)

    @cached_property
    def eigenbasis(self) -> ChainEigenbasis:
        """Batched eigenbasis: rates (N, m), to_modes and to_state (N, m, m).

        All N symmetric tridiagonal S are decomposed by the numba implicit-QL kernel
        :func:`neuromorph.kernels.tridiagonal_eigen.eigh_tridiagonal` (tested against
        ``numpy.linalg.eigh``); a matrix on which QL fails to converge (never seen) is redone by
        ``numpy.linalg.eigh``."""
        from ..kernels.tridiagonal_eigen import eigh_tridiagonal, similarity_transforms

        c = self.capacities
        n, m = c.shape
        diag, off = self.symmetric_tridiagonals()
        rates, vecs = np.empty((n, m)), np.empty((n, m, m))
        eigh_tridiagonal(np.ascontiguousarray(diag), np.ascontiguousarray(off), np.empty((n, m)), rates, vecs)
        failed = np.flatnonzero(np.isnan(rates[:, 0]))
        if failed.size:
            rates[failed], vecs[failed] = np.linalg.eigh(self.symmetric_matrices()[failed])
        _zero_rounding_modes(rates)
        to_modes = np.empty_like(vecs)
        similarity_transforms(vecs, np.sqrt(c), to_modes)  # vecs becomes to_state, in place
        return ChainEigenbasis(rates=rates, to_modes=to_modes, to_state=vecs)

    def timescales(self) -> np.ndarray:
        """(N, m) relaxation timescales in seconds, longest first per chain."""
        rates = self.eigenbasis.rates
        tau = np.full(rates.shape, np.inf)
        tau[rates < 0] = -1.0 / rates[rates < 0]
        return -np.sort(-tau, axis=1) * self.time_unit_s
