r"""The affine-event model of a chain-device population — what the theory, the stationary
Monte-Carlo start and the crossbar pulse model consume instead of asking for device classes
(the analogue of Brian2's ``get_linear_system``: the exact integrator takes the linear system,
never the group).

Every chain device kind turns a population into the same data:

    du/dt = A u between events (A = C⁻¹L of each device's :class:`LinearChain`),
    event   Δu_1 = (1 + c·η)(a·s − b·u_1),  s = ±1, η ~ N(0, 1),
    weight  w ≈ w_rest + π·slope·u_1 (linearised at rest; exact for the identity channel).

and, for the crossbar's k-pulse write (:mod:`neuromorph.crossbar.write`), the pulse mode:

    ``ideal``   α = s·k·Δ                                   (target = Δ)
    ``linear``  α = s·V_t·r·(k + c√k ξ)                     (target V_t = π·V_gate, r per device)
    ``soft``    gain = 1 − (1 − a₁)^k …, α = s·V_t·gain, β = gain, a₁ = 1 − e^{−r}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..synapses.chain import ChainBatch, LinearChain

__all__ = ["LinearEventModel", "PULSE_MODES"]

PULSE_MODES = ("ideal", "linear", "soft")


@dataclass(frozen=True)
class LinearEventModel:
    """Affine-event data of a population of chain devices (arrays over devices, or length 1 when
    every device has the same value).

    chains:        the population's chains (shared ``LinearChain`` or a ``ChainBatch``)
    mode:          pulse mode, one of :data:`PULSE_MODES`
    target:        Δ (``ideal``) or π·V_gate [V] (``linear``/``soft``)
    rate:          r = g_gate·w/C_1 per device (None for ``ideal``)
    a, b:          event coefficients, a > 0 (the sign π is folded into the read-out)
    cycle_noise:   c, relative std of each event (cycle-to-cycle)
    pulse_width_s: duration of one event's pulse [s] (0 for ideal devices)
    slope:         |dw/du_1| at rest per device [weight units per state unit]
    w_rest:        weight at u = 0 per device
    read_noise:    relative std of each weight read
    exact:         True when the read-out is linear (the theory is then exact)
    note:          how the model was obtained (printed with the prediction)
    """

    chains: LinearChain | ChainBatch
    mode: str
    target: float
    rate: np.ndarray | None
    a: np.ndarray
    b: np.ndarray
    cycle_noise: float
    pulse_width_s: float
    slope: np.ndarray
    w_rest: np.ndarray
    read_noise: float
    exact: bool
    note: str

    def __post_init__(self) -> None:
        if self.mode not in PULSE_MODES:
            raise ValueError(f"pulse mode must be one of {PULSE_MODES}, got {self.mode!r}")
