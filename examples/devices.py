"""Devices: how the memory timescales of a proton transistor grow with its compartments, and the
device under a pulse protocol given as a Python dict.

Card fields are changed with the sweep engine's dotted paths (``compartments=n``); the longest
relaxation timescale of a geometric device grows about 4x per added compartment (docs/devices.md).
"""

import matplotlib.pyplot as plt
import numpy as np
from _common import ROOT, save

import neuromorph as nm

CARD = ROOT / "devices" / "proton_transistor_5.yaml"

# 1. timescales of 1..6 compartments, the rest of the card unchanged
compartments = np.arange(1, 7)
slowest = [nm.timescales(nm.load_device(CARD, compartments=int(n)))["relaxation_timescales_s"][0]
           for n in compartments]
ratios = np.array(slowest[1:]) / np.array(slowest[:-1])
print("slowest timescale [s]:", " ".join(f"{t:.3g}" for t in slowest))
print("growth per added compartment:", " ".join(f"{r:.2f}" for r in ratios))

fig, ax = plt.subplots(figsize=(5.5, 4), constrained_layout=True)
ax.semilogy(compartments, slowest, "o-")
ax.set_xlabel("compartments")
ax.set_ylabel("slowest relaxation timescale [s]")
ax.set_title(f"{CARD.stem} with 1-6 compartments")
save(fig, "devices_timescales")

# 2. twenty devices with variation: 20 potentiating pulses, then an hour of relaxation
protocol = {"segments": [{"train": {"pulses": 20, "sign": 1, "interval": "1 s"}},
                         {"relax": {"duration": "1 h"}}]}
ds = nm.simulate(CARD, protocol, devices=20, seed=0, progress=False)
final = ds["conductance"].isel(time=-1)  # proton transistors read out the channel conductance [S]
print(f"channel conductance after 1 h: {1e6 * float(final.mean()):.4g} uS (mean of {ds.sizes['device']} devices)")
save(nm.plots.simulation(ds), "devices_simulate")
