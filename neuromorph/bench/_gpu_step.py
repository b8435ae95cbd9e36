"""``neuromorph bench step --backend cuda``: the exact O(m) chain step on the GPU against the CPU
kernel on the same problem, measured in one run (issue 13, item 7).

Both sides step N synapses of m modes with shared chain parameters and then with per-synapse
parameters (device-to-device variation), the state resident where the kernel runs (GPU: (m, N)
device arrays, timed with CUDA events; CPU: the host kernel on all of numba's threads). Reported:
seconds per step, synapse-variable updates per second, bytes moved per step
(:func:`neuromorph.kernels.cuda.bench.step_bytes`), the bandwidth reached and its fraction of the
GPU's peak (2 × memory clock × bus width / 8 from the device, or ``--gpu-peak-gbs``), and the
speedup over the CPU kernel. On numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) the same code
runs in Python for testing; its times say nothing about a GPU and are labelled as such.
"""

from __future__ import annotations

from .report import figure


def run_cuda_step(args) -> dict:
    """The measurements of ``bench step --backend cuda`` (the backend was resolved by ``check``)."""
    from ..kernels.cuda.bench import cpu_step_throughput, step_throughput

    n, m, steps = args.synapses, args.variables, args.fused_steps
    peak = args.gpu_peak_gbs * 1e9 if getattr(args, "gpu_peak_gbs", None) else None
    cases = {}
    for per_synapse in (False, True):
        label = "per-synapse parameters" if per_synapse else "shared parameters"
        gpu = step_throughput(n, m, steps=steps, per_synapse=per_synapse, peak=peak)
        cpu = cpu_step_throughput(n, m, steps=max(1, min(steps, 5)), per_synapse=per_synapse)
        cases[label] = {"gpu": gpu, "cpu": cpu, "speedup": cpu["seconds_per_step"] / gpu["seconds_per_step"]}
    figures = []
    for label, case in cases.items():
        gpu, cpu = case["gpu"], case["cpu"]
        figures.append(figure(f"cuda step, {label}", gpu["seconds_per_step"], "s/step", "cpu eigen step",
                              cpu["seconds_per_step"]))
        if gpu["bandwidth_fraction"] is not None:
            figures.append(figure(f"cuda bandwidth, {label}", gpu["bandwidth"], "B/s", "GPU peak bandwidth",
                                  gpu["peak_bandwidth"], lower_is_better=False,
                                  note="ratio = fraction of the GPU's peak memory bandwidth reached"))
    return {"config": {"synapses": n, "variables": m, "steps": steps, "backend": "cuda",
                       "simulator": bool(next(iter(cases.values()))["gpu"]["simulator"])},
            "cuda": cases, "figures": figures}


def print_cuda_step(payload: dict) -> None:
    cfg = payload["config"]
    first = next(iter(payload["cuda"].values()))["gpu"]
    print(f"chain stepping on {first['device']}, N = {cfg['synapses']:,} synapses x m = {cfg['variables']} "
          f"variables, {cfg['steps']} steps per timing")
    if cfg["simulator"]:
        print("numba CUDA simulator: kernels run in Python; these times test the code path, not a GPU")
    print(f"{'case':<24} {'GPU ms/step':>12} {'CPU ms/step':>12} {'speedup':>9} {'GPU GB/s':>10} {'of peak':>8}")
    for label, case in payload["cuda"].items():
        gpu, cpu = case["gpu"], case["cpu"]
        frac = "-" if gpu["bandwidth_fraction"] is None else f"{gpu['bandwidth_fraction']:.0%}"
        print(f"{label:<24} {gpu['seconds_per_step'] * 1e3:>12.3f} {cpu['seconds_per_step'] * 1e3:>12.3f} "
              f"{case['speedup']:>8.2f}x {gpu['bandwidth'] / 1e9:>10.1f} {frac:>8}")
