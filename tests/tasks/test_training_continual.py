"""`neuromorph continual`: accuracy matrix semantics, multi-head masking, resume after SIGKILL."""

import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from neuromorph.config.network_schema import load_continual_card
from neuromorph.tasks.continual import continual_experiment
from neuromorph.tasks.datasets import load_digits, permuted_tasks, split_tasks

NET = """kind: network
name: net
layers: [64, 32, 10]
batch_size: 32
epochs: 10
seed: 1
rules:
  - kind: bp
    learning_rate: 0.05
  - kind: pfa
    learning_rate: 0.05
    expansion: 4
"""


def _cards(tmp_path, tasks="{kind: permuted, count: 3}", epochs=2):
    (tmp_path / "net.yaml").write_text(NET)
    path = tmp_path / "cl.yaml"
    path.write_text(f"kind: continual\nname: cl\nnetwork: net.yaml\ntasks: {tasks}\nepochs_per_task: {epochs}\n")
    return path


def test_permuted_task_zero_is_the_original_data_and_others_are_permutations():
    data = load_digits()
    tasks = permuted_tasks(data, 3, seed=0)
    assert np.array_equal(tasks[0].data.x_train, data.x_train)
    perm = tasks[2].meta["permutation"]
    assert sorted(perm) == list(range(64)) and not np.array_equal(perm, np.arange(64))
    assert np.array_equal(tasks[2].data.x_test, data.x_test[:, perm])


def test_split_tasks_hold_only_their_classes():
    tasks = split_tasks(load_digits(), 5, "task")
    assert [t.classes for t in tasks] == [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]
    assert set(np.unique(tasks[3].data.y_train)) == {6, 7}
    assert split_tasks(load_digits(), 5, "class")[3].classes is None


def test_accuracy_matrix_rows_are_the_curve_at_task_ends(tmp_path):
    card, network, _ = load_continual_card(_cards(tmp_path))
    ds = continual_experiment(card, network, progress=False)
    curve = ds["accuracy_curve"].sel(rule="bp").values
    np.testing.assert_array_equal(ds["accuracy_matrix"].sel(rule="bp").values, curve[[2, 4, 6]])
    np.testing.assert_array_equal(ds["baseline"].sel(rule="bp").values, curve[0])
    r = ds["accuracy_matrix"].sel(rule="bp").values
    assert ds["backward_transfer"].sel(rule="bp").item() == pytest.approx(np.mean(r[2, :2] - np.diag(r)[:2]))
    assert np.diag(r).min() > 0.8          # each permuted task is learned when it is trained


def test_multi_head_split_is_easier_than_single_head(tmp_path):
    """Task-incremental evaluation (two outputs compete) cannot be below class-incremental."""
    card_t, net_t, _ = load_continual_card(_cards(tmp_path, "{kind: split, count: 5, scenario: task}", 3))
    task = continual_experiment(card_t, net_t, progress=False)
    card_c, net_c, _ = load_continual_card(_cards(tmp_path, "{kind: split, count: 5, scenario: class}", 3))
    cls = continual_experiment(card_c, net_c, progress=False)
    assert (task["average_accuracy"] > cls["average_accuracy"]).all()
    # single head, no replay: the old classes are lost once the last pair is trained
    assert (cls["accuracy_matrix"].isel(trained=-1, task=slice(0, 4)) < 0.2).all()


def test_continual_resumes_after_sigkill_with_the_same_numbers(tmp_path, kill_after_checkpoint):
    path = _cards(tmp_path, "{kind: permuted, count: 4}", 12)
    prefix = tmp_path / "run"
    ckpt = tmp_path / "run.ckpt" / "bp.npz"
    cmd = [sys.executable, "-m", "neuromorph", "continual", str(path), "-o", str(prefix), "-q", "--no-plot"]
    kill_after_checkpoint(cmd, ckpt)
    resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout
    card, network, _ = load_continual_card(path)
    reference = continual_experiment(card, network, progress=False)
    with xr.open_dataset(prefix.with_suffix(".nc"), engine="h5netcdf") as got:
        for name in ("accuracy_curve", "accuracy_matrix", "forgetting"):
            np.testing.assert_array_equal(got[name].values, reference[name].values, err_msg=name)
