"""Parameter sweeps over device fields: plan (:mod:`.grid`), run points on an executor
(:mod:`.executors`), store each finished point atomically (:mod:`.store`), assemble one xarray
Dataset with the swept fields as coordinates.

Per point: the chain's relaxation timescales, the SNR curve on the sweep's common ages
(mean field / Markov chain and/or Monte-Carlo, see :mod:`neuromorph.tasks.memory`) and the
memory lifetime. Each point's random numbers come from its own seed,
``SeedSequence(seed, spawn_key=(index,))``, so a point's numbers are the same whichever
executor runs it, in whatever order, and whether or not the sweep was resumed.

Heavy modules are imported inside the functions, so worker processes start light.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = ["compute_point", "point_tasks", "point_seed", "run_sweep", "assemble", "SweepRun",
           "CURVES", "SCALARS"]

#: per-point outputs with an age axis, and scalar outputs (strings kept apart)
CURVES = ("snr", "snr_theory", "snr_mc", "snr_se_mc")
SCALARS = ("lifetime", "lifetime_theory", "lifetime_mc", "lifetime_lo_mc", "lifetime_hi_mc", "snr_initial",
           "snr_initial_theory", "snr_initial_mc", "snr_initial_se_mc", "noise_theory", "noise_mc",
           "slowest_timescale", "fastest_timescale", "state_variables", "duration_mc")
STRINGS = ("method", "theory_method")


def point_seed(seed: int, index: int) -> int:
    """The seed of point ``index`` of a sweep with ``seed`` (independent of executor and order)."""
    return int(np.random.SeedSequence(int(seed), spawn_key=(int(index),)).generate_state(1, dtype=np.uint64)[0] % 2**63)


def point_tasks(plan, indices: list[int] | None = None, threads: int | None = None) -> list[dict]:
    """Picklable task dicts for :func:`compute_point` (all points, or ``indices``)."""
    wanted = None if indices is None else set(indices)
    experiment = plan.card.experiment.model_dump()
    return [{"index": p.index, "device_data": p.device_data, "device_name": plan.device_path.stem,
             "device_path": str(plan.device_path), "experiment": experiment, "ages": plan.ages,
             "seed": point_seed(plan.seed, p.index), "max_variables": plan.max_variables, "threads": threads}
            for p in plan.points if wanted is None or p.index in wanted]


def compute_point(task: dict[str, Any]) -> dict[str, Any]:
    """Compute one sweep point (pure: same task → same numbers). Returns a dict of arrays and
    scalars (see :data:`CURVES`, :data:`SCALARS`) plus ``compute_time_s``."""
    from ..analysis.memory_theory import fastest_timescale, slowest_timescale
    from ..config.experiment_schema import MemoryExperiment
    from ..kernels import set_thread_count
    from ..tasks.memory import MemoryConfig, run_memory_point
    from .grid import point_device

    start = time.perf_counter()
    if task.get("threads"):
        set_thread_count(task["threads"])
    _, device = point_device(task["device_data"], task["device_name"], source_path=task.get("device_path", "<point>"))
    exp = MemoryExperiment.model_validate(task["experiment"])
    ages = np.asarray(task["ages"], float)
    rate = float(exp.rate)
    m_max = int(task.get("max_variables", 1))
    if device.dynamics == "markov":
        tau = np.array([slowest_timescale(device, rate)])
    else:
        tau = device.chain.timescales()
    timescales = np.full(m_max, np.nan)
    timescales[: min(m_max, tau.size)] = tau[:m_max]
    out: dict[str, Any] = {"index": int(task["index"]), "ages": ages, "method": exp.method, "timescales": timescales,
                           "state_variables": float(device.n_variables),
                           "slowest_timescale": float(slowest_timescale(device, rate)),
                           "fastest_timescale": float(fastest_timescale(device, rate))}
    nan_curve = np.full(ages.size, np.nan)
    out.update({"snr_theory": nan_curve, "lifetime_theory": np.nan, "snr_initial_theory": np.nan,
                "noise_theory": np.nan, "theory_method": "none",
                "snr_mc": nan_curve, "snr_se_mc": nan_curve, "lifetime_mc": np.nan, "lifetime_lo_mc": np.nan,
                "lifetime_hi_mc": np.nan, "snr_initial_mc": np.nan, "snr_initial_se_mc": np.nan,
                "noise_mc": np.nan, "duration_mc": np.nan})
    point = run_memory_point(device, MemoryConfig.from_experiment(exp), ages, exp.method,
                             monte_carlo_seed=int(task["seed"]), theory_seed=int(task["seed"]) % 2**31)
    method = out["method"] = point.method
    pred, mc = point.theory, point.monte_carlo
    if pred is not None:
        out.update({"snr_theory": pred.snr, "lifetime_theory": pred.lifetime,
                    "snr_initial_theory": pred.snr_initial, "noise_theory": pred.noise,
                    "theory_method": pred.method})
    if mc is not None:
        out.update({"snr_mc": mc["snr"].values, "snr_se_mc": mc["snr_se"].values,
                    "lifetime_mc": float(mc["lifetime"]), "lifetime_lo_mc": float(mc["lifetime_lo"]),
                    "lifetime_hi_mc": float(mc["lifetime_hi"]), "snr_initial_mc": float(mc["snr_initial"]),
                    "snr_initial_se_mc": float(mc["snr_initial_se"]), "noise_mc": float(mc["noise"]),
                    "duration_mc": float(mc["duration"])})
    use_mc = method in ("monte_carlo", "both")
    out["snr"] = out["snr_mc"] if use_mc else out["snr_theory"]
    out["lifetime"] = out["lifetime_mc"] if use_mc else out["lifetime_theory"]
    out["snr_initial"] = out["snr_initial_mc"] if use_mc else out["snr_initial_theory"]
    out["compute_time_s"] = time.perf_counter() - start
    return out


def assemble(plan, results: dict[int, dict[str, Any]]):
    """One xarray Dataset: every swept field is a dimension (named with dots → underscores, the
    dotted path in its ``path`` attribute), plus ``age`` and ``mode`` (timescales)."""
    import xarray as xr

    from .grid import coordinate_name

    dims = [coordinate_name(f) for f in plan.fields]
    shape = plan.shape
    n_age = plan.ages.size
    data: dict[str, Any] = {}

    def gather(key, tail: tuple = (), dtype=float, fill=np.nan):
        arr = np.full(shape + tail, fill, dtype=dtype)
        for p in plan.points:
            if p.index in results and key in results[p.index]:
                arr[p.position] = results[p.index][key]
        return arr

    for key in CURVES:
        data[key] = (dims + ["age"], gather(key, (n_age,)))
    for key in SCALARS:
        data[key] = (dims, gather(key))
    for key in STRINGS:
        data[key] = (dims, gather(key, dtype=object, fill="").astype(str))
    data["timescales"] = (dims + ["mode"], gather("timescales", (plan.max_variables,)))
    coords: dict[str, Any] = {"age": ("age", plan.ages, {"long_name": "time since storage", "units": "s"}),
                              "mode": ("mode", np.arange(1, plan.max_variables + 1),
                                       {"long_name": "relaxation mode, slowest first"})}
    for f, d in zip(plan.fields, dims):
        coords[d] = (d, plan.coords[f], {"path": f, "units": plan.units.get(f, ""),
                                          "long_name": f"device field {f}"})
    ds = xr.Dataset(data, coords=coords)
    exp = plan.card.experiment
    units = {"snr": "1", "snr_theory": "1", "snr_mc": "1", "snr_se_mc": "1", "lifetime": "s",
             "lifetime_theory": "s", "lifetime_mc": "s", "lifetime_lo_mc": "s", "lifetime_hi_mc": "s",
             "slowest_timescale": "s", "fastest_timescale": "s", "timescales": "s", "duration_mc": "s"}
    for key, unit in units.items():
        ds[key].attrs["units"] = unit
    ds["lifetime"].attrs["long_name"] = (f"memory lifetime (first age with SNR < {exp.criterion:g}); Monte-Carlo "
                                         "where computed, else theory")
    ds["snr"].attrs["long_name"] = "SNR of N synapses; Monte-Carlo where computed, else theory"
    ds["timescales"].attrs["long_name"] = "relaxation timescales -1/lambda_i"
    ds.attrs.update({"title": f"neuromorph sweep {plan.name}", "sweep_card": str(plan.path),
                     "device_card": str(plan.device_path), "fields": " ".join(plan.fields),
                     "seed": int(plan.seed), "fingerprint": plan.fingerprint, "n_synapses": exp.synapses,
                     "trials": exp.trials, "rate_hz": exp.rate, "events": exp.events,
                     "criterion": exp.criterion, "method": exp.method,
                     "readout_units": "see neuromorph memory"})
    return ds


@dataclass
class SweepRun:
    """What a run did: counts and timings (wall includes the executor's start-up)."""

    n_points: int
    already_done: int
    computed: int
    wall_s: float
    compute_s: list[float] = field(default_factory=list)


def run_sweep(plan, output: str | Path, spec, restart: bool = False, progress: bool = True,
              log: Callable[[str], None] | None = print):
    """Compute the missing points of ``plan`` into the store at ``output`` with executor
    ``spec``, then assemble. Returns (Dataset, :class:`SweepRun`)."""
    from tqdm.auto import tqdm

    from .executors import describe, run_tasks
    from .store import PointStore

    info = {"card": str(plan.path), "device": str(plan.device_path), "seed": int(plan.seed),
            "fields": plan.fields, "shape": list(plan.shape), "n_points": len(plan.points)}
    store = PointStore(output, plan.fingerprint, info).open(restart=restart)
    try:
        all_indices = [p.index for p in plan.points]
        done = store.done() & set(all_indices)
        todo = [i for i in all_indices if i not in done]
        threads = None if spec.kind == "serial" else 1
        if log:
            log(f"sweep {plan.name}: {len(all_indices)} points, {len(done)} already done, computing {len(todo)} "
                f"({describe(spec)})")
        stats = SweepRun(len(all_indices), len(done), 0, 0.0)
        bar = tqdm(total=len(all_indices), initial=len(done), unit="point", desc=f"sweep {plan.name}",
                   disable=None if progress else True, dynamic_ncols=True)

        def on_result(result: dict) -> None:
            store.write(result["index"], result)
            stats.computed += 1
            stats.compute_s.append(float(result.get("compute_time_s", np.nan)))
            bar.update(1)

        start = time.perf_counter()
        try:
            run_tasks(compute_point, point_tasks(plan, todo, threads), spec, on_result)
        finally:
            bar.close()
        stats.wall_s = time.perf_counter() - start
        results = {i: store.read(i) for i in all_indices}
    finally:
        store.close()
    return assemble(plan, results), stats
