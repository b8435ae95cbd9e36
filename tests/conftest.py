"""Shared fixtures: paths of the shipped cards and a helper to run the CLI in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def without_dask(monkeypatch):
    """Make ``import distributed`` fail, as on a machine without the [dask] extra."""
    import builtins

    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)


@pytest.fixture
def run_cli(capsys):
    """Run ``neuromorph ARGS`` in-process; returns (exit code, stdout, stderr)."""
    from neuromorph.cli import main

    def _run(*args: str):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse: a bad command line (2) or --help (0)
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run


@pytest.fixture
def kill_after_checkpoint():
    """Start ``cmd`` as a real process and SIGKILL it just after ``checkpoint`` first appears
    (checkpoint-resume tests); fails if the run ended before it could be killed."""
    import os
    import signal
    import subprocess
    import time

    def _kill(cmd: list[str], checkpoint: Path, wait_s: float = 120.0) -> None:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + wait_s
        while not checkpoint.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL, "the run finished before it could be killed; make the card longer"

    return _kill
