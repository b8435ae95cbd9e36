r"""How a device's weight is read from its first compartment: the channel.

Physical channel (proton transistor, or the crossbar card's ``channel`` for ideal chain cells):

    G(u_1) = G_min + (G_max − G_min)·s(u_1)   [S],
    s linear-clipped  s = clip((u_1 − u_low)/(u_high − u_low), 0, 1)
    s sigmoid         s = 1/(1 + exp(−(u_1 − u_mid)/u_slope)),

each read multiplied by (1 + σ_read·ξ), ξ ~ N(0, 1). Ideal chains have the **identity channel**
w = u_1 (dimensionless, no noise): :data:`IDENTITY_CHANNEL`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.device_schema import Channel, LinearClippedTransfer, SigmoidTransfer

__all__ = ["ChannelModel", "IDENTITY_CHANNEL", "channel_transfer", "inverse_transfer", "channel_slope_at_rest"]


def channel_transfer(u1: np.ndarray, transfer: LinearClippedTransfer | SigmoidTransfer) -> np.ndarray:
    """s(u_1) ∈ [0, 1]: linear-clipped or logistic."""
    u1 = np.asarray(u1, dtype=float)
    if isinstance(transfer, LinearClippedTransfer):
        return np.clip((u1 - transfer.u_low) / (transfer.u_high - transfer.u_low), 0.0, 1.0)
    return 0.5 * (1.0 + np.tanh(0.5 * (u1 - transfer.u_mid) / transfer.u_slope))


def inverse_transfer(s, transfer: LinearClippedTransfer | SigmoidTransfer) -> np.ndarray:
    """u_1 with s(u_1) = s (s clipped to [0, 1]; the sigmoid to [1e-12, 1 − 1e-12])."""
    s = np.asarray(s, dtype=float)
    if isinstance(transfer, LinearClippedTransfer):
        return transfer.u_low + np.clip(s, 0.0, 1.0) * (transfer.u_high - transfer.u_low)
    s = np.clip(s, 1e-12, 1.0 - 1e-12)
    return transfer.u_mid + transfer.u_slope * np.log(s / (1.0 - s))


def channel_slope_at_rest(transfer: LinearClippedTransfer | SigmoidTransfer, span_s) -> np.ndarray:
    """dG/du_1 at u_1 = 0 [S/V] for a channel range span = G_max − G_min: span/(u_high − u_low)
    inside the linear range (0 outside), or span·s_0(1 − s_0)/u_slope for the sigmoid."""
    span = np.asarray(span_s, float)
    if isinstance(transfer, LinearClippedTransfer):
        inside = transfer.u_low < 0.0 < transfer.u_high
        return span / (transfer.u_high - transfer.u_low) * (1.0 if inside else 0.0)
    s0 = 0.5 * (1.0 + np.tanh(0.5 * (0.0 - transfer.u_mid) / transfer.u_slope))
    return span * s0 * (1.0 - s0) / transfer.u_slope


@dataclass(frozen=True)
class ChannelModel:
    """The weight read-out w(u_1) of a device kind: a physical :class:`Channel` (weight =
    conductance [S]) or, with ``channel`` None, the identity w = u_1 (weight units "1")."""

    channel: Channel | None = None

    @property
    def is_identity(self) -> bool:
        return self.channel is None

    @property
    def read_noise(self) -> float:
        """Relative std of each read (0 for the identity channel)."""
        return 0.0 if self.channel is None else float(self.channel.read_noise)


IDENTITY_CHANNEL = ChannelModel(None)
