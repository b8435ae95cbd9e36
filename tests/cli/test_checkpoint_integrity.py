"""Checkpoints carry a checksum: a corrupt or truncated one is named, discarded and computed again
(training, continual and familiarity use the same writer/reader as the sweep manifest rules)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuromorph.errors import CorruptStoreError
from neuromorph.outputs import checksum_path, read_npz, write_npz

CARD = """kind: network
name: ckpt_test
dataset: {name: digits, validation: 0.1}
layers: [64, 16, 10]
batch_size: 64
epochs: 2
seed: 5
rules:
  - kind: fa
    learning_rate: 0.02
"""


def test_checkpoint_round_trip_with_checksum(tmp_path):
    path = write_npz({"w": np.arange(6.0).reshape(2, 3), "epoch": np.array(3)}, tmp_path / "net.npz")
    assert len(checksum_path(path).read_text().split()[0]) == 64
    back = read_npz(path)
    np.testing.assert_array_equal(back["w"], np.arange(6.0).reshape(2, 3))
    assert read_npz(tmp_path / "missing.npz") is None


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_checkpoint_is_named(tmp_path, damage):
    path = write_npz({"w": np.arange(100.0)}, tmp_path / "net.npz")
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    else:
        data = data[:100]
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptStoreError, match=f"{path}: the training checkpoint is corrupt"):
        read_npz(path, "training checkpoint")


def test_a_checkpoint_without_checksum_is_still_read_but_garbage_is_refused(tmp_path):
    path = tmp_path / "old.npz"
    np.savez(path, w=np.ones(3))
    assert read_npz(path)["w"].sum() == 3
    path.write_bytes(b"not a zip file")
    with pytest.raises(CorruptStoreError, match="cannot be read back"):
        read_npz(path)


def test_training_discards_a_corrupt_checkpoint_and_ends_with_the_clean_numbers(run_cli, tmp_path):
    card = tmp_path / "card.yaml"
    card.write_text(CARD)
    code, _, err = run_cli("train", card, "-o", tmp_path / "clean", "-q", "--no-plot")
    assert code == 0, err
    clean = xr.load_dataset(tmp_path / "clean.nc")
    code, _, err = run_cli("train", card, "-o", tmp_path / "run", "-q", "--no-plot")
    assert code == 0, err
    checkpoint = next((tmp_path / "run.ckpt").glob("*.npz"))
    checkpoint.write_bytes(checkpoint.read_bytes()[:200])  # truncated, e.g. by a full disk elsewhere
    code, _, err = run_cli("train", card, "-o", tmp_path / "run", "-q", "--no-plot")
    assert code == 0, err
    assert f"{checkpoint}: the training checkpoint is corrupt" in err and "starts again" in err
    again = xr.load_dataset(tmp_path / "run.nc")
    np.testing.assert_array_equal(again["test_accuracy"].values, clean["test_accuracy"].values)
