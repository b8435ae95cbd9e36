"""Schema of sweep cards (``circuits/sweep_*.yaml``): a grid over device-card fields.

    kind: sweep
    name: proton_length_x_compartments
    device: ../devices/proton_transistor_5.yaml     # relative to this card
    grid:                                            # dotted paths into the device card
      diffusion_length: [0.5 um, 1 um, 2 um, 4 um]
      compartments: [1, 2, 3, 4, 5, 6]
    experiment:                  # what is computed at every point: the memory experiment's
                                 # settings (neuromorph.config.experiment_schema.MemoryExperiment)
      method: auto            # auto | theory | monte_carlo | both
      synapses: 10000         # N, the population whose SNR is reported
      trials: 16              # Monte-Carlo populations per point
      rate: 1 Hz
      events: poisson         # or per_step
      criterion: 1            # SNR defining the lifetime
      ages: {first: 0.1 s, last: 1e6 s, count: 61}   # common read-out ages (auto if omitted)
    seed: 1

The grid is the Cartesian product of the listed values, in the order the fields are written
(the last field varies fastest). Values are whatever the device card accepts at that place
(numbers, strings with units, ``{first, ratio}`` series, …): each point's card is validated
in full before any work starts.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import Field, field_validator

from .device_schema import Strict
from .experiment_schema import AgeRange, MemoryExperiment

__all__ = ["AgeRange", "SweepExperiment", "SweepCard", "DOTTED_PATH"]

#: a dotted path: field names (letters, digits, _) separated by dots; list items by index
DOTTED_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|\d+))*$")


#: the ``experiment:`` block is the memory experiment's settings, one schema for both
SweepExperiment = MemoryExperiment


#: a sweep card is refused above this many grid points (each point is validated and stored)
MAX_GRID_POINTS = 100_000


class SweepCard(Strict):
    kind: Literal["sweep"] = "sweep"
    name: str | None = None
    description: str = ""
    device: str = Field(description="device card, relative to the sweep card")
    grid: dict[str, list[Any]]
    experiment: SweepExperiment = SweepExperiment()
    seed: int = Field(0, ge=0, le=2**32 - 1, description="random seed, 0 to 2^32-1 (as --seed)")

    @field_validator("grid")
    @classmethod
    def _grid(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        if not grid:
            raise ValueError("the grid is empty: give at least one device field (dotted path) with a list of values")
        for path, values in grid.items():
            if not DOTTED_PATH.match(path):
                raise ValueError(f"{path!r} is not a dotted path into the device card (e.g. gate.width)")
            if not values:
                raise ValueError(f"{path}: empty list of values; give at least one")
            if path in ("kind", "base"):
                raise ValueError(f"{path}: cannot be swept (it selects the card type)")
        sizes = [len(values) for values in grid.values()]
        if math.prod(sizes) > MAX_GRID_POINTS:
            raise ValueError(f"the grid has {math.prod(sizes):,} points ({' x '.join(map(str, sizes))}); at most "
                             f"{MAX_GRID_POINTS:,} per sweep: split it into several sweeps")
        return grid
