"""Property: whatever a user feeds the CLI, it exits 0 (worked) or 2 (one clear message) — never a
traceback, never an internal error (70).

Hypothesis mutates the shipped device, protocol, crossbar and sweep cards (types, units,
magnitudes, structure, encodings, YAML features) and the command lines of every registered
sub-command (option values drawn from a pool of hostile strings, options discovered from the
parsers, so commands added later are covered too), and runs the real CLI in-process.

The default run is bounded to a few seconds (few examples, derandomised); ``pytest -m slow``
runs the long profile with many random examples.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuromorph.cli import build_parser, main, subcommands

ROOT = Path(__file__).resolve().parents[2]

QUICK = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LONG = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.data_too_large])

#: a cheap command that reads each kind of card (CARD and OUT are filled in)
CARD_COMMANDS = {
    "devices": ["timescales", "CARD"],
    "devices-simulate": ["simulate", "CARD", "-p", str(ROOT / "protocols/single_event.yaml"), "--no-plot", "-q",
                         "-o", "OUT/sim"],
    "protocols": ["simulate", str(ROOT / "devices/benna_fusi_m8.yaml"), "-p", "CARD", "--no-plot", "-q",
                  "-o", "OUT/sim"],
    "crossbar": ["crossbar", "CARD", "--updates", "1", "--probes", "1", "--no-plot", "-q", "-o", "OUT/xbar"],
    "sweep": ["sweep", "CARD", "--check"],
}
CARDS = {
    "devices": sorted((ROOT / "devices").glob("*.yaml")),
    "devices-simulate": [ROOT / "devices/benna_fusi_m8.yaml", ROOT / "devices/proton_transistor_3.yaml",
                         ROOT / "devices/binary_stochastic.yaml"],
    "protocols": sorted((ROOT / "protocols").glob("*.yaml")),
    "crossbar": sorted((ROOT / "circuits").glob("crossbar_*.yaml")),
    "sweep": sorted((ROOT / "circuits").glob("sweep_*.yaml")),
}

HOSTILE_STRINGS = ["", " ", "nan", "inf", "-inf", ".nan", "1e400", "-1", "0", "-0", "1e-320", "abc", "1 furlong",
                   "2 um", "1 V", "-1 s", "1e300 m", "0 Hz", "1e9 Hz", "5 kg", "1 uS", "1e-30 F", "3 m^2/s",
                   "10 min", "[1", "{a: 1}", "0x10", "1_000", "１", "µ", "\u202e", "None", "true", "~", "1 1 1",
                   "1e999999", "4294967296", "99999999999999999999"]
leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.sampled_from([0, 1, -1, 2, 10**6, 10**9, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=8), st.lists(st.integers(-3, 3), max_size=4),
    st.dictionaries(st.sampled_from(["a", "kind", "first", "ratio"]), st.integers(-2, 2), max_size=2),
)


def run_cli(args: list) -> tuple[int, str, str]:
    """The real CLI, in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return code, out.getvalue(), err.getvalue()


def assert_contract(args, code: int, out: str, err: str) -> None:
    shown = " ".join(map(str, args))
    assert code in (0, 2), f"exit {code} for: neuromorph {shown}\n{err[-3000:]}"
    assert "Traceback" not in err and "Traceback" not in out, f"traceback for: neuromorph {shown}\n{err[-3000:]}"
    if code == 2:
        assert err.strip(), f"exit 2 without a message for: neuromorph {shown}"


@pytest.fixture(autouse=True)
def _bounded_environment(monkeypatch, tmp_path):
    """Small memory allowance (big work is refused by the estimate instead of run) and logs in tmp."""
    monkeypatch.setenv("NEUROMORPH_MEMORY_LIMIT", "2G")
    monkeypatch.setenv("NEUROMORPH_LOG_DIR", str(tmp_path / "logs"))


# ---------------------------------------------------------------------------------------------
# card mutation


def _absolute_paths(data: dict, card: Path) -> dict:
    for key in ("device", "base"):
        if isinstance(data.get(key), str):
            data[key] = str((card.parent / data[key]).resolve())
    return data


def _paths(node, prefix=()):
    """Every path into a nested dict/list (containers and leaves)."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


def _get(node, path):
    for part in path:
        node = node[part]
    return node


def _set(node, path, value):
    if not path:
        return value
    _get(node, path[:-1])[path[-1]] = value
    return node


def _scale_quantity(value, exponent: int):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value * 10.0**exponent
    if isinstance(value, str):
        return re.sub(r"^\s*([-+]?[0-9.]+(?:e[-+]?\d+)?)", lambda m: f"{m.group(1)}e{exponent}", value)
    return value


@st.composite
def mutated_card_text(draw, kind: str):
    card = draw(st.sampled_from(CARDS[kind]))
    data = _absolute_paths(yaml.safe_load(card.read_text()), card)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "delete", "unknown", "wrap", "scale", "scale", "duplicate_list"]))
        target = _get(data, path)
        if op == "replace":
            data = _set(data, path, draw(leaf))
        elif op == "delete":
            parent = _get(data, path[:-1])
            del parent[path[-1]]
        elif op == "unknown" and isinstance(target, dict):
            target[draw(st.sampled_from(["colour", "Kind", "compartments ", "x" * 40]))] = draw(leaf)
        elif op == "wrap":
            data = _set(data, path, [target])
        elif op == "scale":
            data = _set(data, path, _scale_quantity(target, draw(st.sampled_from([-300, -30, -6, 3, 6, 30, 300]))))
        elif op == "duplicate_list" and isinstance(target, list):
            data = _set(data, path, target + target[: draw(st.integers(0, 3))])
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    feature = draw(st.sampled_from(["plain", "plain", "plain", "anchor", "merge", "bomb", "truncate", "tabs",
                                    "duplicate_key", "bom"]))
    if feature == "anchor":
        text = "extra_values: &shared [1, 2, 3]\n" + text + "more: *shared\n"
    elif feature == "merge":
        text = "defaults: &defaults {a: 1}\n" + text + "merged:\n  <<: *defaults\n  b: 2\n"
    elif feature == "bomb":
        text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(6)) + text
    elif feature == "truncate":
        text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
    elif feature == "tabs":
        text = text.replace("  ", "\t", 1)
    elif feature == "duplicate_key":
        first = text.splitlines()[0] if text else "kind: x"
        text = text + first + "\n"
    elif feature == "bom":
        text = "\ufeff" + text
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1", "bytes"]))
    if encoding == "bytes":
        raw = text.encode("utf-8")
        position = draw(st.integers(0, len(raw)))
        raw = raw[:position] + draw(st.binary(min_size=1, max_size=4)) + raw[position:]
    else:
        raw = text.encode(encoding, errors="replace")
    return raw


def _card_command(kind: str, card: Path, out: Path) -> list[str]:
    return [str(card) if a == "CARD" else a.replace("OUT", str(out)) for a in CARD_COMMANDS[kind]]


def _check_mutated_card(kind: str, raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        card = Path(tmp) / "card.yaml"
        card.write_bytes(raw)
        args = _card_command(kind, card, Path(tmp) / "out")
        assert_contract(args, *run_cli(args))


@pytest.mark.parametrize("kind", list(CARD_COMMANDS))
def test_mutated_cards_exit_0_or_2_without_traceback(kind):
    @QUICK
    @given(mutated_card_text(kind))
    def check(raw):
        _check_mutated_card(kind, raw)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(CARD_COMMANDS))
def test_mutated_cards_long_profile(kind):
    @LONG
    @given(mutated_card_text(kind))
    def check(raw):
        _check_mutated_card(kind, raw)

    check()


# ---------------------------------------------------------------------------------------------
# command-line mutation

#: valid, cheap command lines (OUT is a temporary directory)
BASE_COMMANDS = [
    ["timescales", str(ROOT / "devices/proton_transistor_5.yaml")],
    ["simulate", str(ROOT / "devices/benna_fusi_m8.yaml"), "-p", str(ROOT / "protocols/single_event.yaml"),
     "--no-plot", "-q", "-o", "OUT/sim"],
    ["memory", str(ROOT / "devices/benna_fusi_m8.yaml"), "--method", "theory", "--synapses", "100", "--ages", "8",
     "--no-plot", "-q", "-o", "OUT/mem"],
    ["crossbar", str(ROOT / "circuits/crossbar_16x16_pt5.yaml"), "--updates", "1", "--probes", "1", "--no-plot",
     "-q", "-o", "OUT/xbar"],
    ["sweep", str(ROOT / "circuits/sweep_benna_fusi_m_x_ratio.yaml"), "--check"],
    ["netlist", str(ROOT / "circuits/crossbar_16x16_pt5.yaml"), "-o", "OUT/deck.cir"],
    ["memory", str(ROOT / "devices/binary_stochastic.yaml"), "--method", "monte_carlo", "--synapses", "50",
     "--trials", "2", "--ages", "6", "--duration", "20 s", "--no-plot", "-q", "-o", "OUT/mc"],
]
OPTION_VALUES = ["-1", "0", "1", "2", "0.5", "1e9", "4294967296", "99999999999999999999", "nan", "inf", "-inf", "",
                 " ", "abc", "1 s", "10 ms", "1 Hz", "1 V", "1e-12", "1e300", "-0", "1_0", "0x1f", "--", "-"]
#: options that would only make valid work long (their bad values are still tried at parse time)
WORK_OPTIONS = {"--synapses", "-N", "--trials", "--updates", "-n", "--devices", "--ages", "--probes", "--duration",
                "--burn-in", "--workers", "-j", "--dask-local", "--scheduler", "--relax", "--interval", "--rate"}


def _options_of(parser: argparse.ArgumentParser) -> list[tuple[str, bool]]:
    """(option string, takes a value) for every optional argument except help/output."""
    found = []
    for action in parser._actions:
        for option in action.option_strings:
            if option in ("-h", "--help", "-o", "--output"):
                continue
            found.append((option, action.nargs != 0))
    return found


_PARSERS = subcommands(build_parser())


@st.composite
def mutated_command(draw):
    base = list(draw(st.sampled_from(BASE_COMMANDS)))
    options = _options_of(_PARSERS[base[0]])
    for _ in range(draw(st.integers(1, 2))):
        option, takes_value = draw(st.sampled_from(options))
        value = draw(st.sampled_from(OPTION_VALUES))
        if option in WORK_OPTIONS:
            try:
                ok = float(value) > 4
            except ValueError:
                ok = False
            if ok:  # a valid but large amount of work: not what this test is about
                value = "-1"
        if option in ("--allow-long", "--restart"):
            continue
        base += [option, value] if takes_value else [option]
    if draw(st.booleans()):
        base.insert(draw(st.integers(1, len(base))), draw(st.sampled_from(["--no-such-option", "extra.yaml", "-"])))
    return base


def _check_command(args: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        args = [a.replace("OUT", tmp) for a in args]
        assert_contract(args, *run_cli(args))


@QUICK
@given(mutated_command())
def test_mutated_command_lines_exit_0_or_2_without_traceback(args):
    _check_command(args)


@pytest.mark.slow
@LONG
@given(mutated_command())
def test_mutated_command_lines_long_profile(args):
    _check_command(args)


# ---------------------------------------------------------------------------------------------
# every registered sub-command, present and future


def _all_parsers():
    for name, parser in sorted(_PARSERS.items()):
        yield [name], parser
        nested = subcommands(parser)
        for case, sub in sorted(nested.items()):
            yield [name, case], sub


ALL_COMMANDS = [pytest.param(path, id=" ".join(path)) for path, _ in _all_parsers()]


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_every_subcommand_has_help_that_exits_0(command):
    code, out, err = run_cli(command + ["--help"])
    assert code == 0 and "usage: neuromorph" in out and "Traceback" not in err


@pytest.mark.parametrize("command", ALL_COMMANDS)
@pytest.mark.parametrize("garbage", [["--definitely-not-an-option"], ["--seed", "-1"], ["--seed", "nan"]])
def test_every_subcommand_refuses_garbage_with_exit_2(command, garbage, tmp_path):
    code, out, err = run_cli(command + garbage + ["-o", str(tmp_path / "never")])
    assert_contract(command + garbage, code, out, err)
    assert code == 2
    assert not any((tmp_path).iterdir()), "nothing is written for a refused command line"


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_every_seed_option_takes_the_common_range(command):
    """--seed, where a command has it, accepts 0 and 2**32-1 and refuses 2**32 at parse time."""
    parser = dict(_all_parsers_by_key())[" ".join(command)]
    seeds = [a for a in parser._actions if "--seed" in a.option_strings]
    if not seeds:
        pytest.skip("no --seed")
    convert = seeds[0].type
    assert convert is not None, "--seed needs the common type (neuromorph.cli._options.seed)"
    assert convert("0") == 0 and convert(str(2**32 - 1)) == 2**32 - 1
    for bad in ("-1", str(2**32), "1.5", "x"):
        with pytest.raises((argparse.ArgumentTypeError, ValueError)):
            convert(bad)


def _all_parsers_by_key():
    return [(" ".join(path), parser) for path, parser in _all_parsers()]


def test_the_fuzz_pools_are_what_they_claim():
    """Sanity of the harness itself: every mutated card kind has shipped cards, and the base
    command lines are valid (exit 0) so that mutations start from working input."""
    assert all(CARDS[kind] for kind in CARD_COMMANDS)
    with tempfile.TemporaryDirectory() as tmp:
        for args in BASE_COMMANDS[:2] + BASE_COMMANDS[4:]:  # (memory theory and crossbar: their own tests)
            args = [a.replace("OUT", tmp) for a in args]
            code, _, err = run_cli(args)
            assert code == 0, err
    assert np.isfinite(float(OPTION_VALUES[2]))
    assert os.environ["NEUROMORPH_MEMORY_LIMIT"] == "2G"
