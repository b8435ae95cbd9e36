"""`neuromorph bench crossbar --peer aihwkit`: with aihwkit importable (the `peers` extra, built in
its own virtual environment) a tiny run reports both simulators and the ratios; without it the
option is refused before any work (exit 2, one message naming the extra and the recipe). The
timings themselves are never asserted: benchmarks are not tests."""

import json

import pytest

from neuromorph.bench._aihwkit_peer import missing_reason

MISSING = missing_reason()
TINY = ["bench", "crossbar", "--sizes", "8", "--ir-size", "0", "--repeats", "1"]


@pytest.mark.skipif(MISSING is None, reason="aihwkit is importable here: the refusal path cannot run")
def test_missing_peer_is_refused_naming_the_extra_and_the_recipe(run_cli):
    code, out, err = run_cli(*TINY, "--peer", "aihwkit")
    assert code == 2
    assert "--peer aihwkit" in err and "`peers` extra" in err and "docs/performance.md" in err
    assert "Traceback" not in err
    assert "crossbar throughput" not in out  # refused before any benchmark ran


def test_peer_tiny_run_reports_both_simulators_and_their_ratios(run_cli):
    if MISSING is not None:
        pytest.skip(f"needs the `peers` extra (aihwkit): {MISSING}")
    code, out, err = run_cli(*TINY, "--peer", "aihwkit", "--json")
    assert code == 0, err
    doc = json.loads(out)
    (peer,) = doc["peer"]
    assert peer["n"] == 8 and peer["read 1"] > 0 and peer["read 64"] > 0 and peer["update"] > 0
    assert doc["config"]["peer_threads"]["torch_threads"] == doc["threads"]["numba_threads"]
    names = {f["name"] for f in doc["figures"]}
    assert {"8: read 1 vs aihwkit", "8: read 64 vs aihwkit", "8: update vs aihwkit"} <= names


def test_bench_crossbar_reports_each_read_path_before_and_after(run_cli):
    """Exact-unfused (before), fused and lazy reads and the STREAM pass, measured in one run."""
    code, out, err = run_cli(*TINY, "--json")
    assert code == 0, err
    (size,) = json.loads(out)["sizes"]
    for path in ("exact-unfused", "fused", "lazy"):
        for label in ("1", "64"):
            assert size[f"read {label} {path}"]["seconds"] > 0
        assert size["full_read_over_stream"][path] > 0
    assert size["stream"]["bytes"] == 8 * size["cells"] * (2 * size["compartments"] + 2)
    assert size["read 1 fused"]["refresh_fraction"] == 1.0  # tolerance 0: every read refreshes
