"""Crossbar arrays of chain devices, one job per module:

``card``     the crossbar card (:func:`load_crossbar`, :class:`CrossbarConfig`)
``cells``    layout, sampling (variation, stuck cells), conductance ↔ weight
``read``     the read path, a pure function of (conductances, inputs, wires, noise, ADC, rng)
``write``    pulse counts and the k-pulse event model of outer-product updates
``array``    :class:`CrossbarArray`, the thin facade holding time and state (``read``, ``update``,
             ``wait``) on the population engine
``readout``  DAC, ADC and read noise; ``irdrop`` the wire-resistance solve; ``ladder`` the exact
             RC-ladder response."""

from .array import CrossbarArray, CrossbarConfig, ReadResult, UpdateResult, load_crossbar
from .irdrop import CrossbarSolution, WireParameters, ideal_read, solve_read

__all__ = ["CrossbarArray", "CrossbarConfig", "ReadResult", "UpdateResult", "load_crossbar",
           "CrossbarSolution", "WireParameters", "ideal_read", "solve_read"]
