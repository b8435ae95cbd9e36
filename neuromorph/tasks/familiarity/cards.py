"""From validated familiarity cards to experiments, and the printed summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ...config.familiarity_schema import FamiliarityCapacityCard, FamiliarityCard
from ...config.yamlio import CardSource, read_card, validate_card
from ...errors import ConfigError, InvalidParameterError
from ...outputs import text_table
from .experiment import ModelSpec, ProtocolSpec, familiarity_experiment

__all__ = ["load_familiarity_card", "model_specs", "protocol_spec", "run_familiarity_card", "summary", "CARD_KINDS"]

CARD_KINDS = {"familiarity": FamiliarityCard, "familiarity_capacity": FamiliarityCapacityCard}


def load_familiarity_card(path: str | Path, source: CardSource | None = None):
    """Read and validate a familiarity card of any kind (file:line errors); ``source`` is the
    card's already read data (cards built from Python dicts, :mod:`neuromorph.api`)."""
    source = read_card(path) if source is None else source
    kind = source.data.get("kind", "familiarity")
    if kind == "familiarity_crossbar":
        from ...config.familiarity_schema import FamiliarityCrossbarCard

        model = FamiliarityCrossbarCard
    elif kind in CARD_KINDS:
        model = CARD_KINDS[kind]
    else:
        file, line = source.where(("kind",))
        raise ConfigError([f"{file}:{line}: kind: expected one of familiarity, familiarity_capacity, "
                           f"familiarity_crossbar (got {kind!r})"])
    card = validate_card(source, model)
    return card


def protocol_spec(card) -> ProtocolSpec:
    p = card.protocol
    return ProtocolSpec(test_items=p.test_items, fill_in=p.fill_in,
                        burn_in=None if p.burn_in == "auto" else int(p.burn_in), block=p.block)


def model_specs(card: FamiliarityCard) -> list[ModelSpec]:
    return [ModelSpec(label=m.label, neurons=m.neurons, variables=m.variables, levels=m.levels, bound=m.bound_value,
                      q=m.q, connectivity=m.connectivity, leak=m.leak, q_in_burn_in=m.q_in_burn_in)
            for m in card.models]


def check_familiarity_backend(kind: str, backend: str) -> None:
    """Refuse, before any work, a card the ``cuda`` backend does not run: only experiment cards
    (``kind: familiarity``) store on the GPU; capacity sweeps (worker processes) and crossbar
    networks (the crossbar write path) run on the CPU."""
    if backend not in ("cpu", "cuda"):
        raise InvalidParameterError(f"--backend {backend!r}: expected cpu or cuda", option="--backend")
    if backend != "cpu" and kind != "familiarity":
        raise InvalidParameterError(f"--backend {backend}: a {kind!r} card runs on the CPU only (the GPU stores items "
                                    "for 'familiarity' experiment cards); use --backend cpu", option="--backend")


def run_familiarity_card(card: FamiliarityCard, seed: int | None = None, progress: bool = True,
                         checkpoint_dir: str | Path | None = None, backend: str = "cpu") -> xr.Dataset:
    """The experiment a ``kind: familiarity`` card describes (``seed`` overrides the card's;
    ``backend`` cpu|cuda: where items are stored)."""
    ds = familiarity_experiment(model_specs(card), protocol_spec(card), patterns=card.patterns,
                                seed=card.seed if seed is None else seed, real_faces=card.real_face_probes,
                                progress=progress, theory=card.theory, checkpoint_dir=checkpoint_dir,
                                checkpoint_every=card.checkpoint_every, backend=backend)
    ds.attrs["name"] = card.name or ""
    return ds


def _fmt(value: float, censored: bool = False) -> str:
    if not np.isfinite(value):
        return "-" if value != float("inf") else "inf"
    return (">" if censored else "") + f"{value:.3g}"


def summary(ds: xr.Dataset) -> str:
    """A plain-text table of lifetimes per model (items; '>' = still above threshold at the last age)."""
    run_dim = "model" if "model" in ds.dims else "run"
    metrics = ("io_snr", "r_snr", "forced_choice", "fd_accuracy", "auc", "tpr_at_tnr")
    head = ["model", "N", "m", "q", "variables"] + [f"t* {m}" for m in metrics] + ["t* ioSNR theory"]
    rows = [head]
    for i in range(ds.sizes[run_dim]):
        d = ds.isel({run_dim: i})
        label = str(d[run_dim].values) if run_dim == "model" else str(d["label"].values)
        row = [label, str(int(d["neurons"])), str(int(d["variables"])), f"{float(d['q']):g}",
               f"{int(d['dynamical_variables']):,}"]
        for m in metrics:
            row.append(_fmt(float(d[f"lifetime_{m}"]), bool(d[f"censored_{m}"]) if f"censored_{m}" in d else False))
        row.append(_fmt(float(d["lifetime_io_snr_theory"])) if "lifetime_io_snr_theory" in d else "-")
        rows.append(row)
    lines = text_table(rows)
    info = (f"patterns: {ds.attrs.get('pattern_source', ds.attrs.get('patterns', '?'))}\n"
            f"seed {ds.attrs.get('seed')}, {ds.attrs.get('test_items')} test items, fill-in {ds.attrs.get('fill_in')} "
            f"items; lifetimes t* in items (thresholds {ds.attrs.get('thresholds', '')})")
    extra = ""
    if "rate_hz" in ds.attrs:
        extra = f"\nstream rate {ds.attrs['rate_hz']:g} Hz: t* in seconds = t* / {ds.attrs['rate_hz']:g}"
    if "capacity_exponent_io_snr" in ds.attrs:
        extra += (f"\ncapacity fit (log2 t* + log2 log2 N on log2 N): ioSNR slope {ds.attrs['capacity_exponent_io_snr']:.2f}, "
                  f"theory {ds.attrs.get('capacity_exponent_theory', float('nan')):.2f}")
    if "lifetime_io_snr_theory_extended" in ds:
        ext = ds["lifetime_io_snr_theory_extended"]
        extra += (f"\nideal-chain theory beyond simulation: t* = {float(ext[-1]):.3g} items at N = "
                  f"{int(ds['theory_neurons'][-1]):,}, m = {int(ds['theory_variables'][-1])}; slope "
                  f"{ds.attrs['capacity_exponent_theory_extended']:.2f} for N = {int(ds['theory_neurons'][0])} ... "
                  f"{int(ds['theory_neurons'][-1]):,}")
    if "complexity_slope_io_snr" in ds.attrs:
        extra += f"\nt* vs m at fixed N: log2 t* slope {ds.attrs['complexity_slope_io_snr']:.2f} per variable"
    return info + extra + "\n" + "\n".join(lines)
