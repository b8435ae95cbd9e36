"""Shared pieces of the CUDA kernels: launch geometry, the device-array layout and scalar helpers
that behave the same on a GPU and in numba's CUDA simulator.

Layout on the device
--------------------
Host arrays are (N, m) (one row per synapse, :mod:`neuromorph.kernels.chain`). On the device the
same numbers are stored transposed, (m, N): thread n handles synapse n, and when a warp reads
variable i of its 32 synapses it reads 32 consecutive float64 (256 B, two full 128-B lines) —
coalesced. The host layout would make a warp read 32 addresses m·8 B apart (one line per thread
for m ≥ 16), wasting most of every transaction. Per-synapse parameters follow the state:
(m, 1|N) on the device; a first host axis of 1 (shared) becomes a last device axis of 1.

Arithmetic
----------
NVVM contracts ``a*b + c`` into one fused multiply-add (one rounding instead of two) unless told
otherwise, so a GPU result can differ from the CPU kernel in the last bits. :func:`mul` and
:func:`add` are libdevice's round-to-nearest ``__dmul_rn``/``__dadd_rn``, which are never
contracted: kernels that must reproduce the CPU bit for bit (the Hebbian store, whose stochastic
rounding compares a sum with a uniform draw) use them. In the simulator (plain Python floats,
no contraction) they are ordinary operators.

:func:`u64_mul` / :func:`u64_add` are wrapping 64-bit unsigned arithmetic (splitmix64): native on
the GPU; in the simulator (numpy scalars, which warn on wrap-around) exact Python integers
reduced mod 2^64.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

__all__ = ["SIMULATOR", "THREADS_PER_BLOCK", "blocks_for", "to_device_layout", "from_device_layout", "mul", "add",
           "u64_mul", "u64_add", "floor"]

#: True when numba.cuda is the CUDA simulator (NUMBA_ENABLE_CUDASIM=1 before numba.cuda was imported)
_copy_to_gpu = cuda.to_device  # its defining module names the simulator when it is on
SIMULATOR = "simulator" in (_copy_to_gpu.__module__ or "")

#: threads per block: a multiple of the warp size (32); 128 keeps several blocks resident per SM.
#: The simulator runs every thread of a block as a Python thread, so there one warp per block
#: (tiny test sizes then span several blocks, which also exercises the block indexing)
THREADS_PER_BLOCK = 32 if SIMULATOR else 128

_MASK64 = (1 << 64) - 1


def blocks_for(n: int) -> int:
    """Blocks of :data:`THREADS_PER_BLOCK` threads that cover n threads (at least 1)."""
    return max(1, -(-int(n) // THREADS_PER_BLOCK))


def to_device_layout(a: np.ndarray, stream=0):
    """Copy a host array to the device; 2-D arrays (rows = synapses) are transposed to (m, N)."""
    a = np.asarray(a)
    if a.ndim == 2:
        a = a.T
    return cuda.to_device(np.ascontiguousarray(a), stream=stream)


def from_device_layout(d, stream=0) -> np.ndarray:
    """Copy a device array back to the host in the host layout ((m, N) -> (N, m))."""
    a = d.copy_to_host(stream=stream)
    return np.ascontiguousarray(a.T) if a.ndim == 2 else a


if SIMULATOR:
    @cuda.jit(device=True)
    def mul(a, b):
        return a * b

    @cuda.jit(device=True)
    def add(a, b):
        return a + b

    @cuda.jit(device=True)
    def u64_mul(a, b):
        return np.uint64((int(a) * int(b)) & _MASK64)

    @cuda.jit(device=True)
    def u64_add(a, b):
        return np.uint64((int(a) + int(b)) & _MASK64)
else:  # pragma: no cover - needs a GPU
    from numba.cuda import libdevice

    @cuda.jit(device=True)
    def mul(a, b):
        return libdevice.dmul_rn(a, b)

    @cuda.jit(device=True)
    def add(a, b):
        return libdevice.dadd_rn(a, b)

    @cuda.jit(device=True)
    def u64_mul(a, b):
        return a * b

    @cuda.jit(device=True)
    def u64_add(a, b):
        return a + b


if SIMULATOR:
    @cuda.jit(device=True)
    def floor(x):
        return np.floor(x)
else:  # pragma: no cover - needs a GPU
    @cuda.jit(device=True)
    def floor(x):
        return libdevice.floor(x)
