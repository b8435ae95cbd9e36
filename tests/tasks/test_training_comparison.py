"""The continual comparison on the sweep engine: points stored and resumed, best learning rate
chosen on validation, the same numbers from the pool as in-process."""

from pathlib import Path

import numpy as np
import pytest

from neuromorph.config.network_schema import load_comparison_card
from neuromorph.errors import ConfigError
from neuromorph.sweep.continual_comparison import continual_comparison
from neuromorph.sweep.executors import ExecutorSpec

ROOT = Path(__file__).resolve().parents[2]


def _cards(tmp_path, substrates="{float: ideal, pt: " + str(ROOT / "circuits" / "crossbar_16x16_pt5.yaml") + "}"):
    (tmp_path / "net.yaml").write_text("kind: network\nlayers: [64, 8, 10]\nbatch_size: 64\nepochs: 1\n"
                                       "rules: [{kind: bp, learning_rate: 0.1, momentum: 0}]\n")
    (tmp_path / "cl.yaml").write_text("kind: continual\nnetwork: net.yaml\ntasks: {kind: permuted, count: 2}\n"
                                      "epochs_per_task: 1\n")
    path = tmp_path / "cmp.yaml"
    path.write_text(f"kind: continual_comparison\nname: cmp\ncontinual: cl.yaml\nsubstrates: {substrates}\n"
                    "rules: [bp]\nlearning_rates: [0.05, 0.5]\nexpansion: 2\n")
    return path


def test_comparison_selects_the_learning_rate_with_the_best_validation_accuracy(tmp_path):
    card, continual, network, subs = load_comparison_card(_cards(tmp_path))
    ds = continual_comparison(card, continual, network, subs, tmp_path / "store", progress=False)
    assert ds["average_accuracy"].dims == ("substrate", "rule", "learning_rate")
    for sub in ("float", "pt"):
        d = ds.sel(substrate=sub, rule="bp")
        best = float(d["best_learning_rate"])
        assert best == float(d["learning_rate"][int(d["val_average_accuracy"].argmax("learning_rate"))])
        assert float(d["best_average_accuracy"]) == float(d["average_accuracy"].sel(learning_rate=best))
    assert float(ds["best_average_accuracy"].sel(substrate="float", rule="bp")) > 0.2   # chance: 0.1
    # resumed from the store: nothing recomputed, same numbers; a pool gives the same numbers too
    again = continual_comparison(card, continual, network, subs, tmp_path / "store", progress=False)
    np.testing.assert_array_equal(again["accuracy_matrix"].values, ds["accuracy_matrix"].values)
    pooled = continual_comparison(card, continual, network, subs, tmp_path / "store2", progress=False,
                                  executor=ExecutorSpec("pool", 2))
    np.testing.assert_array_equal(pooled["accuracy_matrix"].values, ds["accuracy_matrix"].values)


def test_comparison_card_names_a_missing_crossbar_card(tmp_path):
    path = _cards(tmp_path, "{float: ideal, bad: nowhere.yaml}")
    with pytest.raises(ConfigError, match=r"cmp.yaml:4: substrates.bad: crossbar card 'nowhere.yaml' not found"):
        load_comparison_card(path)


def test_comparison_runs_a_substrate_with_several_cells_per_weight(tmp_path):
    """m = 3 single-timescale cells per weight next to the one-cell card: both run, the dataset
    records m per substrate, and the replicated substrate's numbers are its own (not the one-cell
    run's: its extra replicas draw their own pulses)."""
    single = ROOT / "circuits" / "crossbar_compare_single.yaml"
    path = _cards(tmp_path, f"{{float: ideal, one: {single}, three: {{crossbar: {single}, cells_per_weight: 3}}}}")
    card, continual, network, subs = load_comparison_card(path)
    ds = continual_comparison(card, continual, network, subs, tmp_path / "store", progress=False)
    assert ds["cells_per_weight"].values.tolist() == [0, 1, 3]
    assert (ds["error"].values == "").all()
    one, three = (ds["accuracy_matrix"].sel(substrate=s).values for s in ("one", "three"))
    assert np.isfinite(three).all() and not np.array_equal(one, three)
    assert float(ds["best_average_accuracy"].sel(substrate="three", rule="bp")) > 0.1   # above chance
