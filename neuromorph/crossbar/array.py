r"""A crossbar array of complex-synapse devices: the thin facade over the card
(:mod:`~neuromorph.crossbar.card`), the cells (:mod:`~neuromorph.crossbar.cells`), the read path
(:mod:`~neuromorph.crossbar.read`) and the write path (:mod:`~neuromorph.crossbar.write`).

The facade holds time and state. All plastic cells form one
:class:`~neuromorph.synapses.population.ChainPopulation` (shared :class:`LinearChain`, or a
:class:`ChainBatch` with variation) integrated exactly in the eigenbasis. Time passes in the
array: ``timing.read`` per input vector read, ``timing.update`` per update slot, and
:meth:`CrossbarArray.wait`; the chains are advanced lazily (exactly) when a read or a write needs
them, so consolidation and forgetting happen in the array.
"""

from __future__ import annotations

import numpy as np

from ..synapses.population import ChainPopulation
from . import write as _write
from .batch_write import BatchUpdateResult, UpdateResult, write_batch
from .card import CrossbarConfig, cell_channel, delta_w_min, load_crossbar
from .cells import CellLayout, inverse_transfer, sample_cells
from .irdrop import WireParameters
from .read import Periphery, ReadResult, current_scale, ir_drop_error_map, read_array, read_conductance_map
from .readout import ADC, DAC, ReadNoise
from .refresh import DEFAULT_READ_TOLERANCE, ConductanceCache

__all__ = ["CrossbarConfig", "CrossbarArray", "ReadResult", "UpdateResult", "load_crossbar",
           "inverse_transfer"]


def _adc(config: CrossbarConfig, layout: CellLayout, dac: DAC, fan_in: int) -> ADC:
    """The ADC of one read direction; ``range: auto`` is the largest signed current of ``fan_in``
    inputs at full DAC voltage on cells at the extreme of the weight range."""
    a = config.card.adc
    if a.range == "auto":
        reach = layout.delta_g_s if layout.differential else max(layout.g_max_nominal_s - layout.g_reference_s,
                                                                 layout.g_reference_s - layout.g_min_nominal_s)
        full_scale = fan_in * dac.max_abs_voltage() * reach
    else:
        full_scale = float(a.range)
    return ADC(a.bits, full_scale, a.saturation == "clip")


class CrossbarArray:
    """N_in × N_out signed weights on N_in × N_lines cells (see :mod:`neuromorph.crossbar.cells`).

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
        self.layout = layout = CellLayout.from_config(config)
        self.n_in, self.n_out = layout.n_in, layout.n_out
        self.scheme = card.weights.scheme
        self.differential = layout.differential
        self.n_cell_lines, self.n_lines, self.n_cells = layout.n_cell_lines, layout.n_lines, layout.n_cells
        build, write, read = (np.random.default_rng(s) for s in np.random.SeedSequence(self.seed).spawn(3))
        self._write_rng, self._read_rng = write, read

        self.channel = channel = cell_channel(config)
        self.transfer = channel.transfer
        self.g_min_nominal, self.g_max_nominal = layout.g_min_nominal_s, layout.g_max_nominal_s
        self.delta_g = layout.delta_g_s
        self.g_reference = layout.g_reference_s
        self._cells = sample_cells(config, layout, build)
        self.population = ChainPopulation(self._cells.population.chains, n=self.n_cells, bounds=device.bounds)
        self.integrator = self.population.integrator
        self._version = 0           # bumped by every write: invalidates the u_1 and conductance caches
        self._u1, self._u1_version = None, -1
        # conductances for reads: one fused pass over the chains, buffers reused, lazy within a tolerance
        self._g_cache = ConductanceCache(self._cells, channel, layout, self.population, DEFAULT_READ_TOLERANCE)
        self._stuck_mask = None
        self._write_decay_cache = {}    # e^{λ dt} tables of the batch write (neuromorph.crossbar.batch_write)
        self.time_unit_s = self.population.time_unit_s
        self.time_s = 0.0

        self.dac = DAC(card.dac.bits, *card.dac.range)
        cell_noise = card.read_noise.cell if card.read_noise.cell is not None else channel.read_noise
        self.noise = ReadNoise(float(cell_noise), float(card.read_noise.output))
        self.wires = WireParameters(card.wires.row, card.wires.column, card.wires.driver, card.wires.sense)
        self.read_voltage = float(card.read_voltage)
        self.t_read, self.t_update = float(card.timing.read), float(card.timing.update)
        self.write_scheme = card.write.scheme
        self.bit_length = card.write.bit_length
        self.learning_rate = card.write.learning_rate
        self.delta_w_min = delta_w_min(config)
        self.weight_factor = layout.weight_factor
        self.adc_forward = _adc(config, layout, self.dac, self.n_in)
        self.adc_transposed = _adc(config, layout, self.dac, self.n_out)
        self.periphery = Periphery(layout, self.dac, self.wires, self.noise, self.adc_forward, self.adc_transposed)
        self.linear_model = device.linear_model(self._cells.population)
        self.pulse_model = _write.pulse_model(self.linear_model)
        self._rate = (np.zeros(1) if self.pulse_model.rate is None
                      else np.ascontiguousarray(np.atleast_1d(self.pulse_model.rate), dtype=float))

    # ---- geometry --------------------------------------------------------- #
    @property
    def state(self) -> np.ndarray:
        """Mode-space state of every plastic cell (N_cells, m), at the time of the last sync."""
        return self.population.x

    @property
    def stuck_cells(self) -> np.ndarray:
        """Flat indices (row·N_cell_lines + line) of the stuck cells."""
        return self._cells.stuck

    @property
    def cell_g_min(self) -> np.ndarray:
        return self._cells.g_min_s.reshape(self.n_in, self.n_cell_lines)

    @property
    def cell_g_max(self) -> np.ndarray:
        return self._cells.g_max_s.reshape(self.n_in, self.n_cell_lines)

    def line_roles(self) -> list[str]:
        """Role of every physical column: ``+j``/``-j`` (differential), ``j`` or ``ref``."""
        return self.layout.line_roles()

    def scale(self, transposed: bool = False) -> float:
        """Signed current per unit weight per unit input [A]: h·ΔG·c."""
        return current_scale(self.periphery)

    # ---- state and time --------------------------------------------------- #
    def _sync(self) -> np.ndarray:
        """Advance every chain exactly to the array's current time; returns u_1 of every cell."""
        if self.time_s - self.population.time_s > 0 or self._u1 is None:
            self._u1 = self.population.advance_and_read(self.time_s)
        return self._u1

    def _read_conductances(self, need_g2: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """(G, G² or None) for a read now, from the conductance cache (buffers reused; see
        :mod:`neuromorph.crossbar.refresh`). A refresh advances the chains: u_1 is then recomputed."""
        refreshes = self._g_cache.refreshes
        g, g2 = self._g_cache.get(self.time_s, self._version, need_g2)
        if self._g_cache.refreshes != refreshes:
            self._u1 = None
        return g, g2

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

    def conductances(self) -> np.ndarray:
        """Noise-free conductance of every physical cell now, (N_in, N_lines) [S], read-only: exact,
        or (``read_tolerance`` > 0) from the last refresh while no cell can have moved by more than
        that fraction of the nominal range since (:mod:`neuromorph.crossbar.refresh`)."""
        g, _ = self._read_conductances()
        self._g_cache.hand_out()
        return g

    @property
    def read_tolerance(self) -> float:
        """Lazy-refresh tolerance of the conductances, relative to G_max − G_min (0 = exact at every
        read; default :data:`~neuromorph.crossbar.refresh.DEFAULT_READ_TOLERANCE`)."""
        return self._g_cache.tolerance

    @read_tolerance.setter
    def read_tolerance(self, value: float) -> None:
        value = float(value)
        if not (value >= 0 and np.isfinite(value)):
            raise ValueError(f"read_tolerance must be a finite number >= 0, got {value}")
        self._g_cache.tolerance = value

    @property
    def fused_read(self) -> bool:
        """True: conductances by one fused numba pass and one-vector reads by one pass over G
        (:mod:`neuromorph.kernels.read`); False: the unfused NumPy/BLAS path it replaced."""
        return self._g_cache.fused

    @fused_read.setter
    def fused_read(self, value: bool) -> None:
        self._g_cache.fused = bool(value)
        self._g_cache.invalidate()

    def weights_from_conductances(self, g: np.ndarray) -> np.ndarray:
        """Signed weights (N_in, N_out) represented by a physical conductance matrix."""
        return self.layout.weights_from_conductances(g)

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
        target = self.layout.target_conductances(w)
        g_min, g_max = self._cells.g_min_s, self._cells.g_max_s
        s = (target.ravel() - g_min) / (g_max - g_min)
        u = inverse_transfer(s, self.transfer)
        if self.device.bounds is not None:
            u = np.clip(u, *self.device.bounds)
        self.population.set_state(np.repeat(u[:, None], self.device.n_variables, axis=1))
        self.population.reset_clock(self.time_s)
        self._version += 1

    # ---- read path -------------------------------------------------------- #
    def read(self, x, ir_drop: bool = False, transposed: bool = False, noise: bool = True) -> ReadResult:
        """Read with inputs x ∈ [−1, 1]: (N_in[, B]) forward, (N_out[, B]) transposed
        (:func:`neuromorph.crossbar.read.read_array`).

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
        fused = self._g_cache.fused
        # G² is needed only for the cell noise of a batch (or of the unfused one-vector read)
        need_g2 = noise and self.noise.cell > 0 and not ir_drop and (x.ndim == 2 or not fused)
        g, g2 = self._read_conductances(need_g2)
        result = read_array(g, x, self.periphery, self._read_rng, ir_drop=ir_drop, transposed=transposed,
                            noise=noise, g_squared=g2, fused=fused)
        self.time_s += (1 if x.ndim == 1 else x.shape[1]) * self.t_read
        return result

    def read_conductances(self, ir_drop: bool = False, noise: bool = True) -> np.ndarray:
        """Conductance map measured row by row at the read voltage
        (:func:`neuromorph.crossbar.read.read_conductance_map`). Advances time by N_in reads.
        Returns (N_in, N_lines) [S]."""
        measured = read_conductance_map(self.conductances(), self.read_voltage, self.wires, self.noise,
                                        self._read_rng, ir_drop=ir_drop, with_noise=noise)
        self.time_s += self.n_in * self.t_read
        return measured

    def ir_drop_map(self, voltage: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All rows at ``voltage`` (default the read voltage): relative error of every cell's
        current with wire resistance vs ideal wires, (ΔV_cell − V)/V, and the sense currents
        (ideal, IR drop). One read (advances time by ``timing.read``)."""
        v_read = self.read_voltage if voltage is None else float(voltage)
        result = ir_drop_error_map(self.conductances(), v_read, self.wires)
        self.time_s += self.t_read
        return result

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
        return self.layout.cell_counts(counts, self._cells.stuck)

    def apply_pulses(self, cell_counts: np.ndarray, fused: bool = True) -> None:
        """Apply signed per-cell pulse counts now, then let one update slot pass.

        ``fused`` runs :func:`neuromorph.kernels.crossbar.pulse_step` (decay, k-pulse event and
        clip in one pass, :meth:`ChainPopulation.apply_pulses`); otherwise the (α, β) arrays are
        built with NumPy (:func:`~neuromorph.crossbar.write.pulse_coefficients`) and the core's
        :func:`~neuromorph.kernels.chain.eigen_step` applies them. Both draw the same noise and
        agree to rounding."""
        counts = np.ascontiguousarray(cell_counts, dtype=np.int32)
        if counts.shape != (self.n_cells,):
            raise ValueError(f"expected {self.n_cells} per-cell counts, got shape {counts.shape}")
        model = self.pulse_model
        xi = _write.pulse_noise(model, counts, self._write_rng)
        if fused:
            target = model.event_size if model.mode == "ideal" else model.target_v
            self.population.apply_pulses(self.time_s, counts, model.mode, target, self._rate, model.cycle_noise, xi)
        else:
            alpha, beta = _write.pulse_coefficients(model, counts, None, xi)
            self.population.step_coefficients(self.time_s, alpha, beta)
        self._version += 1
        self.time_s += self.t_update

    def update(self, x, delta, learning_rate: float | None = None, scheme: str | None = None) -> UpdateResult:
        """Outer-product update ΔW = η x δᵀ (x ∈ [−1, 1]^N_in, δ ∈ [−1, 1]^N_out) as pulses on
        the first compartment of every cell (see :mod:`neuromorph.crossbar.write`); the chains
        then evolve for one update slot (``timing.update``). The same write as
        :meth:`update_batch` with B = 1 (same kernel, same draws)."""
        eta = self.learning_rate if learning_rate is None else float(learning_rate)
        scheme = scheme or self.write_scheme
        x = np.asarray(x, float)
        delta = np.asarray(delta, float)
        if x.shape != (self.n_in,) or delta.shape != (self.n_out,):
            raise ValueError(f"update needs x of shape ({self.n_in},) and delta of shape ({self.n_out},), "
                             f"got {x.shape} and {delta.shape}")
        result = self.update_batch(x[None], delta[None], eta, scheme)
        return UpdateResult(result.counts[0], eta, scheme, result.clipped, x.copy(), delta.copy())

    def update_batch(self, x, delta, learning_rate: float | None = None, scheme: str | None = None,
                     fused: bool = True, keep_counts: bool = True) -> BatchUpdateResult:
        """A mini-batch of B outer-product updates, as hardware applies them: sample b's rank-1
        write η x_b δ_bᵀ (x (B, N_in), δ (B, N_out), entries in [−1, 1]) lands in update slot b,
        the chains relaxing exactly between the writes; the array ends B slots later
        (:mod:`neuromorph.crossbar.batch_write`). Same numbers (same draws) as B calls of
        :meth:`update`. ``fused`` runs all B writes in one call of
        :func:`neuromorph.kernels.training.batch_write`; otherwise its NumPy reference.
        ``keep_counts`` False skips the (B, N_in, N_out) pulse counts of the result (``counts``
        is then None; training does not need them)."""
        eta = self.learning_rate if learning_rate is None else float(learning_rate)
        scheme = scheme or self.write_scheme
        x = np.asarray(x, float)
        delta = np.asarray(delta, float)
        if x.ndim != 2 or delta.ndim != 2 or x.shape[1] != self.n_in or delta.shape[1] != self.n_out \
                or x.shape[0] != delta.shape[0]:
            raise ValueError(f"update_batch needs x of shape (B, {self.n_in}) and delta of shape (B, {self.n_out}), "
                             f"got {x.shape} and {delta.shape}")
        result = write_batch(self, x, delta, eta, scheme, fused=fused, keep_counts=keep_counts)
        self._version += 1
        return result

    @property
    def stuck_mask(self) -> np.ndarray:
        """Boolean mask of the stuck cells (N_cells,)."""
        if self._stuck_mask is None:
            self._stuck_mask = np.zeros(self.n_cells, dtype=bool)
            self._stuck_mask[self._cells.stuck] = True
        return self._stuck_mask

    # ---- checkpoints ------------------------------------------------------ #
    def snapshot(self) -> dict[str, np.ndarray]:
        """Everything that changes while the array is used — every cell's mode-space state and
        the time it refers to, the array's clock and both noise streams — as plain arrays (for
        ``np.savez``). :meth:`restore` on an array built from the same card and seed continues
        with exactly the numbers the original would have produced."""
        import json

        return {"state": self.population.x.copy(), "state_time_s": np.array(self.population.time_s),
                "time_s": np.array(self.time_s),
                "write_rng": np.array(json.dumps(self._write_rng.bit_generator.state)),
                "read_rng": np.array(json.dumps(self._read_rng.bit_generator.state))}

    def restore(self, snapshot: dict) -> None:
        """Continue from a :meth:`snapshot` of an array of the same card and seed."""
        import json

        state = np.asarray(snapshot["state"], dtype=float)
        if state.shape != self.population.x.shape:
            raise ValueError(f"snapshot of another array: state shape {state.shape} != {self.population.x.shape}")
        self.population.x = np.ascontiguousarray(state)
        self.population.time_s = float(snapshot["state_time_s"])
        self.time_s = float(snapshot["time_s"])
        self._write_rng.bit_generator.state = json.loads(str(snapshot["write_rng"]))
        self._read_rng.bit_generator.state = json.loads(str(snapshot["read_rng"]))
        self._u1 = None
        self._version += 1

    # ---- summary ---------------------------------------------------------- #
    def describe(self) -> dict:
        return {
            "name": self.name, "device": self.device.name, "device_kind": self.device.kind,
            "rows": self.n_in, "columns": self.n_out, "lines": self.n_lines, "cells": self.n_cells,
            "scheme": self.scheme, "compartments": self.device.n_variables,
            "variation": not self._cells.population.shared_chain, "stuck_cells": int(self._cells.stuck.size),
            "g_min_s": self.g_min_nominal, "g_max_s": self.g_max_nominal,
            "delta_w_min": self.delta_w_min, "bit_length": self.bit_length, "write_scheme": self.write_scheme,
            "dac_bits": self.dac.bits, "adc_bits": self.adc_forward.bits,
            "adc_full_scale_a": self.adc_forward.full_scale_a,
            "wires_ohm": {"row": self.wires.r_row_ohm, "column": self.wires.r_col_ohm,
                          "driver": self.wires.r_driver_ohm, "sense": self.wires.r_sense_ohm},
        }
