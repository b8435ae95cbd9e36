"""Shared fixtures: paths of the shipped cards and a helper to run the CLI in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def run_cli(capsys):
    """Run ``neuromorph ARGS`` in-process; returns (exit code, stdout, stderr)."""
    from neuromorph.cli import main

    def _run(*args: str):
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run
