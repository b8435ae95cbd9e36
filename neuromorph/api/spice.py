"""The SPICE commands as functions: decks and the ngspice cross-check (see :mod:`neuromorph.api`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    import xarray as xr




def netlist(card: str | os.PathLike, seed: int = 0, updates: int = 0, input: str = "random",
            transposed: bool = False, ladder_time: float | str | None = None) -> dict[str, str | None]:
    """SPICE decks of a crossbar card — ``neuromorph netlist`` (which writes them to files).

    Parameters
    ----------
    card
        Crossbar card (``circuits/crossbar_*.yaml``).
    seed, updates
        The array is built with ``seed`` (variation, stuck cells) after ``updates`` random writes.
    input
        ``random`` or ``ones``: the inputs driven on the rows (DAC-quantised voltages).
    transposed
        Drive the columns and sense the rows instead.
    ladder_time
        Transient length of the RC-ladder deck [s or with units] (default 4 × the fastest timescale).

    Returns
    -------
    dict
        ``crossbar``: the ``.op`` deck of the array with every wire segment (outputs
        ``i(vsense_k)`` in A); ``ladder``: the cell device's RC ladder driven by one gate pulse
        (outputs ``v(n1..nm)`` in V), or None for devices without a gate pulse.
    """
    from ..config.units import TIME, parse_quantity
    from ..errors import NeuromorphError
    from ..spice.scenarios import (
        crossbar_deck_text,
        input_vector,
        ladder_deck_text,
        ladder_scenario,
        prepare_array,
    )

    t_stop = None if ladder_time is None else parse_quantity(ladder_time, TIME)
    array = prepare_array(card, int(seed), int(updates))
    x = input_vector(array, input, int(seed), bool(transposed))
    read = "transposed" if transposed else "forward"
    title = (f"neuromorph crossbar {array.name} {read} read, {array.n_in}x{array.n_lines} cells, seed {seed}, "
             f"{updates} updates")
    decks: dict[str, str | None] = {"crossbar": crossbar_deck_text(array, x, bool(transposed), title), "ladder": None}
    try:
        scenario = ladder_scenario(array.device, t_stop)
    except NeuromorphError:
        if t_stop is not None:
            raise
        return decks
    decks["ladder"] = ladder_deck_text(scenario, f"neuromorph RC ladder of {array.device.name}")
    return decks


def spice_check(card: str | os.PathLike, seed: int = 0, updates: int = 0, input: str = "random",
                ladder_time: float | str | None = None, keep: str | os.PathLike | None = None) -> xr.Dataset:
    """neuromorph against ngspice on the decks of `netlist` — ``neuromorph spice-check -o``.

    Parameters
    ----------
    card, seed, updates, input, ladder_time
        As for `netlist`.
    keep
        Folder to keep the decks and ngspice's raw files in (default: a temporary one).

    Returns
    -------
    xarray.Dataset
        Sense currents [A] of both read directions from both solvers, RC-ladder node voltages [V];
        attributes ``forward_max_rel_error``, ``transposed_max_rel_error``,
        ``ladder_max_rel_error`` and the tolerances (1e-6 and 1e-3).

    Raises
    ------
    NgspiceError
        When ngspice is not installed (``apt-get install ngspice``) or fails.
    """
    from ..config.units import TIME, parse_quantity
    from ..errors import NgspiceError
    from ..spice.check import results_dataset
    from ..spice.check import spice_check as run
    from ..spice.ngspice import find_ngspice

    if find_ngspice() is None:
        raise NgspiceError("ngspice not found: install it with `apt-get install ngspice` (Debian/Ubuntu), or set "
                           "NEUROMORPH_NGSPICE to its path")
    t_stop = None if ladder_time is None else parse_quantity(ladder_time, TIME)
    work = None if keep is None else Path(keep)
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
    array, results = run(card, int(seed), int(updates), input, t_stop, work)
    return results_dataset(results, array)
