"""IBM's aihwkit as the peer of ``bench crossbar --peer aihwkit`` (a helper, not a bench case).

aihwkit (Rasch et al., *A flexible and fast PyTorch toolkit for simulating training and inference
on analog crossbar arrays*, IEEE AICAS 2021; https://aihwkit.readthedocs.io) is what users pick
to simulate training on analog tiles. Its C++ simulator is timed here beside
:class:`~neuromorph.crossbar.array.CrossbarArray` on the same sizes, in the same process, at the
same thread counts:

* tile: ``AnalogTile(N_out, N_in, SingleRPUConfig(device=SoftBoundsDevice(...)))`` in float32
  (aihwkit's default data type), weights in [−1, 1] (``w_min = −1``, ``w_max = 1``) like the
  differential pairs' signed weights;
* update: ``pulse_type = StochasticCompressed`` (Gokmen & Vlasov 2016 coincidences, the scheme
  of our ``write.scheme: stochastic``), ``desired_bl`` = our bit length, ``fixed_bl`` with bit
  length and update management off, learning rate and ``dw_min`` equal to ours, so both draw
  Bernoulli trains of length BL with probability sqrt(η/(BL·Δw_min))·|x| and expect the same
  η|x_i δ_j|/Δw_min pulses per weight per update (≈ one at our card's η and Δw_min for inputs
  uniform in [−1, 1]; the bench prints our measured mean);
* read: ``forward`` with aihwkit's default forward IO parameters (``IOParameters()``: 7-bit
  input DAC (``inp_res`` 1/126), 9-bit output ADC (``out_res`` 1/510) with output bound 12,
  additive output noise 0.06, no weight (cell) read noise, noise management ``ABS_MAX`` and
  iterative bound management), under ``torch.no_grad()`` with the tile in eval mode.

Threads: :func:`set_threads` sets torch's intra-op threads (its OpenMP pool) to the numba thread
count and every BLAS pool, aihwkit's OpenBLAS included, to ``--blas-threads``, so both simulators
run on the same numbers of threads; what each pool reports is recorded.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["PEER_NAME", "RECIPE", "missing_reason", "set_threads", "peer_setup", "time_peer"]

PEER_NAME = "aihwkit"

#: how to get the peer (the `peers` extra is built, not just installed: see docs/performance.md)
RECIPE = ("install the `peers` extra in its own virtual environment (aihwkit 1.2.0 is built from its sdist "
          "against a CPU torch and OpenBLAS, ~7 min of CPU): python -m venv /tmp/venv-aihw && "
          ". /tmp/venv-aihw/bin/activate && pip install torch==2.13.0 && apt-get install -y libopenblas-dev && "
          "pip install numpy scipy tqdm protobuf requests threadpoolctl 'setuptools>=77' wheel "
          "'scikit-build>=0.18.1' 'pybind11>=3.0.1' ninja 'cmake>=4.2.1' mypy && "
          "USE_CUDA=OFF CMAKE_ARGS='-DUSE_CUDA=OFF -DRPU_BLAS=OpenBLAS' pip install --no-build-isolation "
          "--no-deps aihwkit==1.2.0 && pip install -e '.[peers]' (docs/performance.md, section aihwkit)")


def missing_reason() -> str | None:
    """None when aihwkit (and torch) import here; otherwise why not, naming the extra and the recipe."""
    try:
        import torch  # noqa: F401
        from aihwkit.simulator.configs import SingleRPUConfig  # noqa: F401
        from aihwkit.simulator.tiles import AnalogTile  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - ImportError, or a broken build raising OSError/RuntimeError
        return (f"--peer aihwkit: aihwkit is not importable in this environment ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else 'no message'}); {RECIPE}")
    return None


def set_threads(n_threads: int, blas_threads: int):
    """torch intra-op threads = ``n_threads`` (the numba thread count) and every BLAS pool — now
    including the OpenBLAS aihwkit's simulator links, loaded after the harness set its limits —
    at ``blas_threads``. Returns (what torch and every thread pool report, the threadpoolctl
    limiter: call its ``restore_original_limits()`` when done)."""
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    torch.set_num_threads(int(n_threads))
    limiter = threadpool_limits(limits=int(blas_threads), user_api="blas")
    pools = [{"library": p.get("internal_api"), "api": p.get("user_api"), "threads": p.get("num_threads"),
              "file": p.get("filepath")} for p in threadpool_info()]
    return {"torch_threads": torch.get_num_threads(), "blas_threads": int(blas_threads), "pools": pools}, limiter


def peer_setup(n_in: int, n_out: int, dw_min: float, learning_rate: float, bit_length: int, seed: int):
    """The matched aihwkit tile (module docstring), weights drawn uniform in [−0.5, 0.5]."""
    import torch
    from aihwkit.simulator.configs import SingleRPUConfig
    from aihwkit.simulator.configs.devices import SoftBoundsDevice
    from aihwkit.simulator.parameters.enums import PulseType
    from aihwkit.simulator.tiles import AnalogTile

    torch.manual_seed(seed)
    config = SingleRPUConfig(device=SoftBoundsDevice(w_min=-1.0, w_max=1.0, dw_min=float(dw_min)))
    config.update.pulse_type = PulseType.STOCHASTIC_COMPRESSED
    config.update.desired_bl = int(bit_length)
    config.update.fixed_bl = True
    config.update.update_bl_management = False
    config.update.update_management = False
    tile = AnalogTile(n_out, n_in, config)
    tile.set_learning_rate(float(learning_rate))
    rng = np.random.default_rng(seed)
    tile.set_weights(torch.tensor(rng.uniform(-0.5, 0.5, (n_out, n_in)), dtype=torch.float32))
    tile.eval()
    return tile


def time_peer(n: int, dw_min: float, learning_rate: float, bit_length: int, seed: int, repeats: int,
              best_time, batch: int = 64) -> dict:
    """Seconds per call of aihwkit's forward (one vector; a batch of ``batch``, per vector) and of
    one rank-1 pulsed update on an n × n tile, best of ``repeats`` (``best_time`` of
    :mod:`neuromorph.bench`)."""
    import torch

    t0 = time.perf_counter()
    tile = peer_setup(n, n, dw_min, learning_rate, bit_length, seed)
    build_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    x1 = torch.tensor(rng.uniform(-1, 1, (1, n)), dtype=torch.float32)
    xb = torch.tensor(rng.uniform(-1, 1, (batch, n)), dtype=torch.float32)
    d1 = torch.tensor(rng.uniform(-1, 1, (1, n)), dtype=torch.float32)

    def forward(x):
        with torch.no_grad():
            return tile.forward(x)

    def update():
        with torch.no_grad():
            tile.update(x1, d1)

    out = {"n": n, "build_s": build_s, "dtype": "float32"}
    out["read 1"] = best_time(lambda: forward(x1), repeats=repeats, min_time_s=0.1)
    out[f"read {batch}"] = best_time(lambda: forward(xb), repeats=repeats, min_time_s=0.1) / batch
    out["update"] = best_time(update, repeats=repeats, min_time_s=0.1)
    return out
