"""Continual learning: three permuted-digits tasks learned one after another by a 64-32-10 MLP
(backpropagation, float weights). The accuracy matrix R[i, j] (accuracy on task j after training
on task i) gives average accuracy, backward transfer and forgetting.
"""

import tempfile
from pathlib import Path

from _common import save

import neuromorph as nm

NETWORK = """kind: network
name: example_net
dataset: {name: digits}
layers: [64, 32, 10]
batch_size: 32
epochs: 1
seed: 0
rules:
  - {kind: bp, learning_rate: 0.1}
"""
CARD = """kind: continual
name: example_permuted_digits
network: net.yaml
tasks: {kind: permuted, count: 3}
epochs_per_task: 3
"""

with tempfile.TemporaryDirectory() as tmp:
    (Path(tmp) / "net.yaml").write_text(NETWORK)
    card = Path(tmp) / "continual.yaml"
    card.write_text(CARD)
    ds = nm.continual(card, progress=False)
r = ds["accuracy_matrix"].sel(rule="bp")
print("accuracy matrix R[trained, task] [%]:")
print((100 * r).round(1).to_pandas().to_string())
print(f"average accuracy {100 * float(ds['average_accuracy'].sel(rule='bp')):.1f} %, "
      f"backward transfer {100 * float(ds['backward_transfer'].sel(rule='bp')):+.1f} points")
save(nm.plots.continual(ds), "continual_accuracy")
