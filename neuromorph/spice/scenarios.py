"""What ``neuromorph netlist`` writes and ``neuromorph spice-check`` runs: a crossbar array after
seeded random updates, its read's source voltages, and the RC-ladder scenario of its cell device
(one gate pulse into a pre-charged chain) — Python functions the CLI modules are thin layers over."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..crossbar import CrossbarArray, load_crossbar
from ..errors import InvalidParameterError
from .netlist import PulseSource, crossbar_deck, rc_ladder_deck

__all__ = ["LADDER_U0_V", "prepare_array", "input_vector", "drive_voltages", "LadderScenario", "ladder_scenario",
           "crossbar_deck_text", "ladder_deck_text"]

#: initial node voltages of the ladder scenario: a consolidated memory, u_k(0) = 0.3 V · 2^-(k-1)
LADDER_U0_V = 0.3


def prepare_array(card: str | Path, seed: int, updates: int) -> CrossbarArray:
    """The array of ``card`` (built with ``seed``) after ``updates`` random outer-product updates
    x, δ ~ U[−1, 1] drawn from ``SeedSequence([seed, 0xDEC4])``."""
    if updates < 0:
        raise InvalidParameterError(f"--updates must be >= 0, got {updates}")
    array = CrossbarArray(load_crossbar(card), seed=seed)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xDEC4]))
    for _ in range(updates):
        array.update(rng.uniform(-1, 1, array.n_in), rng.uniform(-1, 1, array.n_out))
    return array


def input_vector(array: CrossbarArray, kind: str, seed: int, transposed: bool) -> np.ndarray:
    """Inputs x ∈ [−1, 1] for a deck (before the DAC): ``ones`` or ``random`` (uniform, seeded)."""
    n = array.n_out if transposed else array.n_in
    if kind == "ones":
        return np.ones(n)
    return np.random.default_rng(np.random.SeedSequence([seed, 0x1A9])).uniform(-1, 1, n)


def drive_voltages(array: CrossbarArray, x: np.ndarray, transposed: bool) -> np.ndarray:
    """The source voltages [V] the array's read path applies for inputs x (see
    :func:`neuromorph.crossbar.read.read_array`)."""
    v = array.dac.voltages(x)
    if not transposed:
        return v
    drive = np.zeros(array.n_lines)
    if array.differential:
        drive[0::2], drive[1::2] = v, -v
    else:
        drive[: array.n_out] = v
    return drive


@dataclass
class LadderScenario:
    """One gate pulse into a pre-charged chain, as written to the RC-ladder deck."""

    capacitances_f: np.ndarray
    conductances_s: np.ndarray
    source_conductance_s: float
    source: PulseSource
    t_stop_s: float
    t_step_s: float
    u0_v: np.ndarray


def ladder_scenario(device, t_stop_s: float | None = None) -> LadderScenario:
    """The device's nominal chain, a pre-charged state u_k(0) = 0.3 V·2^-(k-1), and one gate
    pulse (amplitude π·V_gate, the card's width, edges of width/1000) at t_stop/100, through the
    gate's injection resistance 1/g_gate. The source stays connected (SPICE ``Vsrc``–``Rsrc``).
    Devices without a physical gate pulse (ideal chains) raise :class:`InvalidParameterError`."""
    gate = device.gate_pulse()
    if gate is None:
        raise InvalidParameterError(f"the RC-ladder deck needs a proton_transistor device (gate pulse and injection "
                                    f"conductance); {device.name} is an ideal {device.kind} chain")
    chain = device.chain
    if t_stop_s is None:
        finite = chain.timescales()[np.isfinite(chain.timescales())]
        t_stop_s = float(f"{4.0 * float(finite.min()):.2g}") if finite.size else 100.0
    if not (np.isfinite(t_stop_s) and t_stop_s > 0):
        raise InvalidParameterError(f"--ladder-time must be > 0 seconds, got {t_stop_s}")
    edge = gate.width_s * 1e-3
    delay = t_stop_s / 100.0
    if delay + 2 * edge + gate.width_s > t_stop_s:
        raise InvalidParameterError(f"--ladder-time {t_stop_s:g} s is too short for a {gate.width_s:g} s gate pulse")
    source = PulseSource(0.0, gate.target_v, delay, edge, edge, gate.width_s, None)
    m = chain.n_variables
    return LadderScenario(np.array(chain.capacities), np.array(chain.couplings), gate.injection_conductance_s,
                          source, float(t_stop_s), float(t_stop_s) / 2000.0, LADDER_U0_V * 0.5 ** np.arange(m))


def crossbar_deck_text(array: CrossbarArray, x: np.ndarray, transposed: bool, title: str) -> str:
    """The SPICE deck of one read of the array at its current conductances."""
    return crossbar_deck(array.conductances(), drive_voltages(array, x, transposed), array.wires,
                         title=title, transposed=transposed)


def ladder_deck_text(scenario: LadderScenario, title: str) -> str:
    """The SPICE deck of the RC-ladder transient of a :class:`LadderScenario`."""
    return rc_ladder_deck(scenario.capacitances_f, scenario.conductances_s, scenario.source,
                          1.0 / scenario.source_conductance_s, scenario.t_stop_s, scenario.t_step_s,
                          initial_voltages_v=scenario.u0_v, title=title)
