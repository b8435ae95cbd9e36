#!/usr/bin/env bash
# One-call GPU check of the optional cuda backend (docs/gpu.md), for a machine WITH an NVIDIA GPU.
# Run from the repository root:   bash scripts/gpu_check.sh [--no-install]
#
# 1. installs the cuda extra (numba-cuda[cu12]); on a machine without network access this step
#    fails (unless WHEELHOUSE names a directory of wheels) and the script goes on with whatever
#    numba.cuda finds (numba's built-in CUDA target plus a system CUDA toolkit), saying so;
# 2. runs the cuda tests on the GPU (simulator off): every CUDA kernel against its CPU twin;
# 3. times the exact chain step at N·m = 1e8 and 1e9 synapse-variables (m = 8), GPU vs the CPU
#    kernel, and prints the speedup and the fraction of the GPU's peak memory bandwidth.
# Budget: under 8 minutes on one H100 (most of it the CPU reference at 1e9 and compilation).
set -uo pipefail
cd "$(dirname "$0")/.."
export NUMBA_ENABLE_CUDASIM=0
PY=${PYTHON:-python}

if [[ "${1:-}" != "--no-install" ]]; then
  echo "== installing the cuda extra"
  # an offline GPU host can install from wheels carried along: WHEELHOUSE=dir bash scripts/gpu_check.sh
  if ! timeout 240 "$PY" -m pip install -q ${WHEELHOUSE:+--no-index --find-links "$WHEELHOUSE"} -e '.[cuda]'; then
    echo "!! could not install the cuda extra (offline?); continuing with the numba.cuda already installed"
  fi
fi

echo "== backend status"
"$PY" - <<'PYEOF' || exit 1
from neuromorph.kernels.backend import available_backends, cuda_status
import numba, importlib.util
usable, simulator, detail = cuda_status()
print(f"numba {numba.__version__}; numba-cuda installed: {importlib.util.find_spec('numba_cuda') is not None}")
print(f"backends: {available_backends()}; cuda: {detail}")
raise SystemExit(0 if usable and not simulator else 1)
PYEOF

echo "== cuda tests on the GPU (kernels vs CPU twins; end-to-end CLI)"
timeout 300 "$PY" -m pytest tests/kernels/test_cuda_kernels.py tests/kernels/test_cuda_backend.py -q -p no:cacheprovider -o addopts= -rA | tail -40
test_status=${PIPESTATUS[0]}

echo "== throughput: exact chain step, state resident on the GPU, vs the CPU kernel"
timeout 420 "$PY" - <<'PYEOF'
import os
from neuromorph.kernels import thread_count
from neuromorph.kernels.cuda.bench import cpu_step_throughput, step_throughput

m = 8
print(f"CPU: {os.cpu_count()} cores, {thread_count()} numba threads; load {os.getloadavg()}")
for total in (10**8, 10**9):
    n = total // m
    gpu = step_throughput(n, m, steps=50)
    cpu = cpu_step_throughput(n, m, steps=3 if total > 10**8 else 5)
    frac = gpu["bandwidth_fraction"]
    print(f"N*m = {total:.0e} (N = {n}, m = {m}): GPU {gpu['device']} {gpu['seconds_per_step'] * 1e3:.3f} ms/step, "
          f"{gpu['bandwidth'] / 1e9:.0f} GB/s"
          + (f" = {100 * frac:.0f}% of peak {gpu['peak_bandwidth'] / 1e9:.0f} GB/s" if frac else " (peak unknown)")
          + f"; CPU {cpu['seconds_per_step'] * 1e3:.1f} ms/step, {cpu['bandwidth'] / 1e9:.1f} GB/s; "
          f"speedup {cpu['seconds_per_step'] / gpu['seconds_per_step']:.1f}x")
PYEOF
bench_status=$?
echo "== tests exit ${test_status}, bench exit ${bench_status}"
exit $(( test_status != 0 || bench_status != 0 ))
