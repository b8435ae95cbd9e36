r"""Read-path physics of a resistive crossbar with wire (IR-drop) resistance.

All quantities are SI: conductances in siemens (S), resistances in ohms,
voltages in volts (V), currents in amperes (A).

Topology
--------
``N_in`` rows by ``N_out`` columns.  Every crossing ``(i, j)`` has two nodes:
the *row node* ``(i, j)`` on the row wire and the *column node* ``(i, j)`` on
the column wire.  The memory cell is a conductance ``G[i, j]`` between them.

Forward read (``transposed=False``)::

               r_drv    r_row         r_row         r_row
   v_in[0] (+)--/\/\----/\/\---o-------/\/\---o------ ... ----o   row 0
                               |  (0,0)       |  (0,1)        |
                             G[0,0]         G[0,1]          G[0,N_out-1]
                               |              |               |
                               o col node     o               o
                               /  r_col       /  r_col        /
                               \              \               \
               r_drv    r_row  |              |               |
   v_in[1] (+)--/\/\----/\/\---o-------/\/\---o------ ... ----o   row 1
                               |              |               |
                             G[1,0]         G[1,1]           ...
                               |              |               |
                               o              o               o
                              ...            ...             ...
                               o (N_in-1,0)   o               o
                               /  r_col       /  r_col        /
                               /  r_sense     /  r_sense      /
                               |              |               |
                             [SA 0]         [SA 1]   ...   [SA N_out-1]
                            virtual ground (0 V); output = current into SA

* Row ``i`` is driven at its left end by an ideal source ``v_in[i]`` through
  the driver resistance ``r_driver_ohm`` followed by one row segment
  ``r_row_ohm`` to the first cell; consecutive cells along the row are
  separated by one more segment ``r_row_ohm`` each.
* Column ``j`` runs from cell ``(0, j)`` down to cell ``(N_in-1, j)`` with a
  segment ``r_col_ohm`` between consecutive cells, then one more segment
  ``r_col_ohm`` and ``r_sense_ohm`` to a sense amplifier holding the column
  end at 0 V.  The output ``I_j`` is the current flowing *into* that sense
  amplifier (positive for positive inputs and a passive array).

Transposed read (``transposed=True``), used for back-propagation: the roles of
rows and columns are swapped.  Column ``j`` is driven by ``v_in[j]`` at its
*bottom* end (where its sense amplifier sat in the forward read) through
``r_driver_ohm`` and one segment ``r_col_ohm`` to cell ``(N_in-1, j)``; row
``i`` is sensed at its *left* end (where its driver sat) through one segment
``r_row_ohm`` plus ``r_sense_ohm`` into a virtual ground.  The output has
length ``N_in``; with ideal wires it equals ``G @ v_in``.

Equations
---------
Nodal analysis: for every free node ``n`` Kirchhoff's current law reads
``sum_m g_nm (V_n - V_m) = 0`` where the sum runs over the branches at ``n``
(cells, wire segments, and the end segments to a source ``v_in`` or to the
0 V sense node).  With ``x`` the free node voltages this is the sparse
symmetric positive-definite system ``A x = B v_in``; ``A`` is the weighted
graph Laplacian restricted to the free nodes and ``B`` couples the source
voltages in.  The output is the sum of the cell currents of each sensed line,
``I_j = sum_i G[i, j] (V_row[i, j] - V_col[i, j])``, which by KCL is exactly
the current through the sense-amplifier end segment.

Zero resistances are handled exactly, by merging nodes rather than by large
conductances: a zero segment resistance merges all nodes of a line into one
node; if additionally the end resistance is zero, that node is the source
voltage (driven line) or 0 V (sensed line) and is eliminated.  With all
resistances zero the solve reduces to ``ideal_read`` up to rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ..errors import InvalidParameterError
from .irdrop_direct import solve_nodal_direct
from .irdrop_pcg import DEFAULT_MAXITER, DEFAULT_RTOL, solve_chain_chain_pcg

#: ``method="auto"`` uses the iterative solve from this many cells on (when both wire families
#: have nonzero segment resistance); below it the sparse direct solve is as fast
ITERATIVE_MIN_CELLS = 128 * 128
#: accepted values of :func:`solve_read`'s ``method``
SOLVER_METHODS = ("auto", "direct", "iterative")

__all__ = [
    "ITERATIVE_MIN_CELLS",
    "SOLVER_METHODS",
    "WireParameters",
    "CrossbarSolution",
    "ideal_read",
    "solve_read",
]


@dataclass(frozen=True)
class WireParameters:
    """Parasitic resistances of a crossbar read path, in ohms.

    Attributes
    ----------
    r_row_ohm:
        Resistance of one row-wire segment between adjacent cells (also the
        segment between the row driver and the first cell).
    r_col_ohm:
        Resistance of one column-wire segment between adjacent cells (also the
        segment between the last cell and the sense amplifier).
    r_driver_ohm:
        Output resistance of each input driver (voltage source).
    r_sense_ohm:
        Input resistance of each sense amplifier (virtual ground).
    """

    r_row_ohm: float = 0.0
    r_col_ohm: float = 0.0
    r_driver_ohm: float = 0.0
    r_sense_ohm: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            try:
                x = float(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"WireParameters.{f.name} must be a real number of ohms, got {value!r}"
                ) from None
            if not math.isfinite(x) or x < 0.0:
                raise ValueError(
                    f"WireParameters.{f.name} must be finite and >= 0 ohm, got {value!r}"
                )
            object.__setattr__(self, f.name, x)

    @property
    def is_ideal(self) -> bool:
        """True when every resistance is exactly zero."""
        return (
            self.r_row_ohm == 0.0
            and self.r_col_ohm == 0.0
            and self.r_driver_ohm == 0.0
            and self.r_sense_ohm == 0.0
        )


@dataclass(frozen=True)
class CrossbarSolution:
    """Result of :func:`solve_read`.

    For a batch of ``B`` input vectors every array gains a trailing axis of
    length ``B``.

    Attributes
    ----------
    output_current_a:
        ``(N_out,)`` current into each column's sense amplifier, A (``(N_in,)``
        current into each row's sense amplifier for a transposed read).
    row_node_v:
        ``(N_in, N_out)`` voltage of the row-wire node at each cell, V.
    col_node_v:
        ``(N_in, N_out)`` voltage of the column-wire node at each cell, V.
    input_current_a:
        Current delivered by each input source, A: ``(N_in,)`` for a forward
        read, ``(N_out,)`` for a transposed read.  By charge conservation
        ``input_current_a.sum() == output_current_a.sum()``.
    """

    output_current_a: np.ndarray
    row_node_v: np.ndarray
    col_node_v: np.ndarray
    input_current_a: np.ndarray


# --------------------------------------------------------------------------- #
# validation helpers
# --------------------------------------------------------------------------- #
def _check_G(G) -> np.ndarray:
    G = np.asarray(G, dtype=float)
    if G.ndim != 2:
        raise ValueError(
            f"G must be a 2-D conductance matrix of shape (N_in, N_out), got ndim={G.ndim} "
            f"with shape {G.shape}"
        )
    if G.shape[0] == 0 or G.shape[1] == 0:
        raise ValueError(f"G must have at least one row and one column, got shape {G.shape}")
    if not np.all(np.isfinite(G)):
        raise ValueError("G must be finite (no NaN or inf conductances)")
    if np.any(G < 0):
        raise ValueError(f"G must be >= 0 siemens everywhere, got min(G) = {G.min()!r}")
    return G


def _check_v(v_in, n: int, name_n: str) -> np.ndarray:
    v = np.asarray(v_in, dtype=float)
    if v.ndim not in (1, 2) or v.shape[0] != n:
        raise ValueError(
            f"v_in must have shape ({n},) or ({n}, B) with {n} = {name_n}, got shape {v.shape}"
        )
    if not np.all(np.isfinite(v)):
        raise ValueError("v_in must be finite (no NaN or inf voltages)")
    return v


# --------------------------------------------------------------------------- #
# ideal read
# --------------------------------------------------------------------------- #
def ideal_read(G, v_in) -> np.ndarray:
    """Ideal (zero wire resistance) forward read, ``I_j = sum_i G[i, j] v_in[i]``.

    Parameters
    ----------
    G:
        ``(N_in, N_out)`` cell conductances, S, all ``>= 0``.
    v_in:
        ``(N_in,)`` or ``(N_in, B)`` row voltages, V.

    Returns
    -------
    ``(N_out,)`` or ``(N_out, B)`` column currents, A (``G.T @ v_in``).
    """
    G = _check_G(G)
    v = _check_v(v_in, G.shape[0], "N_in = G.shape[0]")
    return G.T @ v


def _solve_generic(H, V, r_d, r_s, r_driver, r_sense, method="direct", rtol=DEFAULT_RTOL):
    """Solve the canonical orientation.

    Driven lines ``a = 0..Na-1`` run along ``b`` with the driver at ``b = 0``;
    sensed lines ``b = 0..Nb-1`` run along ``a`` with the sense amplifier at
    ``a = Na-1``.  ``H[a, b]`` is the cell between driven node ``(a, b)`` and
    sensed node ``(a, b)``.  ``V`` has shape ``(Na, B)``.
    Returns ``(I_out (Nb,B), I_in (Na,B), Vd (Na,Nb,B), Vs (Na,Nb,B))``.
    """
    Na, Nb = H.shape
    if r_d > 0.0 and r_s > 0.0 and (method == "iterative" or (method == "auto" and Na * Nb >= ITERATIVE_MIN_CELLS)):
        return solve_chain_chain_pcg(H, V, r_d, r_s, r_driver, r_sense, rtol=rtol, maxiter=DEFAULT_MAXITER)[:4]
    return solve_nodal_direct(H, V, r_d, r_s, r_driver, r_sense)


def check_read_inputs(G, v_in, wires: WireParameters | None, transposed: bool):
    """Validated (wires, G, v) of a read: G (N_in, N_out) ≥ 0, v of the driven side's length."""
    if wires is None:
        wires = WireParameters()
    if not isinstance(wires, WireParameters):
        raise TypeError(f"wires must be a WireParameters instance, got {type(wires).__name__}")
    G = _check_G(G)
    n_in, n_out = G.shape
    if transposed:
        v = _check_v(v_in, n_out, "N_out = G.shape[1] (transposed read drives the columns)")
    else:
        v = _check_v(v_in, n_in, "N_in = G.shape[0]")
    return wires, G, v


def solve_read(
    G,
    v_in,
    wires: WireParameters | None = None,
    transposed: bool = False,
    method: str = "auto",
    rtol: float = DEFAULT_RTOL,
) -> CrossbarSolution:
    """Read a crossbar with wire resistance by sparse nodal analysis.

    Parameters
    ----------
    G:
        ``(N_in, N_out)`` cell conductances, S (finite, ``>= 0``).
    v_in:
        Input voltages, V: ``(N_in,)`` for a forward read (rows driven) or
        ``(N_out,)`` for a transposed read (columns driven).  A batch of
        ``B`` vectors is given as ``(N_in, B)`` / ``(N_out, B)``; the sparse
        matrix is factorised once and all right-hand sides solved together.
    wires:
        :class:`WireParameters`; ``None`` means ideal wires.
    transposed:
        ``False``: drive rows at their left ends, sense columns at their
        bottom ends (``I = G.T @ v`` for ideal wires).  ``True``: drive
        columns at their bottom ends, sense rows at their left ends
        (``I = G @ v`` for ideal wires).  See the module docstring.
    method:
        ``"direct"``: sparse LU (SuperLU), exact up to rounding.  ``"iterative"``: conjugate
        gradients on the line Schur complement with tridiagonal line preconditioning
        (:mod:`neuromorph.crossbar.irdrop_pcg`), memory linear in the cell count; needs
        ``r_row_ohm > 0`` and ``r_col_ohm > 0`` (otherwise the direct solve runs, on a system
        already reduced by the merged lines).  ``"auto"`` (default): iterative from
        :data:`ITERATIVE_MIN_CELLS` cells on, direct below.
    rtol:
        Relative residual tolerance of the iterative solve, per input vector:
        ``‖b − K w‖₂ ≤ rtol ‖b‖₂`` on the Schur-complement system (default 1e-10).

    Returns
    -------
    :class:`CrossbarSolution` with output currents (A), node voltages (V)
    and source currents (A).

    Notes
    -----
    The system has up to ``2 N_in N_out`` unknowns (fewer when zero
    resistances merge nodes) and is solved with SuperLU: with nonzero row and
    column resistances a geometric nested-dissection ordering is used (a
    256x256 array, 131072 unknowns, takes ~0.45 s on 2 cores; 1024x1024
    ~20 s and ~3 GB), otherwise minimum degree on ``A + A^T`` (for a zero
    row *or* column resistance with a nonzero driver/sense resistance the
    256x256 solve takes ~0.7 s).

    With ``method="auto"`` arrays of :data:`ITERATIVE_MIN_CELLS` cells or more with nonzero row
    and column resistances use the iterative solve instead (see ``neuromorph bench crossbar`` and
    docs/performance.md for measured times).

    Accuracy: the direct result is exact up to rounding, but the nodal matrix is
    ill-conditioned when very strong branches (short wire segments, g_max)
    meet very weak ones (cells, g_min); expect relative errors of order
    ``eps * g_max / g_min`` (e.g. ~1e-8 for 1 mOhm wires and 10 uS cells).
    """
    wires, G, v = check_read_inputs(G, v_in, wires, transposed)
    if method not in SOLVER_METHODS:
        raise InvalidParameterError(f"method must be one of {SOLVER_METHODS}, got {method!r}")
    n_in, n_out = G.shape
    batched = v.ndim == 2
    V = v if batched else v[:, None]

    if not transposed:
        I_out, I_in, Vd, Vs = _solve_generic(
            G, V, wires.r_row_ohm, wires.r_col_ohm, wires.r_driver_ohm, wires.r_sense_ohm, method, rtol
        )
        row_v, col_v = Vd, Vs
    else:
        # Canonical orientation: driven line a <-> column j = N_out-1-a,
        # position b along it <-> row i = N_in-1-b (b = 0 nearest the driver
        # at the bottom); the sensed line b (row i) then has its sense end
        # at a = Na-1 <-> j = 0, as required.
        H = G[::-1, ::-1].T
        I_out, I_in, Vd, Vs = _solve_generic(
            np.ascontiguousarray(H),
            np.ascontiguousarray(V[::-1]),
            wires.r_col_ohm,
            wires.r_row_ohm,
            wires.r_driver_ohm,
            wires.r_sense_ohm,
            method,
            rtol,
        )
        I_out = I_out[::-1]
        I_in = I_in[::-1]
        col_v = np.transpose(Vd[::-1, ::-1], (1, 0, 2))
        row_v = np.transpose(Vs[::-1, ::-1], (1, 0, 2))

    if not batched:
        I_out, I_in, row_v, col_v = I_out[:, 0], I_in[:, 0], row_v[..., 0], col_v[..., 0]
    return CrossbarSolution(
        output_current_a=np.ascontiguousarray(I_out),
        row_node_v=np.ascontiguousarray(row_v),
        col_node_v=np.ascontiguousarray(col_v),
        input_current_a=np.ascontiguousarray(I_in),
    )
