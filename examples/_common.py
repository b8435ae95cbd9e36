"""Shared by the examples: where the repository is and where figures go.

Every example writes its figures into ``docs/figures/examples/`` (shown in docs/gallery.md), or
into the folder given as its first argument (the tests use a temporary one)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]


def output_dir() -> Path:
    """The folder for this run's figures (created if missing)."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "figures" / "examples"
    out.mkdir(parents=True, exist_ok=True)
    return out


def save(fig, name: str) -> Path:
    """Save ``fig`` as ``NAME.png`` in :func:`output_dir`, close it, print and return the path."""
    path = output_dir() / f"{name}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")
    return path
