r"""SGD with momentum and weight decay, and the learning-rate and weight-decay schedules.

PyTorch's SGD (no dampening, no Nesterov), the optimiser of the published PFA runs: for every
learned array p with gradient g at optimiser step t

    g ← g + λ_t p                 (decay added to the gradient, before momentum)
    v ← μ v + g                   (v = 0 before the first step, so v_1 = g_1)
    p ← p − η_e v

Schedules (DESIGN §2.3): η_e = η_0 · γ^{#milestones ≤ e} is counted in *epochs* (×0.5 at epochs
20 and 30 in the published runs); λ_t is counted in *optimiser steps*: λ_initial for the first
``initial_steps`` steps, then λ (1e-2 for 938 steps — the authors' first MNIST epoch — then
1e-4). Counting λ in steps keeps the high-decay phase equally long on small data sets, where an
epoch is only ~20 steps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["SGD", "learning_rate_at", "weight_decay_at"]


def learning_rate_at(epoch: int, base: float, milestones: Sequence[int], factor: float) -> float:
    """η at ``epoch`` (0-based): ``base`` × ``factor`` per milestone already reached."""
    return float(base * factor ** sum(1 for m in milestones if epoch >= m))


def weight_decay_at(step: int, final: float, initial: float | None, initial_steps: int) -> float:
    """λ at optimiser step ``step`` (0-based)."""
    if initial is not None and step < initial_steps:
        return float(initial)
    return float(final)


class SGD:
    """Momentum buffers for named arrays; :meth:`step` updates the arrays in place."""

    def __init__(self, momentum: float = 0.0):
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = float(momentum)
        self.velocity: dict[str, np.ndarray] = {}
        self.steps = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], learning_rate: float,
             weight_decay: float) -> dict[str, np.ndarray]:
        """Apply one step to every array named in ``grads``; returns the applied changes Δp."""
        changes = {}
        for name, grad in grads.items():
            p = params[name]
            g = grad + weight_decay * p
            if self.momentum > 0.0:
                v = self.velocity.get(name)
                v = g if v is None else self.momentum * v + g
                self.velocity[name] = v
            else:
                v = g
            delta = -learning_rate * v
            p += delta
            changes[name] = delta
        self.steps += 1
        return changes

    def state(self) -> dict[str, np.ndarray]:
        return {f"velocity/{k}": v for k, v in self.velocity.items()} | {"steps": np.array(self.steps)}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.velocity = {k.split("/", 1)[1]: np.array(v) for k, v in state.items() if k.startswith("velocity/")}
        self.steps = int(state["steps"])
