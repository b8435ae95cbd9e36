"""The familiarity experiment: protocol 2 on one or more synapse models; returns an xarray Dataset
with every signal, every published metric per age, lifetimes and the ideal-chain ioSNR theory."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field, asdict
from pathlib import Path

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ...analysis.familiarity_metrics import THRESHOLDS, familiarity_metrics, snr_standard_error
from ...analysis.familiarity_theory import io_lifetime_theory, io_snr_theory
from ...errors import InvalidParameterError
from .network import FamiliarityNetwork, SynapseModel, published_chain
from .patterns import GenfacePatterns, make_source
from .protocol import FAMILIAR, NOVEL, PRESTORAGE, ProbeSchedule, protocol2_schedule

__all__ = ["ModelSpec", "ProtocolSpec", "slowest_timescale_items", "run_model", "familiarity_experiment",
           "METRICS"]

METRICS = ("io_snr", "r_snr", "forced_choice", "fd_accuracy", "auc", "tpr_at_tnr")
BURN_IN_CHUNK = 4096


@dataclass(frozen=True)
class ModelSpec:
    """One synapse model in one network (see :class:`SynapseModel` for the fields)."""

    label: str
    neurons: int
    variables: int
    levels: int = 32
    bound: float = 15.5
    q: float = 1.0
    connectivity: float = 1.0
    leak: float = 1.0
    q_in_burn_in: bool = False

    def synapse(self) -> SynapseModel:
        return SynapseModel(chain=published_chain(self.variables, self.leak), levels=self.levels, bound=self.bound,
                            q=self.q, q_in_burn_in=self.q_in_burn_in, label=self.label)

    @property
    def dynamical_variables(self) -> int:
        """m·N² (N(N−1) synapses and N biases, m variables each), the paper's resource count."""
        return self.variables * self.neurons**2


@dataclass(frozen=True)
class ProtocolSpec:
    """burn_in: items before the test phase (None: 3 slowest chain timescales, per model);
    test_items: 2H (H familiar, H stored after the fill-in); fill_in: F; block: ages per block."""

    test_items: int = 200
    fill_in: int = 4096
    burn_in: int | None = None
    block: int = 10

    def __post_init__(self) -> None:
        if self.test_items < 4 or self.test_items % 2:
            raise InvalidParameterError(f"test_items: expected an even number >= 4, got {self.test_items}")
        if self.fill_in < 2:
            raise InvalidParameterError(f"fill_in: expected >= 2, got {self.fill_in}")


def slowest_timescale_items(variables: int, leak: float = 1.0) -> float:
    """−1/ln μ_max of T = I + A: the slowest relaxation time of the chain, in items."""
    chain = published_chain(variables, leak)
    mu = np.max(np.abs(np.linalg.eigvals(np.eye(variables) + chain.operator())))
    return float("inf") if mu >= 1 else -1.0 / math.log(mu)


def burn_in_items(model: ModelSpec, protocol: ProtocolSpec) -> int:
    if protocol.burn_in is not None:
        return int(protocol.burn_in)
    tau = slowest_timescale_items(model.variables, model.leak)
    if not math.isfinite(tau):
        raise InvalidParameterError(f"{model.label}: a chain without leak has no stationary state; give burn_in")
    return int(math.ceil(3 * tau))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "model"


def _test_patterns(source, half: int, real_faces: bool) -> tuple[np.ndarray, np.ndarray]:
    """(2H test items, H never-seen items)."""
    if real_faces:
        real = source.real_faces()
        if 3 * half > real.shape[0]:
            raise InvalidParameterError(f"test_items: real LFW faces give at most {real.shape[0] // 3 * 2} test items "
                                        f"(2H test + H never-seen <= {real.shape[0]}), got {2 * half}")
        return real[: 2 * half], real[2 * half: 3 * half]
    return source.items(1, 0, 2 * half), source.items(3, 0, half)


def _fingerprint(model: ModelSpec, protocol: ProtocolSpec, source: str, real: bool, seed: int) -> str:
    text = repr((asdict(model), asdict(protocol), source, real, seed))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_model(model: ModelSpec, protocol: ProtocolSpec, patterns: str = "rand", seed: int = 0,
              real_faces: bool = False, progress: bool = True, checkpoint: str | Path | None = None,
              checkpoint_every: int = 0, network=None, burn_in: int | None = None, backend: str = "cpu") -> dict:
    """Burn-in and protocol 2 for one model; returns the raw signals (kind -> (r, io) arrays of
    shape (ages, H)), the schedule and the burn-in length. Resumes from ``checkpoint`` if it exists
    (written every ``checkpoint_every`` items; 0 = only at the end of the burn-in).

    ``network``: any object with ``store(items, learning)``, ``probe(probes) -> (r, io)`` and
    ``items_stored`` (default: a :class:`FamiliarityNetwork` of ``model``; e.g. the crossbar
    network of :mod:`.crossbar`); ``burn_in`` overrides the protocol's; ``backend`` (cpu|cuda) is
    where the default network stores items."""
    half = protocol.test_items // 2
    schedule: ProbeSchedule = protocol2_schedule(half, protocol.fill_in, protocol.block)
    source = make_source(patterns, model.neurons, seed)
    if real_faces and not isinstance(source, GenfacePatterns):
        raise InvalidParameterError("real_face_probes: needs patterns: genface")
    tests, never_seen = _test_patterns(source, half, real_faces)
    net = network if network is not None else FamiliarityNetwork(model.neurons, model.synapse(), model.connectivity,
                                                                 seed, backend=backend)
    burn = burn_in_items(model, protocol) if burn_in is None else int(burn_in)
    n_ages = schedule.ages.size
    signals = np.full((3, 2, n_ages, half), np.nan)   # kind, (r, io), age, item
    done_probe = -1
    fingerprint = _fingerprint(model, protocol, patterns, real_faces, seed)
    ckpt = Path(checkpoint) if checkpoint else None
    extra = None
    if ckpt is not None and ckpt.exists():
        from ...errors import CorruptStoreError

        try:
            extra = net.restore(ckpt)
        except CorruptStoreError as exc:  # named, discarded, computed again
            import sys

            print(f"{exc}; it is discarded and the stream starts again", file=sys.stderr)
            ckpt.unlink(missing_ok=True)
    if extra is not None:
        if str(extra.get("fingerprint")) != fingerprint:
            from ...errors import StoreError
            raise StoreError(f"{ckpt}: checkpoint of a different experiment (card, seed or model changed); "
                             "delete it or choose another output")
        signals = extra["signals"]
        done_probe = int(extra["done_probe"])

    def save():
        if ckpt is not None:
            net.save(ckpt, {"signals": signals, "done_probe": np.array(done_probe), "fingerprint": np.array(fingerprint)})

    total = burn + schedule.length
    bar = tqdm(total=total, initial=net.items_stored, disable=None if progress else True, unit="item",
               unit_scale=True, leave=False, desc=model.label)
    last_saved = net.items_stored
    # burn-in
    while net.items_stored < burn:
        count = min(BURN_IN_CHUNK, burn - net.items_stored)
        net.store(source.items(0, net.items_stored, count), learning=False)
        bar.update(count)
        if checkpoint_every and net.items_stored - last_saved >= checkpoint_every:
            save()
            last_saved = net.items_stored
    if net.items_stored == burn and done_probe < 0 and ckpt is not None and last_saved != burn:
        save()
        last_saved = burn

    def stream_items(start: int, stop: int) -> np.ndarray:
        """Test-phase items at positions start … stop−1."""
        pos = np.arange(start, stop)
        out = np.empty((pos.size, model.neurons), dtype=np.int8)
        first = pos < half
        fill = (pos >= half) & (pos < half + protocol.fill_in)
        second = pos >= half + protocol.fill_in
        out[first] = tests[pos[first]]
        out[second] = tests[pos[second] - protocol.fill_in]
        if fill.any():
            f0 = int(pos[fill][0] - half)
            out[fill] = source.items(2, f0, int(fill.sum()))
        return out

    for p in range(done_probe + 1, schedule.times.size):
        target = burn + int(schedule.times[p]) + 1          # items stored after the probe position
        if target > net.items_stored:
            count = target - net.items_stored
            net.store(stream_items(net.items_stored - burn, target - burn))
            bar.update(count)
        rows = slice(schedule.start[p], schedule.start[p + 1])
        kinds, items, ages = schedule.kind[rows], schedule.item[rows], schedule.age_index[rows]
        probes = np.where((kinds == NOVEL)[:, None], never_seen[items],
                          np.where((kinds == PRESTORAGE)[:, None], tests[half + items], tests[items]))
        r, io = net.probe(probes)
        signals[kinds, 0, ages, items] = r
        signals[kinds, 1, ages, items] = io
        done_probe = p
        if checkpoint_every and net.items_stored - last_saved >= checkpoint_every:
            save()
            last_saved = net.items_stored
    remaining = burn + schedule.length - net.items_stored
    if remaining > 0:
        net.store(stream_items(net.items_stored - burn, schedule.length))
        bar.update(remaining)
    bar.close()
    if ckpt is not None:
        save()
    return {"signals": signals, "schedule": schedule, "burn_in": burn, "network": net, "source": source}


def familiarity_experiment(models: list[ModelSpec], protocol: ProtocolSpec, patterns: str = "rand", seed: int = 0,
                           real_faces: bool = False, progress: bool = True, theory: bool = True,
                           checkpoint_dir: str | Path | None = None, checkpoint_every: int = 0,
                           rate_hz: float | None = None, backend: str = "cpu") -> xr.Dataset:
    """Run protocol 2 for every model; Dataset with dims (model, age, item).

    ``rate_hz``: items per second of the stream (adds ``age_s``); ``backend`` where items are
    stored (cpu|cuda, same numbers)."""
    if not models:
        raise InvalidParameterError("models: give at least one synapse model")
    labels = [m.label for m in models]
    if len(set(labels)) != len(labels):
        raise InvalidParameterError(f"models: labels must be unique, got {labels}")
    results = []
    for index, model in enumerate(models):
        ckpt = Path(checkpoint_dir) / f"{_slug(model.label)}.npz" if checkpoint_dir else None
        results.append(run_model(model, protocol, patterns, seed, real_faces, progress, ckpt, checkpoint_every,
                                 backend=backend))
    theory_curves, theory_lives = None, None
    if theory:
        theory_curves, theory_lives = [], []
        ages = results[0]["schedule"].ages
        for model, res in zip(models, results):
            chain = published_chain(model.variables, model.leak)
            mask = res["network"].mask if model.connectivity < 1 else None
            theory_curves.append(io_snr_theory(chain, model.neurons, ages, model.q, mask))
            theory_lives.append(io_lifetime_theory(chain, model.neurons, THRESHOLDS["io_snr"], model.q)
                                if mask is None else float("nan"))
    return assemble(models, results, protocol, patterns, seed, real_faces, theory_curves, theory_lives, rate_hz)


def assemble(models: list[ModelSpec], results: list[dict], protocol: ProtocolSpec, patterns: str, seed: int,
             real_faces: bool, theory_curves=None, theory_lives=None, rate_hz: float | None = None) -> xr.Dataset:
    """The Dataset of :func:`familiarity_experiment` from the raw results of :func:`run_model`."""
    labels = [m.label for m in models]
    half = protocol.test_items // 2
    schedule = results[0]["schedule"]
    ages = schedule.ages
    n_models, n_ages = len(models), ages.size
    data: dict = {}
    kinds = ("familiar", "novel", "prestorage")
    for k, kind in enumerate(kinds):
        for s, signal in enumerate(("r", "io")):
            data[f"{signal}_{kind}"] = (("model", "age", "item"),
                                        np.stack([res["signals"][k, s] for res in results]))
    curves = {name: np.full((n_models, n_ages), np.nan) for name in
              ("io_snr", "r_snr", "forced_choice", "auc", "tpr_at_tnr", "fd_accuracy", "fd_tpr", "fd_tnr")}
    lifetimes = {name: np.full(n_models, np.nan) for name in METRICS}
    censored = {name: np.zeros(n_models, bool) for name in METRICS}
    fd_threshold = np.full(n_models, np.nan)
    theory_curve = np.full((n_models, n_ages), np.nan)
    theory_life = np.full(n_models, np.nan)
    for i, (model, res) in enumerate(zip(models, results)):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0x3E7, i]))
        sig = res["signals"]
        metrics = familiarity_metrics(ages, sig[FAMILIAR, 0], sig[FAMILIAR, 1], sig[NOVEL, 0], rng)
        for name, curve in metrics.curves().items():
            curves[name][i] = curve
        for name in METRICS:
            lifetimes[name][i] = metrics.lifetimes[name]
            censored[name][i] = metrics.censored[name]
        fd_threshold[i] = metrics.fd_threshold
        if theory_curves is not None:
            theory_curve[i] = theory_curves[i]
            theory_life[i] = theory_lives[i]
    for name, curve in curves.items():
        data[name] = (("model", "age"), curve)
    data["io_snr_se"] = (("model", "age"), snr_standard_error(curves["io_snr"], half))
    data["r_snr_se"] = (("model", "age"), snr_standard_error(curves["r_snr"], half))
    for name in METRICS:
        data[f"lifetime_{name}"] = (("model",), lifetimes[name])
        data[f"censored_{name}"] = (("model",), censored[name])
    data["fd_threshold"] = (("model",), fd_threshold)
    data["io_snr_theory"] = (("model", "age"), theory_curve)
    data["lifetime_io_snr_theory"] = (("model",), theory_life)
    source = results[0]["source"]
    coords = {
        "model": labels,
        "age": ("age", ages, {"units": "items", "long_name": "items stored since the probed item (0: just stored)"}),
        "item": np.arange(half),
        "neurons": ("model", [m.neurons for m in models]),
        "variables": ("model", [m.variables for m in models]),
        "levels": ("model", [m.levels for m in models]),
        "bound": ("model", [m.bound for m in models]),
        "q": ("model", [m.q for m in models]),
        "connectivity": ("model", [m.connectivity for m in models]),
        "dynamical_variables": ("model", [m.dynamical_variables for m in models]),
        "burn_in": ("model", [res["burn_in"] for res in results]),
        "theory_exact": ("model", [bool(m.levels == 0 and m.bound == 0) for m in models]),
    }
    if rate_hz:
        coords["age_s"] = ("age", ages / rate_hz, {"units": "s"})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update({
        "experiment": "familiarity detection, protocol 2 (Ji-An, Stefanini, Benna & Fusi, iScience 26:105856, 2023)",
        "patterns": patterns,
        "pattern_source": source.description + ("; test items: real LFW faces (binarised by the median of each dimension)"
                                                if real_faces else ""),
        "seed": seed,
        "test_items": protocol.test_items,
        "fill_in": protocol.fill_in,
        "thresholds": "io_snr 0.5, r_snr 0.5, forced_choice 0.6, fd_accuracy 0.6, auc 0.6, tpr_at_tnr 0.8413",
        "theory": "ioSNR of the ideal linear chain (no discretisation, no bounds): exact where theory_exact",
    })
    if rate_hz:
        ds.attrs["rate_hz"] = rate_hz
    for name in ("io_snr", "r_snr"):
        ds[name].attrs["long_name"] = f"{name.split('_')[0]}SNR: mean/std of the familiar {name.split('_')[0]}-signal"
    return ds
