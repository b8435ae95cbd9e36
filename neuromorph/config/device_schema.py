"""Schema of device cards (``devices/*.yaml``): the pydantic models *are* the file format.

Every card has a ``kind``:

``benna_fusi``         the abstract chain of communicating vessels (dimensionless C_k, g_k)
``proton_transistor``  the physical device of DESIGN §2.2 (SI units, strings with units accepted)
``single_timescale``   one leaky variable (the m = 1 baseline)
``binary_stochastic``  two-state synapse switching with probability q per event
``cascade``            Fusi, Drew & Abbott (2005) cascade of metaplastic states

Unknown fields are refused (a typo must never be silently ignored).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from .quantities import NonNegativeQuantity, PositiveQuantity, Quantity, Series, SeriesOf
from .units import (
    AREA,
    CAPACITANCE,
    CONDUCTANCE,
    DIFFUSIVITY,
    DIMENSIONLESS,
    LENGTH,
    TIME,
    VOLTAGE,
    VOLUME,
    VOLUMETRIC_CAPACITANCE,
)

__all__ = [
    "Strict",
    "Bounds",
    "VoltageBounds",
    "BennaFusiCard",
    "SingleTimescaleCard",
    "BinaryStochasticCard",
    "CascadeCard",
    "ProtonTransistorCard",
    "GatePulse",
    "LinearClippedTransfer",
    "SigmoidTransfer",
    "Channel",
    "Variation",
    "DeviceCard",
]


#: chains are diagonalised densely (O(m^3) time, O(m^2) memory): at most this many variables
MAX_VARIABLES = 1000


class Strict(BaseModel):
    """Base of all card models: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Bounds(Strict):
    """Hard bounds on every chain variable u_k (clipping after each step and event).

    Bounds make the dynamics nonlinear: only the dense-propagator, implicit-Euler and
    explicit-Euler integrators support them (the eigenbasis integrator refuses).
    """

    lower: Quantity(DIMENSIONLESS)
    upper: Quantity(DIMENSIONLESS)

    @model_validator(mode="after")
    def _ordered(self) -> "Bounds":
        if not self.lower < self.upper:
            raise ValueError(f"lower ({self.lower}) must be below upper ({self.upper})")
        return self


class VoltageBounds(Bounds):
    """Hard bounds on the compartment potentials u_k of a proton transistor [V]: a number (volts)
    or a quantity such as ``-0.5 V``, ``200 mV``."""

    lower: Quantity(VOLTAGE)
    upper: Quantity(VOLTAGE)


class _CardBase(Strict):
    name: str | None = None
    description: str = ""


class BennaFusiCard(_CardBase):
    """Ideal Benna–Fusi chain, C_k du_k/dt = g_{k-1,k}(u_{k-1}-u_k) + g_{k,k+1}(u_{k+1}-u_k).

    ``couplings`` has m entries: g_{1,2} … g_{m-1,m} and the leak g_{m,m+1} to u_{m+1} = 0.
    Time is measured in ``time_unit`` seconds (dimensionless chain time × time_unit = seconds).
    """

    kind: Literal["benna_fusi"]
    n_variables: int = Field(ge=1, le=MAX_VARIABLES, description="m, number of dynamical variables")
    capacities: SeriesOf(DIMENSIONLESS)
    couplings: SeriesOf(DIMENSIONLESS)
    leak: bool = Field(True, description="False sets g_{m,m+1} = 0 (closed chain conserves Σ C_k u_k)")
    time_unit: PositiveQuantity(TIME) = 1.0
    event_size: PositiveQuantity(DIMENSIONLESS) = 1.0
    bounds: Bounds | None = None

    @model_validator(mode="after")
    def _lengths(self) -> "BennaFusiCard":
        self.capacities.resolve(self.n_variables, "capacities")
        self.couplings.resolve(self.n_variables, "couplings")
        return self


class SingleTimescaleCard(_CardBase):
    """One leaky variable: du/dt = -u/τ, events add ±event_size (the m = 1 chain)."""

    kind: Literal["single_timescale"]
    time_constant: PositiveQuantity(TIME)
    event_size: PositiveQuantity(DIMENSIONLESS) = 1.0
    bounds: Bounds | None = None


class BinaryStochasticCard(_CardBase):
    """Two states w = ±1; an event of sign s on a synapse with w ≠ s sets w = s with probability q.

    There is no decay between events: memories are erased only by later events.
    """

    kind: Literal["binary_stochastic"]
    transition_probability: float = Field(gt=0.0, le=1.0, description="q per event")


class CascadeCard(_CardBase):
    """Cascade model (Fusi, Drew & Abbott, Neuron 45:599, 2005), n levels per weight state.

    An event of sign s on a synapse of the opposite state at level i switches it to level 1 of
    state s with probability q_i = x^(i-1) (i < n), q_n = x^(n-1)/(1-x); an event of the same
    sign moves it one level deeper (i → i+1, i < n) with probability p_i = x^i/(1-x).
    """

    kind: Literal["cascade"]
    n_levels: int = Field(ge=1, le=MAX_VARIABLES, description="n, depth of the cascade")
    ratio: float = Field(0.5, gt=0.0, lt=1.0, description="x, probability ratio between levels")


class GatePulse(Strict):
    """Gate pulse → charge into compartment 1 through the gate's ionic conductance g_gate.

    Linear mode: Q = g_gate·amplitude·width, Δu_1 = ±Q/C_1 (sign = polarity × pulse sign).
    Soft saturation: compartment 1 charges towards the gate voltage V_t = ±amplitude,
    Δu_1 = (V_t − u_1)(1 − exp(−g_gate·width/C_1)), the exact charging of an isolated
    compartment, so updates shrink near the bounds ±amplitude.
    """

    amplitude: PositiveQuantity(VOLTAGE) = 1.0
    width: PositiveQuantity(TIME) = 1e-3
    injection_conductance: PositiveQuantity(CONDUCTANCE)
    polarity: Literal[1, -1] = 1
    saturation: Literal["none", "soft"] = "none"
    cycle_noise: float = Field(0.0, ge=0.0, description="relative std of injected charge per pulse")


class LinearClippedTransfer(Strict):
    """s(u) = clip((u − u_low)/(u_high − u_low), 0, 1)."""

    kind: Literal["linear_clipped"] = "linear_clipped"
    u_low: Quantity(VOLTAGE) = -1.0
    u_high: Quantity(VOLTAGE) = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> "LinearClippedTransfer":
        if not self.u_low < self.u_high:
            raise ValueError(f"u_low ({self.u_low} V) must be below u_high ({self.u_high} V)")
        return self


class SigmoidTransfer(Strict):
    """s(u) = 1 / (1 + exp(−(u − u_mid)/u_slope))."""

    kind: Literal["sigmoid"]
    u_mid: Quantity(VOLTAGE) = 0.0
    u_slope: PositiveQuantity(VOLTAGE) = 0.25


class Channel(Strict):
    """Channel conductance G(u_1) = G_min + (G_max − G_min)·s(u_1), read with relative noise."""

    g_min: NonNegativeQuantity(CONDUCTANCE)
    g_max: PositiveQuantity(CONDUCTANCE)
    transfer: Annotated[Union[LinearClippedTransfer, SigmoidTransfer], Field(discriminator="kind")] = (
        LinearClippedTransfer()
    )
    read_noise: float = Field(0.0, ge=0.0, description="relative std of each conductance read")

    @model_validator(mode="after")
    def _ordered(self) -> "Channel":
        if not self.g_max > self.g_min:
            raise ValueError(f"g_max ({self.g_max} S) must exceed g_min ({self.g_min} S)")
        return self


class Variation(Strict):
    """Device-to-device variation: relative (lognormal) std of each parameter, drawn per device
    (and per compartment or bridge where the parameter has one value each)."""

    diffusion_coefficient: float = Field(0.0, ge=0.0)
    diffusion_length: float = Field(0.0, ge=0.0)
    bridge_cross_section: float = Field(0.0, ge=0.0)
    capacity: float = Field(0.0, ge=0.0)
    injection_conductance: float = Field(0.0, ge=0.0)
    g_min: float = Field(0.0, ge=0.0)
    g_max: float = Field(0.0, ge=0.0)


class VolumeCapacity(Strict):
    """Compartment volumes V_k; C_k = c_v·V_k."""

    volume: SeriesOf(VOLUME)


class CapacitanceCapacity(Strict):
    """Compartment capacitances C_k given directly (independent of the bridge geometry)."""

    capacitance: SeriesOf(CAPACITANCE)


def _capacity_tag(value) -> str | None:
    if isinstance(value, str):
        return "geometry"
    if isinstance(value, VolumeCapacity) or (isinstance(value, dict) and "volume" in value):
        return "volume"
    if isinstance(value, CapacitanceCapacity) or (isinstance(value, dict) and "capacitance" in value):
        return "capacitance"
    return None


CapacityModel = Annotated[
    Union[Annotated[Literal["geometry"], Tag("geometry")], Annotated[VolumeCapacity, Tag("volume")],
          Annotated[CapacitanceCapacity, Tag("capacitance")]],
    Discriminator(_capacity_tag, custom_error_type="capacity_form",
                  custom_error_message="expected 'geometry', {volume: ...} or {capacitance: ...}"),
]


class ProtonTransistorCard(_CardBase):
    """Proton transistor with a chain of proton-storage compartments (DESIGN §2.2).

    Compartment k holds charge C_k·u_k; bridge k (k = 1..n) couples compartment k to k+1 by
    proton diffusion, the last bridge leaking to the reservoir (u_{n+1} = 0):

        g_k = c_v · D · A_k / L_k          [S]  (diffusion conductance of a bridge)
        C_k = c_v · A_k · L_k              [F]  (capacity: geometry, compartment as long as L_k)
            = c_v · V_k  or given directly  [F]

    so τ_k = C_k/g_k = L_k²/D for geometric compartments and L_k·C_k/(c_v·D·A_k) otherwise.
    ``c_v`` is the volumetric (chemical) capacitance of the proton conductor: it converts the
    proton concentration into the potential u_k that the channel responds to.
    """

    kind: Literal["proton_transistor"]
    compartments: int = Field(ge=1, le=MAX_VARIABLES, description="n, number of storage compartments")
    diffusion_coefficient: PositiveQuantity(DIFFUSIVITY)
    diffusion_length: SeriesOf(LENGTH)
    bridge_cross_section: SeriesOf(AREA)
    volumetric_capacitance: PositiveQuantity(VOLUMETRIC_CAPACITANCE) = 4.0e7
    capacity: CapacityModel = "geometry"
    leak: bool = Field(True, description="False closes the last bridge (no leak to the reservoir)")
    gate: GatePulse
    channel: Channel
    bounds: VoltageBounds | None = None
    variation: Variation = Variation()

    @model_validator(mode="after")
    def _lengths(self) -> "ProtonTransistorCard":
        n = self.compartments
        self.diffusion_length.resolve(n, "diffusion_length (one per bridge; the last is the leak)")
        self.bridge_cross_section.resolve(n, "bridge_cross_section (one per bridge)")
        if isinstance(self.capacity, VolumeCapacity):
            self.capacity.volume.resolve(n, "capacity.volume (one per compartment)")
        elif isinstance(self.capacity, CapacitanceCapacity):
            self.capacity.capacitance.resolve(n, "capacity.capacitance (one per compartment)")
        return self


DeviceCard = Annotated[
    Union[BennaFusiCard, ProtonTransistorCard, SingleTimescaleCard, BinaryStochasticCard, CascadeCard],
    Field(discriminator="kind"),
]


__all__ += ["VolumeCapacity", "CapacitanceCapacity", "Series"]
