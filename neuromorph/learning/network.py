r"""The float NumPy reference network: an MLP trained by one of the rules of :mod:`.rules`.

Forward (row-vector convention):  A_l = H_{l−1} W_lᵀ + b_l,  H_l = f(A_l) for hidden layers,
softmax on the output A_L; loss = mean cross-entropy. For a multi-head (task-incremental) batch
only the given classes' outputs compete (the others get −∞ logits).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .metrics import alignment_angle_deg, norm_ratio
from .optim import SGD, learning_rate_at, weight_decay_at
from .rules import feedback_matrix, make_rule, xavier

__all__ = ["ACTIVATIONS", "RuleSettings", "Network", "xavier_uniform", "softmax_cross_entropy"]

xavier_uniform = xavier


def _relu(a):
    return np.maximum(a, 0.0)


def _relu_grad(a):
    return (a > 0.0).astype(a.dtype)


def _tanh_grad(a):
    return 1.0 - np.tanh(a) ** 2


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _sigmoid_grad(a):
    s = _sigmoid(a)
    return s * (1.0 - s)


#: name -> (f, f')
ACTIVATIONS = {"relu": (_relu, _relu_grad), "tanh": (np.tanh, _tanh_grad), "sigmoid": (_sigmoid, _sigmoid_grad)}


@dataclass(frozen=True)
class RuleSettings:
    """A rule and its optimiser hyperparameters (η dimensionless per step; λ per step)."""

    kind: str = "bp"
    learning_rate: float = 0.1
    momentum: float = 0.9
    lr_milestones: tuple[int, ...] = ()          # epochs at which η is multiplied by lr_factor
    lr_factor: float = 0.5
    weight_decay: float = 1e-4                   # λ after the initial phase
    weight_decay_initial: float | None = None   # λ for the first weight_decay_initial_steps steps
    weight_decay_initial_steps: int = 0
    expansion: int = 10                          # PFA: n_r = k·n_l
    feedback_init: str = "gaussian"              # PFA B: gaussian | uniform | orthogonal | identity
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.kind

    def learning_rate_at(self, epoch: int) -> float:
        return learning_rate_at(epoch, self.learning_rate, self.lr_milestones, self.lr_factor)

    def weight_decay_at(self, step: int) -> float:
        return weight_decay_at(step, self.weight_decay, self.weight_decay_initial, self.weight_decay_initial_steps)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray, classes=None) -> tuple[np.ndarray, np.ndarray]:
    """(per-sample loss, softmax probabilities); ``classes`` restricts the competing outputs."""
    z = logits
    if classes is not None:
        mask = np.full(logits.shape[1], -np.inf)
        mask[list(classes)] = 0.0
        z = logits + mask
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    picked = p[np.arange(labels.size), labels]
    return -np.log(np.maximum(picked, 1e-300)), p


@dataclass
class Network:
    """An MLP of ``sizes`` (inputs, hidden…, outputs) trained by ``settings.kind``.

    ``params`` holds the learned arrays (W1.., b1.., KP's B2.., PFA's R2..), ``fixed`` the fixed
    feedback (FA's B, PFA's B, DFA's D). The same ``seed`` gives the same initial arrays.
    """

    sizes: list[int]
    settings: RuleSettings
    activation: str = "relu"
    seed: int = 0
    params: dict = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; expected one of {', '.join(ACTIVATIONS)}")
        self.rule = make_rule(self.settings.kind, self.settings.expansion, self.settings.feedback_init)
        self.f, self.f_grad = ACTIVATIONS[self.activation]
        self.optimizer = SGD(self.settings.momentum)
        if not self.params:
            rng = np.random.default_rng([self.seed, 1])
            for l in range(1, len(self.sizes)):
                self.params[f"W{l}"] = xavier(rng, self.sizes[l], self.sizes[l - 1])
                self.params[f"b{l}"] = np.zeros(self.sizes[l])
            fixed, learned = self.rule.init_feedback(self.sizes, rng)
            self.fixed.update(fixed)
            self.params.update(learned)

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    # ---- forward / backward ---------------------------------------------- #
    def forward(self, x: np.ndarray) -> dict:
        cache = {"H0": x}
        h = x
        for l in range(1, self.n_layers + 1):
            a = h @ self.params[f"W{l}"].T + self.params[f"b{l}"]
            cache[f"A{l}"] = a
            h = self.f(a) if l < self.n_layers else a
            cache[f"H{l}"] = h
        return cache

    def gradients(self, x: np.ndarray, labels: np.ndarray, classes=None) -> tuple[dict, dict]:
        """Gradients (rule's) of every learned array for one batch, and the forward cache
        (with per-sample ``loss`` and ``probs``)."""
        cache = self.forward(x)
        L = self.n_layers
        loss, probs = softmax_cross_entropy(cache[f"A{L}"], labels, classes)
        cache["loss"], cache["probs"] = loss, probs
        onehot = np.zeros_like(probs)
        onehot[np.arange(labels.size), labels] = 1.0
        delta = (probs - onehot) / labels.size
        out_error = delta
        grads = {}
        for l in range(L, 0, -1):
            h_prev = cache[f"H{l - 1}"]
            cache[f"delta{l}"] = delta
            grads[f"W{l}"] = delta.T @ h_prev
            grads[f"b{l}"] = delta.sum(axis=0)
            if l == 1:
                break
            if self.rule.direct():
                signal = self.rule.signal(l, delta, self.params, self.fixed, out_error, cache)
            else:
                signal = self.rule.signal(l, delta, self.params, self.fixed, out_error, cache)
                grads.update(self.rule.feedback_grads(l, delta, h_prev, cache))
            delta = self.f_grad(cache[f"A{l - 1}"]) * signal
        return grads, cache

    def train_batch(self, x: np.ndarray, labels: np.ndarray, epoch: int, classes=None) -> tuple[float, int]:
        """One optimiser step; returns (summed loss, correct predictions) of the batch."""
        grads, cache = self.gradients(x, labels, classes)
        s = self.settings
        self.optimizer.step(self.params, grads, s.learning_rate_at(epoch), s.weight_decay_at(self.optimizer.steps))
        return float(cache["loss"].sum()), int(np.count_nonzero(cache["probs"].argmax(axis=1) == labels))

    def logits(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[f"A{self.n_layers}"]

    def evaluate(self, x: np.ndarray, labels: np.ndarray, classes=None) -> tuple[float, float]:
        """(mean loss, accuracy) on a data set."""
        loss, probs = softmax_cross_entropy(self.logits(x), labels, classes)
        return float(loss.mean()), float(np.mean(probs.argmax(axis=1) == labels))

    # ---- metrics ----------------------------------------------------------- #
    def feedback_matrix(self, layer: int) -> np.ndarray | None:
        return feedback_matrix(self.settings.kind, layer, self.params, self.fixed)

    def alignment(self) -> tuple[np.ndarray, np.ndarray]:
        """Per layer (1..L): path alignment angle [deg] and norm ratio (NaN where no path)."""
        angles = np.full(self.n_layers, np.nan)
        ratios = np.full(self.n_layers, np.nan)
        for l in range(2, self.n_layers + 1):
            f = self.feedback_matrix(l)
            if f is not None:
                angles[l - 1] = alignment_angle_deg(self.params[f"W{l}"], f)
                ratios[l - 1] = norm_ratio(self.params[f"W{l}"], f)
        return angles, ratios

    # ---- checkpoints ------------------------------------------------------- #
    def state(self) -> dict[str, np.ndarray]:
        out = {f"param/{k}": v for k, v in self.params.items()}
        out |= {f"fixed/{k}": v for k, v in self.fixed.items()}
        out |= {f"opt/{k}": v for k, v in self.optimizer.state().items()}
        return out

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.params = {k.split("/", 1)[1]: np.array(v) for k, v in state.items() if k.startswith("param/")}
        self.fixed = {k.split("/", 1)[1]: np.array(v) for k, v in state.items() if k.startswith("fixed/")}
        self.optimizer.load_state({k.split("/", 1)[1]: v for k, v in state.items() if k.startswith("opt/")})
