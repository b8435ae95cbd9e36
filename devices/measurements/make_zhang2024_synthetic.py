"""Write the SYNTHETIC "measured" data set devices/measurements/zhang2024_synthetic.{csv,yaml}.

Nothing here is measured. The traces are the exact model response of a "true" device — the card
devices/zhang2024_pedot_nafion_4.yaml with the TRUTH overrides below (so that `neuromorph fit` has
something to recover) — read at 10 mV with 0.1 % Gaussian read noise (seed 2024). The drives are
those the paper used: +-1 V square waves at 1 Hz with 33/50/67 % on-fraction, 80 pulses per ramp,
followed by relaxation; plus one long single write.

Run from the repository root:  python devices/measurements/make_zhang2024_synthetic.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuromorph.config.measurement_schema import load_measurement
from neuromorph.config.yamlio import read_card
from neuromorph.outputs import write_text
from neuromorph.tasks.fit.forward import build_from_data, predict_traces
from neuromorph.tasks.fit.paths import with_value

HERE = Path(__file__).resolve().parent
BASE = HERE.parent / "zhang2024_pedot_nafion_4.yaml"
STEM = HERE / "zhang2024_synthetic"
SEED = 2024
READ_VOLTAGE_V = 0.01
READ_NOISE = 0.001  # relative std of each read
TRUTH = {  # the "true" device the synthetic data come from (SI)
    "diffusion_coefficient": 1.3e-9,
    "bridge_cross_section.ratio": 0.45,
    "gate.injection_conductance": 1.6e-7,
    "channel.g_min": 5.2e-4,
}

SIDECAR = f"""# SYNTHETIC data (not measured): written by devices/measurements/make_zhang2024_synthetic.py
# from devices/zhang2024_pedot_nafion_4.yaml with {', '.join(f'{k} = {v:g}' for k, v in TRUTH.items())},
# read at 10 mV with {READ_NOISE:.1%} read noise (seed {SEED}). Drives as in Zhang et al. 2024 (arXiv 2401.15045).
kind: measurement
description: synthetic ramps (1 Hz, 33/50/67 % on-fraction, 80 pulses), a depression ramp and a 10 s single write
read_voltage: 10 mV
traces:
  ramp_33:
    drive:
      - square_wave: {{amplitude: 1 V, frequency: 1 Hz, on_fraction: 0.33, count: 80, start: 0 s}}
  ramp_50:
    drive:
      - square_wave: {{amplitude: 1 V, frequency: 1 Hz, on_fraction: 0.5, count: 80, start: 0 s}}
  ramp_67:
    drive:
      - square_wave: {{amplitude: 1 V, frequency: 1 Hz, on_fraction: 0.67, count: 80, start: 0 s}}
  depress_50:
    drive:
      - square_wave: {{amplitude: 1 V, frequency: 1 Hz, on_fraction: 0.5, count: 80, start: 0 s, sign: -1}}
  single_write:
    drive:
      - pulses: [{{time: 0 s, amplitude: 1 V, width: 10 s}}]
"""


def sample_times() -> dict[str, np.ndarray]:
    """Reads at the end of every period of a ramp, then log-spaced up to 3 h after it."""
    ramp = np.concatenate([np.arange(1, 81, dtype=float), 80.0 + np.logspace(0, np.log10(3 * 3600), 40)])
    write = np.concatenate([[10.0], 10.0 + np.logspace(-0.5, np.log10(3 * 3600), 50)])
    return {"ramp_33": ramp, "ramp_50": ramp, "ramp_67": ramp, "depress_50": ramp, "single_write": write}


def main() -> None:
    source = read_card(BASE)
    data = source.data
    for path, value in TRUTH.items():
        data = with_value(data, path, value)
    device = build_from_data(data, BASE, source.lines, "truth")
    write_text(SIDECAR, STEM.with_suffix(".yaml"))
    times = sample_times()
    # a placeholder CSV with the right times lets the loader turn the sidecar into drives
    rows = ["trace,time [s],current [uA]"] + [f"{k},{t:.6g},0" for k, ts in times.items() for t in ts]
    write_text("\n".join(rows) + "\n", STEM.with_suffix(".csv"))
    traces = load_measurement(STEM.with_suffix(".csv")).traces
    rng = np.random.default_rng(SEED)
    lines = [f"# SYNTHETIC data, not a measurement: written by devices/measurements/make_zhang2024_synthetic.py "
             f"(seed {SEED})",
             "# from devices/zhang2024_pedot_nafion_4.yaml with " + ", ".join(f"{k} = {v:g}" for k, v in TRUTH.items()),
             f"# channel current at a {READ_VOLTAGE_V * 1e3:g} mV read with {READ_NOISE:.1%} Gaussian read noise; "
             "drives in zhang2024_synthetic.yaml",
             "trace,time [s],current [uA]"]
    for trace, g in zip(traces, predict_traces(device, traces)):
        current_ua = g * (1.0 + READ_NOISE * rng.standard_normal(g.size)) * READ_VOLTAGE_V * 1e6
        lines += [f"{trace.name},{t:.6g},{i:.7g}" for t, i in zip(trace.time_s, current_ua)]
    write_text("\n".join(lines) + "\n", STEM.with_suffix(".csv"))
    print(f"wrote {STEM.with_suffix('.csv')} and {STEM.with_suffix('.yaml')}")


if __name__ == "__main__":
    main()
