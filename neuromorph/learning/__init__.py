"""Local learning rules on float weights (the reference) and on crossbar tiles: backpropagation,
feedback alignment, direct feedback alignment, Kolen–Pollack and product feedback alignment
(DESIGN §2.3)."""

from .metrics import alignment_angle_deg, norm_ratio
from .network import ACTIVATIONS, Network, RuleSettings, xavier_uniform
from .optim import SGD, learning_rate_at, weight_decay_at
from .rules import RULES, feedback_matrix, make_rule

__all__ = ["ACTIVATIONS", "Network", "RuleSettings", "xavier_uniform", "SGD", "learning_rate_at",
           "weight_decay_at", "RULES", "make_rule", "feedback_matrix", "alignment_angle_deg", "norm_ratio"]
