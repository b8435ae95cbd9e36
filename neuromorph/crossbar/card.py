"""The crossbar card: :func:`load_crossbar` reads and validates a crossbar card, resolves and
builds its cell device and checks the combination (channel, bounds, pulse timing, learning rate).

Every problem raises :class:`~neuromorph.config.yamlio.ConfigError` naming the crossbar card's
``file:line: field``. The card schema itself is :class:`neuromorph.config.crossbar_schema.CrossbarCard`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config.crossbar_schema import ArraySize, CrossbarCard
from ..config.device_schema import Channel
from ..config.yamlio import CardSource, ConfigError, read_card, validate_card
from ..devices.base import Device
from ..devices.channel import channel_transfer
from ..devices.loader import load_device

__all__ = ["CrossbarConfig", "load_crossbar", "cell_channel", "delta_w_min"]


@dataclass(frozen=True)
class CrossbarConfig:
    """A validated crossbar card with its cell device resolved and built."""

    card: CrossbarCard
    device: Device
    path: Path
    device_path: Path
    source: CardSource | None = None

    @property
    def name(self) -> str:
        return self.card.name or self.path.stem


def _where(source: CardSource, *path) -> str:
    file, line = source.where(tuple(path))
    return f"{file}:{line}"


def load_crossbar(path: str | Path, rows: int | None = None, columns: int | None = None,
                  source: CardSource | None = None) -> CrossbarConfig:
    """Read and validate a crossbar card, load its device card (relative to the crossbar card)
    and check the combination. ``rows``/``columns`` override the card's size (benchmarks);
    ``source`` is the card's already read data (cards built from Python dicts, :mod:`neuromorph.api`).

    Every problem raises :class:`ConfigError` naming the crossbar card's ``file:line: field``.
    """
    path = Path(path)
    source = read_card(path) if source is None else source
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
    if device.dynamics != "chain":
        raise ConfigError([f"{here}: device: {card.device} is a {device.kind} synapse (discrete states, no "
                           "chain); crossbar cells need a chain device: proton_transistor, benna_fusi or "
                           "single_timescale"])
    problems: list[str] = []
    if not device.channel.is_identity:
        if card.channel is not None:
            problems.append(f"{_where(source, 'channel')}: channel: {device.name} is a proton transistor with its "
                            f"own channel (in {card.device}); remove this field")
        if card.variation is not None:
            device = device.with_variation({k: getattr(card.variation, k) for k in card.variation.model_fields_set})
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
    width = device.event_duration_s
    if width > 0:
        need = card.write.bit_length * width
        if card.timing.update < need:
            problems.append(f"{_where(source, 'timing', 'update')}: timing.update: {card.timing.update:g} s is "
                            f"shorter than bit_length x pulse width = {card.write.bit_length} x {width:g} s = "
                            f"{need:g} s; one update slot must fit the longest pulse train")
    if problems:
        raise ConfigError(problems)
    config = CrossbarConfig(card, device, path, device_path, source)
    dw = delta_w_min(config)
    if not dw > 0:
        raise ConfigError([f"{here}: device: one pulse from rest does not change the conductance (the channel "
                           "transfer is flat at u_1 = 0); the write path needs a transfer with slope at 0"])
    lr = card.write.learning_rate
    if card.write.scheme == "stochastic" and lr > card.write.bit_length * dw:
        raise ConfigError([f"{_where(source, 'write', 'learning_rate')}: write.learning_rate: {lr:g} exceeds "
                           f"bit_length x Δw_min = {card.write.bit_length} x {dw:.4g} = "
                           f"{card.write.bit_length * dw:.4g}, the largest update one slot can give"])
    return config


def cell_channel(config: CrossbarConfig) -> Channel:
    """The cells' channel: the device's own (proton transistor) or, for devices with the identity
    channel (ideal chains), the crossbar card's ``channel``."""
    channel = config.device.channel
    return config.card.channel if channel.is_identity else channel.channel


def delta_w_min(config: CrossbarConfig) -> float:
    """Weight change of one pulse at rest: (G(Δu) − G(−Δu))/(G_max − G_min), nominal channel."""
    ch = cell_channel(config)
    du = config.device.nominal_event_size()
    s = channel_transfer(np.array([du, -du]), ch.transfer)
    return float(s[0] - s[1])
