"""Cross-checks against ngspice: the decks of :mod:`neuromorph.spice.scenarios` run through
ngspice and compared with neuromorph's own solutions (the logic of ``neuromorph spice-check``).

* crossbar read with IR drop: ngspice's sense currents ``i(vsense_k)`` against the array's
  sparse nodal solve (:func:`neuromorph.crossbar.irdrop.solve_read`, the currents of every
  physical line before noise and ADC), forward and transposed; criterion max|ΔI| / max|I| ≤ 1e-6;
* RC ladder: ngspice's node voltages at its own time points against the exact piecewise
  solution of the device's chain (:func:`neuromorph.crossbar.ladder.ladder_response`, ramps
  integrated exactly); criterion max|ΔV| / max|V| ≤ 1e-3 for every node.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from ..crossbar.ladder import ladder_response
from .ngspice import crossbar_currents, ladder_waveforms, run_deck
from .scenarios import crossbar_deck_text, input_vector, ladder_deck_text, ladder_scenario, prepare_array

__all__ = ["CROSSBAR_TOLERANCE", "LADDER_TOLERANCE", "check_crossbar", "check_ladder", "spice_check", "results_dataset"]

CROSSBAR_TOLERANCE = 1e-6
LADDER_TOLERANCE = 1e-3


def _rel_error(reference: np.ndarray, other: np.ndarray) -> float:
    scale = float(np.max(np.abs(reference)))
    return float(np.max(np.abs(other - reference)) / scale) if scale > 0 else float(np.max(np.abs(other)))


def check_crossbar(array, x, transposed: bool, workdir: Path | None = None) -> dict:
    """ngspice vs neuromorph sense currents of one read (see the module docstring)."""
    title = f"neuromorph spice-check {array.name} {'transposed' if transposed else 'forward'}"
    deck = crossbar_deck_text(array, x, transposed, title)
    time_before = array.time_s
    t0 = time.perf_counter()
    ours = array.read(x, ir_drop=True, transposed=transposed, noise=False).line_current_a
    t_ours = time.perf_counter() - t0
    array.time_s = time_before  # the check does not age the array
    sub = None if workdir is None else workdir / ("transposed" if transposed else "forward")
    result = run_deck(deck, workdir=sub)
    n = array.n_in if transposed else array.n_lines
    theirs = crossbar_currents(result, n)
    rel = np.abs(theirs - ours) / np.maximum(np.abs(ours), 1e-300)
    return {"currents_neuromorph_a": ours, "currents_ngspice_a": theirs,
            "max_rel_error": _rel_error(ours, theirs), "max_elementwise_rel_error": float(rel.max()),
            "ngspice_s": result.elapsed_s, "neuromorph_s": t_ours, "ok": _rel_error(ours, theirs) <= CROSSBAR_TOLERANCE}


def check_ladder(device, t_stop_s: float | None = None, workdir: Path | None = None) -> dict:
    """ngspice vs the exact RC-ladder transient of the device's chain (see the module docstring)."""
    scenario = ladder_scenario(device, t_stop_s)
    deck = ladder_deck_text(scenario, f"neuromorph spice-check RC ladder of {device.name}")
    result = run_deck(deck, workdir=None if workdir is None else workdir / "ladder")
    m = scenario.capacitances_f.size
    t, v_ng = ladder_waveforms(result, m)
    src = scenario.source
    knots = src.breakpoints(scenario.t_stop_s)
    t0 = time.perf_counter()
    v_nm = ladder_response(device.chain, scenario.source_conductance_s, knots, src.value(knots), t,
                           u0=scenario.u0_v, connected="always")
    t_ours = time.perf_counter() - t0
    per_node = np.max(np.abs(v_ng - v_nm), axis=1) / np.max(np.abs(v_nm), axis=1)
    return {"time_s": t, "ngspice_v": v_ng, "exact_v": v_nm, "max_rel_error": _rel_error(v_nm, v_ng),
            "per_node_rel_error": per_node, "points": int(t.size), "t_stop_s": scenario.t_stop_s,
            "pulse": src, "u0_v": scenario.u0_v, "ngspice_s": result.elapsed_s, "neuromorph_s": t_ours,
            "ok": bool(np.max(per_node) <= LADDER_TOLERANCE)}


def spice_check(card, seed: int = 0, updates: int = 0, input_kind: str = "random", ladder_time_s: float | None = None,
                workdir: Path | None = None):
    """Build the array of ``card`` (``seed``, ``updates`` random updates), compare its forward and
    transposed IR-drop reads with ngspice and, for devices with a gate pulse, the RC-ladder
    transient. Returns ``(array, results)`` with results keyed ``forward``, ``transposed`` and
    ``ladder`` (each a dict with ``max_rel_error`` and ``ok``). ngspice runs in ``workdir`` (kept)
    or a temporary folder."""
    array = prepare_array(card, seed, updates)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="neuromorph-spice-check-") as tmp:
        work = Path(workdir) if workdir is not None else Path(tmp)
        for transposed in (False, True):
            x = input_vector(array, input_kind, seed, transposed)
            results["transposed" if transposed else "forward"] = check_crossbar(array, x, transposed, work)
        if array.device.gate_pulse() is not None:
            results["ladder"] = check_ladder(array.device, ladder_time_s, work)
        elif ladder_time_s is not None:
            ladder_scenario(array.device, ladder_time_s)  # raises the explanation
    return array, results


def results_dataset(results: dict, array):
    """The comparison of :func:`spice_check` as an xarray Dataset (what ``spice-check -o`` writes):
    ``{forward,transposed}_{neuromorph,ngspice}`` sense currents [A] per physical line and, for
    devices with a gate, ``ladder_{ngspice,exact}`` node voltages [V] at ngspice's time points;
    the relative errors and tolerances as attributes."""
    import xarray as xr

    data, attrs = {}, {"crossbar": array.name, "crossbar_tolerance": CROSSBAR_TOLERANCE,
                       "ladder_tolerance": LADDER_TOLERANCE}
    coords = {}
    for name in ("forward", "transposed"):
        r = results[name]
        dim = f"{name}_line"
        data[f"{name}_neuromorph"] = ((dim,), r["currents_neuromorph_a"], {"units": "A"})
        data[f"{name}_ngspice"] = ((dim,), r["currents_ngspice_a"], {"units": "A"})
        attrs[f"{name}_max_rel_error"] = r["max_rel_error"]
    if "ladder" in results:
        r = results["ladder"]
        coords["time"] = ("time", r["time_s"], {"units": "s"})
        coords["node"] = np.arange(1, r["exact_v"].shape[0] + 1)
        data["ladder_ngspice"] = (("node", "time"), r["ngspice_v"], {"units": "V"})
        data["ladder_exact"] = (("node", "time"), r["exact_v"], {"units": "V"})
        attrs["ladder_max_rel_error"] = r["max_rel_error"]
    return xr.Dataset(data, coords=coords, attrs=attrs)
