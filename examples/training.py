"""Training: a 64-32-10 MLP on scikit-learn's 8x8 digits with backpropagation, feedback alignment
and product feedback alignment (k = 10) on float weights; accuracy per epoch and the path
alignment angle between each layer's W and its effective feedback (docs/science.md).
"""

import tempfile
from pathlib import Path

from _common import save

import neuromorph as nm

CARD = """kind: network
name: example_digits
dataset: {name: digits, validation: 0.1}
layers: [64, 32, 10]
batch_size: 32
epochs: 8
seed: 0
rules:
  - {kind: bp, learning_rate: 0.1, weight_decay: {value: 1e-4}}
  - {kind: fa, learning_rate: 0.03, weight_decay: {value: 1e-4}}
  - {kind: pfa, learning_rate: 0.1, expansion: 10, weight_decay: {value: 1e-4, initial: 1e-2, initial_steps: 200}}
"""

with tempfile.TemporaryDirectory() as tmp:
    card = Path(tmp) / "mlp.yaml"
    card.write_text(CARD)
    ds = nm.train(card, progress=False)
last = int(ds["epoch"].values[-1])
for rule in ds["rule"].values:
    d = ds.sel(rule=rule, epoch=last)
    print(f"{rule:<4} test accuracy {100 * float(d['test_accuracy']):5.1f} %, "
          f"path angle layer 2 {float(d['alignment_angle_deg'].sel(layer=2)):5.1f} deg")
save(nm.plots.training_curves(ds), "training_curves")
