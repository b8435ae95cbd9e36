"""A STREAM-style pass (numba) over the bytes one chain step must move, with its NumPy reference:
the memory-bandwidth ceiling that ``neuromorph bench step`` compares the step kernel with.

``stream_pass``  z ← s·z (N, m) in place and w ← a (N,): reads z and a, writes z and w — exactly
                 the traffic of :func:`neuromorph.kernels.chain.eigen_step` with per-synapse
                 events (state read+write, one event and one weight per synapse), with one
                 multiply per element instead of the step's arithmetic. Parallel over rows like
                 the step, so the two see the same threads and the same memory system.

Bytes moved: 8·N·(2m + 2) (float64). McCalpin's STREAM "scale" kernel is the model (J. D.
McCalpin, *Memory bandwidth and machine balance*, IEEE TCCA Newsletter, 1995).
"""

from __future__ import annotations

from numba import prange

from ._jit import population_kernel

__all__ = ["stream_bytes", "stream_pass", "stream_pass_reference"]


@population_kernel
def stream_pass(z, scale, alpha, weight_out):
    """z ← scale·z in place, weight_out ← alpha (both per synapse row)."""
    n_syn, m = z.shape
    for n in prange(n_syn):
        for i in range(m):
            z[n, i] *= scale
        weight_out[n] = alpha[n]


def stream_pass_reference(z, scale, alpha, weight_out):
    """NumPy version of :func:`stream_pass`."""
    z *= scale
    weight_out[:] = alpha


def stream_bytes(n_synapses: int, n_variables: int) -> int:
    """Bytes :func:`stream_pass` (and one eigen step with per-synapse events) reads plus writes."""
    return 8 * n_synapses * (2 * n_variables + 2)
