r"""The five learning rules: how the output error reaches the hidden layers, and which feedback
arrays learn. Row-vector (batch-major) convention: a batch H_{l−1} (B × n_{l−1}) gives
A_l = H_{l−1} W_lᵀ + b_l, H_l = f(A_l); W_l is n_l × n_{l−1}. With softmax cross-entropy
averaged over the batch the output error is  Δ_L = (softmax(A_L) − Y)/B.  Every rule then sets

    Δ_{l−1} = f'(A_{l−1}) ⊙ S_l(Δ_l)          (the rule's backward signal S_l)
    ∂W_l = Δ_lᵀ H_{l−1},   ∂b_l = Σ_batch Δ_l  (local outer products, the same for every rule)

**BP** (backpropagation)          S_l(Δ) = Δ W_l                     (the transposed read of W_l)
**FA** (feedback alignment; Lillicrap et al. 2016)
                                  S_l(Δ) = Δ B_l,  B_l fixed random, n_l × n_{l−1}
**DFA** (direct feedback alignment; Nøkland 2016)
                                  Δ_l = f'(A_l) ⊙ (Δ_L D_l),  D_l fixed random, n_L × n_l
**KP** (Kolen–Pollack; Akrout et al. 2019)
                                  S_l(Δ) = Δ B_l,  B_l learned with ∂B_l = Δ_lᵀ H_{l−1} = ∂W_l and
                                  the same weight decay, so B_l − W_l decays like Π(1 − ηλ)
**PFA** (product feedback alignment; Li & Benna 2024, DESIGN §2.3)
                                  r_l = Δ_l B_l  (B_l fixed, n_l × n_r, n_r = k·n_l, E[B_l B_lᵀ] = I),
                                  S_l(Δ) = r_l R_l  (R_l learned, n_r × n_{l−1}),  ∂R_l = r_lᵀ H_{l−1}
                                  In the paper's column convention r = Bδ, δ_{l−1} = f'⊙(R r),
                                  ΔW = −ηδhᵀ − ηλW, ΔR = −η h rᵀ − ηλR. Then Δ(B_l R_l) = B_l B_lᵀ ∂W_l·(−η)
                                  − ηλ B_l R_l and the mismatch R_l − B_lᵀ W_l gets no gradient: it
                                  shrinks by (1 − ηλ) per plain SGD step. B = I (k = 1) is KP exactly.

The first layer's feedback is never used (nothing needs δ_0), so it is not built: its alignment
metrics are NaN. Initialisation (the authors' code, biotorch mode "tfa"): W, FA/KP B, PFA R and
DFA D Xavier-uniform; PFA B Gaussian with variance 1/n_r, Xavier-uniform with the same variance
(bound √(3/n_r)), orthogonal (orthonormal rows: B Bᵀ = I exactly), or the identity (k = 1).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RULES", "FEEDBACK_INITS", "make_rule", "feedback_matrix", "pfa_feedback"]

RULES = ("bp", "fa", "dfa", "kp", "pfa")
FEEDBACK_INITS = ("gaussian", "uniform", "orthogonal", "identity")


def xavier(rng: np.random.Generator, n_out: int, n_in: int) -> np.ndarray:
    bound = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-bound, bound, size=(n_out, n_in))


def pfa_feedback(rng: np.random.Generator, n: int, expansion: int, init: str) -> np.ndarray:
    """PFA's fixed B (n × n_r, n_r = expansion·n) with E[B Bᵀ] = I (= I exactly if orthogonal)."""
    n_r = expansion * n
    if init == "gaussian":
        return rng.normal(0.0, 1.0 / np.sqrt(n_r), size=(n, n_r))
    if init == "uniform":
        bound = np.sqrt(3.0 / n_r)
        return rng.uniform(-bound, bound, size=(n, n_r))
    if init == "orthogonal":
        q, r = np.linalg.qr(rng.normal(size=(n_r, n)))
        return (q * np.sign(np.diag(r))).T          # n × n_r, orthonormal rows
    if init == "identity":
        if expansion != 1:
            raise ValueError(f"identity feedback needs expansion 1, got {expansion}")
        return np.eye(n)
    raise ValueError(f"unknown feedback init {init!r}; expected one of {FEEDBACK_INITS}")


class Rule:
    """Base: BP. Subclasses override the feedback arrays and the backward signal."""

    kind = "bp"

    def __init__(self, expansion: int = 10, feedback_init: str = "gaussian"):
        self.expansion = int(expansion)
        self.feedback_init = feedback_init

    def init_feedback(self, sizes: list[int], rng: np.random.Generator) -> tuple[dict, dict]:
        """(fixed, learned) feedback arrays by name."""
        return {}, {}

    def signal(self, layer: int, delta: np.ndarray, params: dict, fixed: dict, out_error: np.ndarray,
               cache: dict) -> np.ndarray:
        """S_layer(Δ_layer): what reaches layer − 1 before f' (layer ≥ 2, 1-based)."""
        return delta @ params[f"W{layer}"]

    def feedback_grads(self, layer: int, delta: np.ndarray, h_prev: np.ndarray, cache: dict) -> dict:
        return {}

    def direct(self) -> bool:
        return False


class FeedbackAlignment(Rule):
    kind = "fa"

    def init_feedback(self, sizes, rng):
        return {f"B{l}": xavier(rng, sizes[l], sizes[l - 1]) for l in range(2, len(sizes))}, {}

    def signal(self, layer, delta, params, fixed, out_error, cache):
        return delta @ fixed[f"B{layer}"]


class DirectFeedbackAlignment(Rule):
    kind = "dfa"

    def init_feedback(self, sizes, rng):
        n_out = sizes[-1]
        return {f"D{l}": xavier(rng, n_out, sizes[l]) for l in range(1, len(sizes) - 1)}, {}

    def direct(self) -> bool:
        return True

    def signal(self, layer, delta, params, fixed, out_error, cache):
        return out_error @ fixed[f"D{layer - 1}"]


class KolenPollack(Rule):
    kind = "kp"

    def init_feedback(self, sizes, rng):
        return {}, {f"B{l}": xavier(rng, sizes[l], sizes[l - 1]) for l in range(2, len(sizes))}

    def signal(self, layer, delta, params, fixed, out_error, cache):
        return delta @ params[f"B{layer}"]

    def feedback_grads(self, layer, delta, h_prev, cache):
        return {f"B{layer}": delta.T @ h_prev}


class ProductFeedbackAlignment(Rule):
    kind = "pfa"

    def init_feedback(self, sizes, rng):
        fixed, learned = {}, {}
        for l in range(2, len(sizes)):
            learned[f"R{l}"] = xavier(rng, self.expansion * sizes[l], sizes[l - 1])
            fixed[f"B{l}"] = pfa_feedback(rng, sizes[l], self.expansion, self.feedback_init)
        return fixed, learned

    def signal(self, layer, delta, params, fixed, out_error, cache):
        r = delta @ fixed[f"B{layer}"]
        cache[f"r{layer}"] = r
        return r @ params[f"R{layer}"]

    def feedback_grads(self, layer, delta, h_prev, cache):
        return {f"R{layer}": cache[f"r{layer}"].T @ h_prev}


_CLASSES = {cls.kind: cls for cls in (Rule, FeedbackAlignment, DirectFeedbackAlignment, KolenPollack,
                                      ProductFeedbackAlignment)}


def make_rule(kind: str, expansion: int = 10, feedback_init: str = "gaussian") -> Rule:
    if kind not in _CLASSES:
        raise ValueError(f"unknown rule {kind!r}; expected one of {', '.join(RULES)}")
    return _CLASSES[kind](expansion, feedback_init)


def feedback_matrix(kind: str, layer: int, params: dict, fixed: dict) -> np.ndarray | None:
    """Effective feedback F_l (n_l × n_{l−1}) of ``layer`` (1-based), None where there is none."""
    if kind == "bp":
        return params[f"W{layer}"]
    if kind == "fa":
        return fixed.get(f"B{layer}")
    if kind == "kp":
        return params.get(f"B{layer}")
    if kind == "pfa":
        if f"R{layer}" not in params:
            return None
        return fixed[f"B{layer}"] @ params[f"R{layer}"]
    return None  # dfa: no layer-to-layer path
