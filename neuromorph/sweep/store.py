"""Resumable result store of a sweep: one small netCDF file per finished point.

Layout of an output directory::

    manifest.json          which sweep these results belong to (fingerprint of the sweep card,
                           the merged device card and the seed), grid fields and shape
    points/point_00017.npz one file per finished point (NumPy .npz, no pickles), written
                           atomically (temp file + rename), so a killed run leaves only complete
                           files behind; ~1 ms per point (a netCDF file per point costs ~0.1 s)
    lock                   pid of the process running the sweep (a stale lock of a dead
                           process is taken over)
    sweep.nc, *.png        the assembled Dataset and figures, once every point is done

Starting a sweep again in the same directory computes only the missing points. A manifest
with a different fingerprint (card edited, other seed) is refused rather than mixed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StoreError

__all__ = ["StoreMismatch", "StoreBusy", "PointStore"]

_POINT = re.compile(r"^point_(\d{5,})\.npz$")
#: keys of a point result that are not reproducible (never compared, kept as attributes)
VOLATILE = ("compute_time_s",)


class StoreMismatch(StoreError):
    """The output directory holds results of a different sweep (card or seed)."""


class StoreBusy(StoreError):
    """Another live process is running a sweep into this directory."""


def _to_arrays(result: dict[str, Any]) -> dict[str, np.ndarray]:
    arrays = {}
    for key, value in result.items():
        arr = np.asarray(value)
        if arr.dtype == object:
            raise TypeError(f"point result {key!r} is not a plain array/number/string")
        arrays[key] = arr
    return arrays


def _from_arrays(arrays) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in arrays.files:
        arr = arrays[key]
        if arr.ndim == 0:
            out[key] = str(arr) if arr.dtype.kind == "U" else arr.item()
        else:
            out[key] = arr
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PointStore:
    """One directory of per-point result files for one sweep (identified by ``fingerprint``)."""

    def __init__(self, directory: str | Path, fingerprint: str, info: dict[str, Any] | None = None):
        self.directory = Path(directory)
        self.points_dir = self.directory / "points"
        self.fingerprint = fingerprint
        self.info = dict(info or {})
        self._locked = False

    # -- lifecycle -------------------------------------------------------------------------
    def open(self, restart: bool = False) -> "PointStore":
        """Create or reuse the directory; refuse a manifest of another sweep (unless
        ``restart``, which deletes the old point files first); take the lock."""
        self.points_dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        manifest = self.directory / "manifest.json"
        if manifest.exists():
            try:
                old = json.loads(manifest.read_text())
            except (OSError, json.JSONDecodeError):
                old = {}
            if old.get("fingerprint") != self.fingerprint:
                if not restart:
                    self.close()
                    raise StoreMismatch(self._mismatch_message(old))
                for path in self.points_dir.iterdir():
                    if _POINT.match(path.name):
                        path.unlink()
        self._clean_temporaries()
        tmp = manifest.with_name(f".manifest.json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"fingerprint": self.fingerprint, **self.info}, indent=2, default=str))
        os.replace(tmp, manifest)
        return self

    def _mismatch_message(self, old: dict) -> str:
        diffs = []
        for key in ("card", "seed", "fields", "shape"):
            if key in old and key in self.info and old[key] != self.info[key]:
                diffs.append(f"{key}: {old[key]} (stored) vs {self.info[key]} (now)")
        detail = "; ".join(diffs) if diffs else "the sweep card or the device card changed"
        return (f"{self.directory} holds results of a different sweep ({detail}); refusing to mix them. "
                f"Use another --output directory, or --restart to discard the stored points")

    def _lock(self) -> None:
        lock = self.directory / "lock"
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                try:
                    pid = int(lock.read_text().strip() or "0")
                except (OSError, ValueError):
                    pid = 0
                if pid and pid != os.getpid() and _pid_alive(pid):
                    raise StoreBusy(f"{self.directory} is in use by a running sweep (pid {pid}); wait for it "
                                    f"or use another --output directory") from None
                lock.unlink(missing_ok=True)  # stale lock of a killed run
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            self._locked = True
            return
        raise StoreBusy(f"cannot lock {self.directory}")

    def close(self) -> None:
        if self._locked:
            (self.directory / "lock").unlink(missing_ok=True)
            self._locked = False

    def __enter__(self) -> "PointStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _clean_temporaries(self) -> None:
        for path in self.points_dir.iterdir():
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)

    # -- points ----------------------------------------------------------------------------
    def path_of(self, index: int) -> Path:
        return self.points_dir / f"point_{index:05d}.npz"

    def done(self) -> set[int]:
        """Indices of the points whose result file exists (complete by construction)."""
        found = set()
        for path in self.points_dir.iterdir():
            match = _POINT.match(path.name)
            if match:
                found.add(int(match.group(1)))
        return found

    def write(self, index: int, result: dict[str, Any]) -> Path:
        """Store one point's result atomically: write a temp file, fsync, rename."""
        path = self.path_of(index)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        arrays = _to_arrays({**result, "fingerprint": self.fingerprint, "index": int(index)})
        try:
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return path

    def read(self, index: int) -> dict[str, Any]:
        with np.load(self.path_of(index), allow_pickle=False) as arrays:
            result = _from_arrays(arrays)
        if result.get("fingerprint") != self.fingerprint:
            raise StoreMismatch(f"{self.path_of(index)} belongs to another sweep (fingerprint "
                                f"{result.get('fingerprint')} != {self.fingerprint}); use --restart")
        return result
