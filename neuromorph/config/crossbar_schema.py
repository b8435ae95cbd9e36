"""Schema of crossbar cards (``circuits/crossbar_*.yaml``): an N_in × N_out array of complex-synapse
devices with its periphery. The pydantic models *are* the file format; unknown fields are refused.

A card names its cell device by a path relative to the card that states it (``device:
../devices/proton_transistor_5.yaml``; a card extending another with ``base:`` inherits the path
and its folder); :func:`neuromorph.crossbar.array.load_crossbar` resolves it, loads the device
card and reports any problem at the crossbar card's ``file:line``.

=====================  ===========================================================================
field                  meaning
=====================  ===========================================================================
``size``               ``{rows: N_in, columns: N_out}``: logical (signed) weights
``device``             device card per cell (``proton_transistor``, ``benna_fusi`` or
                       ``single_timescale``; discrete stochastic synapses are refused)
``channel``            conductance of ideal chain devices, G(u_1) = G_min + (G_max−G_min)·s(u_1)
                       (required for ideal devices, refused for proton transistors, which carry
                       their own channel)
``weights``            signed-weight scheme: ``differential`` (two cells per weight,
                       w = (G⁺ − G⁻)/(G_max − G_min)) or ``reference_column`` (one extra column of
                       fixed conductances G_ref, w = 2(G − G_ref)/(G_max − G_min))
``dac``                input DAC: ``bits`` and voltage ``range`` [v_low, v_high]; inputs x ∈ [−1, 1]
``adc``                output ADC: ``bits``, full-scale current ``range`` (``auto``: the worst case
                       N·V·ΔG of the read) and ``saturation`` (``clip`` or ``none``)
``read_noise``         ``cell``: relative noise of every cell current per read (default: the
                       device's channel read noise); ``output``: additive current noise [A] per
                       sensed line
``variation``          device-to-device variation overriding the device card's (same fields)
``stuck``              ``fraction`` of cells frozen at ``g_min``, ``g_max`` or ``both`` (half each)
``wires``              ``row``/``column`` segment resistance between cells, ``driver``/``sense``
                       resistances of the periphery
``read_voltage``       voltage applied to rows for conductance reads and the IR-drop map
``timing``             ``read``: time per read (one input vector); ``update``: time slot of one
                       outer-product update (pulses plus settling)
``write``              update ``scheme`` (``stochastic`` pulse coincidence after Gokmen & Vlasov
                       2016, or ``deterministic`` pulse counts), ``bit_length`` BL (also the most
                       pulses one update may give a cell) and the default ``learning_rate`` η
=====================  ===========================================================================
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .device_schema import Channel, Strict, Variation
from .quantities import NonNegativeQuantity, PositiveQuantity, Quantity
from .units import CONDUCTANCE, CURRENT, RESISTANCE, TIME, VOLTAGE, UnitError, parse_quantity

__all__ = ["ArraySize", "WeightScheme", "DAC", "ADC", "ReadNoise", "StuckCells", "Wires", "Timing",
           "WriteScheme", "CrossbarCard"]

#: above this many cells per array a card is almost certainly a typo (2^24 ≈ 16.8 M)
MAX_CELLS = 1 << 24


class ArraySize(Strict):
    """Logical array size: N_in rows (inputs) × N_out columns (outputs)."""

    rows: int = Field(ge=1, le=65536)
    columns: int = Field(ge=1, le=65536)

    @model_validator(mode="after")
    def _not_huge(self) -> "ArraySize":
        if self.rows * self.columns > MAX_CELLS:
            raise ValueError(f"{self.rows} x {self.columns} = {self.rows * self.columns:,} weights exceeds "
                             f"the limit of {MAX_CELLS:,}")
        return self


class WeightScheme(Strict):
    """How a signed weight is made of non-negative conductances.

    ``differential``      two cells per weight, in adjacent physical columns 2j (G⁺) and 2j+1
                          (G⁻); w = (G⁺ − G⁻)/(G_max − G_min) ∈ [−1, 1].
    ``reference_column``  one cell per weight plus one extra physical column (the last) of fixed
                          conductances G_ref; w = 2(G − G_ref)/(G_max − G_min), with G_ref =
                          ``reference_conductance`` (default (G_min + G_max)/2 of the nominal
                          channel).
    """

    scheme: Literal["differential", "reference_column"] = "differential"
    reference_conductance: PositiveQuantity(CONDUCTANCE) | None = None

    @model_validator(mode="after")
    def _reference_only(self) -> "WeightScheme":
        if self.reference_conductance is not None and self.scheme != "reference_column":
            raise ValueError("reference_conductance applies only to scheme: reference_column")
        return self


class DAC(Strict):
    """Input DAC: x ∈ [−1, 1] ↦ v = v_mid + x·(v_high − v_low)/2, rounded to a mid-tread grid of
    2^bits − 1 levels (2^(bits−1) − 1 on each side of v_mid, so v_mid and both ends are exact);
    ``bits: null`` is an ideal DAC (no rounding)."""

    bits: Annotated[int, Field(ge=2, le=32)] | None = 8
    range: tuple[Quantity(VOLTAGE), Quantity(VOLTAGE)] = (-0.2, 0.2)

    @field_validator("range", mode="before")
    @classmethod
    def _pair(cls, value):
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ValueError("expected two voltages [v_low, v_high], e.g. [-0.2 V, 0.2 V]")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "DAC":
        low, high = self.range
        if not low < high:
            raise ValueError(f"range: v_low ({low} V) must be below v_high ({high} V)")
        return self


class ADC(Strict):
    """Output ADC on the signed current (I⁺ − I⁻, or I − I_ref): mid-tread grid of 2^bits − 1
    levels spanning ±``range``; ``saturation: clip`` clamps codes at ±(2^(bits−1) − 1), ``none``
    lets them run past full scale (an ideal, unbounded quantiser). ``range: auto`` is the worst
    case of each read: N·max|v|·(G_max − G_min) (N = rows for a forward read, columns for a
    transposed one). ``bits: null`` is an ideal ADC (no rounding, no saturation)."""

    bits: Annotated[int, Field(ge=2, le=32)] | None = 10
    range: Literal["auto"] | float = "auto"
    saturation: Literal["clip", "none"] = "clip"

    @field_validator("range", mode="before")
    @classmethod
    def _auto_or_current(cls, value):
        if value == "auto":
            return value
        try:
            current = parse_quantity(value, CURRENT)
        except UnitError as exc:
            raise ValueError(f"expected 'auto' or a full-scale current such as '20 uA': {exc}") from None
        if not current > 0:
            raise ValueError("the full-scale current must be > 0 A (or 'auto')")
        return current


class ReadNoise(Strict):
    """``cell``: relative std of each cell's current in each read (default: the device card's
    channel read noise); ``output``: std of an additive current noise on each sensed line [A]."""

    cell: float | None = Field(None, ge=0.0)
    output: NonNegativeQuantity(CURRENT) = 0.0


class StuckCells(Strict):
    """A fixed ``fraction`` of the plastic cells, chosen at random, is stuck at its own G_min, its
    G_max, or (``both``) either with probability 1/2; writes do not change them."""

    fraction: float = Field(0.0, ge=0.0, le=1.0)
    at: Literal["g_min", "g_max", "both"] = "both"


class Wires(Strict):
    """Parasitic resistances (see :mod:`neuromorph.crossbar.irdrop` for the topology): one ``row``
    segment per cell along a row, one ``column`` segment per cell along a column, and the
    ``driver``/``sense`` resistances of the periphery."""

    row: NonNegativeQuantity(RESISTANCE) = 0.0
    column: NonNegativeQuantity(RESISTANCE) = 0.0
    driver: NonNegativeQuantity(RESISTANCE) = 0.0
    sense: NonNegativeQuantity(RESISTANCE) = 0.0


class Timing(Strict):
    """Time that passes in the array per read (one input vector) and per outer-product update
    (the slot in which the pulses are applied; every chain evolves during it)."""

    read: PositiveQuantity(TIME) = 1e-5
    update: PositiveQuantity(TIME) = 5e-2


class WriteScheme(Strict):
    """Outer-product update ΔW = η x δᵀ as gate pulses on the first compartment of each cell.

    ``stochastic``     Gokmen & Vlasov (2016): row i and column j each fire a random bit stream of
                       length BL with probabilities C|x_i| and C|δ_j|, C = sqrt(η/(BL·Δw_min));
                       a coincidence gives cell (i, j) one pulse of polarity sign(x_i δ_j), so
                       E[ΔW_ij] = η x_i δ_j (to first order in the device's nonlinearity).
    ``deterministic``  cell (i, j) gets round(η x_i δ_j / Δw_min) pulses, at most BL.
    """

    scheme: Literal["stochastic", "deterministic"] = "stochastic"
    bit_length: int = Field(31, ge=1, le=4096)
    learning_rate: float = Field(0.1, gt=0.0)


class CrossbarCard(Strict):
    """A crossbar array of complex-synapse devices (see the module docstring)."""

    kind: Literal["crossbar"] = "crossbar"
    name: str | None = None
    description: str = ""
    size: ArraySize
    device: str = Field(min_length=1, description="device card, relative to this card")
    channel: Channel | None = None
    weights: WeightScheme = WeightScheme()
    dac: DAC = DAC()
    adc: ADC = ADC()
    read_noise: ReadNoise = ReadNoise()
    variation: Variation | None = None
    stuck: StuckCells = StuckCells()
    wires: Wires = Wires()
    read_voltage: PositiveQuantity(VOLTAGE) = 0.1
    timing: Timing = Timing()
    write: WriteScheme = WriteScheme()


__all__ += ["MAX_CELLS"]
