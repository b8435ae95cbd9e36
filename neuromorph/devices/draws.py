"""Large random draws for device populations: lognormal factors drawn in fixed chunks, each from
its own stream, on the kernels' threads (:func:`lognormal_factors`, used by
:func:`neuromorph.devices.base.lognormal_jitter`)."""

from __future__ import annotations

import numpy as np

__all__ = ["DRAW_CHUNK", "lognormal_factors"]

#: a draw of more than 2× this many entries is split into chunks of it, each from its own stream
DRAW_CHUNK = 1 << 16


def lognormal_factors(rng: np.random.Generator, out: np.ndarray, mu: float, s: float) -> None:
    """Fill ``out`` (C-contiguous) with exp(μ + s·ξ), ξ ~ N(0, 1).

    Up to 2·DRAW_CHUNK entries: ξ are the next normals of ``rng`` (the numbers of
    ``exp(rng.normal(μ, s, shape))``). Larger: a seed of four 63-bit words is drawn from ``rng`` and spawns
    (``numpy.random.SeedSequence``) an independent PCG64 stream per chunk of DRAW_CHUNK entries,
    and the chunks are drawn and transformed on the kernels' threads (NumPy releases the GIL
    while it fills an array), each while it is in cache. Chunk i always gets stream i, so the
    numbers depend on the seed and the size only, never on the thread count."""
    flat = out.reshape(-1)
    n = flat.size
    n_chunks = -(-n // DRAW_CHUNK)

    def transform(part):
        part *= s
        part += mu
        np.exp(part, out=part)

    if n_chunks <= 2:
        rng.standard_normal(out=flat)
        transform(flat)
        return
    from concurrent.futures import ThreadPoolExecutor

    from ..kernels._jit import thread_count

    streams = np.random.SeedSequence(rng.integers(0, 2**63, size=4).tolist()).spawn(n_chunks)

    def draw(chunks):
        for i in chunks:
            part = flat[i * DRAW_CHUNK:(i + 1) * DRAW_CHUNK]
            np.random.Generator(np.random.PCG64(streams[i])).standard_normal(out=part)
            transform(part)

    threads = min(thread_count(), n_chunks)
    if threads == 1:
        draw(range(n_chunks))
        return
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(draw, [range(t, n_chunks, threads) for t in range(threads)]))
