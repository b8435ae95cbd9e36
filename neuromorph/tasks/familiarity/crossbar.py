"""Device-level familiarity: the network's weights on a crossbar of chain devices (proton
transistors), items arriving at a rate in Hz (Zhang et al. 2024 run this pipeline on their device).

Mapping. An (N + 1) × N :class:`~neuromorph.crossbar.CrossbarArray`: input row j < N carries
neuron j's activity, row N is the bias input (always +1), column i is neuron i's dendrite; the
array's signed weight w_ji (differential pairs, or a reference column) is the synapse j → i.

* Storage of item x: the Hebbian outer product x̃ xᵀ (x̃ = [x, 1]) written as ``pulses_per_item``
  gate pulses of sign x̃_j x_i into every cell pair (:meth:`CrossbarArray.pulse_counts` style
  counts through :meth:`cell_counts` / :meth:`apply_pulses`), except the diagonal j = i (no
  self-synapse: those cells are never written). The write occupies ``timing.update``; the array
  then waits until the next item (period 1/rate), its chains relaxing in real time.
* Recurrent step: one forward read of every probe ỹ = [y, 1] through the periphery (DAC, read
  noise, ADC; the diagonal cells, left at rest, add their device-variation offset w_ii y_i):
  memory_i = sign(read_i), r = 1 − 2·Hamming fraction.
* io-signal: mean over the N(N − 1) off-diagonal synapses of w_ij y_i y_j from the array's
  noise-free weights (the ideal observer reads the synapses themselves).

The comparison is the ideal linear chain of the device's nominal chain (no noise, no variation,
no saturation, no periphery) at the same rate: ioSNR theory with the exact per-item propagator
exp(A/rate) (:func:`neuromorph.analysis.familiarity_theory.io_snr_from_transition`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import xarray as xr

from ...analysis.familiarity_metrics import THRESHOLDS, lifetime
from ...analysis.familiarity_theory import exact_item_transition, io_snr_from_transition, transition_kernel
from ...config.familiarity_schema import FamiliarityCrossbarCard
from ...crossbar import CrossbarArray, load_crossbar
from ...errors import ConfigError, InvalidParameterError
from .experiment import ModelSpec, ProtocolSpec, assemble, run_model

__all__ = ["FamiliarityCrossbarCard", "CrossbarFamiliarityNetwork", "crossbar_familiarity"]


class CrossbarFamiliarityNetwork:
    """The familiarity network on a :class:`CrossbarArray` of size (N + 1) × N."""

    def __init__(self, array: CrossbarArray, rate_hz: float, pulses_per_item: int = 1):
        n = array.n_out
        if array.n_in != n + 1:
            raise InvalidParameterError(f"the crossbar must be (N + 1) x N for N neurons, got {array.n_in} x {n}")
        self.array = array
        self.n_neurons = n
        self.pulses = int(pulses_per_item)
        self.period_s = 1.0 / rate_hz
        if self.period_s < array.t_update:
            raise InvalidParameterError(
                f"rate: {rate_hz:g} Hz leaves {self.period_s:g} s per item, less than the crossbar's update slot "
                f"timing.update = {array.t_update:g} s; lower the rate to <= {1 / array.t_update:g} Hz")
        self.items_stored = 0
        self._off = ~np.eye(n, dtype=bool)

    def store(self, items: np.ndarray, learning: bool = True) -> None:
        """Write each item as one Hebbian outer-product pulse update, then wait for the next item."""
        for x in np.asarray(items, dtype=np.int32):
            counts = np.zeros((self.n_neurons + 1, self.n_neurons), dtype=np.int32)
            counts[: self.n_neurons] = self.pulses * np.multiply.outer(x, x) * self._off
            counts[self.n_neurons] = self.pulses * x
            self.array.apply_pulses(self.array.cell_counts(counts))
            self.array.wait(self.period_s - self.array.t_update)
            self.items_stored += 1

    def probe(self, probes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(r, io) per probe row (see the module docstring); reads advance the array's clock."""
        y = np.asarray(probes, dtype=float)
        weights = self.array.weights()[: self.n_neurons] * self._off
        io = np.einsum("pi,ij,pj->p", y, weights, y) / (self.n_neurons * (self.n_neurons - 1))
        drive = np.vstack([y.T, np.ones((1, y.shape[0]))])
        out = self.array.read(drive).y                       # (N, P)
        memory = np.where(out >= 0.0, 1.0, -1.0).T
        r = 1.0 - 2.0 * np.mean(memory != y, axis=1)
        return r, io


def crossbar_familiarity(card: FamiliarityCrossbarCard, card_path: str | Path, seed: int | None = None,
                         progress: bool = True) -> xr.Dataset:
    """Run protocol 2 on the crossbar card's devices; Dataset as :func:`familiarity_experiment`
    (one model) with ages in items and seconds, and the ideal-chain theory of the device's chain."""
    seed = card.seed if seed is None else seed
    path = Path(card_path)
    n = card.neurons
    try:
        config = load_crossbar(path.parent / card.crossbar, rows=n + 1, columns=n)
    except ConfigError as exc:
        from ...config.yamlio import read_card

        file, line = read_card(path).where(("crossbar",))
        raise ConfigError([f"{file}:{line}: crossbar: {p}" for p in exc.problems]) from None
    array = CrossbarArray(config, seed=seed)
    net = CrossbarFamiliarityNetwork(array, card.rate, card.pulses_per_item)
    chain = config.device.chain
    interval = 1.0 / card.rate / chain.time_unit_s
    transition = exact_item_transition(chain, interval)
    rho = float(np.max(np.abs(np.linalg.eigvals(transition))))
    tau_items = -1.0 / math.log(rho)
    p = card.protocol
    burn = int(math.ceil(3 * tau_items)) if p.burn_in == "auto" else int(p.burn_in)
    protocol = ProtocolSpec(test_items=p.test_items, fill_in=p.fill_in, burn_in=burn, block=p.block)
    label = f"{config.device.name} crossbar N={n}"
    model = ModelSpec(label, n, config.device.n_variables, levels=0, bound=0.0)
    result = run_model(model, protocol, card.patterns, seed, progress=progress, network=net, burn_in=burn)
    ages = result["schedule"].ages
    curves = lives = None
    if card.theory:
        curve = io_snr_from_transition(transition, n, ages)
        fine = np.arange(0, int(ages[-1]) + 1)
        lives = [lifetime(fine, io_snr_from_transition(transition, n, fine), THRESHOLDS["io_snr"])]
        curves = [curve]
    ds = assemble([model], [result], protocol, card.patterns, seed, False, curves, lives, rate_hz=card.rate)
    ds = ds.assign_coords(theory_exact=("model", [False]))
    ds.attrs.update({
        "device": config.device.name, "crossbar_card": str(path.parent / card.crossbar),
        "pulses_per_item": card.pulses_per_item, "item_interval_s": 1.0 / card.rate,
        "slowest_timescale_items": tau_items,
        "theory": "ideal linear chain of the device's nominal chain at the same rate (exact propagator "
                  "exp(A/rate)); the crossbar adds noise, variation, saturation and the periphery",
        "ideal_kernel_first": float(transition_kernel(transition, np.array([1.0]))[0]),
    })
    ds.attrs["name"] = card.name or ""
    return ds
