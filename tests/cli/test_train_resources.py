"""Training commands refuse networks that cannot fit in memory before any work (issue 8, point 5)."""

from pathlib import Path

import pytest

from neuromorph.cli.train import network_memory_bytes
from neuromorph.config.network_schema import load_network_card

ROOT = Path(__file__).resolve().parents[2]


def _card(tmp_path: Path, hidden: int, weights: str = "weights: ideal") -> Path:
    card = tmp_path / "huge.yaml"
    card.write_text(f"kind: network\nlayers: [64, {hidden}, 10]\n{weights}\nepochs: 1\n"
                    "rules:\n  - {kind: pfa, learning_rate: 0.1, expansion: 10}\n")
    return card


def test_estimate_counts_weights_optimiser_and_pfa_feedback(tmp_path):
    card, _ = load_network_card(_card(tmp_path, 100))
    weights = 64 * 100 + 100 * 10
    # 8 B x (W, gradient, momentum + B and R of up to k = 10 times the layer), plus the digits data
    assert network_memory_bytes(card, tmp_path / "huge.yaml") == pytest.approx(8.0 * weights * 23 + 8.0 * 1797 * 64)


@pytest.mark.parametrize("command", ["train"])
def test_a_network_too_big_for_memory_is_refused_up_front(run_cli, tmp_path, command):
    card = _card(tmp_path, 10**9)
    code, out, err = run_cli(command, card, "-o", tmp_path / "run", "-q")
    assert code == 2
    assert "memory" in err and "layers" in err and "Traceback" not in err
    assert not (tmp_path / "run.ckpt").exists() and not (tmp_path / "run.nc").exists()


def test_shipped_tile_card_fits(tmp_path):
    path = ROOT / "circuits/mlp_digits_tiles_pt5.yaml"
    card, _ = load_network_card(path)
    assert 0 < network_memory_bytes(card, path) < 2**30


def test_shipped_tile_card_given_relative_to_the_working_directory(monkeypatch):
    """As the README runs it, from the repository root: the card's crossbar path is resolved
    once, against the network card (a second resolution gave circuits/circuits/…)."""
    monkeypatch.chdir(ROOT)
    card, _ = load_network_card("circuits/mlp_digits_tiles_pt5.yaml")
    assert 0 < network_memory_bytes(card, "circuits/mlp_digits_tiles_pt5.yaml") < 2**30
