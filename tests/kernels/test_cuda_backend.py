"""``--backend cuda`` end to end (simulate, memory, familiarity): the same netCDF numbers as
``--backend cpu`` (run on numba's CUDA simulator in a subprocess: the simulator must be on before
numba.cuda is first imported), and a clear exit 2 where there is no CUDA (simulator off, GPU
hidden).

Tolerance rtol 1e-12 (absolute floor 1e-12 × the variable's scale): the GPU kernels do the CPU's
arithmetic in the same order; on a real GPU fused multiply-adds and libdevice's exp differ from
the host's by an ulp per operation (tests/kernels/test_cuda_kernels.py). The simulator itself
reproduces the CPU exactly, which this test does not rely on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neuromorph.errors import ResourceError
from neuromorph.kernels.backend import BACKENDS, available_backends, resolve_backend

ROOT = Path(__file__).resolve().parents[2]

# runs in the subprocess: each command through neuromorph.cli.main, exit codes printed as JSON
_RUNNER = """
import json, sys
from neuromorph.cli import main
codes = []
for args in json.loads(sys.argv[1]):
    try:
        codes.append(main(args))
    except SystemExit as exc:
        codes.append(exc.code)
print("EXIT-CODES " + json.dumps(codes))
"""


def _run_commands(commands: list[list[str]], **env) -> tuple[list[int], str]:
    proc = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(commands)], check=False, capture_output=True,
                          text=True, cwd=ROOT, env=dict(os.environ, **env), timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("EXIT-CODES ")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("EXIT-CODES ")), proc.stderr


def _assert_same_numbers(cpu: Path, gpu: Path, names: list[str]) -> None:
    with xr.open_dataset(cpu) as a, xr.open_dataset(gpu) as b:
        assert a.attrs.get("backend", "cpu") == "cpu"
        for name in names:
            x, y = a[name].values, b[name].values
            scale = float(np.nanmax(np.abs(x)))
            np.testing.assert_allclose(y, x, rtol=1e-12, atol=1e-12 * scale, equal_nan=True, err_msg=name)


_TINY_FAMILIARITY = """kind: familiarity
name: tiny
patterns: rand
protocol: {test_items: 8, fill_in: 16, burn_in: 20}
models:
  - {label: "N=8 m=3", neurons: 8, variables: 3}
  - {label: "N=8 m=2 q=0.5", neurons: 8, variables: 2, q: 0.5}
theory: false
seed: 1
"""


def test_simulate_memory_and_familiarity_on_cuda_give_the_cpu_numbers(tmp_path, run_cli):
    simulate = ["simulate", "devices/proton_transistor_5.yaml", "-p", "protocols/random_stream.yaml", "-n", "4",
                "--seed", "3", "--no-plot", "-q"]
    memory = ["memory", "devices/benna_fusi_m8.yaml", "-N", "16", "--trials", "2", "--ages", "5", "--duration",
              "100 s", "--method", "monte_carlo", "--seed", "2", "--no-plot", "-q"]
    card = tmp_path / "tiny.yaml"
    card.write_text(_TINY_FAMILIARITY)
    familiarity = ["familiarity", str(card), "--no-plot", "-q"]
    for command, name in ((simulate, "sim"), (memory, "mem"), (familiarity, "fam")):
        code, _, err = run_cli(*command, "-o", str(tmp_path / f"{name}_cpu"))
        assert code == 0, err
    codes, err = _run_commands([simulate + ["--backend", "cuda", "-o", str(tmp_path / "sim_cuda")],
                                memory + ["--backend", "cuda", "-o", str(tmp_path / "mem_cuda")],
                                familiarity + ["--backend", "cuda", "-o", str(tmp_path / "fam_cuda")],
                                # capacity sweeps run in worker processes on the CPU only
                                ["familiarity", "circuits/familiarity_capacity.yaml", "--backend", "cuda", "-o",
                                 str(tmp_path / "refused_capacity")],
                                # the GPU runs only the exact eigen integrator: refused before any work
                                simulate + ["--backend", "cuda", "--integrator", "implicit_euler", "-o",
                                            str(tmp_path / "refused")]],
                               NUMBA_ENABLE_CUDASIM="1")
    assert codes == [0, 0, 0, 2, 2], err
    assert "CUDA simulator" in err  # the run says where it ran
    assert "--backend cuda: integrator 'implicit_euler' runs on the CPU only" in err
    assert "--backend cuda: a 'familiarity_capacity' card runs on the CPU only" in err
    assert not (tmp_path / "refused.nc").exists() and not (tmp_path / "refused_capacity.nc").exists()
    _assert_same_numbers(tmp_path / "sim_cpu.nc", tmp_path / "sim_cuda.nc", ["u", "conductance"])
    with xr.open_dataset(tmp_path / "sim_cuda.nc") as ds:
        assert ds.attrs["backend"] == "cuda" and ds.attrs["n_events"] > 100  # events did happen
    _assert_same_numbers(tmp_path / "mem_cpu.nc", tmp_path / "mem_cuda.nc", ["overlap", "signal_mc", "snr_mc"])
    # the Hebbian store reproduces the CPU bit for bit (counter-based draws, uncontracted arithmetic)
    with xr.open_dataset(tmp_path / "fam_cpu.nc") as a, xr.open_dataset(tmp_path / "fam_cuda.nc") as b:
        for name in ("r_familiar", "io_familiar", "io_novel", "io_snr", "auc"):
            np.testing.assert_array_equal(b[name].values, a[name].values, err_msg=name)
        assert np.any(a["io_familiar"].values != 0.0)


def test_backend_cuda_without_cuda_exits_2_naming_the_option_and_the_fix(tmp_path):
    """Simulator off and every GPU hidden (CUDA_VISIBLE_DEVICES empty): exit 2, one message."""
    codes, err = _run_commands([["simulate", "devices/proton_transistor_5.yaml", "-p", "protocols/single_event.yaml",
                                 "--backend", "cuda", "-o", str(tmp_path / "x")],
                                ["memory", "devices/benna_fusi_m8.yaml", "--backend", "cuda", "-o",
                                 str(tmp_path / "y")]],
                               NUMBA_ENABLE_CUDASIM="0", CUDA_VISIBLE_DEVICES="")
    assert codes == [2, 2]
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 2 and "Traceback" not in err, err
    for line in lines:
        assert "--backend cuda: the GPU backend is unavailable" in line
        assert "pip install 'neuromorph[cuda]'" in line and "--backend cpu" in line
    assert not list(tmp_path.iterdir())  # refused before any work


def test_the_registry_always_offers_cpu_and_names_the_option_for_an_unknown_backend():
    assert available_backends()[0] == "cpu" and set(available_backends()) <= set(BACKENDS)
    assert resolve_backend("cpu").name == "cpu"
    with pytest.raises(ResourceError, match=r"--backend 'opencl': unknown backend; expected one of: cpu, cuda"):
        resolve_backend("opencl")
