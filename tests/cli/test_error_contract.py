"""The error contract of the ``neuromorph`` command: 0 ok, 2 user error (one message, no
traceback), 70 internal error (short message + log file with the traceback), 130 interrupted;
``--debug`` / ``NEUROMORPH_DEBUG=1`` show tracebacks."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

import neuromorph.cli as cli
from neuromorph import errors

ROOT = Path(__file__).resolve().parents[2]


def _parser_with(func) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neuromorph")
    parser.add_argument("--debug", action="store_true")
    sub = parser.add_subparsers(dest="command")
    boom = sub.add_parser("boom")
    boom.add_argument("--value", default=None)
    boom.set_defaults(func=func)
    return parser


@pytest.fixture
def command(monkeypatch, tmp_path):
    """Install a sub-command ``boom`` whose body is given by the test."""
    monkeypatch.setenv("NEUROMORPH_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("NEUROMORPH_DEBUG", raising=False)

    def install(body):
        monkeypatch.setattr(cli, "build_parser", lambda: _parser_with(body))

    return install


def _raise(exc):
    def body(args):
        raise exc

    return body


def test_user_error_exits_2_with_one_message_and_no_traceback(command, capsys):
    command(_raise(errors.InvalidParameterError("--devices must be >= 1, got 0", option="--devices")))
    assert cli.main(["boom"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "neuromorph boom: error: --devices must be >= 1, got 0"


def test_a_genuine_bug_is_an_internal_error_70_with_the_traceback_in_a_log(command, capsys, tmp_path):
    command(lambda args: 1 / 0)
    assert cli.main(["boom", "--value", "3"]) == 70
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "internal error" in err and "ZeroDivisionError: division by zero" in err
    logs = list((tmp_path / "logs").glob("internal-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    text = logs[0].read_text()
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError" in text
    assert "neuromorph boom --value 3" in text


def test_a_plain_valueerror_is_not_mistaken_for_a_user_error(command, capsys):
    """No blanket ``except ValueError``: a ValueError from a bug is reported as internal (70)."""
    command(_raise(ValueError("operands could not be broadcast together")))
    assert cli.main(["boom"]) == 70


@pytest.mark.parametrize("how", ["flag", "flag-after-command", "environment"])
def test_debug_shows_the_traceback(command, capsys, monkeypatch, how):
    command(lambda args: 1 / 0)
    argv = {"flag": ["--debug", "boom"], "flag-after-command": ["boom", "--debug"], "environment": ["boom"]}[how]
    if how == "environment":
        monkeypatch.setenv("NEUROMORPH_DEBUG", "1")
    assert cli.main(argv) == 70
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_debug_also_shows_the_traceback_of_a_user_error(command, capsys):
    command(_raise(errors.ConfigError(["card.yaml:3: size.rows: expected > 0 (got 0)"])))
    assert cli.main(["boom", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "card.yaml:3: size.rows" in err


def test_out_of_memory_is_a_user_error(command, capsys):
    command(_raise(MemoryError()))
    assert cli.main(["boom"]) == 2
    assert "ran out of memory" in capsys.readouterr().err


def test_interrupt_exits_130_and_says_work_is_kept(command, capsys):
    command(_raise(KeyboardInterrupt()))
    assert cli.main(["boom"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_no_command_is_a_usage_error(capsys):
    assert cli.main([]) == 2
    assert "give a command" in capsys.readouterr().err


@pytest.mark.parametrize("legacy, base", [
    ("neuromorph.config.yamlio:ConfigError", errors.ConfigError),
    ("neuromorph.config.units:UnitError", errors.InvalidParameterError),
    ("neuromorph.synapses.integrators:UnstableStepError", errors.InvalidParameterError),
    ("neuromorph.sweep.store:StoreMismatch", errors.StoreError),
    ("neuromorph.sweep.store:StoreBusy", errors.StoreError),
    ("neuromorph.sweep.executors:DaskUnavailable", errors.ExecutorError),
    ("neuromorph.spice.ngspice:NgspiceNotFound", errors.NgspiceError),
    ("neuromorph.spice.ngspice:NgspiceError", errors.NgspiceError),
    ("neuromorph.cli:UserError", errors.NeuromorphError),
])
def test_every_old_error_class_is_part_of_the_one_hierarchy(legacy, base):
    import importlib

    module, name = legacy.split(":")
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, base) and issubclass(cls, errors.NeuromorphError)


def test_old_builtin_bases_still_catch_them():
    assert issubclass(errors.ConfigError, ValueError) and issubclass(errors.InvalidParameterError, ValueError)
    assert issubclass(errors.StoreError, ValueError) and issubclass(errors.NgspiceError, RuntimeError)
    err = errors.OutputError("x", file="out/a.nc", option="--output")
    assert (err.file, err.option, err.line, err.field) == ("out/a.nc", "--output", None, None)


def test_the_installed_command_exits_2_on_a_missing_card_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "neuromorph", "timescales", str(tmp_path / "missing.yaml")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "missing.yaml: file not found" in proc.stderr and "Traceback" not in proc.stderr
