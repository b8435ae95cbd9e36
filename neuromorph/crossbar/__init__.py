"""Crossbar arrays: read-path physics with wire (IR-drop) resistance."""

from neuromorph.crossbar.irdrop import (
    CrossbarSolution,
    WireParameters,
    ideal_read,
    solve_read,
)

__all__ = ["CrossbarSolution", "WireParameters", "ideal_read", "solve_read"]
