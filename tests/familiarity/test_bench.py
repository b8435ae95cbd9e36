"""``neuromorph bench familiarity`` runs at a small size and reports every case."""

import json

from neuromorph.cli import main


def test_bench_familiarity_reports_numba_and_numpy_cases(capsys):
    assert main(["bench", "familiarity", "--neurons", "16", "--variables", "2", "--items", "4", "--probes", "2",
                 "--repeats", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"store numba fused", "store numpy", "probe numba", "probe numpy", "chain step numba"} <= set(out["results"])
    assert out["config"]["variables_per_item"] == 16 * 16 * 2
    assert out["summary"]["items_stored_and_probed_per_second_numba"] > 0
