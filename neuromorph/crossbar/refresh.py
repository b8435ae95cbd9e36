r"""The conductances a read sees: one fused pass over the cells' chains, reused buffers, and a lazy
refresh with a stated tolerance.

A read at time t needs G(t) of every cell, which depends on u_1(t) of its chain. The chains are
advanced lazily (:class:`~neuromorph.synapses.population.ChainPopulation`), so every read after
time has passed must advance every chain. :class:`ConductanceCache` does that as one numba pass
(:func:`neuromorph.kernels.read.refresh_conductance`: decay, u_1, channel transfer and G
written straight into the (N_in, N_lines) buffer) and decides when it is needed:

* after a write (the array's ``version`` changed) — always;
* when time has passed since the last refresh (Δt > 0) and the tolerance ``tol`` is 0 — always
  (the exact path: G is the exact conductance at the read time);
* with ``tol > 0``, only when the conductance of some cell may have moved by more than ``tol``
  of the nominal range since the last refresh at t_0. Between events every mode decays on its
  own, z_nk(t_0 + Δt) = e^{λ_nk Δt} z_nk(t_0), with λ_nk real and ≤ 0 (a chain's matrix is
  tridiagonal with positive off-diagonal products, hence similar to a symmetric negative
  semi-definite one). With c_nk = r_nk z_nk(t_0), |λ_nk| ≤ ρ_n Λ_k and 1 − e^{−x} ≤ x, for
  every cell

      |u_1n(t_0 + Δt) − u_1n(t_0)| = |Σ_k c_nk (e^{λ_nk Δt} − 1)| ≤ Σ_k |c_nk| (1 − e^{−|λ_nk| Δt})
                                  ≤ Δt · Σ_k |λ_nk| |c_nk| ≤ Δt · ρ_n Σ_k Λ_k |c_nk|,

  Λ_k = max_n |λ_nk| (the fastest rate of mode k over the array), ρ_n = max_k |λ_nk|/Λ_k ≤ 1
  (how much slower cell n's chain is than the fastest: with device variation the rates of one
  mode spread 2.8x over a 256² array of the shipped card). The channel is Lipschitz with
  constant L_s (1/(u_high − u_low) linear-clipped, 1/(4 u_slope) logistic), so

      |G_n(t_0 + Δt) − G_n(t_0)| ≤ ΔG_n L_s |Δu_1n| ≤ L_s · Δt · S,
      S = max_n ΔG_n ρ_n Σ_k Λ_k |c_nk|          (ΔG_n = G_max,n − G_min,n; 0 for a stuck cell),

  S recorded by the refresh pass (:func:`neuromorph.kernels.read.refresh_conductance` with
  the per-cell weight w_n = ΔG_n ρ_n). The refresh is skipped while L_s · Δt · S ≤
  tol · (G_max − G_min)_nominal: no cell's conductance is staler than ``tol`` of the nominal
  range (``tol`` in weight units for differential pairs). A margin of (1 + 16ε) covers the
  rounding of the recorded sums. The chains themselves stay exact: skipping a refresh only
  leaves them at the earlier time, and the next refresh or write advances them exactly.

  Earlier the bound was (max_n ΔG_n)·max_n Σ_k Λ_k |c_nk| — the largest span times the fastest
  chain, from different cells; keeping ΔG_n ρ_n inside the maximum makes S 1.8x smaller on the
  shipped card after a write (the refresh interval as much longer) and stays rigorous. The
  per-mode form Σ_k A_k (1 − e^{−Λ_k Δt}), A_k = max_n |c_nk|, saturates for modes that decay
  within Δt, but the card's fastest mode has 1/Λ_1 ≈ 15 s against refresh intervals of
  ~10⁻⁴ s at 1e-6, so Λ_k Δt ~ 10⁻⁵, the saturation never acts, and Σ_k max_n ≥ max_n Σ_k would make
  it looser (tests/crossbar/test_read_bound.py checks the bound used).

:data:`DEFAULT_READ_TOLERANCE` = 1e-6: a stale cell current is at most 1e-6·ΔG·|V|, about 10⁻⁴
of the 0.5 % cell read noise of the shipped proton-transistor card and ~10⁻³ of a 10-bit ADC step
at full fan-in, so reads agree with the exact path to well below the noise
(``tests/crossbar/test_read_refresh.py`` states and checks the tolerance).

``fused=False`` keeps the unfused path it replaces (advance-and-read, then the channel in NumPy,
then the reference column, then G²; new arrays every time), for ``bench crossbar``'s before/after.
"""

from __future__ import annotations

import math

import numpy as np

from ..config.device_schema import LinearClippedTransfer
from ..kernels import read as rkern
from .cells import CellLayout, Cells, cell_conductance

__all__ = ["ConductanceCache", "DEFAULT_READ_TOLERANCE", "same_step", "speed_weights"]


#: ulps of the clock reading within which two steps count as the same (:func:`same_step`)
CLOCK_ULPS = 8


def same_step(dt: float, other: float, t_s: float, time_unit_s: float) -> bool:
    """Whether steps ``dt`` and ``other`` (time units), ending at clock reading ``t_s`` [s], are
    equal up to the clock's rounding: steps between the same events, computed as differences of
    growing clock readings, jitter by a few ulp of the reading, so a decay table e^{λ·other}
    serves dt with an error |λ|·8·ε·t no larger than the clock already puts into dt. The reuse
    rule of the read refresh and of the batch write."""
    slack = CLOCK_ULPS * np.finfo(float).eps * max(abs(t_s), abs(dt) * time_unit_s) / time_unit_s
    return abs(dt - other) <= slack


#: default lazy-refresh tolerance, relative to the nominal channel range G_max − G_min
DEFAULT_READ_TOLERANCE = 1e-6


def speed_weights(rates: np.ndarray, rate_max: np.ndarray, span: np.ndarray) -> np.ndarray:
    """w_n = ΔG_n ρ_n (N,) [S], ρ_n = max_k |λ_nk|/Λ_k (module docstring), rounded up by 4ε so
    that ρ_n Λ_k ≥ |λ_nk| holds for the computed numbers. ``rates`` λ (1|N, m), ``rate_max``
    Λ (m,), ``span`` ΔG_n (N,) (0 for stuck cells). A mode with Λ_k = 0 never moves and does
    not count. One numba pass (:func:`neuromorph.kernels.read.speed_weights`)."""
    span = np.ascontiguousarray(span, dtype=float)
    out = np.empty_like(span)
    rkern.speed_weights(span, np.asarray(rates, dtype=float), np.ascontiguousarray(rate_max, dtype=float), out)
    return out


def largest_rates(rates: np.ndarray) -> np.ndarray:
    """Λ_k = max_n |λ_nk| (m,) of ``rates`` (1|N, m), in one numba pass
    (:func:`neuromorph.kernels.read.column_abs_max`)."""
    rates = np.asarray(rates, dtype=float)
    out = np.empty(rates.shape[1])
    rkern.column_abs_max(rates, out)
    return out


class ConductanceCache:
    """The physical conductance matrix of an array, refreshed by one fused pass (module docstring).

    cells, channel, layout: the array's sampled cells, channel card and layout; ``tolerance``:
    the lazy-refresh tolerance (0 = exact at every read). Counters ``refreshes`` and ``skips``
    count the refreshes done and avoided."""

    def __init__(self, cells: Cells, channel, layout: CellLayout, population, tolerance: float = DEFAULT_READ_TOLERANCE):
        self.cells, self.channel, self.layout, self.population = cells, channel, layout, population
        self.tolerance = float(tolerance)
        self.fused = True
        base = np.array(cells.g_min_s, dtype=float)
        span = np.asarray(cells.g_max_s, dtype=float) - base
        base[cells.stuck] = cells.stuck_value_s
        span[cells.stuck] = 0.0
        self._base, self._span = base, np.ascontiguousarray(span)
        transfer = channel.transfer
        if isinstance(transfer, LinearClippedTransfer):
            self._transfer = (rkern.TRANSFER_LINEAR, float(transfer.u_low), float(transfer.u_high - transfer.u_low))
            lipschitz = 1.0 / (transfer.u_high - transfer.u_low)
        else:
            self._transfer = (rkern.TRANSFER_SIGMOID, float(transfer.u_mid), float(transfer.u_slope))
            lipschitz = 0.25 / transfer.u_slope
        integ = population.integrator
        # the bound's prefactor: L_s per nominal range, with the rounding margin (module docstring)
        self._gain = lipschitz * (1.0 + 16 * np.finfo(float).eps) / layout.delta_g_s
        rates = np.asarray(integ.rates, dtype=float)                          # λ_nk (1|N, m) [1/time unit]
        self._rate_max = largest_rates(rates)                                 # Λ_k
        self._speed_weight = speed_weights(rates, self._rate_max, span)       # w_n = ΔG_n ρ_n [S]
        self._decays: dict[float, np.ndarray] = {}
        self.g: np.ndarray | None = None      # (N_in, N_lines) buffer, reused while not handed out
        self.g2: np.ndarray | None = None
        self._row_speed = np.zeros(layout.n_in)
        self._speed = math.inf                # S of the last refresh (inf: none recorded, no skips)
        self._version, self._time_s, self._g2_valid = None, math.nan, False
        self.refreshes = self.skips = 0

    # ---- the bound ---------------------------------------------------------------------------
    def drift_bound(self, dt_s: float) -> float:
        """Largest possible |ΔG| of any cell Δt = ``dt_s`` after the last refresh, relative to the
        nominal range (module docstring)."""
        if dt_s <= 0:
            return 0.0
        return self._gain * self._speed * (dt_s / self.population.time_unit_s)

    def _decay(self, dt: float, t_s: float) -> np.ndarray:
        """e^{λ dt} (1|N, m) for a step of ``dt`` time units ending at ``t_s`` [s], cached for the
        last two step lengths. A step equal to a cached one within the rounding of the clock
        (8 ulp of t_s: reads at a fixed interval give differences that jitter by that much as the
        clock grows) reuses it: the decay then differs from e^{λ dt} by |λ|·8·ε·t_s, no more than
        the clock's own rounding. With per-cell rates (variation) a new step costs an exp over
        every cell and mode — more than the refresh itself — so this keeps it to changes of Δt. A
        new table is written into the buffer of the one it evicts: a fresh N×m array is first-touch
        page faults, which on the reference VM cost 4–7x the exponentials themselves (160–285 ms
        against 38 ms at 1024², CPU time)."""
        for key, decay in self._decays.items():
            if same_step(dt, key, t_s, self.population.time_unit_s):
                return decay
        rates = self.population.integrator.rates
        buf = None
        if len(self._decays) >= 2:
            buf = self._decays.pop(next(iter(self._decays)))
        if buf is None or buf.shape != rates.shape:
            buf = np.empty(rates.shape)
        np.multiply(rates, dt, out=buf)
        decay = self._decays[dt] = np.exp(buf, out=buf)
        return decay

    # ---- refresh -----------------------------------------------------------------------------
    def get(self, t_s: float, version: int, need_g2: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """(G, G² or None) at time ``t_s`` for state ``version``: refreshed, or the last refresh when
        it is within the tolerance (module docstring). The arrays are the cache's own buffers:
        read them before the next call."""
        if self._version == version and (t_s == self._time_s or (
                self.tolerance > 0 and self.drift_bound(t_s - self._time_s) <= self.tolerance)):
            if t_s != self._time_s:
                self.skips += 1
        elif self.fused:
            self._refresh_fused(t_s, need_g2)
            self._version = version
        else:
            self._refresh_unfused(t_s)
            self._version = version
        if need_g2 and not self._g2_valid:
            if not self.fused:
                self.g2 = self.g ** 2
            else:
                if self.g2 is None or self.g2.shape != self.g.shape:
                    self.g2 = np.empty_like(self.g)
                np.multiply(self.g, self.g, out=self.g2)
            self._g2_valid = True
        return self.g, (self.g2 if need_g2 else None)

    def hand_out(self) -> None:
        """The current G is given to a caller who may keep it: the next refresh writes a new buffer."""
        if self.g is not None:
            self.g.setflags(write=False)

    def invalidate(self) -> None:
        self._version = None

    def _refresh_fused(self, t_s: float, need_g2: bool) -> None:
        pop, lay = self.population, self.layout
        dt = t_s - pop.time_s
        if dt < 0:
            raise ValueError(f"cannot refresh backwards in time ({pop.time_s} s -> {t_s} s)")
        integ = pop.integrator
        decay = self._decay(dt / pop.time_unit_s, t_s) if dt > 0 else np.ones((1, pop.x.shape[1]))
        if self.g is None or not self.g.flags.writeable:
            self.g = np.empty((lay.n_in, lay.n_lines))
            if not lay.differential:
                self.g[:, lay.n_cell_lines:] = lay.g_reference_s
        with_g2 = bool(need_g2)
        if with_g2 and (self.g2 is None or not self.g2.flags.writeable):
            self.g2 = np.empty_like(self.g)
            if not lay.differential:
                self.g2[:, lay.n_cell_lines:] = lay.g_reference_s ** 2
        kind, a, b = self._transfer
        bound = self.tolerance > 0     # the exact path does not need the bound (it costs ~15 % of the pass)
        rkern.refresh_conductance(pop.x, decay, integ.readout, self._base, self._span, self._speed_weight, kind, a,
                                  b, self.g, self.g2 if with_g2 else self.g, with_g2, self._rate_max,
                                  self._row_speed, bound)
        self._speed = float(self._row_speed.max()) if bound else math.inf
        pop.time_s = float(t_s)
        self._time_s, self._g2_valid = float(t_s), with_g2
        self.refreshes += 1

    def _refresh_unfused(self, t_s: float) -> None:
        """The path the fused pass replaces: advance and read u_1, the channel in NumPy, the
        reference column, G² (new arrays)."""
        lay = self.layout
        u1 = self.population.advance_and_read(t_s)
        g_cells = cell_conductance(self.cells, self.channel, u1)
        self.g = lay.with_reference(g_cells.reshape(lay.n_in, lay.n_cell_lines))
        self.g2 = None                        # G² on demand (as before), a new array
        self._speed = math.inf                # no bound recorded: no lazy skips on this path
        self._time_s, self._g2_valid = float(t_s), False
        self.refreshes += 1
