"""Sweep stores as a skeptical user abuses them: corrupt and truncated points are named and
recomputed, ``--restart`` really starts from scratch, a stale lock whose pid now belongs to another
program does not block a resume, and an unreachable Dask scheduler is one clear error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neuromorph.sweep.store import PointStore, StoreBusy, lock_owner_alive

ROOT = Path(__file__).resolve().parents[2]

CARD = f"""\
kind: sweep
name: integrity
device: {ROOT / 'devices/benna_fusi_m8.yaml'}
grid:
  n_variables: [2, 4, 6]
experiment:
  method: mean_field
  synapses: 10000
  ages: {{first: 0.1 s, last: 1e5 s, count: 12}}
seed: 3
"""


@pytest.fixture
def card(tmp_path) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(CARD)
    return path


def _sweep(run_cli, card, out, *extra):
    return run_cli("sweep", card, "-o", out, "--workers", "1", "--no-plot", "-q", *extra)


def _lifetimes(out: Path) -> np.ndarray:
    with xr.open_dataset(out / "sweep.nc", engine="h5netcdf") as ds:
        return ds["lifetime"].values.copy()


def test_manifest_records_a_checksum_per_point(run_cli, card, tmp_path):
    out = tmp_path / "out"
    code, _, err = _sweep(run_cli, card, out)
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["checksums"]) == ["0", "1", "2"]
    assert all(len(v) == 64 for v in manifest["checksums"].values())
    assert not (out / "checksums.log").exists() and not (out / "lock").exists()


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_corrupt_point_is_named_and_recomputed_to_the_same_numbers(run_cli, card, tmp_path, damage):
    out = tmp_path / "out"
    assert _sweep(run_cli, card, out)[0] == 0
    clean = _lifetimes(out)
    point = out / "points" / "point_00001.npz"
    data = bytearray(point.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data = data[: len(data) // 3]
    point.write_bytes(bytes(data))
    code, out_text, err = _sweep(run_cli, card, out)
    assert code == 0, err
    assert f"point 1 ({point}) is corrupt" in err
    assert "3 points, 2 already done, computing 1" in out_text
    np.testing.assert_array_equal(_lifetimes(out), clean)


def test_a_point_without_a_checksum_is_accepted_only_if_it_reads_back(tmp_path):
    """A run killed between the rename of a point file and its journal line leaves a complete
    file without a checksum: it is read back in full and kept; a damaged one is not."""
    store = PointStore(tmp_path, "fp", log=lambda m: None).open()
    store.write(0, {"snr": np.arange(3.0)})
    store.write(1, {"snr": np.arange(3.0)})
    store.close()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["checksums"] = {}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    damaged = tmp_path / "points" / "point_00001.npz"
    damaged.write_bytes(damaged.read_bytes()[:40])
    messages = []
    store = PointStore(tmp_path, "fp", log=messages.append).open()
    assert store.done() == {0}
    assert len(messages) == 1 and "point 1" in messages[0] and not damaged.exists()
    store.close()


def test_restart_starts_from_scratch_even_for_the_same_sweep(run_cli, card, tmp_path):
    out = tmp_path / "out"
    assert _sweep(run_cli, card, out)[0] == 0
    code, text, err = _sweep(run_cli, card, out, "--restart")
    assert code == 0, err
    assert "3 points, 0 already done, computing 3" in text


def test_a_stale_lock_whose_pid_now_belongs_to_another_program_does_not_block(run_cli, card, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    other = os.getppid()  # alive, but not the sweep that wrote the lock
    (out / "lock").write_text(str(other))
    (out / "lock.info").write_text(json.dumps({"pid": other, "host": os.uname().nodename,
                                               "start_time": "1", "cmdline": "python -m neuromorph sweep old"}))
    code, _, err = _sweep(run_cli, card, out)
    assert code == 0, err


def test_a_live_sweep_lock_is_respected_with_exit_2(run_cli, card, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        store = PointStore(out, "other")
        info = {"pid": holder.pid, "host": os.uname().nodename}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            from neuromorph.sweep.store import _identity

            info = _identity(holder.pid)
            if info["cmdline"] and "time.sleep" in info["cmdline"]:
                break
            time.sleep(0.05)
        (out / "lock").write_text(str(holder.pid))
        (out / "lock.info").write_text(json.dumps(info))
        assert lock_owner_alive(info)
        with pytest.raises(StoreBusy, match="in use by a running sweep"):
            store.open()
        code, _, err = _sweep(run_cli, card, out)
        assert code == 2 and "in use by a running sweep" in err and "Traceback" not in err
    finally:
        holder.kill()
        holder.wait()


def test_an_unreachable_scheduler_is_one_error_after_a_bounded_wait_and_leaves_nothing(run_cli, card, tmp_path):
    out = tmp_path / "out"
    start = time.perf_counter()
    code, _, err = run_cli("sweep", card, "-o", out, "--scheduler", "tcp://127.0.0.1:1", "--scheduler-timeout", "2",
                           "-q")
    assert code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in err
    assert time.perf_counter() - start < 30
    assert not (out / "manifest.json").exists()


def test_a_malformed_scheduler_address_is_refused(run_cli, card, tmp_path):
    code, _, err = run_cli("sweep", card, "-o", tmp_path / "out", "--scheduler", "not an address", "-q")
    assert code == 2 and "expected an address such as tcp://host:8786" in err


def test_a_full_disk_while_storing_a_point_is_a_store_error_and_leaves_no_partial_file(tmp_path, monkeypatch):
    import errno

    from neuromorph.errors import StoreError

    store = PointStore(tmp_path, "fp", log=lambda m: None).open()
    store.write(0, {"snr": np.arange(3.0)})

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError, match="cannot store point 1 \\(No space left on device\\)"):
        store.write(1, {"snr": np.arange(3.0)})
    monkeypatch.undo()
    assert store.done() == {0}
    assert not [p for p in (tmp_path / "points").iterdir() if p.name.startswith(".")]
    store.close()
