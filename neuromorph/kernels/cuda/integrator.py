"""The eigenbasis integrator on the GPU: the state of N chains lives in device memory, (m, N)
mode-space values (layout: :mod:`neuromorph.kernels.cuda._device`), across every step; it is
copied to the host only when read (:meth:`decode`, :meth:`read_u1`).

:class:`CudaEigenIntegrator` has the interface of the CPU
:class:`~neuromorph.synapses.integrators.EigenIntegrator` it wraps (``encode``, ``decode``,
``read_u1``, ``step``, ``advance``, ``run``, ``run_events``) and takes its parameters from it
(rates λ, kick k = T⁻¹e_1, readout r = (T)_{1,:}, clip and bounds): the same equations, run by the
kernels of :mod:`neuromorph.kernels.cuda.chain`. Per-step inputs (event sizes α, β, event lists)
are drawn on the host and uploaded; ``step``/``run``/``run_events`` return device arrays of u_1
(no copy back unless the caller reads them).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from . import chain as ck
from ._device import THREADS_PER_BLOCK, blocks_for, from_device_layout, to_device_layout

__all__ = ["CudaEigenIntegrator"]


@cuda.jit
def _scale_modes(z, decay):
    """z[i, n] *= decay[i, n or 0]: free decay of every mode (no event)."""
    n = cuda.grid(1)
    if n >= z.shape[1]:
        return
    cd = n if decay.shape[1] > 1 else 0
    for i in range(z.shape[0]):
        z[i, n] *= decay[i, cd]


@cuda.jit
def _read_u1(z, readout, out):
    """out[n] = Σ_i readout[i, n or 0]·z[i, n]: u_1 of every synapse, summed in the CPU's order."""
    n = cuda.grid(1)
    if n >= z.shape[1]:
        return
    cr = n if readout.shape[1] > 1 else 0
    u1 = 0.0
    for i in range(z.shape[0]):
        u1 += readout[i, cr] * z[i, n]
    out[n] = u1


def _vector(values, n: int):
    """α or β as a device vector of 1 or n float64 (a scalar is shared)."""
    arr = np.ascontiguousarray(np.atleast_1d(np.asarray(values, dtype=float)))
    if arr.ndim != 1 or arr.shape[0] not in (1, n):
        raise ValueError(f"expected 1 or {n} values per synapse, got shape {arr.shape}")
    return cuda.to_device(arr)


class CudaEigenIntegrator:
    """GPU twin of a CPU eigenbasis integrator (see the module docstring)."""

    name = "eigen"
    exact = True
    backend = "cuda"

    def __init__(self, host):
        self.host = host
        self.chain, self.bounds, self.clip = host.chain, host.bounds, host.clip
        self.lower, self.upper = float(host.lower), float(host.upper)
        self.rates = np.ascontiguousarray(host.rates)          # host copy (1|N, m), for decay factors
        self.kick = np.ascontiguousarray(host.kick)
        self.readout = np.ascontiguousarray(host.readout)
        self._rates = to_device_layout(self.rates)             # (m, 1|N) on the device
        self._kick = to_device_layout(self.kick)
        self._readout = to_device_layout(self.readout)
        self._decay: dict[float, object] = {}

    # ---- representation ------------------------------------------------------------------------
    def encode(self, u: np.ndarray):
        """u (N, m) on the host -> mode-space state (m, N) on the device."""
        return to_device_layout(self.host.encode(u))

    def decode(self, x) -> np.ndarray:
        """Device state -> u (N, m) on the host (one copy back)."""
        return self.host.decode(from_device_layout(x))

    def read_u1(self, x) -> np.ndarray:
        """u_1 = r·z (N,) computed on the device; only the N values are copied to the host."""
        out = cuda.device_array(x.shape[1])
        _read_u1[blocks_for(x.shape[1]), THREADS_PER_BLOCK](x, self._readout, out)
        return out.copy_to_host()

    def decay(self, dt: float):
        """e^{λ dt} (m, 1|N) on the device, cached per step length."""
        key = float(dt)
        if key not in self._decay:
            if len(self._decay) > 64:
                self._decay.clear()
            self._decay[key] = to_device_layout(np.exp(self.rates * key))
        return self._decay[key]

    # ---- time and events -----------------------------------------------------------------------
    def step(self, x, dt, alpha, beta=0.0, out=None):
        """Advance by dt, then the event Δu_1 = α − β·u_1; returns u_1 (N,) as a device array."""
        n = x.shape[1]
        out = cuda.device_array(n) if out is None else out
        ck.eigen_step(x, self.decay(dt), self._kick, self._readout, _vector(alpha, n), _vector(beta, n),
                      self.clip, self.lower, self.upper, out)
        return out

    def advance(self, x, duration):
        """Free decay of every mode for ``duration`` (chain time units)."""
        _scale_modes[blocks_for(x.shape[1]), THREADS_PER_BLOCK](x, to_device_layout(np.exp(self.rates * duration)))

    def run(self, x, dt, alpha, beta=None):
        """T steps of ``dt`` with events alpha[t], beta[t] ((T, 1|N) each); returns u_1 (T, N) on
        the device."""
        alpha = np.ascontiguousarray(np.atleast_2d(alpha), dtype=float)
        beta = np.zeros((alpha.shape[0], 1)) if beta is None else np.ascontiguousarray(np.atleast_2d(beta), float)
        weights = cuda.device_array((alpha.shape[0], x.shape[1]))
        ck.eigen_run(x, self.decay(dt), self._kick, self._readout, cuda.to_device(alpha), cuda.to_device(beta),
                     self.clip, self.lower, self.upper, weights)
        return weights

    def run_events(self, x, offsets, times, alpha, beta, t_start, t_end):
        """Event-driven exact integration of CSR event lists (see
        :func:`neuromorph.kernels.cuda.chain.eigen_event_driven`); returns u_1 after each event on
        the device."""
        out = cuda.device_array(max(int(np.size(times)), 1))
        ck.eigen_event_driven(x, self._rates, self._kick, self._readout,
                              cuda.to_device(np.ascontiguousarray(offsets, np.int64)),
                              cuda.to_device(np.ascontiguousarray(times, float) if np.size(times) else np.zeros(1)),
                              cuda.to_device(np.ascontiguousarray(alpha, float) if np.size(alpha) else np.zeros(1)),
                              cuda.to_device(np.ascontiguousarray(beta, float) if np.size(beta) else np.zeros(1)),
                              self.clip, self.lower, self.upper, float(t_start), float(t_end), out)
        return out
