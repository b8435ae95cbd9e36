"""Schema of familiarity cards (``circuits/familiarity_*.yaml``): the published protocol 2 of Ji-An,
Stefanini, Benna & Fusi (iScience 26:105856, 2023) on one or more synapse models.

    kind: familiarity
    name: rand_small
    patterns: rand              # rand (i.i.d. ±1) | genface (Gaussian fitted to the LFW faces, PCA
                                #   coordinates) | genface_pixels (the same in pixel space)
    real_face_probes: false     # genface only: the test items are real LFW faces
    protocol:
      test_items: 200           # 2H: H familiar (stored first), H stored after the fill-in
      fill_in: 4096             # F items between them; probe ages < F
      burn_in: auto             # items before the test phase; auto = 3 slowest chain timescales
      block: 10                 # probe ages per block (spacing 1, 2, 4, …)
    models:
      - label: complex m=4
        neurons: 64             # N
        variables: 4            # m (1 = the published simple synapse, leak 1/8 per item)
        levels: 32              # stochastic rounding to this many levels; 0 = continuous
        bound: auto             # clamp |u| <= bound; auto = (levels − 1)/2, 0 = unbounded
        q: 1                    # stochastic learning rate
        connectivity: 1         # fraction of presynaptic partners
    theory: true                # ideal-chain ioSNR beside the simulation
    checkpoint_every: 0         # items between checkpoints (0: none)
    seed: 0

``kind: familiarity_capacity`` cards give ``neurons`` (runs at m = log2 N − 1) and ``variables``
(runs at fixed ``fixed_neurons``) lists instead of ``models``; every run is one sweep point.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from .device_schema import Strict
from .quantities import PositiveQuantity
from .units import FREQUENCY

__all__ = ["FamiliarityProtocol", "FamiliarityModel", "FamiliarityCard", "FamiliarityCapacityCard",
           "FamiliarityCrossbarCard",
           "LFW_MAX_NEURONS", "LFW_MAX_TEST_ITEMS"]

LFW_MAX_NEURONS = 625        # 25 x 25 pixels
LFW_MAX_TEST_ITEMS = 66      # 2H test items + H never-seen items out of 100 real faces


class FamiliarityProtocol(Strict):
    test_items: int = Field(200, ge=4, le=1_000_000, description="2H, even")
    fill_in: int = Field(4096, ge=2, le=100_000_000, description="F items between the halves")
    burn_in: int | Literal["auto"] = Field("auto", description="items before the test phase, or auto")
    block: int = Field(10, ge=1, le=1000, description="probe ages per block")

    @model_validator(mode="after")
    def _even(self) -> "FamiliarityProtocol":
        if self.test_items % 2:
            raise ValueError(f"test_items must be even (half familiar, half stored later), got {self.test_items}")
        if isinstance(self.burn_in, int) and self.burn_in < 0:
            raise ValueError(f"burn_in must be >= 0 items or auto, got {self.burn_in}")
        return self


class FamiliarityModel(Strict):
    label: str = Field(min_length=1)
    neurons: int = Field(ge=2, le=8192)
    variables: int = Field(ge=1, le=16)
    levels: int = Field(32, ge=0, le=1_000_000)
    bound: float | Literal["auto"] = "auto"
    q: float = Field(1.0, gt=0.0, le=1.0)
    connectivity: float = Field(1.0, gt=0.0, le=1.0)
    leak: float = Field(1.0, ge=0.0, le=8.0)
    q_in_burn_in: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> "FamiliarityModel":
        if self.levels == 1:
            raise ValueError("levels: 1 level cannot store anything; use 0 (continuous) or >= 2")
        if isinstance(self.bound, float) and (not math.isfinite(self.bound) or self.bound < 0):
            raise ValueError(f"bound must be >= 0 (0 = unbounded) or auto, got {self.bound}")
        return self

    @property
    def bound_value(self) -> float:
        if self.bound == "auto":
            return (self.levels - 1) / 2.0 if self.levels else 0.0
        return float(self.bound)


def _check_patterns(patterns: str, real: bool, neurons: list[int], test_items: int) -> None:
    if patterns.startswith("genface") and max(neurons) > LFW_MAX_NEURONS:
        raise ValueError(f"patterns genface: the LFW faces have {LFW_MAX_NEURONS} pixels, so at most "
                         f"{LFW_MAX_NEURONS} neurons (got {max(neurons)})")
    if real and not patterns.startswith("genface"):
        raise ValueError("real_face_probes: needs patterns: genface or genface_pixels")
    if real and test_items > LFW_MAX_TEST_ITEMS:
        raise ValueError(f"real_face_probes: 100 real faces give at most {LFW_MAX_TEST_ITEMS} test items "
                         f"(plus {LFW_MAX_TEST_ITEMS // 2} never-seen ones); got protocol.test_items {test_items}")


class FamiliarityCard(Strict):
    kind: Literal["familiarity"] = "familiarity"
    name: str | None = None
    description: str = ""
    patterns: Literal["rand", "genface", "genface_pixels"] = "rand"
    real_face_probes: bool = False
    protocol: FamiliarityProtocol = FamiliarityProtocol()
    models: list[FamiliarityModel] = Field(min_length=1)
    theory: bool = True
    checkpoint_every: int = Field(0, ge=0)
    seed: int = Field(0, ge=0, le=2**32 - 1)

    @model_validator(mode="after")
    def _consistent(self) -> "FamiliarityCard":
        labels = [m.label for m in self.models]
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            raise ValueError(f"models: labels must be unique; repeated: {', '.join(dupes)}")
        _check_patterns(self.patterns, self.real_face_probes, [m.neurons for m in self.models],
                        self.protocol.test_items)
        return self


class FamiliarityCapacityCard(Strict):
    """t* versus N (at m = log2 N − 1) and versus m (at N = ``fixed_neurons``)."""

    kind: Literal["familiarity_capacity"] = "familiarity_capacity"
    name: str | None = None
    description: str = ""
    patterns: Literal["rand", "genface", "genface_pixels"] = "rand"
    neurons: list[int] = Field(min_length=0, description="N values, each run at m = log2 N - 1")
    variables: list[int] = Field(default_factory=list, description="m values at N = fixed_neurons")
    fixed_neurons: int = Field(64, ge=4, le=8192)
    levels: int = Field(32, ge=0)
    bound: float | Literal["auto"] = "auto"
    protocol: FamiliarityProtocol = FamiliarityProtocol()
    seed: int = Field(0, ge=0, le=2**32 - 1)

    @model_validator(mode="after")
    def _consistent(self) -> "FamiliarityCapacityCard":
        for n in self.neurons:
            if n < 4 or n & (n - 1):
                raise ValueError(f"neurons: every N must be a power of two >= 4 (runs use m = log2 N - 1), got {n}")
            if n > 8192:
                raise ValueError(f"neurons: at most 8192, got {n}")
        for m in self.variables:
            if not 1 <= m <= 16:
                raise ValueError(f"variables: every m must be 1 ... 16, got {m}")
        if not self.neurons and not self.variables:
            raise ValueError("give neurons (t* vs N) and/or variables (t* vs m)")
        _check_patterns(self.patterns, False, list(self.neurons) + [self.fixed_neurons], self.protocol.test_items)
        return self


class FamiliarityCrossbarCard(Strict):
    """Protocol 2 with the weights on a crossbar of chain devices (proton transistors)::

        kind: familiarity_crossbar
        crossbar: crossbar_16x16_pt5.yaml   # relative to this card; its size is replaced by
                                            # (N + 1) x N: row N is the bias input (always +1)
        neurons: 32
        rate: 0.2 Hz                        # items per second (one Hebbian write per item)
        pulses_per_item: 1                  # gate pulses per Hebbian event x_i x_j
        protocol: {...}                     # as for kind: familiarity
    """

    kind: Literal["familiarity_crossbar"] = "familiarity_crossbar"
    name: str | None = None
    description: str = ""
    crossbar: str = Field(min_length=1, description="crossbar card, relative to this card")
    neurons: int = Field(ge=4, le=1024)
    rate: PositiveQuantity(FREQUENCY) = 1.0
    pulses_per_item: int = Field(1, ge=1, le=1000)
    patterns: Literal["rand", "genface", "genface_pixels"] = "rand"
    protocol: FamiliarityProtocol = FamiliarityProtocol()
    theory: bool = True
    seed: int = Field(0, ge=0, le=2**32 - 1)

    @model_validator(mode="after")
    def _consistent(self) -> "FamiliarityCrossbarCard":
        _check_patterns(self.patterns, False, [self.neurons], self.protocol.test_items)
        return self
