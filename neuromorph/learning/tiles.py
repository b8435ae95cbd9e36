r"""The network on crossbar tiles: every learned matrix lives on a :class:`CrossbarArray`, every
forward and feedback product with it is a (batched) tile read and every change a pulsed
outer-product write.

Learned matrices (row-vector convention of :mod:`.rules`) and their tiles, an array holding M
(N_in × N_out) with forward read y = Mᵀx and transposed read y = M x:

    W_l    M = W_lᵀ (n_{l−1} × n_l)   forward  H_{l−1} W_lᵀ = read(H_{l−1})
                                       BP       Δ_l W_l      = transposed read(Δ_l)
                                       write    ΔM = −η Σ_b h_b δ_bᵀ   (x = h_b, δ = −δ_b)
    KP B_l M = B_l (n_l × n_{l−1})     feedback Δ_l B_l      = read(Δ_l);  ΔM = −η Σ_b δ_b h_bᵀ
    PFA R_l M = R_l (n_r × n_{l−1})    feedback r_l R_l      = read(r_l);  ΔM = −η Σ_b r_b h_bᵀ

W is read on the same tile forwards and backwards (BP has no weight-transport problem on one
passive array, DESIGN §2.3); FA/DFA/PFA's *fixed* random matrices and the biases are kept
digital (exact float products, as from a ROM or a fixed resistor array — they never change).

Periphery scaling (Gokmen et al. 2017 "noise management"): every input vector v_b of a read is
driven as v_b / max|v_b| and the result multiplied back, so the DAC range is always used in
full; a batch's update writes x_b = p_b / max|p|, δ_b = q_b / max|q| with the learning rate
η·max|p|·max|q| (the same intended ΔM). Tile weights are the arrays' signed weights directly
(|w| ≤ 1 in conductance units), so the network's weights must stay inside the conductance range.

Optimiser on tiles: plain SGD (no momentum: a momentum buffer would be a second full matrix per
layer). Weight decay ``explicit``: once per batch every learned tile receives the pulses of
−ηλ M (deterministic rounding, so a λ below one pulse per step does nothing — as in hardware);
``relaxation``: no decay pulses, the devices' own leak plays the role of λ (DESIGN §2.3).

Hardware cost columns: time = Σ reads·t_read + writes·t_update (the card's timing) plus the
pauses; read energy Σ_b Σ_i V_ib² Σ_j G_ij · t_read over every read (driven lines × the
conductance they see); write energy = pulses × g_gate·V_gate²·t_pulse (the gate's resistive
charging at full pulse voltage — an upper bound; 0 for ideal chain devices, which have no gate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .metrics import alignment_angle_deg, norm_ratio
from .network import ACTIVATIONS, RuleSettings, softmax_cross_entropy
from .rules import make_rule, xavier

__all__ = ["TileMatrix", "FloatMatrix", "TileNetwork", "TileCounters"]


def _scale(v: np.ndarray) -> np.ndarray:
    """max|v_b| per row (1 where a row is zero)."""
    s = np.abs(v).max(axis=1)
    return np.where(s > 0, s, 1.0)


@dataclass
class TileCounters:
    reads: int = 0
    writes: int = 0
    pulses: int = 0
    clipped: int = 0
    read_energy_j: float = 0.0
    write_energy_j: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class TileMatrix:
    """One learned matrix M on one crossbar array (see the module docstring)."""

    def __init__(self, array, counters: TileCounters, pulse_energy_j: float, ir_drop: bool = False,
                 noise: bool = True, explicit_decay: bool = False):
        self.array = array
        self.explicit_decay = explicit_decay
        self.counters = counters
        self.pulse_energy_j = pulse_energy_j
        self.ir_drop = ir_drop
        self.noise = noise

    @property
    def shape(self) -> tuple[int, int]:
        return self.array.n_in, self.array.n_out

    @property
    def arrays(self) -> list:
        return [self.array]

    def set_weights(self, matrix: np.ndarray) -> None:
        self.array.set_weights(matrix)

    def snapshot(self) -> dict[str, np.ndarray]:
        return self.array.snapshot()

    def restore(self, state: dict) -> None:
        self.array.restore(state)

    def value(self) -> np.ndarray:
        return self.array.weights()

    def _energy(self, v_in: np.ndarray, transposed: bool) -> float:
        """Σ_b Σ_lines V² · (conductance on the line) · t_read for one batched read."""
        arr = self.array
        g = arr.conductances()
        volts = arr.dac.voltages(v_in)                  # (n_drive, B)
        if not transposed:
            seen = g.sum(axis=1)                        # row i sees every cell of its row
        else:
            n_out = arr.n_out
            seen = (g[:, 0::2] + g[:, 1::2]).sum(axis=0) if arr.differential else g[:, :n_out].sum(axis=0)
        return float(arr.t_read * np.sum((volts**2) * seen[:, None]))

    def _read(self, v: np.ndarray, transposed: bool) -> np.ndarray:
        s = _scale(v)
        x = (v / s[:, None]).T
        self.counters.read_energy_j += self._energy(x, transposed)
        result = self.array.read(x, ir_drop=self.ir_drop, transposed=transposed, noise=self.noise)
        self.counters.reads += v.shape[0]
        return result.y.T * s[:, None]

    def right(self, v: np.ndarray) -> np.ndarray:
        """v @ M for a batch v (B, N_in): one forward read of the tile."""
        return self._read(v, False)

    def left(self, u: np.ndarray) -> np.ndarray:
        """u @ Mᵀ for a batch u (B, N_out): one transposed read."""
        return self._read(u, True)

    def write(self, p: np.ndarray, q: np.ndarray, learning_rate: float) -> None:
        """ΔM = −η Σ_b p_bᵀ q_b as B rank-1 pulse writes in consecutive update slots."""
        sp, sq = float(np.abs(p).max()), float(np.abs(q).max())
        if sp == 0.0 or sq == 0.0:
            self.array.wait(p.shape[0] * self.array.t_update)
            return
        result = self.array.update_batch(p / sp, -q / sq, learning_rate * sp * sq, keep_counts=False)
        self._count(result.pulses, result.clipped, p.shape[0])

    def decay(self, factor: float) -> None:
        """Explicit weight decay: pulses for ΔM = −factor·M (deterministic rounding), one slot."""
        arr = self.array
        counts = np.clip(np.rint(-factor * arr.weights() / arr.delta_w_min), -arr.bit_length, arr.bit_length)
        cells = arr.cell_counts(counts.astype(np.int32))
        arr.apply_pulses(cells)
        self._count(int(np.abs(cells).sum()), 0, 1)

    def _count(self, pulses: int, clipped: int, writes: int) -> None:
        self.counters.pulses += pulses
        self.counters.clipped += clipped
        self.counters.writes += writes
        self.counters.write_energy_j += pulses * self.pulse_energy_j


class FloatMatrix:
    """A learned matrix kept as float weights beside tiles (a layer whose substrate is ``ideal``):
    exact products, SGD write ΔM = −η Σ_b p_bᵀ q_b and decay ΔM = −factor·M."""

    explicit_decay = True

    def __init__(self, value: np.ndarray):
        self.m = np.array(value, dtype=float)

    @property
    def shape(self) -> tuple[int, int]:
        return self.m.shape

    def value(self) -> np.ndarray:
        return self.m

    def right(self, v: np.ndarray) -> np.ndarray:
        return v @ self.m

    def left(self, u: np.ndarray) -> np.ndarray:
        return u @ self.m.T

    def write(self, p: np.ndarray, q: np.ndarray, learning_rate: float) -> None:
        self.m -= learning_rate * (p.T @ q)

    def decay(self, factor: float) -> None:
        self.m -= factor * self.m


@dataclass
class TileNetwork:
    """An MLP whose learned matrices live on tiles made by ``make_tile(name, rows, columns, seed)``:
    a callable returning a :class:`CrossbarArray` (with this network's options), a list of m ≥ 2
    arrays (the matrix is their mean: :class:`~.replicated.ReplicatedTile`, ``cells_per_weight``),
    a tuple ``(array or list, options)`` (options: ``ir_drop``, ``noise``, ``weight_decay``,
    ``pulse_energy_j`` of that tile) or None (the matrix stays float: :class:`FloatMatrix`). Initial values are
    programmed with ``set_weights`` from the float network's initialisation of the same ``seed``."""

    sizes: list[int]
    settings: RuleSettings
    make_tile: object
    activation: str = "relu"
    seed: int = 0
    weight_decay_mode: str = "relaxation"
    ir_drop: bool = False
    noise: bool = True
    pulse_energy_j: float = 0.0
    counters: TileCounters = field(default_factory=TileCounters)

    def __post_init__(self):
        if self.settings.momentum:
            raise ValueError("tiles train with plain SGD: momentum must be 0")
        if self.weight_decay_mode not in ("relaxation", "explicit"):  # default of the tiles without options
            raise ValueError(f"weight decay on tiles is 'relaxation' or 'explicit', got {self.weight_decay_mode!r}")
        self.rule = make_rule(self.settings.kind, self.settings.expansion, self.settings.feedback_init)
        self.f, self.f_grad = ACTIVATIONS[self.activation]
        rng = np.random.default_rng([self.seed, 1])       # the float Network's initial draws
        init = {}
        for l in range(1, len(self.sizes)):
            init[f"W{l}"] = xavier(rng, self.sizes[l], self.sizes[l - 1])
        fixed, learned = self.rule.init_feedback(self.sizes, rng)
        self.fixed = fixed
        self.biases = {l: np.zeros(self.sizes[l]) for l in range(1, len(self.sizes))}
        self.tiles: dict = {}                  # name -> TileMatrix | ReplicatedTile | FloatMatrix
        for index, (name, value) in enumerate(sorted({**init, **learned}.items())):
            matrix = value.T if name.startswith("W") else value
            made = self.make_tile(name, matrix.shape[0], matrix.shape[1], int(self.seed) * 1000 + index)
            if made is None:
                self.tiles[name] = FloatMatrix(matrix)
                continue
            made, options = made if isinstance(made, tuple) else (made, {})
            mode = options.get("weight_decay", self.weight_decay_mode)
            replicas = [TileMatrix(array, self.counters, options.get("pulse_energy_j", self.pulse_energy_j),
                                   options.get("ir_drop", self.ir_drop), options.get("noise", self.noise),
                                   explicit_decay=mode == "explicit")
                        for array in (made if isinstance(made, list) else [made])]
            if len(replicas) > 1:
                from .replicated import ReplicatedTile

                tile = ReplicatedTile(replicas)
            else:
                tile = replicas[0]
            tile.set_weights(matrix)
            self.tiles[name] = tile
        self.steps = 0

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    def arrays(self) -> list:
        return [a for t in self.tiles.values() if not isinstance(t, FloatMatrix) for a in t.arrays]

    def forward(self, x: np.ndarray) -> dict:
        cache = {"H0": x}
        h = x
        for l in range(1, self.n_layers + 1):
            a = self.tiles[f"W{l}"].right(h) + self.biases[l]
            cache[f"A{l}"] = a
            h = self.f(a) if l < self.n_layers else a
            cache[f"H{l}"] = h
        return cache

    def train_batch(self, x: np.ndarray, labels: np.ndarray, epoch: int, classes=None) -> tuple[float, int]:
        s = self.settings
        eta, lam = s.learning_rate_at(epoch), s.weight_decay_at(self.steps)
        cache = self.forward(x)
        L = self.n_layers
        loss, probs = softmax_cross_entropy(cache[f"A{L}"], labels, classes)
        onehot = np.zeros_like(probs)
        onehot[np.arange(labels.size), labels] = 1.0
        delta = (probs - onehot) / labels.size
        out_error = delta
        writes = []
        for l in range(L, 0, -1):
            h_prev = cache[f"H{l - 1}"]
            writes.append((f"W{l}", h_prev, delta))
            self.biases[l] -= eta * (delta.sum(axis=0) + lam * self.biases[l])
            if l == 1:
                break
            kind = s.kind
            if kind == "bp":
                signal = self.tiles[f"W{l}"].left(delta)
            elif kind == "fa":
                signal = delta @ self.fixed[f"B{l}"]
            elif kind == "dfa":
                signal = out_error @ self.fixed[f"D{l - 1}"]
            elif kind == "kp":
                signal = self.tiles[f"B{l}"].right(delta)
                writes.append((f"B{l}", delta, h_prev))
            else:
                r = delta @ self.fixed[f"B{l}"]
                signal = self.tiles[f"R{l}"].right(r)
                writes.append((f"R{l}", r, h_prev))
            delta = self.f_grad(cache[f"A{l - 1}"]) * signal
        if lam > 0:                          # decay of this step's old values (float: exactly SGD's −ηλp)
            for tile in self.tiles.values():
                if tile.explicit_decay:
                    tile.decay(eta * lam)
        for name, p, q in writes:            # all reads of the step done: now the pulsed writes
            self.tiles[name].write(p, q, eta)
        self.steps += 1
        self._sync_clocks()
        return float(loss.sum()), int(np.count_nonzero(probs.argmax(axis=1) == labels))

    def evaluate(self, x: np.ndarray, labels: np.ndarray, classes=None) -> tuple[float, float]:
        loss, probs = softmax_cross_entropy(self.forward(x)[f"A{self.n_layers}"], labels, classes)
        return float(loss.mean()), float(np.mean(probs.argmax(axis=1) == labels))

    def weights(self) -> dict[str, np.ndarray]:
        """The learned matrices now, in the float network's convention (W_l is n_l × n_{l−1})."""
        return {name: (t.value().T if name.startswith("W") else t.value()) for name, t in self.tiles.items()}

    def alignment(self) -> tuple[np.ndarray, np.ndarray]:
        angles = np.full(self.n_layers, np.nan)
        ratios = np.full(self.n_layers, np.nan)
        w = self.weights()
        for l in range(2, self.n_layers + 1):
            kind = self.settings.kind
            f = {"bp": w[f"W{l}"], "fa": self.fixed.get(f"B{l}"), "kp": w.get(f"B{l}"),
                 "pfa": self.fixed[f"B{l}"] @ w[f"R{l}"] if kind == "pfa" else None}.get(kind)
            if f is not None:
                angles[l - 1] = alignment_angle_deg(w[f"W{l}"], f)
                ratios[l - 1] = norm_ratio(w[f"W{l}"], f)
        return angles, ratios

    def _sync_clocks(self) -> None:
        """The tiles work side by side: after a step every tile's clock is at the latest one."""
        now = self.device_time_s()
        for arr in self.arrays():
            arr.wait(now - arr.time_s)

    def wait(self, seconds: float) -> None:
        for arr in self.arrays():
            arr.wait(seconds)

    def device_time_s(self) -> float:
        return max((arr.time_s for arr in self.arrays()), default=0.0)

    # ---- checkpoints ------------------------------------------------------- #
    def state(self) -> dict[str, np.ndarray]:
        """Every tile's device state, clock and noise streams, the biases, counters and steps."""
        out = {}
        for name, tile in self.tiles.items():
            if isinstance(tile, FloatMatrix):
                out[f"float/{name}"] = tile.m.copy()
            else:
                out |= {f"tile/{name}/{k}": v for k, v in tile.snapshot().items()}
        out |= {f"bias/{l}": b for l, b in self.biases.items()}
        out |= {f"count/{k}": np.array(v) for k, v in self.counters.as_dict().items()}
        return out | {"opt/steps": np.array(self.steps)}

    def load_state(self, state: dict) -> None:
        for name, tile in self.tiles.items():
            if isinstance(tile, FloatMatrix):
                tile.m = np.array(state[f"float/{name}"])
                continue
            prefix = f"tile/{name}/"
            tile.restore({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})
        self.biases = {l: np.array(state[f"bias/{l}"]) for l in self.biases}
        for k in self.counters.as_dict():
            value = state[f"count/{k}"]
            setattr(self.counters, k, type(getattr(self.counters, k))(value))
        self.steps = int(state["opt/steps"])
