"""Crossbar arrays of chain devices: read path (DAC, Gᵀv or the IR-drop network, noise, ADC),
pulse writes with chain evolution between them, and the exact RC-ladder response."""

from .array import CrossbarArray, CrossbarConfig, ReadResult, UpdateResult, load_crossbar
from .irdrop import CrossbarSolution, WireParameters, ideal_read, solve_read

__all__ = ["CrossbarArray", "CrossbarConfig", "ReadResult", "UpdateResult", "load_crossbar",
           "CrossbarSolution", "WireParameters", "ideal_read", "solve_read"]
