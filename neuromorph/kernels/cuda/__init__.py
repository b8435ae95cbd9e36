"""CUDA kernels (numba.cuda) — the optional GPU backend of :mod:`neuromorph.kernels.backend`.

Each kernel here is the GPU twin of a CPU kernel with the same arguments and semantics, and the
CPU kernel is its reference (tests run both on the same inputs, on numba's CUDA simulator in the
normal suite and on a GPU by ``scripts/gpu_check.sh``):

==========================================  ==============================================
:func:`neuromorph.kernels.cuda.chain.eigen_step`          :func:`neuromorph.kernels.chain.eigen_step`
:func:`neuromorph.kernels.cuda.chain.eigen_run`           :func:`neuromorph.kernels.chain.eigen_run`
:func:`neuromorph.kernels.cuda.chain.eigen_event_driven`  :func:`neuromorph.kernels.chain.eigen_event_driven`
:func:`neuromorph.kernels.cuda.crossbar.pulse_step`       :func:`neuromorph.kernels.crossbar.pulse_step`
:func:`neuromorph.kernels.cuda.familiarity.store_items`   :func:`neuromorph.kernels.familiarity.store_items`
==========================================  ==============================================

Per-synapse 2-D arrays are stored transposed on the device, (m, N), so that the threads of a
warp read consecutive addresses (:mod:`neuromorph.kernels.cuda._device`). Importing this package
does not import ``numba.cuda``; its submodules do (after which ``NUMBA_ENABLE_CUDASIM`` no longer
has an effect in the process).
"""

__all__: list[str] = []
