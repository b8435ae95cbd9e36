"""Familiarity: "have I seen this pattern before?" after one presentation. Complex synapses
(N = 48 neurons, m = 4 variables per synapse) against simple ones (m = 1, the same leak as the
chain's first stage) with the same number of dynamical variables (m N^2), on i.i.d. random
patterns, protocol 2 of Ji-An, Stefanini, Benna & Fusi (2023) at small size, with the ideal-chain
theory of the ioSNR.
"""

import tempfile
from pathlib import Path

from _common import save

import neuromorph as nm
from neuromorph.tasks.familiarity.cards import summary  # the command's table

CARD = """kind: familiarity
name: example_familiarity
patterns: rand
protocol: {test_items: 100, fill_in: 1024, burn_in: auto}
models:
  - {label: "complex N=48 m=4", neurons: 48, variables: 4}
  - {label: "simple N=96 m=1", neurons: 96, variables: 1}
  - {label: "ideal chain N=48 m=4", neurons: 48, variables: 4, levels: 0, bound: 0}
theory: true
seed: 0
"""

with tempfile.TemporaryDirectory() as tmp:
    card = Path(tmp) / "familiarity.yaml"
    card.write_text(CARD)
    ds = nm.familiarity(card, progress=False)
print(summary(ds))
save(nm.plots.familiarity_metrics(ds), "familiarity_metrics")
