"""Memory: how long N = 1000 synapses remember one pattern under a stream of random events, for a
Benna-Fusi chain (m = 8), a single-timescale synapse and a binary stochastic synapse.

Monte-Carlo (16 trials) beside the exact theory (mean field / Markov chain); lifetime = first age
with SNR < 1 (docs/memory.md).
"""

from _common import ROOT, save

import neuromorph as nm

cards = [ROOT / "devices" / f"{name}.yaml" for name in ("benna_fusi_m8", "single_timescale", "binary_stochastic")]
ds = nm.memory(cards, synapses=1000, trials=16, ages=40, seed=1, progress=False)
for name in ds["device"].values:
    d = ds.sel(device=name)
    print(f"{name:<18} SNR(0+) MC {float(d['snr_initial_mc']):5.2f}, theory {float(d['snr_initial_theory']):5.2f};"
          f" lifetime MC {float(d['lifetime_mc']):6.3g} s, theory {float(d['lifetime_theory']):6.3g} s")
save(nm.plots.snr(ds), "memory_snr")
