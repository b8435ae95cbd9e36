"""``cells_per_weight`` (m independent cells per weight, read as their mean) in network and
comparison cards: accepted where it makes sense, refused at load with file:line: field, the value
and the expectation — never a traceback."""

from pathlib import Path

import pytest

from neuromorph.cli import main
from neuromorph.config.network_schema import load_comparison_card, load_network_card
from neuromorph.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SINGLE = ROOT / "circuits" / "crossbar_compare_single.yaml"
NETWORK = """kind: network
layers: [64, 8, 10]
weights: {weights}
epochs: 1
rules: [{{kind: bp, learning_rate: 0.1, momentum: 0}}]
"""


def _network(tmp_path, weights: str) -> Path:
    path = tmp_path / "net.yaml"
    path.write_text(NETWORK.format(weights=weights))
    return path


def _comparison(tmp_path, substrate: str) -> Path:
    _network(tmp_path, "ideal")
    (tmp_path / "cl.yaml").write_text("kind: continual\nnetwork: net.yaml\ntasks: {kind: permuted, count: 2}\n"
                                      "epochs_per_task: 1\n")
    path = tmp_path / "cmp.yaml"
    path.write_text(f"kind: continual_comparison\nname: cmp\ncontinual: cl.yaml\nsubstrates:\n  float: ideal\n"
                    f"  rep: {substrate}\nrules: [bp]\nlearning_rates: [0.1]\n")
    return path


def test_network_card_takes_cells_per_weight_and_defaults_to_one(tmp_path):
    card, _ = load_network_card(_network(tmp_path, f"{{crossbar: {SINGLE}, cells_per_weight: 8}}"))
    assert card.weights.cells_per_weight == 8
    card, _ = load_network_card(_network(tmp_path, f"[{{crossbar: {SINGLE}, cells_per_weight: 3}}, ideal]"))
    assert card.weights[0].cells_per_weight == 3 and card.weights[1] == "ideal"
    card, _ = load_network_card(_network(tmp_path, f"{{crossbar: {SINGLE}}}"))
    assert card.weights.cells_per_weight == 1


@pytest.mark.parametrize("weights, field, words", [
    ("{{crossbar: {x}, cells_per_weight: 0}}", "weights.cells_per_weight", "greater than or equal to 1 (got 0)"),
    ("{{crossbar: {x}, cells_per_weight: 65}}", "weights.cells_per_weight", "less than or equal to 64 (got 65)"),
    ("{{crossbar: {x}, cells_per_weight: eight}}", "weights.cells_per_weight", "valid integer"),
    ("{{crossbar: {x}, cells_per_weight: 2.5}}", "weights.cells_per_weight", "(got 2.5)"),
    ("[ideal, {{crossbar: {x}, cells_per_weight: -1}}]", "weights[1].cells_per_weight", "(got -1)"),
    ("{{crossbar: {x}, cells_per_wieght: 2}}", "weights.cells_per_wieght", "unknown field"),
])
def test_bad_cells_per_weight_in_a_network_card_is_named(tmp_path, weights, field, words):
    path = _network(tmp_path, weights.format(x=SINGLE))
    with pytest.raises(ConfigError) as err:
        load_network_card(path)
    message = str(err.value)
    assert f"{path}:3: {field}:" in message and words in message, message
    assert message.count("\n") == 0, message          # one problem, not one per union member


def test_comparison_card_takes_a_substrate_with_cells_per_weight(tmp_path):
    _, _, _, subs = load_comparison_card(_comparison(tmp_path, f"{{crossbar: {SINGLE}, cells_per_weight: 8}}"))
    assert subs == {"float": None, "rep": {"crossbar": str(SINGLE), "cells_per_weight": 8}}
    _, _, _, subs = load_comparison_card(_comparison(tmp_path, f"{{crossbar: {SINGLE}}}"))
    assert subs["rep"] == str(SINGLE)                 # one cell per weight: the plain card


@pytest.mark.parametrize("substrate, field, words", [
    ("{{crossbar: {x}, cells_per_weight: 100}}", "substrates.rep.cells_per_weight", "less than or equal to 64"),
    ("{{crossbar: {x}, cells: 2}}", "substrates.rep.cells", "unknown field"),
    ("{{cells_per_weight: 2}}", "substrates.rep.crossbar", "required field is missing"),
    ("{{crossbar: nowhere.yaml, cells_per_weight: 2}}", "substrates.rep.crossbar", "'nowhere.yaml' not found"),
])
def test_bad_comparison_substrate_is_named(tmp_path, substrate, field, words):
    path = _comparison(tmp_path, substrate.format(x=SINGLE))
    with pytest.raises(ConfigError) as err:
        load_comparison_card(path)
    message = str(err.value)
    assert f"{path}:6: {field}:" in message and words in message, message


def test_cli_refuses_a_bad_cells_per_weight_with_exit_2(tmp_path, capsys):
    path = _comparison(tmp_path, f"{{crossbar: {SINGLE}, cells_per_weight: 0}}")
    assert main(["continual", str(path), "-o", str(tmp_path / "x"), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:6: substrates.rep.cells_per_weight:" in err and "Traceback" not in err
    assert not (tmp_path / "x.nc").exists()


def test_the_shipped_comparison_has_the_matched_variables_substrates():
    _, _, _, subs = load_comparison_card(ROOT / "circuits" / "compare_continual_digits.yaml")
    assert subs["single_timescale_m8"]["cells_per_weight"] == 8
    assert subs["single_timescale_m5"]["cells_per_weight"] == 5
    assert Path(subs["single_timescale_m8"]["crossbar"]).name == "crossbar_compare_single.yaml"


def test_one_cell_per_weight_keeps_the_card_fingerprint_of_before_the_field(tmp_path):
    """Checkpoints are keyed by the card's JSON dump: a card without ``cells_per_weight`` (or with
    1) dumps exactly as before the field existed, so runs started then still resume."""
    from neuromorph.tasks.training import card_fingerprint

    plain, _ = load_network_card(_network(tmp_path, f"{{crossbar: {SINGLE}}}"))
    assert "cells_per_weight" not in plain.model_dump(mode="json")["weights"]
    explicit, _ = load_network_card(_network(tmp_path, f"{{crossbar: {SINGLE}, cells_per_weight: 1}}"))
    assert card_fingerprint(explicit) == card_fingerprint(plain)
    eight, _ = load_network_card(_network(tmp_path, f"{{crossbar: {SINGLE}, cells_per_weight: 8}}"))
    assert eight.model_dump(mode="json")["weights"]["cells_per_weight"] == 8
    assert card_fingerprint(eight) != card_fingerprint(plain)
