"""`neuromorph train` checkpoints: a run killed with SIGKILL resumes and ends with the numbers of
an uninterrupted run (a real process is killed)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neuromorph.config.network_schema import load_network_card
from neuromorph.tasks.training import train_network

CARD = """kind: network
name: resume_test
dataset: {name: digits, validation: 0.1}
layers: [64, 24, 10]
batch_size: 32
epochs: 60
seed: 5
rules:
  - kind: pfa
    learning_rate: 0.05
    expansion: 4
    weight_decay: {value: 1e-4, initial: 1e-2, initial_steps: 100}
  - kind: fa
    learning_rate: 0.02
"""

METRICS = ["test_accuracy", "val_loss", "train_loss", "alignment_angle_deg", "norm_ratio", "steps", "weight_decay"]


def _same(a: xr.Dataset, b: xr.Dataset) -> None:
    for name in METRICS:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_resume_after_sigkill_gives_the_uninterrupted_numbers(tmp_path, kill_after_checkpoint):
    card_path = tmp_path / "card.yaml"
    card_path.write_text(CARD)
    prefix = tmp_path / "run"
    ckpt = tmp_path / "run.ckpt" / "pfa.npz"
    cmd = [sys.executable, "-m", "neuromorph", "train", str(card_path), "-o", str(prefix), "-q", "--no-plot"]
    kill_after_checkpoint(cmd, ckpt)
    assert not prefix.with_suffix(".nc").exists()
    with np.load(ckpt) as saved:
        killed_at = int(saved["epoch"])
    assert 1 <= killed_at < 60

    resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout
    with xr.open_dataset(prefix.with_suffix(".nc"), engine="h5netcdf") as got:
        got = got.load()
    card, _ = load_network_card(card_path)
    _same(got, train_network(card, progress=False))


def test_resume_in_process_matches_an_uninterrupted_run(tmp_path):
    card_path = tmp_path / "card.yaml"
    card_path.write_text(CARD.replace("epochs: 60", "epochs: 6"))
    card, _ = load_network_card(card_path)
    full = train_network(card, progress=False)
    train_network(card, checkpoint_dir=tmp_path / "ck", progress=False, stop_after_epochs=4)  # pfa 4 of 6
    train_network(card, checkpoint_dir=tmp_path / "ck", progress=False, stop_after_epochs=5)  # pfa done, fa 3
    _same(full, train_network(card, checkpoint_dir=tmp_path / "ck", progress=False))


def test_checkpoint_of_another_seed_is_refused(tmp_path):
    from neuromorph.errors import StoreError

    card_path = tmp_path / "card.yaml"
    card_path.write_text(CARD.replace("epochs: 60", "epochs: 2"))
    card, _ = load_network_card(card_path)
    train_network(card, checkpoint_dir=tmp_path / "ck", progress=False, stop_after_epochs=1)
    with pytest.raises(StoreError, match="another card or seed"):
        train_network(card, seed=6, checkpoint_dir=tmp_path / "ck", progress=False)


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path):
    card_path = tmp_path / "card.yaml"
    card_path.write_text(CARD.replace("epochs: 60", "epochs: 2"))
    card, _ = load_network_card(card_path)
    a, b, c = (train_network(card, seed=s, progress=False) for s in (1, 1, 2))
    _same(a, b)
    assert not np.array_equal(a["test_accuracy"].values, c["test_accuracy"].values)


def test_tile_training_resumes_with_identical_device_state(tmp_path):
    """On proton-transistor tiles the checkpoint holds every array's chain state, clock and noise
    streams: an interrupted run ends with the numbers of an uninterrupted one."""

    crossbar = Path(__file__).resolve().parents[2] / "circuits" / "crossbar_16x16_pt5.yaml"
    card_path = tmp_path / "card.yaml"
    card_path.write_text(f"""kind: network
layers: [64, 12, 10]
weights: {{crossbar: {crossbar}}}
timing: {{between_epochs: 30 s}}
batch_size: 64
epochs: 3
rules:
  - {{kind: pfa, learning_rate: 0.3, momentum: 0, expansion: 2, weight_decay: {{value: 0}}}}
""")
    card, _ = load_network_card(card_path)
    full = train_network(card, progress=False)
    train_network(card, checkpoint_dir=tmp_path / "ck", progress=False, stop_after_epochs=2)
    resumed = train_network(card, checkpoint_dir=tmp_path / "ck", progress=False)
    _same(full, resumed)
    for name in ("pulses", "device_time_s", "read_energy_j"):
        np.testing.assert_array_equal(full[name].values, resumed[name].values, err_msg=name)
    assert full["pulses"].values[0, -1] > 0
    # 3 epochs of update slots (50 ms per sample) + 2 pauses of 30 s, plus reads
    n = full.attrs["n_train"]
    assert full["device_time_s"].values[0, -1] > 3 * n * 50e-3 + 60
