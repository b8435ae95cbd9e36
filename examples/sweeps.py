"""Sweeps: memory lifetime of a proton transistor over diffusion length x compartment count,
computed with the exact mean field at every grid point (a sweep card written here; the shipped
circuits/sweep_*.yaml cards are larger).

Every point's card is validated before any work; finished points are stored in the output folder
and a rerun computes only missing ones (docs/sweeps.md).
"""

import tempfile
from pathlib import Path

from _common import ROOT, save

import neuromorph as nm

CARD = f"""kind: sweep
name: example_length_x_compartments
device: {ROOT / "devices" / "proton_transistor_5.yaml"}
grid:
  diffusion_length: [1 um, 2 um, 4 um]
  compartments: [1, 2, 3, 4]
experiment:
  method: theory
  synapses: 10000
  rate: 0.1 Hz
  ages: {{first: 1 s, last: 1e6 s, count: 31}}
seed: 1
"""

with tempfile.TemporaryDirectory() as tmp:
    card = Path(tmp) / "sweep.yaml"
    card.write_text(CARD)
    ds = nm.sweep(card, output=Path(tmp) / "store", executor="serial", progress=False)
life = ds["lifetime"].transpose("diffusion_length", "compartments")
print("memory lifetime [min]; rows diffusion length, columns compartments")
print(" " * 8 + "".join(f"{int(n):>8d}" for n in ds["compartments"].values))
for length, row in zip(ds["diffusion_length"].values, life.values):
    print(f"{length * 1e6:5.3g} um" + "".join(f"{v / 60:8.1f}" for v in row))
save(nm.plots.lifetime_heatmap(ds), "sweeps_lifetime_heatmap")
save(nm.plots.sweep_snr(ds), "sweeps_snr_curves")
