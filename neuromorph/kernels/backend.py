"""Compute backends of the population engine: ``cpu`` (numba on the host, the default and the only
requirement) and ``cuda`` (numba CUDA kernels on an NVIDIA GPU, optional: ``pip install
'neuromorph[cuda]'``; see docs/gpu.md).

``available_backends()``             the backends usable in this process
``resolve_backend(name)``            the :class:`Backend` of that name, or
                                     :class:`~neuromorph.errors.ResourceError` (exit 2 at the CLI)
                                     naming ``--backend``, the value, why it is unavailable and what
                                     to install
``population_integrator(backend, integrator)``
                                     the object a :class:`~neuromorph.synapses.population.ChainPopulation`
                                     steps with: the CPU eigenbasis integrator itself, or its CUDA
                                     twin (:class:`neuromorph.kernels.cuda.integrator.CudaEigenIntegrator`)
                                     holding the state on the GPU
``network_state(backend, …)``        a familiarity network's state on the GPU
                                     (:class:`neuromorph.kernels.cuda.familiarity.DeviceNetworkState`),
                                     None on cpu (the network keeps its host array)

``numba.cuda`` is imported only when the ``cuda`` backend is asked for: the CPU path never loads
it. Whether it is the GPU or numba's CUDA simulator is fixed by ``NUMBA_ENABLE_CUDASIM`` when
``numba.cuda`` is first imported; the simulator (for tests: slow, pure Python) counts as available
and is reported as such.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import ResourceError

__all__ = ["BACKENDS", "Backend", "available_backends", "cuda_status", "resolve_backend", "population_integrator",
           "network_state"]

#: every backend name the command line accepts
BACKENDS = ("cpu", "cuda")

_INSTALL = "install the GPU extra with: pip install 'neuromorph[cuda]' (needs an NVIDIA GPU and its driver)"


@dataclass(frozen=True)
class Backend:
    """A resolved backend: ``name`` (cpu|cuda) and, for cuda, whether it is numba's simulator."""

    name: str
    simulator: bool = False
    detail: str = ""


def _simulator_requested() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0").strip() not in ("", "0")


def _numba_cuda_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("numba_cuda") is not None


def cuda_status() -> tuple[bool, bool, str]:
    """(usable, simulator, explanation) of the cuda backend in this process."""
    try:
        from numba import cuda
    except Exception as exc:  # noqa: BLE001 - numba without its CUDA target, or a broken numba-cuda install
        return False, False, f"numba.cuda cannot be imported ({exc}); {_INSTALL}"
    from .cuda._device import SIMULATOR

    if SIMULATOR:
        return True, True, "numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1): correct but very slow, for tests"
    if _simulator_requested():
        return False, False, ("NUMBA_ENABLE_CUDASIM is set but numba.cuda was imported before it was set; set it "
                              "before starting Python")
    if not cuda.is_available():
        reason = "no CUDA driver or no GPU found"
        try:
            from numba.cuda.cudadrv.driver import driver

            driver.get_device_count()
        except Exception as exc:  # noqa: BLE001 - the driver's own words, first two lines (the rest: path advice)
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            reason = " ".join(lines[:2]) or reason
        extra = "" if _numba_cuda_installed() else " (numba-cuda is not installed)"
        return False, False, (f"{reason}; it needs an NVIDIA GPU with its driver and the cuda extra{extra}: "
                              f"pip install 'neuromorph[cuda]'. NUMBA_ENABLE_CUDASIM=1 runs numba's CUDA "
                              f"simulator instead (tests only)")
    try:  # NVVM (the CUDA compiler): a wheel of the cuda extra, or a system CUDA toolkit
        from numba.cuda.cudadrv import nvvm

        nvvm_found = nvvm.is_available()
    except (ImportError, AttributeError):  # a numba-cuda layout without this probe: let compilation tell
        nvvm_found = True
    if not nvvm_found:
        return False, False, ("a GPU is present but the CUDA compiler (NVVM) is missing; it comes with the cuda "
                              "extra: pip install 'neuromorph[cuda]'")
    device = cuda.get_current_device()
    name = device.name.decode() if isinstance(device.name, bytes) else str(device.name)
    return True, False, f"GPU {name}"


def available_backends() -> list[str]:
    """Backends usable in this process: always ``cpu``; ``cuda`` with a GPU (or the simulator)."""
    return ["cpu"] + (["cuda"] if cuda_status()[0] else [])


def resolve_backend(name: str, option: str = "--backend") -> Backend:
    """The backend called ``name``; an unknown or unusable one raises ResourceError naming
    ``option``, the value and why (no driver, simulator set too late, extra missing)."""
    if name == "cpu":
        return Backend("cpu")
    if name != "cuda":
        raise ResourceError(f"{option} {name!r}: unknown backend; expected one of: {', '.join(BACKENDS)}",
                            option=option)
    usable, simulator, detail = cuda_status()
    if not usable:
        raise ResourceError(f"{option} cuda: the GPU backend is unavailable: {detail}. Or use {option} cpu "
                            "(the default)", option=option)
    return Backend("cuda", simulator, detail)


def population_integrator(backend: str | Backend, integrator):
    """The integrator a population steps with on ``backend``: ``integrator`` itself on cpu; on
    cuda its GPU twin, which needs the eigenbasis integrator (exact, O(m) per synapse)."""
    resolved = backend if isinstance(backend, Backend) else resolve_backend(backend)
    if resolved.name == "cpu":
        return integrator
    if getattr(integrator, "name", "") != "eigen":
        from ..errors import InvalidParameterError

        raise InvalidParameterError(
            f"backend cuda runs only the exact eigenbasis integrator 'eigen', got integrator "
            f"{getattr(integrator, 'name', integrator)!r}; use integrator 'eigen' or backend cpu", option="--backend")
    from .cuda.integrator import CudaEigenIntegrator

    return CudaEigenIntegrator(integrator)


def network_state(backend: str | Backend, state, mask, lower, diag, upper):
    """The device-resident state of a familiarity network on ``backend`` (None on cpu: the
    network stores into its host array with :func:`neuromorph.kernels.familiarity.store_items`)."""
    resolved = backend if isinstance(backend, Backend) else resolve_backend(backend)
    if resolved.name == "cpu":
        return None
    from .cuda.familiarity import DeviceNetworkState

    return DeviceNetworkState(state, mask, lower, diag, upper)
