"""Proton transistor with interlinked proton-conducting storage compartments → Benna–Fusi chain.

Physical picture (Zhang, Li, Hu, Jiang, Lai, Benna, Shi, arXiv 2401.15045): a gate pulse drives
protons into compartment 1, next to the transistor channel; compartments k and k+1 are joined by a
proton-conducting bridge of length L_k and cross-section A_k; the last bridge leaks to a reservoir.

Mapping (all SI), with D the proton diffusion coefficient [m²/s] and c_v the volumetric chemical
capacitance of the proton conductor [F/m³]. State u_k [V] is the compartment's electrochemical
potential, u_k = ρ_k/c_v for a stored proton charge density ρ_k [C/m³]; by the Nernst–Einstein
relation the ionic conductivity of the bridge is σ = c_v·D, hence:

    bridge conductance   g_k = c_v · D · A_k / L_k                          [S]
    capacity             C_k = c_v · A_k · L_k      (``capacity: geometry``) [F]
                         C_k = c_v · V_k            (``capacity: {volume}``)
                         C_k  given                 (``capacity: {capacitance}``)
    stage time constant  τ_k = C_k / g_k = L_k²/D  (geometry)  or  L_k·C_k/(c_v·D·A_k)

The chain is then exactly the RC ladder C_k du_k/dt = g_{k-1}(u_{k-1} − u_k) + g_k(u_{k+1} − u_k)
(u_{n+1} = 0 at the reservoir), which is how it is written to SPICE.

Gate pulse (sign s = ±1 for potentiation/depression, polarity π = ±1 from the card):
    linear      Δu_1 = s·π·g_gate·V_gate·w / C_1             (charge Q = g_gate·V_gate·w)
    soft        Δu_1 = (s·π·V_gate − u_1)·(1 − exp(−g_gate·w/C_1))
each multiplied by (1 + σ_c2c·ξ), ξ ~ N(0, 1), for cycle-to-cycle noise.

Channel: G(u_1) = G_min + (G_max − G_min)·s(u_1), s linear-clipped or sigmoid, each read
multiplied by (1 + σ_read·ξ).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.device_schema import CapacitanceCapacity, ProtonTransistorCard, VolumeCapacity
from ..synapses.chain import ChainBatch, LinearChain
from .base import ChainDevice, DeviceParameters, DevicePopulation, GatePulse, lognormal_jitter
from .channel import ChannelModel, channel_slope_at_rest, channel_transfer, inverse_transfer
from .linear_model import LinearEventModel

__all__ = ["ProtonTransistorGeometry", "ProtonTransistor", "channel_transfer", "inverse_transfer"]


@dataclass(frozen=True)
class ProtonTransistorGeometry:
    """Per-compartment physical parameters (SI): arrays of length n for one device, or (N, n)
    with a leading device axis (then the diffusion coefficient is (N, 1))."""

    diffusion_coefficient_m2_per_s: float
    diffusion_length_m: np.ndarray
    bridge_cross_section_m2: np.ndarray
    capacitance_f: np.ndarray
    volumetric_capacitance_f_per_m3: float
    leak: bool = True

    def bridge_conductance_s(self) -> np.ndarray:
        """g_k = c_v·D·A_k/L_k [S]; the last bridge is the leak (0 if closed)."""
        g = self.volumetric_capacitance_f_per_m3 * self.diffusion_coefficient_m2_per_s * self.bridge_cross_section_m2
        length = self.diffusion_length_m
        if np.ndim(g) and np.shape(g) == np.broadcast_shapes(np.shape(g), np.shape(length)):
            np.divide(g, length, out=g)  # g is a new array: divide in place (no second (N, n) array)
        else:
            g = np.array(g / length, dtype=float)
        if not self.leak:
            g[..., -1] = 0.0
        return g

    def chain(self) -> LinearChain:
        return LinearChain(self.capacitance_f, self.bridge_conductance_s(), time_unit_s=1.0)


class ProtonTransistor(ChainDevice):
    """A proton-transistor device card turned into chains, gate events and channel reads."""

    kind = "proton_transistor"
    readout_name = "conductance"
    readout_units = "S"
    state_units = "V"

    def __init__(self, card: ProtonTransistorCard, name: str = "proton_transistor"):
        self.card = card
        self.nominal = self._geometry()
        bounds = (card.bounds.lower, card.bounds.upper) if card.bounds else None
        super().__init__(card.name or name, self.nominal.chain(), self.nominal_event_size(), bounds)

    @property
    def has_variation(self) -> bool:
        return any(v > 0 for v in self.card.variation.model_dump().values())

    @property
    def channel(self) -> ChannelModel:
        """The transistor's own channel G(u_1) [S]."""
        return ChannelModel(self.card.channel)

    @property
    def event_duration_s(self) -> float:
        """The gate pulse width [s]."""
        return float(self.card.gate.width)

    def gate_pulse(self) -> GatePulse:
        gate = self.card.gate
        return GatePulse(float(gate.polarity * gate.amplitude), float(gate.width), float(gate.injection_conductance),
                         gate.saturation, float(gate.cycle_noise), float(gate.polarity))

    def with_variation(self, relative_std: dict[str, float]) -> "ProtonTransistor":
        merged = self.card.variation.model_copy(update=dict(relative_std))
        return ProtonTransistor(self.card.model_copy(update={"variation": merged}), self.name)

    @property
    def polarity(self) -> float:
        """π: the gate polarity of the card (sign of Δu_1, hence of ΔG, for a "+" pulse)."""
        return float(self.card.gate.polarity)

    def _geometry(self, rng: np.random.Generator | None = None, n_devices: int | None = None
                  ) -> ProtonTransistorGeometry:
        """Nominal geometry (``rng`` None), or ``n_devices`` draws with variation: every array then
        has a leading device axis (N, n) and the diffusion coefficient is (N, 1)."""
        card, var, n = self.card, self.card.variation, self.card.compartments
        shape = (n,) if n_devices is None else (n_devices, n)

        def jitter(values, sigma, shape=shape):
            values = np.broadcast_to(np.asarray(values, dtype=float), shape)
            if rng is None or sigma == 0.0:
                # no variation: a read-only view of the nominal values (no (N, n) copy)
                return values.copy() if n_devices is None else values
            return lognormal_jitter(rng, values, sigma)

        # one diffusion coefficient per device (the material's): N draws, not N·n
        diffusion = jitter(card.diffusion_coefficient, var.diffusion_coefficient, shape[:-1] + (1,))
        length = jitter(card.diffusion_length.resolve(n), var.diffusion_length)
        area = jitter(card.bridge_cross_section.resolve(n), var.bridge_cross_section)
        c_v = card.volumetric_capacitance
        if card.capacity == "geometry":
            capacitance = c_v * area * length
        elif isinstance(card.capacity, VolumeCapacity):
            capacitance = c_v * card.capacity.volume.resolve(n)
        else:
            assert isinstance(card.capacity, CapacitanceCapacity)
            capacitance = card.capacity.capacitance.resolve(n)
        capacitance = jitter(capacitance, var.capacity)
        if n_devices is None:
            diffusion = float(diffusion[0])
        return ProtonTransistorGeometry(diffusion, length, area, capacitance, c_v, card.leak)

    def sample_population(self, n_devices: int, rng: np.random.Generator) -> DevicePopulation:
        """Chains and channel/gate parameters per device, with device-to-device variation.

        Without variation all devices share the nominal :class:`LinearChain`; with variation they
        form a :class:`ChainBatch` (one chain per device, decomposed in one batched call)."""
        if not self.has_variation:
            chains: LinearChain | ChainBatch = self.chain
            c1 = np.full(n_devices, self.chain.capacities[0])
        else:
            geometry = self._geometry(rng, n_devices)
            chains = ChainBatch(geometry.capacitance_f, geometry.bridge_conductance_s())
            c1 = chains.capacities[:, 0].copy()
        var, ch, gate = self.card.variation, self.card.channel, self.card.gate
        params = DeviceParameters(
            g_min_s=lognormal_jitter(rng, ch.g_min, var.g_min, n_devices),
            g_max_s=lognormal_jitter(rng, ch.g_max, var.g_max, n_devices),
            injection_conductance_s=lognormal_jitter(rng, gate.injection_conductance, var.injection_conductance,
                                                     n_devices),
            capacitance_1_f=c1)
        return DevicePopulation(chains, params)

    def event_coefficients(self, signs: np.ndarray, population: DevicePopulation,
                           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(α, β) of Δu_1 = α − β·u_1 for gate pulses of the given signs (0 = no pulse)."""
        gate = self.card.gate
        capacitance_1 = population.parameters.capacitance_1_f
        g_gate = population.parameters.injection_conductance_s
        signs = np.asarray(signs, dtype=float)
        target = signs * gate.polarity * gate.amplitude
        noise = 1.0 + gate.cycle_noise * rng.standard_normal(signs.shape) if gate.cycle_noise else 1.0
        if gate.saturation == "soft":
            gain = -np.expm1(-g_gate * gate.width / capacitance_1) * noise * (signs != 0)
            return target * gain, gain
        alpha = target * g_gate * gate.width / capacitance_1 * noise
        return alpha, np.zeros_like(alpha)

    def nominal_event_size(self) -> float:
        """|Δu_1| of one pulse from rest, without noise [V]."""
        gate = self.card.gate
        ratio = gate.injection_conductance * gate.width / self.nominal.capacitance_f[0]
        return gate.amplitude * (-np.expm1(-ratio) if gate.saturation == "soft" else ratio)

    def readout(self, u1: np.ndarray, population: DevicePopulation | None = None,
                rng: np.random.Generator | None = None) -> np.ndarray:
        """Channel conductance G(u_1) [S], with read noise when ``rng`` is given."""
        ch = self.card.channel
        g_min = ch.g_min if population is None else population.parameters.g_min_s
        g_max = ch.g_max if population is None else population.parameters.g_max_s
        g = g_min + (g_max - g_min) * channel_transfer(u1, ch.transfer)
        if rng is not None and ch.read_noise:
            g = g * (1.0 + ch.read_noise * rng.standard_normal(np.shape(g)))
        return g

    def pulse_rate(self, population: DevicePopulation) -> np.ndarray:
        """r = g_gate·w/C_1 per device: the charging fraction exponent of one gate pulse."""
        p = population.parameters
        return p.injection_conductance_s * self.card.gate.width / p.capacitance_1_f

    def linear_model(self, population: DevicePopulation) -> LinearEventModel:
        """Gate events a = V_gate·r (linear) or a = V_gate·b, b = 1 − e^{−r} (soft), c = cycle
        noise; the channel linearised at rest (slope dG/du_1 at u_1 = 0, w_rest = G(0))."""
        gate, channel = self.card.gate, self.card.channel
        ratio = self.pulse_rate(population)
        if gate.saturation == "soft":
            b = -np.expm1(-ratio)
            a = gate.amplitude * b
        else:
            a = gate.amplitude * ratio
            b = np.zeros_like(a)
        params = population.parameters
        slope = channel_slope_at_rest(channel.transfer, np.asarray(params.g_max_s, float) - np.asarray(params.g_min_s, float))
        w_rest = np.asarray(self.readout(np.zeros(np.shape(params.g_min_s)), population), float)
        parts = ["state moments exact (affine gate events)", "channel linearised at rest (dG/du_1 at u_1 = 0)"]
        if self.has_variation:
            parts.append(f"device variation averaged over {len(params.g_min_s)} sampled devices")
        return LinearEventModel(chains=population.chains, mode="soft" if gate.saturation == "soft" else "linear",
                                target=float(gate.polarity * gate.amplitude), rate=np.asarray(ratio, float),
                                a=np.asarray(a, float), b=np.asarray(b, float), cycle_noise=float(gate.cycle_noise),
                                pulse_width_s=float(gate.width), slope=np.asarray(slope, float), w_rest=w_rest,
                                read_noise=float(channel.read_noise), exact=False, note="; ".join(parts))

    def stage_table(self) -> dict[str, np.ndarray]:
        """Per-compartment physical quantities of the nominal device."""
        geo = self.nominal
        return {
            "diffusion_length_m": geo.diffusion_length_m,
            "bridge_cross_section_m2": geo.bridge_cross_section_m2,
            "capacitance_f": geo.capacitance_f,
            "bridge_conductance_s": geo.bridge_conductance_s(),
            "stage_time_constant_s": self.chain.stage_time_constants(),
            "diffusion_time_s": geo.diffusion_length_m**2 / geo.diffusion_coefficient_m2_per_s,
        }
