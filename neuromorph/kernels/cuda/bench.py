"""Throughput of the exact chain step on the GPU, with the state resident in device memory, and of
the CPU kernel on the same problem — the measurements behind ``neuromorph bench step --backend
cuda`` and ``scripts/gpu_check.sh``.

One step of :func:`neuromorph.kernels.cuda.chain.eigen_step` with shared chain parameters moves,
per synapse, the m mode values read and written (2·8·m B), its event size α read (8 B) and u_1
written (8 B):

    bytes per step = (16·m + 16)·N          (shared decay, kick, readout: negligible, cached)
    bytes per step = (40·m + 16)·N          (per-synapse parameters: + 3·8·m B read)

The step is memory-bound (≈ 4 flops per 16 B of state), so the figure of merit is the fraction of
the GPU's peak memory bandwidth it reaches: achieved = bytes per step × steps / time, peak =
2 × memory clock × bus width / 8 (double data rate; the device's own attributes), or a value
passed in. Times come from CUDA events around ``steps`` back-to-back launches after ``warmup``
launches (compilation and first-touch excluded); no host transfer happens inside the timed loop.
"""

from __future__ import annotations

import time

import numpy as np
from numba import cuda

from ...errors import ResourceError
from ._device import SIMULATOR, THREADS_PER_BLOCK, blocks_for
from .chain import eigen_step

__all__ = ["step_bytes", "peak_bandwidth", "step_throughput", "cpu_step_throughput"]


def step_bytes(n: int, m: int, per_synapse: bool = False) -> int:
    """Bytes one eigen step moves for N synapses of m variables (see the module docstring)."""
    return int(n) * ((40 if per_synapse else 16) * int(m) + 16)


def peak_bandwidth() -> float | None:
    """Peak memory bandwidth [B/s] of the current GPU from its attributes (2 × memory clock × bus
    width / 8), or None where the driver does not report them (or on the simulator)."""
    if SIMULATOR:
        return None
    try:
        device = cuda.get_current_device()
        clock_khz = device.MEMORY_CLOCK_RATE
        bus_bits = device.GLOBAL_MEMORY_BUS_WIDTH
    except Exception:  # noqa: BLE001 - attribute missing from this driver/binding: no peak known
        return None
    if not clock_khz or not bus_bits:
        return None
    return 2.0 * clock_khz * 1e3 * bus_bits / 8.0


@cuda.jit
def _fill(z, alpha):
    """Deterministic start: z[i, n] small values of both signs, α_n = ±0.01."""
    n = cuda.grid(1)
    if n >= z.shape[1]:
        return
    for i in range(z.shape[0]):
        z[i, n] = 1e-3 * ((n * 7 + i * 3) % 13 - 6)
    alpha[n] = 0.01 if n % 2 == 0 else -0.01


def _chain(m: int, per_synapse_rows: int = 1):
    """Decay, kick and readout of a geometric chain-like mode set (rates spanning 4 decades)."""
    rates = -np.logspace(0, -4, m)
    decay = np.exp(rates * 0.1)[None, :].repeat(per_synapse_rows, 0)
    kick = np.full((per_synapse_rows, m), 1.0 / m)
    readout = np.ones((per_synapse_rows, m))
    return decay, kick, readout


def step_throughput(n: int, m: int, steps: int = 20, warmup: int = 2, per_synapse: bool = False,
                    peak: float | None = None) -> dict:
    """Time ``steps`` launches of the CUDA eigen step on N = ``n`` synapses of m variables, the
    state resident on the GPU; returns a dict: ``device``, ``simulator``, ``n``, ``m``,
    ``steps``, ``seconds_per_step``, ``synapse_variables_per_s`` (N·m per second),
    ``bytes_per_step``, ``bandwidth`` [B/s], ``peak_bandwidth`` [B/s] (``peak`` or the device's)
    and ``bandwidth_fraction`` (None without a peak). Refuses (ResourceError) a state that does
    not fit in free device memory."""
    n, m, steps = int(n), int(m), int(steps)
    need = 8 * n * m * (4 if per_synapse else 1) + 24 * n
    if not SIMULATOR:
        free, _total = cuda.current_context().get_memory_info()
        if need > 0.9 * free:
            raise ResourceError(f"step_throughput: N = {n}, m = {m} needs {need / 1e9:.3g} GB of GPU memory, "
                                f"{free / 1e9:.3g} GB free; lower n")
    rows = n if per_synapse else 1
    decay, kick, readout = (cuda.to_device(np.ascontiguousarray(a.T)) for a in _chain(m, rows))
    z = cuda.device_array((m, n))
    alpha = cuda.device_array(n)
    beta = cuda.to_device(np.zeros(1))
    out = cuda.device_array(n)
    _fill[blocks_for(n), THREADS_PER_BLOCK](z, alpha)
    for _ in range(warmup):
        eigen_step(z, decay, kick, readout, alpha, beta, False, 0.0, 0.0, out)
    cuda.synchronize()
    if SIMULATOR:
        t0 = time.perf_counter()
        for _ in range(steps):
            eigen_step(z, decay, kick, readout, alpha, beta, False, 0.0, 0.0, out)
        seconds = time.perf_counter() - t0
    else:  # pragma: no cover - needs a GPU
        start, stop = cuda.event(timing=True), cuda.event(timing=True)
        start.record()
        for _ in range(steps):
            eigen_step(z, decay, kick, readout, alpha, beta, False, 0.0, 0.0, out)
        stop.record()
        stop.synchronize()
        seconds = start.elapsed_time(stop) / 1e3  # milliseconds
    per_step = seconds / steps
    moved = step_bytes(n, m, per_synapse)
    bandwidth = moved / per_step
    peak = peak if peak is not None else peak_bandwidth()
    name = "numba CUDA simulator" if SIMULATOR else cuda.get_current_device().name
    return {"device": name.decode() if isinstance(name, bytes) else str(name), "simulator": SIMULATOR, "n": n,
            "m": m, "steps": steps, "seconds_per_step": per_step, "synapse_variables_per_s": n * m / per_step,
            "bytes_per_step": moved, "bandwidth": bandwidth, "peak_bandwidth": peak,
            "bandwidth_fraction": (bandwidth / peak) if peak else None}


def cpu_step_throughput(n: int, m: int, steps: int = 5, warmup: int = 1, per_synapse: bool = False) -> dict:
    """The same measurement for the CPU kernel :func:`neuromorph.kernels.chain.eigen_step`
    (host layout (N, m), all of numba's threads; wall-clock time)."""
    from .. import chain as cpu

    n, m = int(n), int(m)
    decay, kick, readout = _chain(m, n if per_synapse else 1)
    # the GPU's start values (n·7 + i·3) mod 13, which repeat every 13 rows: one allocation of the state
    pattern = 1e-3 * ((np.arange(13)[:, None] * 7 + np.arange(m)[None, :] * 3) % 13 - 6)
    z = np.tile(pattern, (-(-n // 13), 1))[:n]
    alpha = np.where(np.arange(n) % 2 == 0, 0.01, -0.01)
    beta = np.zeros(1)
    out = np.empty(n)
    for _ in range(warmup):
        cpu.eigen_step(z, decay, kick, readout, alpha, beta, False, 0.0, 0.0, out)
    t0 = time.perf_counter()
    for _ in range(steps):
        cpu.eigen_step(z, decay, kick, readout, alpha, beta, False, 0.0, 0.0, out)
    per_step = (time.perf_counter() - t0) / steps
    moved = step_bytes(n, m, per_synapse)
    return {"device": "cpu", "n": n, "m": m, "steps": steps, "seconds_per_step": per_step,
            "synapse_variables_per_s": n * m / per_step, "bytes_per_step": moved, "bandwidth": moved / per_step}
