"""Crossbars: a 16 x 16 array of five-compartment proton transistors (differential pairs, 5 Ohm
wires, read noise, stuck cells) gets 50 random stochastic outer-product writes; then a stored
pattern is read back while the cells' chains relax.

The realised update is smaller than the intended one (soft gate saturation, leak into slower
compartments); the stored pattern survives while its amplitude decays as the chain's memory
kernel (docs/crossbar.md).
"""

import matplotlib.pyplot as plt
import numpy as np
from _common import ROOT, save

import neuromorph as nm

CARD = ROOT / "circuits" / "crossbar_16x16_pt5.yaml"

ds = nm.crossbar_writes(CARD, updates=50, seed=0, progress=False)
print(f"50 writes: realised vs intended correlation {ds.attrs['update_correlation']:.3f}")
save(nm.plots.crossbar_run(ds), "crossbar_writes")

# one pattern, written once, read back as the array ages
array = nm.CrossbarArray(nm.load_crossbar(CARD), seed=1)
rng = np.random.default_rng(1)
x, delta = np.sign(rng.standard_normal(array.n_in)), np.sign(rng.standard_normal(array.n_out))
before = array.weights()
for _ in range(5):
    array.update(x, 0.1 * delta)
stored = array.weights() - before
ages = np.geomspace(1, 1e4, 9)
overlap, elapsed = [], 0.0
for age in ages:
    array.wait(age - elapsed)
    elapsed = age
    change = array.weights() - before
    overlap.append(float(np.sum(change * stored) / np.sum(stored * stored)))
for age, value in zip(ages, overlap):
    print(f"  after {age:8.3g} s the pattern keeps {100 * value:5.1f} % of its written amplitude")
fig, ax = plt.subplots(figsize=(5.5, 4), constrained_layout=True)
ax.semilogx(ages, overlap, "o-")
ax.set_xlabel("time since the writes [s]")
ax.set_ylabel("overlap with the written change")
ax.set_title(f"{CARD.stem}: a stored outer product fading")
save(fig, "crossbar_forgetting")
