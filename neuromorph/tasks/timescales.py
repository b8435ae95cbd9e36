"""Relaxation timescales of a device (the ``neuromorph timescales`` report) as plain data."""

from __future__ import annotations

from ..devices.base import Device

__all__ = ["describe_timescales"]


def describe_timescales(device: Device) -> dict:
    """Timescales and per-compartment quantities of one device, as plain Python data.

    Chain devices: ``relaxation_timescales_s`` τ_i = −1/λ_i of A = C⁻¹L (longest first),
    ``stage_time_constants_s`` C_k/g_k,k+1, the chain's ``capacities`` and ``couplings`` and, for
    devices with physical units, their per-compartment table (``Device.stage_table``) and the
    event size from rest. Discrete (Markov) synapses have no chain: a ``note`` says so.
    """
    info = {"device": device.name, "kind": device.kind}
    if device.dynamics == "markov":
        info["note"] = "stochastic synapse: no continuous-time chain (memory decays only through events)"
        return info
    chain = device.chain
    info["n_variables"] = chain.n_variables
    info["relaxation_timescales_s"] = chain.timescales().tolist()
    info["stage_time_constants_s"] = chain.stage_time_constants().tolist()
    info["capacities"] = chain.capacities.tolist()
    info["couplings"] = chain.couplings.tolist()
    table = device.stage_table()
    if table is not None:
        info.update({k: v.tolist() for k, v in table.items()})
        info["event_size_v"] = device.nominal_event_size()
    return info
