"""Device cards (``devices/*.yaml``) → device objects."""

from __future__ import annotations

from pathlib import Path

from ..config.device_schema import (
    BennaFusiCard,
    BinaryStochasticCard,
    CascadeCard,
    DeviceCard,
    ProtonTransistorCard,
    SingleTimescaleCard,
)
from ..config.yamlio import ConfigError, read_card, validate_card
from ..synapses.chain import LinearChain
from ..synapses.models import BinarySynapse, CascadeSynapse
from .base import ChainDevice, StochasticDevice
from .proton_transistor import ProtonTransistor

__all__ = ["load_device", "build_device"]


def build_device(card, name: str):
    """A validated card → ChainDevice, ProtonTransistor or StochasticDevice."""
    name = card.name or name
    bounds = (card.bounds.lower, card.bounds.upper) if getattr(card, "bounds", None) else None
    if isinstance(card, BennaFusiCard):
        m = card.n_variables
        couplings = card.couplings.resolve(m)
        if not card.leak:
            couplings = couplings.copy()
            couplings[-1] = 0.0
        chain = LinearChain(card.capacities.resolve(m), couplings, time_unit_s=card.time_unit)
        return ChainDevice(name, chain, card.event_size, bounds, kind="benna_fusi")
    if isinstance(card, SingleTimescaleCard):
        chain = LinearChain([1.0], [1.0 / card.time_constant], time_unit_s=1.0)
        return ChainDevice(name, chain, card.event_size, bounds, kind="single_timescale")
    if isinstance(card, ProtonTransistorCard):
        return ProtonTransistor(card, name)
    if isinstance(card, BinaryStochasticCard):
        return StochasticDevice(name, BinarySynapse(card.transition_probability))
    if isinstance(card, CascadeCard):
        return StochasticDevice(name, CascadeSynapse(card.n_levels, card.ratio))
    raise TypeError(f"no device model for card {type(card).__name__}")


def load_device(path: str | Path):
    """Read, validate and build a device card; user errors raise :class:`ConfigError`."""
    source = read_card(path)
    card = validate_card(source, DeviceCard)
    try:
        return build_device(card, Path(path).stem)
    except ValueError as exc:  # physically impossible combination caught by the model layer
        file, line = source.where(())
        raise ConfigError([f"{file}:{line}: {exc}"]) from None
