"""Kill a real ``neuromorph sweep`` process with SIGKILL halfway, start it again, and check that
only the missing points are computed, the stored ones are untouched, and the numbers equal an
uninterrupted computation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neuromorph.sweep import compute_point, point_tasks
from neuromorph.sweep.grid import plan_sweep
from neuromorph.sweep.store import PointStore

ROOT = Path(__file__).resolve().parents[2]

CARD = """\
kind: sweep
name: killed
device: {device}
grid:
  n_variables: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
experiment:
  method: monte_carlo
  synapses: 500
  trials: 8
  rate: 1 Hz
  duration: 300 s
  ages: {{first: 1 s, last: 300 s, count: 8}}
seed: 5
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _start(card: Path, out: Path, workers: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "neuromorph", "sweep", str(card), "-o", str(out),
                             "--workers", str(workers), "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=env)


def _kill_after(proc: subprocess.Popen, points: Path, at_least: int, timeout: float = 120.0) -> list[int]:
    deadline = time.monotonic() + timeout
    children: set[int] = set()
    while True:
        children.update(_children(proc.pid))
        done = list(points.glob("point_*.npz")) if points.exists() else []
        if len(done) >= at_least:
            break
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended before it could be killed:\n{proc.stdout.read()}\n{proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("no point was stored in time")
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    return sorted(children)


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_sigkilled_sweep_resumes_with_only_the_missing_points(tmp_path, workers):
    card = tmp_path / "killed.yaml"
    card.write_text(CARD.format(device=ROOT / "devices/benna_fusi_m8.yaml"))
    out = tmp_path / "out"
    proc = _start(card, out, workers)
    children = _kill_after(proc, out / "points", at_least=3)
    assert proc.returncode == -signal.SIGKILL

    # what the killed run left: complete point files only (temporaries are hidden dot-files and
    # are removed on the next start), a stale lock, no final outputs
    stored = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "points").glob("point_*.npz")}
    n_points = 10
    assert 3 <= len(stored) < n_points
    assert (out / "lock").exists() and not (out / "sweep.nc").exists()
    plan = plan_sweep(card)
    store = PointStore(out, plan.fingerprint)
    for name in stored:
        result = store.read(int(name[6:11]))  # every stored file is complete and readable
        assert np.isfinite(result["snr_mc"]).any()
    # a killed pool leaves no workers behind (they watch their parent)
    deadline = time.monotonic() + 10
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [c for c in children if _alive(c)]

    rerun = subprocess.run([sys.executable, "-m", "neuromorph", "sweep", str(card), "-o", str(out),
                            "--workers", str(workers), "-q"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert (f"{n_points} points, {len(stored)} already done, computing {n_points - len(stored)}") in rerun.stdout
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "points").glob("point_*.npz")}
    assert len(after) == n_points
    assert all(after[name] == stored[name] for name in stored)  # untouched
    assert not (out / "lock").exists()
    assert not [p for p in (out / "points").iterdir() if p.name.startswith(".")]

    # the resumed result equals an uninterrupted computation (one point from each run)
    ds = xr.open_dataset(out / "sweep.nc", engine="h5netcdf")
    first_killed = min(int(name[6:11]) for name in stored)
    first_new = min(set(range(n_points)) - {int(name[6:11]) for name in stored})
    for index in (first_killed, first_new):
        fresh = compute_point(point_tasks(plan, [index])[0])
        np.testing.assert_array_equal(ds["snr_mc"].values[index], fresh["snr_mc"])
    ds.close()
