r"""A crossbar array of complex-synapse devices: cards, cell state, read path and write path.

Physical layout (N_in rows × N_lines physical columns, the topology of
:mod:`neuromorph.crossbar.irdrop`)
    ``differential``      N_lines = 2·N_out: column 2j holds G⁺ of weight column j, 2j+1 holds G⁻;
                          w_ij = (G⁺_ij − G⁻_ij)/(G_max − G_min).
    ``reference_column``  N_lines = N_out + 1: columns 0..N_out−1 hold one cell per weight, the
                          last column holds fixed conductances G_ref (resistors, not devices);
                          w_ij = 2(G_ij − G_ref)/(G_max − G_min).
    G_max − G_min and G_ref are the nominal channel values; device-to-device variation of each
    cell's G_min/G_max therefore shows up as weight error, as in hardware.

Cell state
    All plastic cells form one population of chains (shared :class:`LinearChain`, or a
    :class:`ChainBatch` with variation) integrated exactly in the eigenbasis; the array keeps
    the mode-space state of every cell and the time it refers to. Time passes in the array:
    ``timing.read`` per input vector read, ``timing.update`` per update slot, and
    :meth:`CrossbarArray.wait`; the chains are advanced lazily (exactly) when a read or a write
    needs them, so consolidation and forgetting happen in the array.
    G = G_min + (G_max − G_min)·s(u_1) per cell (the device card's channel, or the crossbar
    card's ``channel`` for ideal chain devices). Stuck cells keep their own G_min or G_max.

Read path (forward: drive rows with x ∈ [−1, 1]^N_in, sense columns)
    v = DAC(x);  I = Gᵀv (ideal) or the sparse nodal solve with wire resistance (IR drop);
    + read noise;  I_s = I⁺ − I⁻ (or I − I_ref), subtracted before the ADC;
    y = ADC(I_s) / (h·ΔG·c),  h = DAC half range, ΔG = G_max − G_min, c = 1 (differential) or 1/2
    (reference), so y ≈ Wᵀx_q with x_q the DAC-quantised input (exactly, for a symmetric DAC
    range and ideal everything else).
Transposed read (drive columns with δ ∈ [−1, 1]^N_out, sense rows): differential pairs are
    driven with +v_j on G⁺ and −v_j on G⁻ (inverting driver), so each row current is
    Σ_j (G⁺ − G⁻)v_j; with a reference column the reference line is held at 0 V and the periphery
    subtracts the known G_ref·Σ_j v_j. y ≈ W δ_q.

Write path: see :mod:`neuromorph.crossbar.write`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config.crossbar_schema import ArraySize, CrossbarCard
from ..config.device_schema import Channel, LinearClippedTransfer, SigmoidTransfer, Variation
from ..config.yamlio import CardSource, ConfigError, read_card, validate_card
from ..devices.base import ChainDevice, DevicePopulation, StochasticDevice, lognormal_jitter
from ..devices.loader import load_device
from ..devices.proton_transistor import ProtonTransistor, channel_transfer
from ..kernels import crossbar as xkern
from ..synapses.integrators import make_integrator
from . import write as _write
from .irdrop import WireParameters, solve_read
from .readout import ADC, DAC, ReadNoise

__all__ = ["CrossbarConfig", "CrossbarArray", "ReadResult", "UpdateResult", "load_crossbar",
           "inverse_transfer"]


# --------------------------------------------------------------------------- #
# cards
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class CrossbarConfig:
    """A validated crossbar card with its cell device resolved and built."""

    card: CrossbarCard
    device: ChainDevice
    path: Path
    device_path: Path
    source: CardSource | None = None

    @property
    def name(self) -> str:
        return self.card.name or self.path.stem


def _where(source: CardSource, *path) -> str:
    file, line = source.where(tuple(path))
    return f"{file}:{line}"


def load_crossbar(path: str | Path, rows: int | None = None, columns: int | None = None) -> CrossbarConfig:
    """Read and validate a crossbar card, load its device card (relative to the crossbar card)
    and check the combination. ``rows``/``columns`` override the card's size (benchmarks).

    Every problem raises :class:`ConfigError` naming the crossbar card's ``file:line: field``.
    """
    path = Path(path)
    source = read_card(path)
    card = validate_card(source, CrossbarCard)
    if rows is not None or columns is not None:
        try:
            size = ArraySize(rows=rows or card.size.rows, columns=columns or card.size.columns)
        except ValueError as exc:
            raise ConfigError([f"{_where(source, 'size')}: size: {exc}"]) from None
        card = card.model_copy(update={"size": size})
    here = _where(source, "device")
    # relative to the card that states it (a card extending another with ``base:`` inherits the
    # base card's device path, resolved from the base card's folder)
    stated_in = Path(source.where(("device",))[0]) if "device" in source.data else path
    device_path = stated_in.parent / card.device
    if not device_path.is_file():
        raise ConfigError([f"{here}: device: file {card.device!r} not found (resolved to {device_path}; "
                           f"the path is relative to the crossbar card's folder {stated_in.parent}/)"])
    try:
        device = load_device(device_path)
    except ConfigError as exc:
        raise ConfigError([f"{here}: device: the device card {card.device} is invalid:"]
                          + [f"  {p}" for p in exc.problems]) from None
    if isinstance(device, StochasticDevice):
        raise ConfigError([f"{here}: device: {card.device} is a {device.kind} synapse (discrete states, no "
                           "chain); crossbar cells need a chain device: proton_transistor, benna_fusi or "
                           "single_timescale"])
    problems: list[str] = []
    if isinstance(device, ProtonTransistor):
        if card.channel is not None:
            problems.append(f"{_where(source, 'channel')}: channel: {device.name} is a proton transistor with its "
                            f"own channel (in {card.device}); remove this field")
        if card.variation is not None:
            given = {k: getattr(card.variation, k) for k in card.variation.model_fields_set}
            merged = device.card.variation.model_copy(update=given)
            device = ProtonTransistor(device.card.model_copy(update={"variation": merged}), device.name)
    else:
        if card.channel is None:
            problems.append(f"{here}: channel: required for the ideal chain device {device.name} ({device.kind}): "
                            "give the cell conductance, e.g. channel: {g_min: 1 uS, g_max: 10 uS, transfer: "
                            "{kind: linear_clipped, u_low: -10, u_high: 10}}")
        if card.variation is not None:
            bad = sorted(set(card.variation.model_fields_set) - {"g_min", "g_max"})
            if bad:
                problems.append(f"{_where(source, 'variation')}: variation: {', '.join(bad)} apply only to proton "
                                f"transistors; an ideal chain device ({device.kind}) varies only in g_min, g_max")
    if device.bounds is not None and not device.bounds[0] <= 0.0 <= device.bounds[1]:
        problems.append(f"{here}: device: bounds [{device.bounds[0]}, {device.bounds[1]}] of {card.device} exclude "
                        "the rest state u = 0; crossbar cells start at rest and need lower <= 0 <= upper")
    if isinstance(device, ProtonTransistor):
        width = device.card.gate.width
        need = card.write.bit_length * width
        if card.timing.update < need:
            problems.append(f"{_where(source, 'timing', 'update')}: timing.update: {card.timing.update:g} s is "
                            f"shorter than bit_length x pulse width = {card.write.bit_length} x {width:g} s = "
                            f"{need:g} s; one update slot must fit the longest pulse train")
    if problems:
        raise ConfigError(problems)
    config = CrossbarConfig(card, device, path, device_path, source)
    dw = _delta_w_min(config)
    if not dw > 0:
        raise ConfigError([f"{here}: device: one pulse from rest does not change the conductance (the channel "
                           "transfer is flat at u_1 = 0); the write path needs a transfer with slope at 0"])
    lr = card.write.learning_rate
    if card.write.scheme == "stochastic" and lr > card.write.bit_length * dw:
        raise ConfigError([f"{_where(source, 'write', 'learning_rate')}: write.learning_rate: {lr:g} exceeds "
                           f"bit_length x Δw_min = {card.write.bit_length} x {dw:.4g} = "
                           f"{card.write.bit_length * dw:.4g}, the largest update one slot can give"])
    return config


def _channel(config: CrossbarConfig) -> Channel:
    dev = config.device
    return dev.card.channel if isinstance(dev, ProtonTransistor) else config.card.channel


def _event_size_from_rest(device: ChainDevice) -> float:
    return device.nominal_event_size() if isinstance(device, ProtonTransistor) else device.event_size


def _delta_w_min(config: CrossbarConfig) -> float:
    """Weight change of one pulse at rest: (G(Δu) − G(−Δu))/(G_max − G_min), nominal channel."""
    ch = _channel(config)
    du = _event_size_from_rest(config.device)
    s = channel_transfer(np.array([du, -du]), ch.transfer)
    return float(s[0] - s[1])


def inverse_transfer(s, transfer: LinearClippedTransfer | SigmoidTransfer) -> np.ndarray:
    """u_1 with s(u_1) = s (s clipped to [0, 1]; the sigmoid to [1e-12, 1 − 1e-12])."""
    s = np.asarray(s, dtype=float)
    if isinstance(transfer, LinearClippedTransfer):
        return transfer.u_low + np.clip(s, 0.0, 1.0) * (transfer.u_high - transfer.u_low)
    s = np.clip(s, 1e-12, 1.0 - 1e-12)
    return transfer.u_mid + transfer.u_slope * np.log(s / (1.0 - s))


# --------------------------------------------------------------------------- #
# results
# --------------------------------------------------------------------------- #
@dataclass
class ReadResult:
    """One (possibly batched) read.

    y:             outputs in weight units, (N_out[, B]) forward or (N_in[, B]) transposed
    current_a:     signed analog current fed to the ADC (after noise) [A]
    adc_current_a: the ADC's output current [A] (y = adc_current_a / scale_a_per_weight)
    line_current_a: current of every sensed physical line before noise [A]
    saturated:     ADC conversions that hit full scale
    input_q:       the DAC-quantised inputs (x units)
    """

    y: np.ndarray
    current_a: np.ndarray
    adc_current_a: np.ndarray
    line_current_a: np.ndarray
    saturated: np.ndarray
    input_q: np.ndarray
    scale_a_per_weight: float


@dataclass
class UpdateResult:
    """One outer-product update: signed pulse counts per weight and the intended ΔW = η x δᵀ."""

    counts: np.ndarray
    intended: np.ndarray
    learning_rate: float
    scheme: str
    clipped: int = 0


# --------------------------------------------------------------------------- #
# the array
# --------------------------------------------------------------------------- #
@dataclass
class _Cells:
    population: DevicePopulation
    g_min: np.ndarray
    g_max: np.ndarray
    stuck: np.ndarray          # indices of stuck cells
    stuck_value: np.ndarray    # their conductances
    extra: dict = field(default_factory=dict)


class CrossbarArray:
    """N_in × N_out signed weights on N_in × N_lines cells (see the module docstring).

    ``seed`` fixes the device-to-device variation, the stuck cells and the noise streams: the
    same card and seed give the same numbers for the same sequence of calls.
    """

    def __init__(self, config: CrossbarConfig, seed: int = 0):
        card, device = config.card, config.device
        self.config = config
        self.card = card
        self.device = device
        self.seed = int(seed)
        self.name = config.name
        self.card_path = config.path
        self.n_in, self.n_out = card.size.rows, card.size.columns
        self.scheme = card.weights.scheme
        self.differential = self.scheme == "differential"
        self.n_cell_lines = 2 * self.n_out if self.differential else self.n_out
        self.n_lines = 2 * self.n_out if self.differential else self.n_out + 1
        self.n_cells = self.n_in * self.n_cell_lines
        build, write, read = (np.random.default_rng(s) for s in np.random.SeedSequence(self.seed).spawn(3))
        self._write_rng, self._read_rng = write, read

        channel = _channel(config)
        self.transfer = channel.transfer
        self.g_min_nominal, self.g_max_nominal = float(channel.g_min), float(channel.g_max)
        self.delta_g = self.g_max_nominal - self.g_min_nominal
        self.g_reference = (card.weights.reference_conductance if card.weights.reference_conductance is not None
                            else 0.5 * (self.g_min_nominal + self.g_max_nominal))
        self._cells = self._sample_cells(build)
        self.integrator = make_integrator("eigen", self._cells.population.chains, device.bounds)
        self.state = np.zeros((self.n_cells, device.n_variables))
        self._version = 0           # bumped by every write: invalidates the u_1 and conductance caches
        self._u1, self._u1_version = None, -1
        self._g_cache = None
        self._g2_cache = None
        self._decay_cache: dict[float, np.ndarray] = {}
        self.time_unit_s = float(self._cells.population.chains.time_unit_s)
        self.time_s = 0.0
        self._state_time_s = 0.0

        self.dac = DAC(card.dac.bits, *card.dac.range)
        cell_noise = card.read_noise.cell if card.read_noise.cell is not None else channel.read_noise
        self.noise = ReadNoise(float(cell_noise), float(card.read_noise.output))
        self.wires = WireParameters(card.wires.row, card.wires.column, card.wires.driver, card.wires.sense)
        self.read_voltage = float(card.read_voltage)
        self.t_read, self.t_update = float(card.timing.read), float(card.timing.update)
        self.write_scheme = card.write.scheme
        self.bit_length = card.write.bit_length
        self.learning_rate = card.write.learning_rate
        self.delta_w_min = _delta_w_min(config)
        self.weight_factor = 1.0 if self.differential else 0.5  # ΔG per unit weight, relative to ΔG
        self.adc_forward = self._adc(self.n_in)
        self.adc_transposed = self._adc(self.n_out)
        self.pulse_model = self._pulse_model()
        self._rate = (None if self.pulse_model.rate is None
                      else np.ascontiguousarray(np.atleast_1d(self.pulse_model.rate), dtype=float))

    # ---- construction helpers -------------------------------------------- #
    def _sample_cells(self, rng: np.random.Generator) -> _Cells:
        device, card = self.device, self.card
        n = self.n_cells
        population = device.sample_population(n, rng)
        if isinstance(device, ProtonTransistor):
            g_min, g_max = population.params["g_min"], population.params["g_max"]
        else:
            var = card.variation or Variation()
            g_min = lognormal_jitter(rng, self.g_min_nominal, var.g_min, n)
            g_max = lognormal_jitter(rng, self.g_max_nominal, var.g_max, n)
            population = DevicePopulation(population.chains, {"g_min": g_min, "g_max": g_max})
        n_stuck = int(round(card.stuck.fraction * n))
        stuck = np.sort(rng.choice(n, size=n_stuck, replace=False)) if n_stuck else np.empty(0, np.int64)
        at_max = {"g_min": np.zeros(n_stuck, bool), "g_max": np.ones(n_stuck, bool),
                  "both": rng.random(n_stuck) < 0.5}[card.stuck.at]
        value = np.where(at_max, g_max[stuck], g_min[stuck])
        return _Cells(population, g_min, g_max, stuck, value)

    def _adc(self, fan_in: int) -> ADC:
        a = self.card.adc
        if a.range == "auto":
            reach = self.delta_g if self.differential else max(self.g_max_nominal - self.g_reference,
                                                               self.g_reference - self.g_min_nominal)
            full_scale = fan_in * self.dac.max_abs_voltage() * reach
        else:
            full_scale = float(a.range)
        return ADC(a.bits, full_scale, a.saturation == "clip")

    def _pulse_model(self) -> _write.PulseModel:
        device = self.device
        if isinstance(device, ProtonTransistor):
            gate = device.card.gate
            params = self._cells.population.params
            rate = params["g_gate"] * gate.width / params["capacitance_1"]
            mode = "soft" if gate.saturation == "soft" else "linear"
            return _write.PulseModel(mode, target_v=gate.polarity * gate.amplitude, rate=rate,
                                     cycle_noise=gate.cycle_noise, pulse_width_s=gate.width)
        return _write.PulseModel("ideal", event_size=device.event_size)

    # ---- geometry --------------------------------------------------------- #
    @property
    def stuck_cells(self) -> np.ndarray:
        """Flat indices (row·N_cell_lines + line) of the stuck cells."""
        return self._cells.stuck

    @property
    def cell_g_min(self) -> np.ndarray:
        return self._cells.g_min.reshape(self.n_in, self.n_cell_lines)

    @property
    def cell_g_max(self) -> np.ndarray:
        return self._cells.g_max.reshape(self.n_in, self.n_cell_lines)

    def line_roles(self) -> list[str]:
        """Role of every physical column: ``+j``/``-j`` (differential), ``j`` or ``ref``."""
        if self.differential:
            return [f"{'+' if p % 2 == 0 else '-'}{p // 2}" for p in range(self.n_lines)]
        return [str(j) for j in range(self.n_out)] + ["ref"]

    def scale(self, transposed: bool = False) -> float:
        """Signed current per unit weight per unit input [A]: h·ΔG·c."""
        return self.dac.half_range * self.delta_g * self.weight_factor

    # ---- state and time --------------------------------------------------- #
    def _sync(self) -> np.ndarray:
        """Advance every chain exactly to the array's current time; returns u_1 of every cell."""
        dt = self.time_s - self._state_time_s
        if dt > 0 or self._u1 is None:
            u1 = np.empty(self.n_cells)
            decay = self._decay(dt / self.time_unit_s) if dt > 0 else np.ones((1, self.state.shape[1]))
            xkern.advance_read_u1(self.state, decay, self.integrator.readout, u1)
            self._state_time_s = self.time_s
            self._u1 = u1
        return self._u1

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` pass with no reads or writes (the chains evolve)."""
        if not seconds >= 0:
            raise ValueError(f"cannot wait a negative time ({seconds} s)")
        self.time_s += float(seconds)

    def u1(self) -> np.ndarray:
        """u_1 of every plastic cell now, (N_in, N_cell_lines)."""
        if self._u1_version != self._version:
            self._u1 = None
        u1 = self._sync()
        self._u1_version = self._version
        return u1.reshape(self.n_in, self.n_cell_lines).copy()

    def _cell_conductance(self, u1_flat: np.ndarray) -> np.ndarray:
        pop = self._cells.population
        if isinstance(self.device, ProtonTransistor):
            g = self.device.weight(u1_flat, pop)
        else:
            g = self._cells.g_min + (self._cells.g_max - self._cells.g_min) * channel_transfer(u1_flat, self.transfer)
        g = np.array(g, dtype=float)
        g[self._cells.stuck] = self._cells.stuck_value
        return g

    def conductances(self) -> np.ndarray:
        """True (noise-free) conductance of every physical cell now, (N_in, N_lines) [S]."""
        key = (self._version, self.time_s)
        if self._g_cache is None or self._g_cache[0] != key:
            g = self._cell_conductance(self.u1().ravel()).reshape(self.n_in, self.n_cell_lines)
            if not self.differential:
                g = np.concatenate([g, np.full((self.n_in, 1), self.g_reference)], axis=1)
            g.setflags(write=False)
            self._g_cache = (key, g)
        return self._g_cache[1]

    def _g_squared(self) -> np.ndarray:
        """G² elementwise (for the cell read noise), cached with the conductances."""
        g = self.conductances()
        if self._g2_cache is None or self._g2_cache[0] is not g:
            self._g2_cache = (g, g**2)
        return self._g2_cache[1]

    def weights_from_conductances(self, g: np.ndarray) -> np.ndarray:
        """Signed weights (N_in, N_out) represented by a physical conductance matrix."""
        if self.differential:
            return (g[:, 0::2] - g[:, 1::2]) / self.delta_g
        return (g[:, : self.n_out] - g[:, -1:]) / (self.weight_factor * self.delta_g)

    def weights(self) -> np.ndarray:
        """Signed weights (N_in, N_out) the array holds now (noise-free, from its conductances)."""
        return self.weights_from_conductances(self.conductances())

    def set_weights(self, w) -> None:
        """Program signed weights directly (ideal write-verify): every cell's chain is set to the
        uniform potential u whose conductance gives the target — the state after a long
        consolidation at u. Uses each cell's own G_min/G_max (variation is compensated); stuck
        cells stay stuck; targets beyond the conductance range saturate."""
        w = np.asarray(w, dtype=float)
        if w.shape != (self.n_in, self.n_out):
            raise ValueError(f"weights must have shape ({self.n_in}, {self.n_out}), got {w.shape}")
        half = 0.5 * self.delta_g * w
        if self.differential:
            mid = 0.5 * (self.g_min_nominal + self.g_max_nominal)
            target = np.empty((self.n_in, self.n_cell_lines))
            target[:, 0::2] = mid + half
            target[:, 1::2] = mid - half
        else:
            target = self.g_reference + half
        g_min, g_max = self._cells.g_min, self._cells.g_max
        s = (target.ravel() - g_min) / (g_max - g_min)
        u = inverse_transfer(s, self.transfer)
        if self.device.bounds is not None:
            u = np.clip(u, *self.device.bounds)
        u_all = np.repeat(u[:, None], self.device.n_variables, axis=1)
        self.state = np.ascontiguousarray(self.integrator.encode(u_all))
        self._state_time_s = self.time_s
        self._version += 1

    # ---- read path -------------------------------------------------------- #
    def read(self, x, ir_drop: bool = False, transposed: bool = False, noise: bool = True) -> ReadResult:
        """Read with inputs x ∈ [−1, 1]: (N_in[, B]) forward, (N_out[, B]) transposed.

        ``ir_drop`` solves the resistive network with the card's wire resistances; ``noise``
        False switches read noise off (the DAC and ADC still quantise). Each input vector
        advances the array's time by ``timing.read``.
        """
        x = np.asarray(x, dtype=float)
        n_drive = self.n_out if transposed else self.n_in
        if x.ndim not in (1, 2) or x.shape[0] != n_drive:
            raise ValueError(f"{'transposed ' if transposed else ''}read needs inputs of shape ({n_drive},) or "
                             f"({n_drive}, B), got {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("read inputs must be finite")
        g = self.conductances()
        xq = self.dac.quantise(x)
        v = self.dac.voltages(x)
        if not transposed:
            if ir_drop:
                sol = solve_read(g, v, self.wires)
                lines = sol.output_current_a
                cell_i = g.reshape(g.shape + (1,) * (v.ndim - 1)) * (sol.row_node_v - sol.col_node_v)
                sq = np.sum(cell_i**2, axis=0)
            else:
                lines = g.T @ v
                sq = self._g_squared().T @ (v**2) if noise and self.noise.active else 0.0
            noisy = self.noise.add(lines, sq, self._read_rng) if noise else lines
            if self.differential:
                signed = noisy[0::2] - noisy[1::2]
            else:
                signed = noisy[: self.n_out] - noisy[self.n_out]
            adc = self.adc_forward
        else:
            drive = np.zeros((self.n_lines,) + v.shape[1:])
            offset = 0.0
            if self.differential:
                drive[0::2], drive[1::2] = v, -v
            else:
                drive[: self.n_out] = v
                offset = self.g_reference * v.sum(axis=0)
            if ir_drop:
                sol = solve_read(g, drive, self.wires, transposed=True)
                lines = sol.output_current_a
                cell_i = g.reshape(g.shape + (1,) * (v.ndim - 1)) * (sol.col_node_v - sol.row_node_v)
                sq = np.sum(cell_i**2, axis=1)
            else:
                lines = g @ drive
                sq = self._g_squared() @ (drive**2) if noise and self.noise.active else 0.0
            noisy = self.noise.add(lines, sq, self._read_rng) if noise else lines
            signed = noisy - offset
            adc = self.adc_transposed
        converted = adc.convert(signed)
        scale = self.scale(transposed)
        batch = 1 if x.ndim == 1 else x.shape[1]
        self.time_s += batch * self.t_read
        return ReadResult(y=converted / scale, current_a=signed, adc_current_a=converted, line_current_a=lines,
                          saturated=adc.saturated(signed), input_q=xq, scale_a_per_weight=scale)

    def read_conductances(self, ir_drop: bool = False, noise: bool = True) -> np.ndarray:
        """Conductance map measured row by row: row i at the read voltage, the others at 0 V,
        every column current divided by the read voltage (with read noise, no ADC: a precise
        verify read). With ``ir_drop`` the wires are included (effective conductances).
        Advances time by N_in reads. Returns (N_in, N_lines) [S]."""
        g = self.conductances()
        v = self.read_voltage * np.eye(self.n_in)
        if ir_drop:
            sol = solve_read(g, v, self.wires)
            # batch b drives row b: current of line j in batch b is the measured cell (b, j)
            measured = sol.output_current_a.T
            sq = np.einsum("ij,ijb->bj", g**2, (sol.row_node_v - sol.col_node_v) ** 2)
        else:
            measured = g * self.read_voltage
            sq = measured**2
        if noise:
            measured = self.noise.add(measured, sq, self._read_rng)
        self.time_s += self.n_in * self.t_read
        return measured / self.read_voltage

    def ir_drop_map(self, voltage: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All rows at ``voltage`` (default the read voltage): relative error of every cell's
        current with wire resistance vs ideal wires, (ΔV_cell − V)/V, and the sense currents
        (ideal, IR drop). One read (advances time by ``timing.read``)."""
        v_read = self.read_voltage if voltage is None else float(voltage)
        g = self.conductances()
        v = np.full(self.n_in, v_read)
        sol = solve_read(g, v, self.wires)
        rel = (sol.row_node_v - sol.col_node_v) / v_read - 1.0
        self.time_s += self.t_read
        return rel, g.T @ v, sol.output_current_a

    # ---- write path ------------------------------------------------------- #
    def pulse_counts(self, x, delta, learning_rate: float | None = None, scheme: str | None = None) -> np.ndarray:
        """Signed pulse counts (N_in, N_out) of the update η x δᵀ (draws from the write stream)."""
        eta = self.learning_rate if learning_rate is None else float(learning_rate)
        scheme = scheme or self.write_scheme
        if scheme == "stochastic":
            return _write.stochastic_counts(x, delta, eta, self.delta_w_min, self.bit_length, self._write_rng)
        if scheme == "deterministic":
            return _write.deterministic_counts(x, delta, eta, self.delta_w_min, self.bit_length)
        raise ValueError(f"unknown write scheme {scheme!r}; expected 'stochastic' or 'deterministic'")

    def cell_counts(self, counts: np.ndarray) -> np.ndarray:
        """Per-cell signed pulse counts (N_cells,) for weight counts (N_in, N_out): G⁺ gets the
        counts, G⁻ the opposite polarity; stuck cells get none."""
        counts = np.asarray(counts)
        if self.differential:
            cells = np.empty((self.n_in, self.n_cell_lines), dtype=np.int32)
            cells[:, 0::2] = counts
            cells[:, 1::2] = -counts
        else:
            cells = np.array(counts, dtype=np.int32)
        flat = cells.reshape(-1)
        flat[self._cells.stuck] = 0
        return flat

    def apply_pulses(self, cell_counts: np.ndarray, fused: bool = True) -> None:
        """Apply signed per-cell pulse counts now, then let one update slot pass.

        ``fused`` runs :func:`neuromorph.kernels.crossbar.pulse_step` (decay, k-pulse event and
        clip in one pass); otherwise the (α, β) arrays are built with NumPy
        (:func:`~neuromorph.crossbar.write.pulse_coefficients`) and the core's
        :func:`~neuromorph.kernels.chain.eigen_step` applies them. Both draw the same noise and
        agree to rounding."""
        counts = np.ascontiguousarray(cell_counts, dtype=np.int32)
        if counts.shape != (self.n_cells,):
            raise ValueError(f"expected {self.n_cells} per-cell counts, got shape {counts.shape}")
        xi = _write.pulse_noise(self.pulse_model, counts, self._write_rng)
        dt = (self.time_s - self._state_time_s) / self.time_unit_s
        integ = self.integrator
        if fused:
            model = self.pulse_model
            mode = {"linear": xkern.MODE_LINEAR, "soft": xkern.MODE_SOFT, "ideal": xkern.MODE_IDEAL}[model.mode]
            target = model.event_size if model.mode == "ideal" else model.target_v
            rate = self._rate if self._rate is not None else np.zeros(1)
            xkern.pulse_step(self.state, self._decay(dt), integ.kick, integ.readout, counts, rate, float(target),
                             mode, float(model.cycle_noise), xi, integ.clip, float(integ.lower), float(integ.upper),
                             np.empty(self.n_cells))
        else:
            alpha, beta = _write.pulse_coefficients(self.pulse_model, counts, None, xi)
            integ.step(self.state, dt, alpha, beta)
        self._state_time_s = self.time_s
        self._version += 1
        self.time_s += self.t_update

    def _decay(self, dt: float) -> np.ndarray:
        """e^{λ dt} per mode ((1|N, m)), cached for the last two step lengths."""
        # keyed on 12 significant digits: accumulated times repeat a step length only up to rounding
        key = float(f"{dt:.12g}")
        if key not in self._decay_cache:
            if len(self._decay_cache) >= 2:
                self._decay_cache.pop(next(iter(self._decay_cache)))
            self._decay_cache[key] = np.exp(self.integrator.rates * key)
        return self._decay_cache[key]

    def update(self, x, delta, learning_rate: float | None = None, scheme: str | None = None) -> UpdateResult:
        """Outer-product update ΔW = η x δᵀ (x ∈ [−1, 1]^N_in, δ ∈ [−1, 1]^N_out) as pulses on
        the first compartment of every cell (see :mod:`neuromorph.crossbar.write`); the chains
        then evolve for one update slot (``timing.update``)."""
        eta = self.learning_rate if learning_rate is None else float(learning_rate)
        scheme = scheme or self.write_scheme
        x = np.asarray(x, float)
        delta = np.asarray(delta, float)
        if x.shape != (self.n_in,) or delta.shape != (self.n_out,):
            raise ValueError(f"update needs x of shape ({self.n_in},) and delta of shape ({self.n_out},), "
                             f"got {x.shape} and {delta.shape}")
        counts = self.pulse_counts(x, delta, eta, scheme)
        self.apply_pulses(self.cell_counts(counts))
        intended = eta * np.multiply.outer(x, delta)
        clipped = int(np.count_nonzero(np.abs(intended / self.delta_w_min) > self.bit_length + 0.5))
        return UpdateResult(counts, intended, eta, scheme, clipped)

    # ---- summary ---------------------------------------------------------- #
    def describe(self) -> dict:
        chains = self._cells.population.chains
        return {
            "name": self.name, "device": self.device.name, "device_kind": self.device.kind,
            "rows": self.n_in, "columns": self.n_out, "lines": self.n_lines, "cells": self.n_cells,
            "scheme": self.scheme, "compartments": self.device.n_variables,
            "variation": type(chains).__name__ == "ChainBatch", "stuck_cells": int(self._cells.stuck.size),
            "g_min_s": self.g_min_nominal, "g_max_s": self.g_max_nominal,
            "delta_w_min": self.delta_w_min, "bit_length": self.bit_length, "write_scheme": self.write_scheme,
            "dac_bits": self.dac.bits, "adc_bits": self.adc_forward.bits,
            "adc_full_scale_a": self.adc_forward.full_scale_a,
            "wires_ohm": {"row": self.wires.r_row_ohm, "column": self.wires.r_col_ohm,
                          "driver": self.wires.r_driver_ohm, "sense": self.wires.r_sense_ohm},
        }
