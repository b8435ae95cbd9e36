"""The benchmark harness shared by every ``neuromorph bench`` case, at tiny sizes: ``--json FILE``
records machine, versions, threads and each figure with its baseline and ratio; bare ``--json``
prints the same document to stdout; a bad ``--json`` location or an oversubscribing thread
request is refused before any work (exit 2, naming the option). The measured numbers themselves
are never asserted: benchmarks are not tests, only the structure of what they report is."""

import json

import pytest

from neuromorph.bench import report
from neuromorph.cli.bench import case_modules

#: tiny runs of the cases this harness converts (seconds each)
TINY = {
    "step": ["--synapses", 2000, "--variables", 3, "--fused-steps", 2, "--repeats", 1],
    "familiarity": ["--neurons", 16, "--variables", 2, "--items", 4, "--probes", 2, "--repeats", 1],
    "sweep": ["--points", 8, "--workers", 1, "--synapses", 20, "--trials", 2, "--duration", 5, "--mc-trials", 2,
              "--no-dask"],
}


def _check_document(doc: dict, case: str) -> None:
    assert doc["case"] == case
    machine = doc["machine"]
    assert machine["logical_cpus"] >= 1 and machine["affinity_cpus"] >= 1
    assert machine["memory_total_bytes"] is None or machine["memory_total_bytes"] > 0
    assert {"python", "numpy", "numba", "scipy", "neuromorph", "thread_pools"} <= set(doc["versions"])
    threads = doc["threads"]
    assert threads["numba_threads"] * threads["blas_threads"] <= threads["available_cpus"]
    assert "policy" in threads
    assert doc["command"]["options"]["case"] == case
    assert doc["figures"], "every case reports at least one figure against a baseline"
    for fig in doc["figures"]:
        assert fig["value"] > 0 and fig["baseline"] and fig["baseline_value"] > 0
        # ratio > 1 means better than the baseline: baseline/value for times, value/baseline for rates
        expected = (fig["baseline_value"] / fig["value"] if fig["better"] == "lower"
                    else fig["value"] / fig["baseline_value"])
        assert fig["ratio"] == pytest.approx(expected, rel=1e-12)  # same division, rounding only


@pytest.mark.parametrize("case", sorted(TINY))
def test_json_file_records_machine_versions_threads_and_each_figure(run_cli, tmp_path, case):
    target = tmp_path / "sub" / f"{case}.json"
    code, out, err = run_cli("bench", case, *TINY[case], "--json", target)
    assert code == 0, err
    assert f"wrote {target}" in out
    assert "threads: numba" in out.splitlines()[0]  # the policy heads the table
    assert "ratio" in out  # the table is still printed
    _check_document(json.loads(target.read_text()), case)


def test_bare_json_prints_only_the_document_to_stdout(run_cli):
    code, out, _ = run_cli("bench", "step", *TINY["step"], "--json")
    assert code == 0
    doc = json.loads(out)  # nothing but JSON on stdout
    _check_document(doc, "step")
    assert doc["results"]["eigen numba"]["seconds_per_step"] > 0


def test_json_file_is_replaced_and_says_so(run_cli, tmp_path):
    target = tmp_path / "step.json"
    target.write_text("old")
    code, out, _ = run_cli("bench", "step", *TINY["step"], "--json", target)
    assert code == 0 and f"wrote {target} (replaced the previous file)" in out
    assert json.loads(target.read_text())["case"] == "step"


def test_bad_json_location_is_refused_before_the_benchmark(run_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run_cli("bench", "step", *TINY["step"], "--json", blocker / "out.json")
    assert code == 2
    assert "--json" in err and "is a file" in err and "Traceback" not in err
    assert "chain stepping" not in out  # refused before the work


def test_thread_policy_is_applied_and_recorded(run_cli):
    code, out, _ = run_cli("bench", "step", *TINY["step"], "--threads", 1, "--json")
    assert code == 0
    threads = json.loads(out)["threads"]
    assert threads["numba_threads"] == 1 and threads["blas_threads"] == 1


def test_oversubscribing_threads_are_refused(run_cli):
    cores = report.available_cores()
    code, _, err = run_cli("bench", "step", *TINY["step"], "--threads", cores, "--blas-threads", 2)
    assert code == 2 and "--threads" in err and "--blas-threads" in err and f"{cores} CPUs" in err


def test_thread_policy_restores_numba_threads_and_limits_blas():
    from threadpoolctl import threadpool_info

    from neuromorph.kernels import thread_count

    before = thread_count()
    with report.thread_policy(1, 1) as record:
        assert thread_count() == 1 and record["numba_threads"] == 1
        assert all(lib["num_threads"] == 1 for lib in threadpool_info() if lib["user_api"] == "blas")
    assert thread_count() == before


def test_helper_modules_are_not_cases():
    cases = case_modules()
    assert "report" not in cases and not any(name.startswith("_") for name in cases)
    assert {"step", "sweep", "familiarity"} <= set(cases)


def test_figure_ratio_is_above_one_when_better_than_the_baseline():
    faster = report.figure("kernel", 1.0, "s", "reference", 4.0)
    more = report.figure("kernel", 8.0, "updates/s", "reference", 2.0, lower_is_better=False)
    slower = report.figure("kernel", 4.0, "s", "reference", 1.0)
    assert faster["ratio"] == 4.0 and more["ratio"] == 4.0 and slower["ratio"] == 0.25
    assert report.figure("alone", 1.0, "s")["ratio"] is None
