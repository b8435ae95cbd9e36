"""Familiarity capacity (t* versus N and m) on the sweep engine: every run is a point computed by
:func:`neuromorph.tasks.familiarity.capacity.capacity_point` on the chosen executor (serial, local
process pool, Dask) and stored at once in a :class:`~neuromorph.sweep.store.PointStore`, so an
interrupted run computes only the missing points when started again. Each point carries its own
seed (the card's seed), so the numbers do not depend on the executor."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import xarray as xr

from ..analysis.familiarity_metrics import fit_capacity_exponent, fit_complexity_exponent
from ..analysis.familiarity_theory import io_lifetime_theory
from ..tasks.familiarity.network import published_chain
from ..tasks.familiarity.capacity import capacity_point, capacity_tasks
from ..tasks.familiarity.experiment import METRICS
from ..tasks.familiarity.patterns import make_source
from .executors import ExecutorSpec
from .resumable import run_stored_points

__all__ = ["familiarity_capacity"]


def familiarity_capacity(card, store_dir: str | Path, seed: int | None = None,
                         executor: ExecutorSpec = ExecutorSpec("serial"), restart: bool = False,
                         progress: bool = True, card_path: str | Path | None = None) -> xr.Dataset:
    """Run (or resume) every capacity point of a ``kind: familiarity_capacity`` card; Dataset with
    dim ``run`` (series 'neurons' and 'variables'), lifetimes, ioSNR curves and the fits."""
    seed = card.seed if seed is None else seed
    tasks = capacity_tasks(card, seed)
    fingerprint = hashlib.sha256(json.dumps({"card": card.model_dump(mode="json"), "seed": seed},
                                            sort_keys=True, default=str).encode()).hexdigest()[:16]
    results = run_stored_points(capacity_point, tasks, store_dir, fingerprint,
                                {"card": str(card_path or card.name), "seed": seed, "shape": [len(tasks)]},
                                executor, restart, progress, "familiarity capacity")
    return _assemble(results, card, seed)


def _assemble(results: list[dict], card, seed: int) -> xr.Dataset:
    ages = results[0]["age"]
    data = {name: (("run", "age"), np.stack([r[name] for r in results])) for name in ("io_snr", "r_snr", "forced_choice")}
    for name in METRICS:
        data[f"lifetime_{name}"] = (("run",), np.array([r[f"lifetime_{name}"] for r in results], float))
        data[f"censored_{name}"] = (("run",), np.array([bool(r[f"censored_{name}"]) for r in results]))
    data["lifetime_io_snr_theory"] = (("run",), np.array([r["lifetime_io_snr_theory"] for r in results], float))
    n = np.array([r["neurons"] for r in results])
    m = np.array([r["variables"] for r in results])
    series = np.array([str(r["series"]) for r in results])
    coords = {"run": np.arange(len(results)), "age": ("age", ages, {"units": "items"}), "neurons": ("run", n),
              "variables": ("run", m), "series": ("run", series), "q": ("run", np.ones(len(results))),
              "dynamical_variables": ("run", m * n**2), "burn_in": ("run", [r["burn_in"] for r in results]),
              "label": ("run", [f"N={a} m={b}" for a, b in zip(n, m)])}
    ds = xr.Dataset(data, coords=coords)
    source = type(make_source(card.patterns, int(n.min()), seed)).description
    ds.attrs.update({"experiment": "familiarity capacity, protocol 2 (Ji-An et al. 2023)", "patterns": card.patterns,
                     "pattern_source": source, "seed": seed, "test_items": card.protocol.test_items,
                     "fill_in": card.protocol.fill_in, "levels": card.levels,
                     "thresholds": "io_snr 0.5, r_snr 0.5, forced_choice 0.6, fd_accuracy 0.6, auc 0.6, tpr_at_tnr 0.8413",
                     "capacity_fit": "regress log2 t* + log2 log2 N on log2 N (runs at m = log2 N - 1)"})
    in_n = series == "neurons"
    if in_n.sum() >= 2:
        for name in ("io_snr", "forced_choice"):
            slope, intercept = fit_capacity_exponent(n[in_n], ds[f"lifetime_{name}"].values[in_n])
            ds.attrs[f"capacity_exponent_{name}"] = slope
            ds.attrs[f"capacity_intercept_{name}"] = intercept
        ds.attrs["capacity_exponent_theory"] = fit_capacity_exponent(n[in_n], ds["lifetime_io_snr_theory"].values[in_n])[0]
    # the theory beyond the simulated sizes, up to N = 10^4 neurons (m = round(log2 N) - 1)
    theory_n = np.array([16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 10_000])
    theory_m = np.round(np.log2(theory_n)).astype(int) - 1
    theory_t = np.array([io_lifetime_theory(published_chain(int(mm)), int(nn)) for nn, mm in zip(theory_n, theory_m)])
    ds = ds.assign(lifetime_io_snr_theory_extended=(("theory_neurons",), theory_t))
    ds = ds.assign_coords(theory_neurons=theory_n, theory_variables=("theory_neurons", theory_m))
    ds.attrs["capacity_exponent_theory_extended"] = fit_capacity_exponent(theory_n, theory_t)[0]
    in_m = series == "variables"
    if in_m.sum() >= 2:
        for name in ("io_snr", "forced_choice"):
            ds.attrs[f"complexity_slope_{name}"] = fit_complexity_exponent(m[in_m], ds[f"lifetime_{name}"].values[in_m])[0]
    return ds
