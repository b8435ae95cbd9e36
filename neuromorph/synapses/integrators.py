"""Integrators for populations of chains: the solver objects behind every simulation.

Each integrator owns the per-synapse state in its own representation (mode space for the
eigenbasis integrator, u itself for the others) and offers the same three operations:

``step(x, dt, alpha, beta)``   advance by dt, then apply the event Δu_1 = α − β·u_1; returns u_1
``advance(x, duration)``       advance with no events (exact integrators jump in one go)
``decode(x)`` / ``encode(u)``  convert to and from the chain variables u (N, m)

=================  =====  ==================  ==========================================
integrator         exact  cost per step       bounds (clipping)
=================  =====  ==================  ==========================================
``eigen``          yes    O(m)                only with lower ≤ 0 ≤ upper (clips u_1 at events,
                                              which is exact: the free flow stays in the box)
``dense``          yes    O(m²)               yes, all variables after every step
``implicit_euler`` no     O(m)                yes, all variables after every step
``explicit_euler`` no     O(m)                yes; refuses dt above the stability limit
=================  =====  ==================  ==========================================

Bounds make the dynamics nonlinear, so with bounds no integrator may use the mean-field
(linear-response) shortcuts elsewhere in the toolkit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InvalidParameterError, UnstableStepError
from ..kernels import chain as kern
from .chain import ChainBatch, LinearChain

__all__ = ["INTEGRATORS", "UnstableStepError", "make_integrator", "EigenIntegrator", "DenseIntegrator",
           "ImplicitEulerIntegrator", "ExplicitEulerIntegrator"]


def _as_1d(values, n: int) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.shape[0] not in (1, n):
        raise ValueError(f"expected 1 or {n} values per synapse, got {arr.shape[0]}")
    return np.ascontiguousarray(arr)


class _Base:
    name = ""
    exact = False

    def __init__(self, chain: LinearChain, bounds: tuple[float, float] | None = None):
        self.chain = chain
        self.bounds = bounds
        self.clip = bounds is not None
        self.lower, self.upper = bounds if bounds is not None else (0.0, 0.0)

    def encode(self, u: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(u, dtype=float).copy()

    def decode(self, x: np.ndarray) -> np.ndarray:
        return x

    def read_u1(self, x: np.ndarray) -> np.ndarray:
        return self.decode(x)[:, 0].copy()


class EigenIntegrator(_Base):
    """Exact O(m) integration in the chain's eigenbasis; also takes one chain per synapse
    (a list of chains or a :class:`ChainBatch`)."""

    name = "eigen"
    exact = True

    def __init__(self, chain: LinearChain | Sequence[LinearChain] | ChainBatch, bounds=None):
        if bounds is not None and not (bounds[0] <= 0.0 <= bounds[1]):
            raise InvalidParameterError(
                f"the eigenbasis integrator supports bounds only when lower <= 0 <= upper "
                f"(got [{bounds[0]}, {bounds[1]}]); use integrator 'dense' or 'implicit_euler'")
        if isinstance(chain, LinearChain):
            first, basis = chain, chain.eigenbasis
            rates, kick, readout = basis.rates[None], basis.kick[None], basis.readout[None]
            self._transforms = (basis.to_modes[None], basis.to_state[None])
        else:
            if not isinstance(chain, ChainBatch):
                chains = list(chain)
                sizes = {c.n_variables for c in chains}
                if len(sizes) != 1:
                    raise ValueError(f"all chains of a population need the same number of variables, "
                                     f"got {sorted(sizes)}")
                chain = ChainBatch.from_chains(chains)
            # rates, kick and readout only: the (N, m, m) transforms are decomposed when
            # encode/decode first need them (a 1024² array never stores them)
            first, modes = chain.chain(0), chain.modes
            rates, kick, readout = modes.rates, modes.kick, modes.readout
            self._transforms = None
        super().__init__(first, bounds)
        self._batch = chain
        self.rates, self.kick, self.readout = (np.ascontiguousarray(a) for a in (rates, kick, readout))
        self._decay: dict[float, np.ndarray] = {}

    def _basis(self) -> tuple[np.ndarray, np.ndarray]:
        """(to_modes, to_state), decomposed on first use for a batch of chains."""
        if self._transforms is None:
            basis = self._batch.eigenbasis
            self._transforms = (basis.to_modes, basis.to_state)
        return self._transforms

    @property
    def _to_modes(self) -> np.ndarray:
        return self._basis()[0]

    @property
    def _to_state(self) -> np.ndarray:
        return self._basis()[1]

    def decay(self, dt: float) -> np.ndarray:
        """e^{λ dt} (1|N, m), cached per step length (most runs use a handful of distinct dt)."""
        key = float(dt)
        if key not in self._decay:
            if len(self._decay) > 64:
                self._decay.clear()
            self._decay[key] = np.exp(self.rates * key)
        return self._decay[key]

    def encode(self, u):
        u = np.asarray(u, dtype=float)
        if not u.any():  # rest is rest in every basis: no need to decompose a batch for it
            return np.zeros(u.shape)
        return np.ascontiguousarray(np.einsum("nij,nj->ni", np.broadcast_to(self._to_modes, (u.shape[0],) + self._to_modes.shape[1:]), u))

    def decode(self, x):
        return np.einsum("nij,nj->ni", np.broadcast_to(self._to_state, (x.shape[0],) + self._to_state.shape[1:]), x)

    def read_u1(self, x):
        return np.einsum("nm,nm->n", np.broadcast_to(self.readout, x.shape), x)

    def step(self, x, dt, alpha, beta=0.0, out=None):
        n = x.shape[0]
        out = np.empty(n) if out is None else out
        kern.eigen_step(x, self.decay(dt), self.kick, self.readout, _as_1d(alpha, n), _as_1d(beta, n),
                        self.clip, self.lower, self.upper, out)
        return out

    def advance(self, x, duration):
        x *= np.exp(self.rates * duration)

    def run(self, x, dt, alpha, beta=None):
        """T steps of ``dt`` with events alpha[t], beta[t] (each (T, 1|N)); returns u_1 (T, N)."""
        alpha = np.ascontiguousarray(np.atleast_2d(alpha), dtype=float)
        beta = np.zeros((alpha.shape[0], 1)) if beta is None else np.ascontiguousarray(np.atleast_2d(beta), float)
        weights = np.empty((alpha.shape[0], x.shape[0]))
        kern.eigen_run(x, self.decay(dt), self.kick, self.readout, alpha, beta,
                       self.clip, self.lower, self.upper, weights)
        return weights

    def run_events(self, x, offsets, times, alpha, beta, t_start, t_end):
        """Event-driven exact integration (see :func:`neuromorph.kernels.chain.eigen_event_driven`)."""
        out = np.empty(times.size)
        kern.eigen_event_driven(x, self.rates, self.kick, self.readout, offsets, times,
                                np.ascontiguousarray(alpha, float), np.ascontiguousarray(beta, float),
                                self.clip, self.lower, self.upper, float(t_start), float(t_end), out)
        return out


class DenseIntegrator(_Base):
    """Exact propagator u ← expm(A dt) u applied directly (O(m²)); the reference integrator."""

    name = "dense"
    exact = True

    def step(self, x, dt, alpha, beta=0.0, out=None):
        n = x.shape[0]
        out = np.empty(n) if out is None else out
        kern.dense_step(x, np.ascontiguousarray(self.chain.propagator(dt)), _as_1d(alpha, n), _as_1d(beta, n),
                        self.clip, self.lower, self.upper, out)
        return out

    def advance(self, x, duration):
        self.step(x, duration, 0.0)


class _SteppedBase(_Base):
    """Approximate integrators: ``advance`` takes steps of at most ``max_dt``."""

    def __init__(self, chain, bounds=None, max_dt: float | None = None):
        super().__init__(chain, bounds)
        self.max_dt = max_dt if max_dt is not None else 0.1 * float(np.min(-1.0 / chain.eigenbasis.rates))

    def advance(self, x, duration):
        n_steps = max(1, int(np.ceil(duration / self.max_dt)))
        for _ in range(n_steps):
            self.step(x, duration / n_steps, 0.0)


class ImplicitEulerIntegrator(_SteppedBase):
    """Backward Euler, (C − dt·L) u' = C u: first order, unconditionally stable, O(m)."""

    name = "implicit_euler"

    def __init__(self, chain, bounds=None, max_dt=None):
        super().__init__(chain, bounds, max_dt)
        self._factors: dict[float, tuple] = {}

    def step(self, x, dt, alpha, beta=0.0, out=None):
        n = x.shape[0]
        out = np.empty(n) if out is None else out
        if dt not in self._factors:
            self._factors[dt] = kern.thomas_factor(self.chain.capacities, self.chain.couplings, dt)
        sub, inv_pivot, upper_mod = self._factors[dt]
        kern.implicit_euler_step(x, self.chain.capacities, sub, inv_pivot, upper_mod, _as_1d(alpha, n),
                                 _as_1d(beta, n), self.clip, self.lower, self.upper, out)
        return out


class ExplicitEulerIntegrator(_SteppedBase):
    """Forward Euler u' = u + dt·A u, stable only for dt ≤ 2/max|λ|; larger steps are refused."""

    name = "explicit_euler"

    def __init__(self, chain, bounds=None, max_dt=None):
        limit = chain.stability_limit()
        super().__init__(chain, bounds, max_dt if max_dt is not None else 0.5 * limit)
        self.check(self.max_dt)

    def check(self, dt: float) -> None:
        limit = self.chain.stability_limit()
        if dt > limit:
            unit = self.chain.time_unit_s
            raise UnstableStepError(
                f"explicit Euler step dt = {dt * unit:.4g} s exceeds the stability limit "
                f"2/max|λ| = {limit * unit:.4g} s of this chain (fastest timescale "
                f"{unit / np.max(np.abs(self.chain.eigenbasis.rates)):.4g} s); use a smaller step or "
                f"integrator 'eigen' (exact) or 'implicit_euler' (stable)")

    def step(self, x, dt, alpha, beta=0.0, out=None):
        self.check(dt)
        n = x.shape[0]
        out = np.empty(n) if out is None else out
        kern.explicit_euler_step(x, self.chain.capacities, self.chain.couplings, float(dt), _as_1d(alpha, n),
                                 _as_1d(beta, n), self.clip, self.lower, self.upper, out)
        return out


INTEGRATORS = {
    "eigen": EigenIntegrator,
    "dense": DenseIntegrator,
    "implicit_euler": ImplicitEulerIntegrator,
    "explicit_euler": ExplicitEulerIntegrator,
}


def make_integrator(name: str, chain, bounds=None, **kwargs):
    """Build an integrator by name (one of :data:`INTEGRATORS`)."""
    try:
        cls = INTEGRATORS[name]
    except KeyError:
        raise InvalidParameterError(f"unknown integrator {name!r}; expected one of: {', '.join(INTEGRATORS)}") from None
    if cls is not EigenIntegrator and not isinstance(chain, LinearChain):
        raise InvalidParameterError(f"integrator {name!r} needs one shared chain; use 'eigen' for populations with "
                         "device-to-device variation")
    return cls(chain, bounds, **kwargs)
