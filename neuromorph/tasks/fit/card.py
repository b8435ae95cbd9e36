"""The fitted card: ``base:`` the original card, override only the fitted fields, and record in
comments where the numbers come from (data file and its SHA-256, fit quality, uncertainties)."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

import yaml

from ...outputs import write_text
from .paths import path_parts
from .solve import FitResult

__all__ = ["fitted_card_text", "write_fitted_card"]


def _overrides(result: FitResult) -> dict:
    """Nested mapping of the fitted fields; a fitted list entry writes its whole list (``base:``
    merging replaces lists)."""
    out: dict[str, Any] = {}
    for p in result.parameters:
        parts = path_parts(p.path)
        cut = next((k for k, part in enumerate(parts) if isinstance(part, int)), len(parts))
        keep = parts[:cut] if cut < len(parts) else parts
        node_src: Any = result.fitted_data
        for part in keep:
            node_src = node_src[part]
        node = out
        for part in keep[:-1]:
            node = node.setdefault(part, {})
        node[keep[-1]] = node_src
    return out


def fitted_card_text(result: FitResult, output_path: str | Path, command: str = "") -> str:
    """YAML text of the fitted card that will live at ``output_path``."""
    output_path = Path(output_path)
    base_rel = os.path.relpath(result.base_path.resolve(), output_path.resolve().parent)
    m = result.measurement
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Fitted by `neuromorph fit` on {when}.",
             f"# base card: {result.base_path}",
             f"# data: {m.path} (sha256 {m.sha256})",
             f"# drives: {m.sidecar} (sha256 {m.sidecar_sha256})"]
    lines += [f"# data note: {c}" for c in m.comments[:3]]
    if command:
        lines.append(f"# command: {command}")
    lines += [f"# fit quality: rms residual {result.rms_residual_s:.4g} S over {result.n_points} points in "
              f"{len(m.traces)} traces ({', '.join(t.name for t in m.traces)}); "
              f"{len(result.parameters)} free parameters; {'converged' if result.converged else 'NOT converged'}",
              "# fitted values (SI) ± standard error [95 % interval]:"]
    for p in result.parameters:
        error = (f"± {p.standard_error:.3g} [{p.ci_low:.4g}, {p.ci_high:.4g}]" if p.standard_error < float("inf")
                 else "undetermined by these data (see WARNING)")
        lines.append(f"#   {p.path} = {p.value:.6g} {error} (start {p.start:.4g})")
    if len(result.parameters) > 1:
        pairs = [f"{a.path}~{b.path} {result.correlation[i, j]:+.2f}"
                 for i, a in enumerate(result.parameters) for j, b in enumerate(result.parameters) if j > i]
        lines.append("# correlations: " + "; ".join(pairs))
    for w in result.warnings:
        lines.append(f"# WARNING: {w}")
    body = {"base": base_rel,
            "name": output_path.stem,
            "description": f"{result.fitted_data.get('description', '')} — fitted to {m.path.name}".strip(" —")}
    body.update(_overrides(result))
    return "\n".join(lines) + "\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=10_000)


def write_fitted_card(result: FitResult, output_path: str | Path, command: str = "") -> Path:
    """Write the fitted card atomically; returns its path."""
    return write_text(fitted_card_text(result, output_path, command), output_path)
