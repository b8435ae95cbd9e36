"""``neuromorph bench step --backend cuda`` (issue 13, item 7): the GPU step against the CPU
kernel in one run. The normal suite has no GPU: the code path runs on numba's CUDA simulator (in a
subprocess, since the simulator must be on before numba.cuda is first imported), and without CUDA
the option is refused before any work."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _bench(*options: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "neuromorph", "bench", "step", *options], check=False,
                          capture_output=True, text=True, timeout=600, env={**os.environ, **env})


def test_cuda_step_on_the_simulator_reports_gpu_and_cpu_times_and_the_speedup():
    proc = _bench("--backend", "cuda", "--synapses", "40", "--variables", "3", "--fused-steps", "2", "--json",
                  NUMBA_ENABLE_CUDASIM="1")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["config"]["backend"] == "cuda" and payload["config"]["simulator"] is True
    for label in ("shared parameters", "per-synapse parameters"):
        case = payload["cuda"][label]
        assert case["gpu"]["n"] == 40 and case["gpu"]["m"] == 3
        # bytes moved per step, (16m + 16)·N shared / (40m + 16)·N per synapse (kernels.cuda.bench)
        per_var = 40 if label.startswith("per") else 16
        assert case["gpu"]["bytes_per_step"] == 40 * (per_var * 3 + 16)
        assert case["speedup"] > 0
    names = [f["name"] for f in payload["figures"]]
    assert names == ["cuda step, shared parameters", "cuda step, per-synapse parameters"]  # no peak on the simulator
    assert all(f["baseline"] == "cpu eigen step" and f["ratio"] > 0 for f in payload["figures"])


def test_cuda_step_without_cuda_exits_2_before_any_work():
    proc = _bench("--backend", "cuda", "--synapses", "40", NUMBA_ENABLE_CUDASIM="0", CUDA_VISIBLE_DEVICES="")
    assert proc.returncode == 2
    assert "--backend cuda" in proc.stderr and "pip install 'neuromorph[cuda]'" in proc.stderr
    assert "Traceback" not in proc.stderr and "chain stepping" not in proc.stdout


def test_cuda_step_is_its_own_comparison():
    proc = _bench("--backend", "cuda", "--scaling", NUMBA_ENABLE_CUDASIM="1")
    assert proc.returncode == 2 and "--backend" in proc.stderr and "Traceback" not in proc.stderr
