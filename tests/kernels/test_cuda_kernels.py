"""The CUDA kernels (neuromorph/kernels/cuda) against their CPU twins, which are their references.

Where they run: on a GPU when this process has one, else on numba's CUDA simulator. The simulator
must be switched on before ``numba.cuda`` is first imported, so in a normal test process (no GPU,
simulator off) the bottom of this module replaces the tests by one that re-runs this file in a
subprocess with ``NUMBA_ENABLE_CUDASIM=1`` and requires every test there to pass (none skipped).
Sizes are tiny (N ≤ 64): the simulator runs each GPU thread as a Python thread.

Tolerance: the CUDA chain kernels do the CPU kernels' arithmetic in the same order, but on a GPU
NVVM may contract a·b + c into one fused multiply-add and libdevice's exp may differ from the
host's by 1 ulp. Each step is a contraction (|e^{λ dt}| ≤ 1) plus one event, so after the ≤ 40
steps/events here the differences stay at a few hundred ulp at most: rtol 1e-12 and an absolute
floor of 1e-12 × the state's scale (u_1 = r·z can cancel to near 0). The Hebbian store must agree
bit for bit (its rounding compares a sum with a uniform draw; the kernel uses uncontracted
multiply/add so that it does).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neuromorph.kernels import chain as cpu_chain
from neuromorph.kernels import crossbar as cpu_crossbar
from neuromorph.kernels import familiarity as cpu_familiarity
from neuromorph.kernels.backend import cuda_status

RTOL = 1e-12


def _close(actual, expected, scale=None):
    scale = float(np.max(np.abs(expected))) if scale is None else scale
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * max(scale, 1.0))


def _device():
    from neuromorph.kernels.cuda import _device as dev

    return dev


def _chain_params(rng, n, m, per_synapse):
    rows = n if per_synapse else 1
    rates = -np.sort(rng.uniform(0.05, 3.0, (rows, m)), axis=1)
    kick = rng.standard_normal((rows, m))
    readout = rng.standard_normal((rows, m))
    kick /= np.sum(kick * readout, axis=1, keepdims=True)  # r·k = 1, as for a chain's eigenbasis
    return rates, kick, readout


@pytest.mark.parametrize("per_synapse", [False, True], ids=["shared", "per-synapse"])
@pytest.mark.parametrize("clip", [False, True], ids=["free", "clipped"])
def test_eigen_step_matches_the_cpu_kernel_over_many_steps(per_synapse, clip):
    dev = _device()
    from neuromorph.kernels.cuda import chain as gpu

    rng = np.random.default_rng(11)
    n, m, steps = 64, 5, 20
    rates, kick, readout = _chain_params(rng, n, m, per_synapse)
    decay = np.exp(rates * 0.3)
    z_cpu = rng.standard_normal((n, m)) * 0.2
    z_gpu = dev.to_device_layout(z_cpu)
    d_decay, d_kick, d_readout = (dev.to_device_layout(a) for a in (decay, kick, readout))
    w_cpu, w_gpu = np.empty(n), dev.cuda.device_array(n)
    for step in range(steps):
        alpha = rng.choice([-0.3, 0.3], n)
        beta = np.array([0.2]) if step % 2 else rng.uniform(0, 0.5, n)  # shared and per-synapse β
        cpu_chain.eigen_step(z_cpu, decay, kick, readout, alpha, beta, clip, -0.4, 0.4, w_cpu)
        gpu.eigen_step(z_gpu, d_decay, d_kick, d_readout, dev.cuda.to_device(alpha), dev.cuda.to_device(beta),
                       clip, -0.4, 0.4, w_gpu)
        _close(w_gpu.copy_to_host(), w_cpu)
    _close(dev.from_device_layout(z_gpu), z_cpu)


@pytest.mark.parametrize("per_synapse_alpha", [False, True], ids=["shared-alpha", "per-synapse-alpha"])
def test_eigen_run_matches_the_cpu_kernel(per_synapse_alpha):
    dev = _device()
    from neuromorph.kernels.cuda import chain as gpu

    rng = np.random.default_rng(12)
    n, m, steps = 48, 4, 15
    rates, kick, readout = _chain_params(rng, n, m, True)
    decay = np.exp(rates * 0.7)
    z_cpu = rng.standard_normal((n, m))
    z_gpu = dev.to_device_layout(z_cpu)
    cols = n if per_synapse_alpha else 1
    alpha = rng.choice([-0.5, 0.5], (steps, cols))
    beta = rng.uniform(0.0, 0.3, (steps, cols))
    w_cpu = np.empty((steps, n))
    w_gpu = dev.cuda.device_array((steps, n))
    cpu_chain.eigen_run(z_cpu, decay, kick, readout, alpha, beta, True, -1.0, 1.0, w_cpu)
    gpu.eigen_run(z_gpu, *(dev.to_device_layout(a) for a in (decay, kick, readout)), dev.cuda.to_device(alpha),
                  dev.cuda.to_device(beta), True, -1.0, 1.0, w_gpu)
    _close(w_gpu.copy_to_host(), w_cpu)
    _close(dev.from_device_layout(z_gpu), z_cpu)


@pytest.mark.parametrize("per_synapse", [False, True], ids=["shared", "per-synapse"])
def test_eigen_event_driven_matches_the_cpu_kernel(per_synapse):
    dev = _device()
    from neuromorph.kernels.cuda import chain as gpu

    rng = np.random.default_rng(13)
    n, m = 40, 6
    rates, kick, readout = _chain_params(rng, n, m, per_synapse)
    counts = rng.integers(0, 9, n)
    counts[3] = 0  # a synapse without events only decays to t_end
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    times = np.concatenate([np.sort(rng.uniform(1.0, 9.0, c)) for c in counts])
    alpha = rng.choice([-0.2, 0.2], times.size)
    beta = rng.uniform(0.0, 0.4, times.size)
    z_cpu = rng.standard_normal((n, m)) * 0.1
    z_gpu = dev.to_device_layout(z_cpu)
    w_cpu = np.empty(times.size)
    w_gpu = dev.cuda.device_array(times.size)
    cpu_chain.eigen_event_driven(z_cpu, rates, kick, readout, offsets, times, alpha, beta, True, -0.3, 0.3, 1.0, 10.0,
                                 w_cpu)
    gpu.eigen_event_driven(z_gpu, *(dev.to_device_layout(a) for a in (rates, kick, readout)),
                           *(dev.cuda.to_device(a) for a in (offsets, times, alpha, beta)), True, -0.3, 0.3, 1.0, 10.0,
                           w_gpu)
    _close(w_gpu.copy_to_host(), w_cpu)
    _close(dev.from_device_layout(z_gpu), z_cpu)


@pytest.mark.parametrize("mode", [cpu_crossbar.MODE_LINEAR, cpu_crossbar.MODE_SOFT, cpu_crossbar.MODE_IDEAL],
                         ids=["linear", "soft", "ideal"])
@pytest.mark.parametrize("sigma", [0.0, 0.3], ids=["no-noise", "cycle-noise"])
def test_pulse_step_matches_the_cpu_kernel(mode, sigma):
    dev = _device()
    from neuromorph.kernels.cuda import crossbar as gpu

    rng = np.random.default_rng(14)
    n, m = 64, 4
    rates, kick, readout = _chain_params(rng, n, m, True)
    decay = np.exp(rates * 0.05)
    rate = rng.uniform(0.01, 0.2, n)
    z_cpu = rng.standard_normal((n, m)) * 0.1
    z_gpu = dev.to_device_layout(z_cpu)
    u_cpu, u_gpu = np.empty(n), dev.cuda.device_array(n)
    for _ in range(5):
        counts = rng.integers(-6, 7, n).astype(np.int32)  # zeros included: those cells only decay
        xi = rng.standard_normal(n)
        cpu_crossbar.pulse_step(z_cpu, decay, kick, readout, counts, rate, 0.5, mode, sigma, xi, True, -0.6, 0.6,
                                u_cpu)
        gpu.pulse_step(z_gpu, *(dev.to_device_layout(a) for a in (decay, kick, readout)), dev.cuda.to_device(counts),
                       dev.cuda.to_device(rate), 0.5, mode, sigma, dev.cuda.to_device(xi), True, -0.6, 0.6, u_gpu)
        _close(u_gpu.copy_to_host(), u_cpu)
    _close(dev.from_device_layout(z_gpu), z_cpu)


@pytest.mark.parametrize("m,levels,bound,q", [(4, 32, 15.5, 1.0), (3, 31, 15.0, 0.6), (5, 0, 0.0, 0.8)],
                         ids=["even-levels", "odd-m-odd-levels-q", "continuous-q"])
def test_store_items_reproduces_the_cpu_kernel_bit_for_bit(m, levels, bound, q):
    dev = _device()
    from neuromorph.kernels.cuda import familiarity as gpu
    from neuromorph.tasks.familiarity.network import SynapseModel, published_chain

    rng = np.random.default_rng(15)
    n = 10
    diag, lower, upper = SynapseModel(published_chain(m), levels=levels, bound=bound, q=q).tridiagonal()
    mask = rng.random((n, n)) < 0.7
    np.fill_diagonal(mask, True)
    state_cpu = np.zeros((n, n, m))
    state_gpu = dev.cuda.to_device(np.ascontiguousarray(np.moveaxis(state_cpu, 2, 0)))
    d_mask = dev.cuda.to_device(mask.astype(np.uint8))
    key = np.uint64(0xDEADBEEF12345678)
    first = 0
    for batch in (3, 4):  # two calls: the counter continues across calls
        items = rng.choice(np.array([-1, 1], np.int8), (batch, n))
        cpu_familiarity.store_items(state_cpu, mask, items, first, key, lower, diag, upper, q, levels, bound)
        gpu.store_items(state_gpu, d_mask, dev.cuda.to_device(items), first, key, *(dev.cuda.to_device(a)
                        for a in (lower, diag, upper)), q, levels, bound)
        first += batch
    np.testing.assert_array_equal(np.moveaxis(state_gpu.copy_to_host(), 0, 2), state_cpu)
    assert np.any(state_cpu != 0.0)


def test_a_population_on_cuda_keeps_its_state_on_the_device_and_matches_cpu():
    from neuromorph.synapses.chain import LinearChain
    from neuromorph.synapses.population import (
        ChainPopulation,
        run_event_lists,
        run_per_step,
    )

    chain = LinearChain(capacities=[1.0, 2.0, 4.0, 8.0], couplings=[0.5, 0.25, 0.125, 0.05])
    pops = {b: ChainPopulation(chain, n=32, bounds=(-1.0, 1.0), backend=b) for b in ("cpu", "cuda")}
    assert not isinstance(pops["cuda"].x, np.ndarray)  # a device array, not a host copy
    u0 = np.random.default_rng(16).uniform(-0.3, 0.3, (32, 4))
    for pop in pops.values():
        rng = np.random.default_rng(17)
        pop.set_state(u0)
        pop.apply(rng.choice([-0.4, 0.4], 32), 0.1)
        pop.advance(3.0)
        pop.step(0.5, rng.choice([-0.4, 0.4], 32))
        run_per_step(pop, 2.0, 6, rng, lambda signs, index: (0.3 * signs, np.full_like(signs, 0.05)))
        counts = rng.integers(0, 4, 32)
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        times = np.concatenate([np.sort(rng.uniform(pop.time_s, pop.time_s + 5.0, c)) for c in counts])
        run_event_lists(pop, offsets, times, 0.2 * rng.choice([-1.0, 1.0], times.size), 0.0, pop.time_s + 5.0)
    _close(pops["cuda"].state(), pops["cpu"].state())
    _close(pops["cuda"].read(), pops["cpu"].read())


def test_other_integrators_are_refused_on_cuda_with_a_message():
    from neuromorph.errors import InvalidParameterError
    from neuromorph.synapses.chain import LinearChain
    from neuromorph.synapses.population import ChainPopulation

    chain = LinearChain(capacities=[1.0, 2.0], couplings=[0.5, 0.25])
    with pytest.raises(InvalidParameterError, match="backend cuda runs only .*'eigen'.*implicit_euler"):
        ChainPopulation(chain, n=4, integrator="implicit_euler", backend="cuda")


def test_step_throughput_counts_the_bytes_of_a_resident_step_and_its_bandwidth():
    """The GPU benchmark entry point: bytes per step = (16·m + 16)·N for shared parameters (state
    read + written, α read, u_1 written), bandwidth = bytes / time, fraction = bandwidth / peak."""
    from neuromorph.kernels.cuda.bench import (
        cpu_step_throughput,
        step_bytes,
        step_throughput,
    )

    result = step_throughput(40, 3, steps=2, peak=1e6)
    assert result["bytes_per_step"] == step_bytes(40, 3) == 40 * (16 * 3 + 16)
    assert step_bytes(40, 3, per_synapse=True) == 40 * (40 * 3 + 16)
    assert result["bandwidth"] == pytest.approx(result["bytes_per_step"] / result["seconds_per_step"], rel=1e-12)
    assert result["bandwidth_fraction"] == pytest.approx(result["bandwidth"] / 1e6, rel=1e-12)
    assert result["synapse_variables_per_s"] == pytest.approx(120 / result["seconds_per_step"], rel=1e-12)
    cpu = cpu_step_throughput(40, 3, steps=2)
    assert cpu["bytes_per_step"] == result["bytes_per_step"] and cpu["seconds_per_step"] > 0


# ---- where these tests run -------------------------------------------------------------------------
_CUDA_HERE = cuda_status()[0]
_CASES = sorted(name for name in list(globals()) if name.startswith("test_"))

if not _CUDA_HERE:
    for _name in _CASES:  # they run in the simulator subprocess below instead
        del globals()[_name]

    def test_cuda_kernels_pass_on_the_cuda_simulator():
        """No GPU here: run every test above on numba's CUDA simulator in a fresh process (the
        simulator must be on before numba.cuda is first imported); all must pass, none skip."""
        env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
        proc = subprocess.run([sys.executable, "-m", "pytest", str(Path(__file__)), "-q", "-p", "no:cacheprovider",
                               "-o", "addopts=", "-W", "error::RuntimeWarning"],
                              check=False, capture_output=True, text=True, env=env,
                              cwd=Path(__file__).resolve().parents[2], timeout=600)
        tail = proc.stdout[-4000:] + proc.stderr[-2000:]
        assert proc.returncode == 0, tail
        summary = proc.stdout.strip().splitlines()[-1]
        assert "skipped" not in summary and "deselected" not in summary, summary
        assert "failed" not in summary and "error" not in summary, summary
        assert int(summary.split()[0]) >= len(_CASES) and "passed" in summary, summary
