"""Fitting: ``neuromorph fit`` on the shipped synthetic data of the published PEDOT:PSS/Nafion
device (five traces generated from a known card with noise, see docs/fitting.md): least squares
on four card fields with the exact square-wave gate-drive model, standard errors and correlations,
and whether the generator's values lie inside the 95 % intervals.
"""

from _common import ROOT, save

import neuromorph as nm

TRUTH = {"diffusion_coefficient": 1.3e-9, "bridge_cross_section.ratio": 0.45,  # the data's generator
         "gate.injection_conductance": 1.6e-7, "channel.g_min": 5.2e-4}

result = nm.fit(ROOT / "devices" / "zhang2024_pedot_nafion_4.yaml",
                ROOT / "devices" / "measurements" / "zhang2024_synthetic.csv", list(TRUTH))
print(result.report())
ds = result.dataset()
for path, value in TRUTH.items():
    row = ds.sel(parameter=path)
    inside = float(row.ci95_low) <= value <= float(row.ci95_high)
    print(f"  generator value of {path} = {value:g}: {'inside' if inside else 'OUTSIDE'} the 95 % interval")
save(nm.plots.fit_traces(ds), "fitting_traces")
