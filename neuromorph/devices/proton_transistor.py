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

from ..config.device_schema import (
    CapacitanceCapacity,
    LinearClippedTransfer,
    ProtonTransistorCard,
    SigmoidTransfer,
    VolumeCapacity,
)
from ..synapses.chain import ChainBatch, LinearChain
from .base import ChainDevice, DevicePopulation, lognormal_jitter

__all__ = ["ProtonTransistorGeometry", "ProtonTransistor", "channel_transfer"]


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
        g = (self.volumetric_capacitance_f_per_m3 * self.diffusion_coefficient_m2_per_s
             * self.bridge_cross_section_m2 / self.diffusion_length_m)
        if not self.leak:
            g = g.copy()
            g[..., -1] = 0.0
        return g

    def chain(self) -> LinearChain:
        return LinearChain(self.capacitance_f, self.bridge_conductance_s(), time_unit_s=1.0)


def channel_transfer(u1: np.ndarray, transfer: LinearClippedTransfer | SigmoidTransfer) -> np.ndarray:
    """s(u_1) ∈ [0, 1]: linear-clipped or logistic."""
    u1 = np.asarray(u1, dtype=float)
    if isinstance(transfer, LinearClippedTransfer):
        return np.clip((u1 - transfer.u_low) / (transfer.u_high - transfer.u_low), 0.0, 1.0)
    return 0.5 * (1.0 + np.tanh(0.5 * (u1 - transfer.u_mid) / transfer.u_slope))


class ProtonTransistor(ChainDevice):
    """A proton-transistor device card turned into chains, gate events and channel reads."""

    kind = "proton_transistor"
    weight_name = "conductance"
    weight_units = "S"
    state_units = "V"

    def __init__(self, card: ProtonTransistorCard, name: str = "proton_transistor"):
        self.card = card
        self.nominal = self._geometry()
        bounds = (card.bounds.lower, card.bounds.upper) if card.bounds else None
        super().__init__(card.name or name, self.nominal.chain(), self.nominal_event_size(), bounds)

    @property
    def has_variation(self) -> bool:
        return any(v > 0 for v in self.card.variation.model_dump().values())

    def _geometry(self, rng: np.random.Generator | None = None, n_devices: int | None = None
                  ) -> ProtonTransistorGeometry:
        """Nominal geometry (``rng`` None), or ``n_devices`` draws with variation: every array then
        has a leading device axis (N, n) and the diffusion coefficient is (N, 1)."""
        card, var, n = self.card, self.card.variation, self.card.compartments
        shape = (n,) if n_devices is None else (n_devices, n)

        def jitter(values, sigma):
            values = np.broadcast_to(np.asarray(values, dtype=float), shape)
            return values.copy() if rng is None else lognormal_jitter(rng, values, sigma)

        diffusion = jitter(card.diffusion_coefficient, var.diffusion_coefficient)[..., :1]
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
        params = {"g_min": lognormal_jitter(rng, ch.g_min, var.g_min, n_devices),
                  "g_max": lognormal_jitter(rng, ch.g_max, var.g_max, n_devices),
                  "g_gate": lognormal_jitter(rng, gate.injection_conductance, var.injection_conductance, n_devices),
                  "capacitance_1": c1}
        return DevicePopulation(chains, params)

    def event_coefficients(self, signs: np.ndarray, population: DevicePopulation,
                           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(α, β) of Δu_1 = α − β·u_1 for gate pulses of the given signs (0 = no pulse)."""
        gate = self.card.gate
        capacitance_1, g_gate = population.params["capacitance_1"], population.params["g_gate"]
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

    def weight(self, u1: np.ndarray, population: DevicePopulation | None = None,
               rng: np.random.Generator | None = None) -> np.ndarray:
        """Channel conductance G(u_1) [S], with read noise when ``rng`` is given."""
        ch = self.card.channel
        g_min = ch.g_min if population is None else population.params["g_min"]
        g_max = ch.g_max if population is None else population.params["g_max"]
        g = g_min + (g_max - g_min) * channel_transfer(u1, ch.transfer)
        if rng is not None and ch.read_noise:
            g = g * (1.0 + ch.read_noise * rng.standard_normal(np.shape(g)))
        return g

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
