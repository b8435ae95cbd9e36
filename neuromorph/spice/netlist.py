r"""Plain SPICE decks for the crossbar read path and for RC ladders.

The decks use only the common SPICE3 subset (R, C, V with ``DC`` and
``PULSE``, ``.options``, ``.ic``, ``.op``, ``.tran``, ``.end``) plus an
ngspice ``.control`` block that runs the analysis and writes every vector to
an ASCII raw file (16 significant digits) in the working directory:
``neuromorph_crossbar.raw`` / ``neuromorph_ladder.raw``.  The block ends with
``quit`` because ngspice in batch mode (``-b``) would otherwise run the dot
analyses a second time after the control block.  Other SPICE programs ignore
the ``.control`` block (or can be given the deck without it).

Numbers are written as the shortest decimal string that round-trips
(Python's ``repr``), so the deck holds the same binary64 values as the Python
arrays.

Crossbar node names (see :mod:`neuromorph.crossbar.irdrop` for the topology):

=====================  ======================================================
``row<i>_<j>``         row-wire node at cell (i, j)
``col<i>_<j>``         column-wire node at cell (i, j)
``rowend<i>``          left end of row i (driver side / transposed sense side)
``colend<j>``          bottom end of column j (sense side / transposed driver)
``in<k>``              positive terminal of input source ``Vin_<k>``
``sa<k>``              sense-amplifier input, held at 0 V by ``Vsense_<k>``
=====================  ======================================================

Elements: ``Rcell_<i>_<j>`` (R = 1/G[i, j], omitted when G == 0),
``Rrow_<i>_<j>`` (row-i segment ending at cell j; ``j = 0`` is the segment
from ``rowend<i>``), ``Rcol_<i>_<j>`` (column-j segment from cell i towards
the bottom; ``i = N_in-1`` is the segment to ``colend<j>``), ``Rdrv_<k>``,
``Rsense_<k>``, ``Vin_<k>``, ``Vsense_<k>``.  A zero resistance is not written
as a resistor (ngspice silently replaces R = 0 by 1 mOhm): the two nodes are
merged under one name instead, e.g. with ``r_row_ohm == 0`` every
``row<i>_<j>`` becomes ``rowend<i>``.

The sense currents are the branch currents ``i(vsense_<k>)``.  ``Vsense_<k>``
is written ``sa<k> 0``, so SPICE's convention (current into the + terminal)
makes ``i(vsense_<k>)`` positive for current flowing from the array into the
sense amplifier -- the sign of :func:`neuromorph.crossbar.irdrop.solve_read`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ..crossbar.irdrop import WireParameters, check_read_inputs

__all__ = [
    "CROSSBAR_RAW_FILE",
    "LADDER_RAW_FILE",
    "PulseSource",
    "crossbar_deck",
    "rc_ladder_deck",
]

CROSSBAR_RAW_FILE = "neuromorph_crossbar.raw"
LADDER_RAW_FILE = "neuromorph_ladder.raw"


def _num(x: float) -> str:
    """Format a float for SPICE: the shortest string that round-trips exactly."""
    r = repr(float(x))
    return r[:-2] if r.endswith(".0") else r


def _title_line(title: str) -> str:
    t = " ".join(str(title).split())
    if not t:
        t = "neuromorph deck"
    if t.startswith((".", "*", "+")):
        t = "deck " + t
    return t


# --------------------------------------------------------------------------- #
# crossbar
# --------------------------------------------------------------------------- #
def crossbar_deck(
    G,
    v_in,
    wires: WireParameters | None = None,
    title: str = "neuromorph crossbar",
    transposed: bool = False,
) -> str:
    """SPICE deck of a crossbar read with wire resistance.

    Same topology and conventions as
    :func:`neuromorph.crossbar.irdrop.solve_read`: ``G`` is ``(N_in, N_out)``
    in siemens; ``v_in`` is ``(N_in,)`` volts (``(N_out,)`` when
    ``transposed``).  Returns the complete deck text (ending with ``.end``)
    with an ``.op`` analysis; the outputs are ``i(vsense_<k>)`` in amperes.
    Batches are not supported here (one deck per input vector).
    """
    wires, G, v = check_read_inputs(G, v_in, wires, transposed)
    n_in, n_out = G.shape
    if v.ndim != 1:
        raise ValueError(
            f"crossbar_deck takes a single input vector, got v_in with shape {v.shape}; "
            "write one deck per column of a batch"
        )

    r_row, r_col = wires.r_row_ohm, wires.r_col_ohm
    r_drv, r_sense = wires.r_driver_ohm, wires.r_sense_ohm

    # ---- node naming with merges for zero resistances -------------------- #
    # rowend<i> is the driver side (forward) or the sense side (transposed).
    if not transposed:
        rowend = [f"in{i}" if r_drv == 0 else f"rowend{i}" for i in range(n_in)]
        colend = [f"sa{j}" if r_sense == 0 else f"colend{j}" for j in range(n_out)]
    else:
        rowend = [f"sa{i}" if r_sense == 0 else f"rowend{i}" for i in range(n_in)]
        colend = [f"in{j}" if r_drv == 0 else f"colend{j}" for j in range(n_out)]

    def row_node(i: int, j: int) -> str:
        return rowend[i] if r_row == 0 else f"row{i}_{j}"

    def col_node(i: int, j: int) -> str:
        return colend[j] if r_col == 0 else f"col{i}_{j}"

    n_cells = int(np.count_nonzero(G))
    lines: list[str] = [_title_line(title)]
    lines += [
        "* generated by neuromorph.spice.netlist.crossbar_deck",
        f"* array: N_in = {n_in} rows x N_out = {n_out} columns, {n_cells} non-zero cells "
        f"({n_in * n_out - n_cells} cells with G = 0 omitted)",
        f"* read: {'transposed (columns driven at bottom, rows sensed at left)' if transposed else 'forward (rows driven at left, columns sensed at bottom)'}",
        f"* wires: r_row_ohm = {_num(r_row)}, r_col_ohm = {_num(r_col)}, "
        f"r_driver_ohm = {_num(r_drv)}, r_sense_ohm = {_num(r_sense)}",
        "* zero resistances are merged nodes, not resistors",
        "* outputs: i(vsense_<k>) = current into sense amplifier k (A), positive from the array",
        "",
        "* ---- input sources and drivers",
    ]

    # forward: rows driven, columns sensed; transposed: the other way round
    driven_ends, sensed_ends = (colend, rowend) if transposed else (rowend, colend)
    for k, end in enumerate(driven_ends):
        lines.append(f"Vin_{k} in{k} 0 DC {_num(v[k])}")
        if r_drv > 0:
            lines.append(f"Rdrv_{k} in{k} {end} {_num(r_drv)}")
    lines.append("* ---- sense amplifiers (virtual ground)")
    for k, end in enumerate(sensed_ends):
        if r_sense > 0:
            lines.append(f"Rsense_{k} {end} sa{k} {_num(r_sense)}")
        lines.append(f"Vsense_{k} sa{k} 0 DC 0")

    if r_row > 0:
        lines.append("* ---- row wire segments")
        s_r = _num(r_row)
        for i in range(n_in):
            lines.append(f"Rrow_{i}_0 {rowend[i]} {row_node(i, 0)} {s_r}")
            for j in range(1, n_out):
                lines.append(f"Rrow_{i}_{j} {row_node(i, j - 1)} {row_node(i, j)} {s_r}")
    if r_col > 0:
        lines.append("* ---- column wire segments")
        s_c = _num(r_col)
        for j in range(n_out):
            for i in range(n_in - 1):
                lines.append(f"Rcol_{i}_{j} {col_node(i, j)} {col_node(i + 1, j)} {s_c}")
            lines.append(f"Rcol_{n_in - 1}_{j} {col_node(n_in - 1, j)} {colend[j]} {s_c}")

    lines.append("* ---- cells, R = 1/G")
    ii, jj = np.nonzero(G)
    for i, j in zip(ii.tolist(), jj.tolist()):
        lines.append(f"Rcell_{i}_{j} {row_node(i, j)} {col_node(i, j)} {_num(1.0 / G[i, j])}")

    lines += [
        "",
        "* a linear circuit converges in one Newton step; tight tolerances only",
        "* make the convergence check strict",
        ".options reltol=1e-9 abstol=1e-18 vntol=1e-15",
        ".op",
        "",
        ".control",
        "set filetype=ascii",
        "run",
        f"write {CROSSBAR_RAW_FILE}",
        "quit",
        ".endc",
        ".end",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- #
# RC ladder
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class PulseSource:
    """SPICE ``PULSE(v_low v_high delay rise fall width period)`` source.

    Volts and seconds.  The waveform is ``v_low`` until ``delay``, ramps
    linearly to ``v_high`` in ``rise``, stays for ``width``, ramps back in
    ``fall``, and repeats every ``period`` (``None``: a single pulse, written
    with a period longer than any simulation that this deck runs).
    """

    v_low_v: float
    v_high_v: float
    delay_s: float
    rise_s: float
    fall_s: float
    width_s: float
    period_s: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "period_s" and value is None:
                continue
            try:
                x = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"PulseSource.{f.name} must be a real number, got {value!r}") from None
            if not math.isfinite(x):
                raise ValueError(f"PulseSource.{f.name} must be finite, got {value!r}")
            object.__setattr__(self, f.name, x)
        if self.delay_s < 0:
            raise ValueError(f"PulseSource.delay_s must be >= 0 s, got {self.delay_s!r}")
        if self.width_s < 0:
            raise ValueError(f"PulseSource.width_s must be >= 0 s, got {self.width_s!r}")
        if self.rise_s <= 0 or self.fall_s <= 0:
            raise ValueError(
                "PulseSource.rise_s and fall_s must be > 0 s (SPICE replaces 0 by the time "
                f"step), got rise_s={self.rise_s!r}, fall_s={self.fall_s!r}"
            )
        if self.period_s is not None and self.period_s < self.rise_s + self.width_s + self.fall_s:
            raise ValueError(
                "PulseSource.period_s must be >= rise_s + width_s + fall_s "
                f"= {self.rise_s + self.width_s + self.fall_s!r} s, got {self.period_s!r}"
            )

    def breakpoints(self, t_stop_s: float) -> np.ndarray:
        """Times in ``[0, t_stop_s]`` where the waveform's slope changes, sorted."""
        period = self.period_s
        edges = np.array(
            [0.0, self.rise_s, self.rise_s + self.width_s, self.rise_s + self.width_s + self.fall_s]
        )
        pts = []
        k = 0
        while True:
            t0 = self.delay_s + (k * period if period is not None else 0.0)
            if t0 > t_stop_s:
                break
            pts.extend((t0 + edges).tolist())
            if period is None:
                break
            k += 1
        pts = np.array(pts)
        return np.unique(pts[(pts >= 0.0) & (pts <= t_stop_s)])

    def value(self, t) -> np.ndarray:
        """Source voltage (V) at times ``t`` (s), vectorised; same as SPICE PULSE."""
        t = np.asarray(t, dtype=float)
        tau = t - self.delay_s
        if self.period_s is not None:
            tau = np.where(tau >= 0, np.mod(tau, self.period_s), tau)
        tr, pw, tf = self.rise_s, self.width_s, self.fall_s
        dv = self.v_high_v - self.v_low_v
        out = np.full(t.shape, self.v_low_v)
        rising = (tau >= 0) & (tau < tr)
        high = (tau >= tr) & (tau < tr + pw)
        falling = (tau >= tr + pw) & (tau < tr + pw + tf)
        out = np.where(rising, self.v_low_v + dv * tau / tr, out)
        out = np.where(high, self.v_high_v, out)
        out = np.where(falling, self.v_high_v - dv * (tau - tr - pw) / tf, out)
        return out

    def spice(self, t_stop_s: float) -> str:
        """The ``PULSE(...)`` specification."""
        period = self.period_s
        if period is None:
            # longer than the simulated interval and than the pulse itself
            span = 2.0 * (t_stop_s + self.delay_s + self.rise_s + self.width_s + self.fall_s)
            period = 10.0 ** math.ceil(math.log10(span))
        vals = (self.v_low_v, self.v_high_v, self.delay_s, self.rise_s, self.fall_s, self.width_s, period)
        return "PULSE(" + " ".join(_num(x) for x in vals) + ")"


def _positive_finite(x, name: str, allow_zero: bool = False) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {x!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be finite and {'>= 0' if allow_zero else '> 0'}, got {x!r}")
    return v


def rc_ladder_deck(
    capacitances_f,
    conductances_s,
    source: PulseSource,
    source_resistance_ohm: float,
    t_stop_s: float,
    t_step_s: float,
    initial_voltages_v=None,
    title: str = "neuromorph RC ladder",
) -> str:
    r"""SPICE deck of an RC ladder (physical Benna--Fusi chain) driven by a pulse.

    Nodes ``n1 .. nm``; node ``k`` has capacitance ``C_k`` (F) to ground,
    resistor ``1/g_k`` between ``n<k>`` and ``n<k+1>`` for ``k < m``, and the
    last conductance ``g_m`` is a leak from ``n<m>`` to ground (omitted when
    zero).  The source ``Vsrc`` (``PULSE``) drives ``n1`` through
    ``source_resistance_ohm`` (> 0).  The node equations are

    .. math::

        C_1 \dot V_1 &= (V_s(t) - V_1)/R_s - g_1 (V_1 - V_2) \\
        C_k \dot V_k &= g_{k-1}(V_{k-1} - V_k) - g_k (V_k - V_{k+1}) \\
        C_m \dot V_m &= g_{m-1}(V_{m-1} - V_m) - g_m V_m .

    ``.tran t_step t_stop 0 t_step`` (maximum internal step = ``t_step``)
    with tight tolerances.  With ``initial_voltages_v`` the run starts from
    those node voltages (``.ic`` + ``UIC``); otherwise from the DC operating
    point with the source at ``v_low`` (this needs every node to have a DC
    path, i.e. all ``g_k > 0`` for ``k < m``).  A zero interior conductance
    is an open circuit (resistor omitted).  The ``.control`` block writes
    ``time`` and ``v(n1) .. v(nm)`` (plus the source vectors) to
    ``neuromorph_ladder.raw``.
    """
    C = np.asarray(capacitances_f, dtype=float)
    g = np.asarray(conductances_s, dtype=float)
    if C.ndim != 1 or C.size == 0:
        raise ValueError(f"capacitances_f must be a non-empty 1-D array, got shape {C.shape}")
    if g.shape != C.shape:
        raise ValueError(
            f"conductances_s must have the same shape as capacitances_f {C.shape} "
            f"(last entry = leak of the last node), got shape {g.shape}"
        )
    if not np.all(np.isfinite(C)) or np.any(C <= 0):
        raise ValueError(f"capacitances_f must be finite and > 0 F, got {C.tolist()}")
    if not np.all(np.isfinite(g)) or np.any(g < 0):
        raise ValueError(f"conductances_s must be finite and >= 0 S, got {g.tolist()}")
    if not isinstance(source, PulseSource):
        raise TypeError(f"source must be a PulseSource, got {type(source).__name__}")
    r_s = _positive_finite(source_resistance_ohm, "source_resistance_ohm")
    t_stop = _positive_finite(t_stop_s, "t_stop_s")
    t_step = _positive_finite(t_step_s, "t_step_s")
    if t_step > t_stop:
        raise ValueError(f"t_step_s must be <= t_stop_s = {t_stop!r}, got {t_step!r}")
    m = C.size
    if initial_voltages_v is not None:
        v0 = np.asarray(initial_voltages_v, dtype=float)
        if v0.shape != C.shape:
            raise ValueError(
                f"initial_voltages_v must have shape {C.shape} (one per node), got {v0.shape}"
            )
        if not np.all(np.isfinite(v0)):
            raise ValueError("initial_voltages_v must be finite")
    else:
        v0 = None
        if m > 1 and np.any(g[:-1] == 0):
            k = int(np.flatnonzero(g[:-1] == 0)[0]) + 1
            raise ValueError(
                f"conductances_s[{k - 1}] == 0 disconnects nodes n{k + 1}..n{m} at DC, so the "
                "DC operating point is undefined; pass initial_voltages_v"
            )

    lines = [
        _title_line(title),
        "* generated by neuromorph.spice.netlist.rc_ladder_deck",
        f"* RC ladder: m = {m} nodes n1..n{m}; C_k to ground, 1/g_k between n<k> and n<k+1>, "
        f"leak g_m = {_num(g[-1])} S from n{m} to ground",
        f"* source: {source.spice(t_stop)} through {_num(r_s)} ohm into n1",
        f"* capacitances_f = [{', '.join(_num(c) for c in C)}]",
        f"* conductances_s = [{', '.join(_num(x) for x in g)}]",
        "",
        f"Vsrc src 0 {source.spice(t_stop)}",
        f"Rsrc src n1 {_num(r_s)}",
    ]
    for k in range(m):
        lines.append(f"C{k + 1} n{k + 1} 0 {_num(C[k])}")
    for k in range(m - 1):
        if g[k] > 0:
            lines.append(f"R{k + 1} n{k + 1} n{k + 2} {_num(1.0 / g[k])}")
    if g[-1] > 0:
        lines.append(f"Rleak n{m} 0 {_num(1.0 / g[-1])}")

    # chgtol well below the smallest charge of interest: C_min * 1 nV
    chgtol = max(float(C.min()) * 1e-9, 1e-30)
    lines += [
        "",
        "* tight tolerances: local truncation error ~ reltol, max step = t_step",
        f".options reltol=1e-6 abstol=1e-15 vntol=1e-9 chgtol={_num(chgtol)} trtol=1",
    ]
    uic = ""
    if v0 is not None:
        lines.append(".ic " + " ".join(f"v(n{k + 1})={_num(v0[k])}" for k in range(m)))
        uic = " UIC"
    lines += [
        f".tran {_num(t_step)} {_num(t_stop)} 0 {_num(t_step)}{uic}",
        "",
        ".control",
        "set filetype=ascii",
        "run",
        f"write {LADDER_RAW_FILE}",
        "quit",
        ".endc",
        ".end",
        "",
    ]
    return "\n".join(lines)
