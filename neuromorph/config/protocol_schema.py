"""Schema of pulse protocols (``protocols/*.yaml``) for ``neuromorph simulate``.

A protocol is a list of segments run one after the other:

``train``    a pulse train: ``pulses`` pulses of ``sign`` (+1 potentiate, −1 depress, or
             ``alternate`` starting with +1), one every ``interval``
``relax``    no pulses for ``duration``
``random``   random ±1 events at ``rate`` (Poisson, independent per device) for ``duration``,
             each potentiating with probability ``p_potentiate``
``square_wave`` a gate square wave: ``pulses`` periods at ``frequency``, the gate at
             ``sign``·``amplitude`` (default: the card's gate amplitude) for the first ``on_fraction``
             of each period and open for the rest; integrated exactly, charge injected while on
             and free relaxation while off (:mod:`neuromorph.tasks.gate_drive`; devices with a gate)

The state is recorded after every pulse of a train and at log-spaced times inside every
segment (``record.per_decade`` samples per decade of time since the segment started, starting
``record.decades`` decades below the segment's duration).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .device_schema import Strict
from .quantities import PositiveQuantity
from .units import FREQUENCY, TIME, VOLTAGE

__all__ = ["Train", "Relax", "RandomStream", "SquareWave", "Segment", "Recording", "ProtocolCard"]


class Train(Strict):
    pulses: int = Field(ge=1, le=1_000_000)
    sign: Literal[1, -1, "alternate"] = 1
    interval: PositiveQuantity(TIME)


class Relax(Strict):
    duration: PositiveQuantity(TIME)


class RandomStream(Strict):
    duration: PositiveQuantity(TIME)
    rate: PositiveQuantity(FREQUENCY)
    p_potentiate: float = Field(0.5, ge=0.0, le=1.0)


class SquareWave(Strict):
    """Gate square wave (period 1/frequency; on for on_fraction of each period, then off)."""

    pulses: int = Field(ge=1, le=1_000_000, description="number of periods")
    frequency: PositiveQuantity(FREQUENCY)
    on_fraction: float = Field(gt=0.0, le=1.0, description="fraction of each period with the gate on")
    sign: Literal[1, -1] = 1
    amplitude: PositiveQuantity(VOLTAGE) | None = Field(None, description="gate voltage [V]; default: the card's")

    @property
    def duration(self) -> float:
        return self.pulses / self.frequency


class Segment(Strict):
    """Exactly one of ``train``, ``relax``, ``random`` or ``square_wave``."""

    train: Train | None = None
    relax: Relax | None = None
    random: RandomStream | None = None
    square_wave: SquareWave | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "Segment":
        given = [k for k in ("train", "relax", "random", "square_wave") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"each segment needs exactly one of train, relax, random, square_wave; "
                             f"got {given or 'none'}")
        return self

    @property
    def body(self) -> Train | Relax | RandomStream | SquareWave:
        return self.train or self.relax or self.random or self.square_wave

    @property
    def duration_s(self) -> float:
        body = self.body
        return body.pulses * body.interval if isinstance(body, Train) else body.duration


class Recording(Strict):
    per_decade: int = Field(20, ge=1, le=1000)
    decades: float = Field(6.0, gt=0.0, le=15.0)
    max_train_samples: int = Field(2000, ge=1, description="record at most this many pulses per train")


class ProtocolCard(Strict):
    kind: Literal["protocol"] = "protocol"
    name: str | None = None
    description: str = ""
    segments: list[Segment] = Field(min_length=1)
    record: Recording = Recording()
