"""bench step's bandwidth ceiling and bench crossbar's IR-drop direct-vs-iterative section, at tiny
sizes (the figures themselves are measured by hand and never asserted: benchmarks are not tests)."""

import json

import numpy as np


def test_bench_step_reports_the_fraction_of_a_stream_pass_over_the_same_bytes(run_cli):
    code, out, _ = run_cli("bench", "step", "--synapses", 2000, "--variables", 3, "--fused-steps", 2,
                           "--repeats", 1, "--json")
    assert code == 0
    info = json.loads(out)
    bw = info["bandwidth"]
    assert bw["bytes_per_step"] == 8 * 2000 * (2 * 3 + 2)
    assert bw["stream_bytes_per_second"] > 0
    assert info["results"]["stream numba"]["bandwidth_fraction"] == 1.0
    step = info["results"]["eigen numba"]
    assert bw["eigen_numba_fraction"] == step["bandwidth_fraction"] > 0


def test_bench_crossbar_compares_direct_and_iterative_ir_drop_in_one_run(run_cli):
    code, out, _ = run_cli("bench", "crossbar", "--sizes", 4, "--ir-size", 0, "--ir-scale-sizes", 8,
                           "--repeats", 1, "--json")
    assert code == 0
    (res,) = json.loads(out)["irdrop_direct_vs_iterative"]
    assert res["n"] == 8 and res["cells"] == 8 * 16
    for label in ("1", "64"):
        for method in ("direct", "iterative"):
            case = res[f"{method} {label}"]
            assert case["seconds"] > 0
            growth = case["peak_rss_growth_bytes"]
            assert growth is None or np.isnan(growth) or growth >= 0
        # the CG stops at rtol 1e-10: answers agree far below the 1e-8 checked in the unit tests
        assert res[f"max_rel_difference {label}"] < 1e-8
