"""The ``--backend {cpu,cuda}`` option of the commands that can run their kernels on a GPU
(``simulate``, ``memory``, ``familiarity``): parsed by argparse, then resolved before any work
(:func:`neuromorph.kernels.backend.resolve_backend`: an unusable cuda backend exits 2 with the
reason and what to install)."""

from __future__ import annotations

import sys

from ..kernels.backend import BACKENDS, resolve_backend

__all__ = ["add_backend_option", "resolve_backend_option"]


def add_backend_option(parser, what: str) -> None:
    """Add ``--backend`` to ``parser``; ``what`` says which part of the command runs on the GPU."""
    parser.add_argument("--backend", choices=list(BACKENDS), default="cpu",
                        help=f"where {what} runs: cpu (default) or cuda (NVIDIA GPU; needs the cuda extra, "
                             "pip install 'neuromorph[cuda]'; docs/gpu.md)")


def resolve_backend_option(args) -> str:
    """Check ``args.backend`` is usable here (ResourceError, exit 2, if not); returns its name.
    On numba's CUDA simulator a note on stderr says so (correct numbers, very slow)."""
    backend = resolve_backend(args.backend)
    if backend.simulator:
        print("note: --backend cuda runs on numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1): same numbers, "
              "very slow; for tests", file=sys.stderr)
    return backend.name
