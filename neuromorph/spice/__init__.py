"""SPICE layer: plain decks for crossbars and RC ladders, and an ngspice runner."""

from neuromorph.spice.netlist import PulseSource, crossbar_deck, rc_ladder_deck
from neuromorph.spice.ngspice import (
    NgspiceError,
    NgspiceNotFound,
    NgspiceResult,
    crossbar_currents,
    find_ngspice,
    ladder_waveforms,
    run_deck,
)

__all__ = [
    "NgspiceError",
    "NgspiceNotFound",
    "NgspiceResult",
    "PulseSource",
    "crossbar_currents",
    "crossbar_deck",
    "find_ngspice",
    "ladder_waveforms",
    "rc_ladder_deck",
    "run_deck",
]
