"""Resumable result store of a sweep: one small file per finished point, checksummed.

Layout of an output directory::

    manifest.json          which sweep these results belong to (fingerprint of the sweep card,
                           the merged device card and the seed), grid fields and shape, and the
                           SHA-256 of every stored point file (``checksums``)
    checksums.log          journal of the checksums of points stored since the manifest was last
                           written (one ``index sha256`` line each, appended and fsync'ed; folded
                           into the manifest when the run ends)
    points/point_00017.npz one file per finished point (NumPy .npz, no pickles), written
                           atomically (temp file + fsync + rename), so a killed run leaves only
                           complete files behind; ~1 ms per point
    lock, lock.info        the pid of the process running the sweep, and its host, process start
                           time and command line (a lock is stale — and taken over — when that pid
                           is gone, or now belongs to another program)
    sweep.nc, *.png        the assembled Dataset and figures, once every point is done

Starting a sweep again in the same directory computes only the missing points. A manifest
with a different fingerprint (card edited, other seed) is refused rather than mixed. A stored
point whose bytes no longer match its checksum (or, without a checksum, that cannot be read
back completely) is named, removed and computed again. ``restart`` starts from scratch: every
stored point, the journal and the manifest are discarded first.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StoreError

__all__ = ["StoreMismatch", "StoreBusy", "PointStore", "lock_owner_alive"]

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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# lock owner identity


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def _start_time(pid: int) -> str | None:
    """Start time of a process in clock ticks since boot (Linux ``/proc/PID/stat`` field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None


def _identity(pid: int) -> dict[str, Any]:
    return {"pid": pid, "host": socket.gethostname(), "start_time": _start_time(pid), "cmdline": _cmdline(pid)}


def lock_owner_alive(info: dict[str, Any]) -> bool:
    """Whether the process recorded in a lock (pid, host, start time, command line) still runs.

    On another host the owner cannot be checked and counts as alive. On this host a pid that is
    gone, or that now belongs to a process with another start time or command line (pids are
    reused), is a stale lock."""
    pid = int(info.get("pid") or 0)
    if pid <= 0:
        return False
    if info.get("host") not in (None, socket.gethostname()):
        return True
    if not _pid_alive(pid):
        return False
    for key, now in (("start_time", _start_time(pid)), ("cmdline", _cmdline(pid))):
        if info.get(key) is not None and now is not None and info[key] != now:
            return False
    return True


class PointStore:
    """One directory of per-point result files for one sweep (identified by ``fingerprint``)."""

    def __init__(self, directory: str | Path, fingerprint: str, info: dict[str, Any] | None = None,
                 log: Callable[[str], None] | None = None):
        self.directory = Path(directory)
        self.points_dir = self.directory / "points"
        self.fingerprint = fingerprint
        self.info = dict(info or {})
        self.checksums: dict[int, str] = {}
        self.log = log if log is not None else (lambda message: print(message, file=sys.stderr))
        self._locked = False

    @property
    def manifest_path(self) -> Path:
        return self.directory / "manifest.json"

    @property
    def journal_path(self) -> Path:
        return self.directory / "checksums.log"

    # -- lifecycle -------------------------------------------------------------------------
    def open(self, restart: bool = False) -> "PointStore":
        """Create or reuse the directory; refuse a manifest of another sweep; take the lock.
        ``restart`` discards every stored point, the checksums and the manifest first."""
        try:
            self.points_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store {self.points_dir} ({exc.strerror or exc})") from None
        self._lock()
        old = self._read_manifest()
        if old and old.get("fingerprint") != self.fingerprint and not restart:
            self.close()
            raise StoreMismatch(self._mismatch_message(old))
        if restart:
            for path in self.points_dir.iterdir():
                if _POINT.match(path.name):
                    path.unlink()
            self.journal_path.unlink(missing_ok=True)
            old = {}
        self.checksums = {int(k): v for k, v in (old.get("checksums") or {}).items()} if old else {}
        self.checksums.update(self._read_journal())
        self._clean_temporaries()
        self._write_manifest()
        return self

    def _read_manifest(self) -> dict:
        if not self.manifest_path.exists():
            return {}
        try:
            data = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            self.log(f"{self.manifest_path}: unreadable manifest; the stored points are checked one by one")
            return {"fingerprint": self.fingerprint, "checksums": {}}
        return data if isinstance(data, dict) else {}

    def _read_journal(self) -> dict[int, str]:
        found: dict[int, str] = {}
        try:
            text = self.journal_path.read_text(errors="replace")
        except OSError:
            return found
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit() and len(parts[1]) == 64:
                found[int(parts[0])] = parts[1]
        return found

    def _write_manifest(self) -> None:
        from ..outputs import write_text

        data = {"fingerprint": self.fingerprint, **self.info,
                "checksums": {str(k): v for k, v in sorted(self.checksums.items())}}
        write_text(json.dumps(data, indent=2, default=str), self.manifest_path)

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
        info_path = self.directory / "lock.info"
        for _ in range(3):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                owner = self._lock_owner(lock, info_path)
                if owner.get("pid") != os.getpid() and lock_owner_alive(owner):
                    where = f" on {owner['host']}" if owner.get("host") not in (None, socket.gethostname()) else ""
                    raise StoreBusy(f"{self.directory} is in use by a running sweep (pid {owner.get('pid')}{where}); "
                                    f"wait for it or use another --output directory (if that run is gone, delete "
                                    f"{lock})") from None
                lock.unlink(missing_ok=True)  # stale lock of a killed run (or a reused pid)
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            try:
                info_path.write_text(json.dumps(_identity(os.getpid())))
            except OSError:
                pass
            self._locked = True
            return
        raise StoreBusy(f"cannot lock {self.directory}")

    @staticmethod
    def _lock_owner(lock: Path, info_path: Path) -> dict[str, Any]:
        try:
            pid = int(lock.read_text().strip() or "0")
        except (OSError, ValueError):
            return {"pid": 0}
        try:
            info = json.loads(info_path.read_text())
        except (OSError, ValueError):
            info = {}
        if not isinstance(info, dict) or info.get("pid") != pid:
            return {"pid": pid}  # no identity recorded for this pid (older lock): the pid alone
        return info

    def close(self) -> None:
        if self._locked:
            if self.journal_path.exists():  # fold the journal into the manifest
                self.checksums.update(self._read_journal())
                self._write_manifest()
                self.journal_path.unlink(missing_ok=True)
            (self.directory / "lock.info").unlink(missing_ok=True)
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
        """Indices of the points whose stored file is intact. A file whose checksum does not match
        (or, with no checksum recorded, that cannot be read back completely or belongs to another
        sweep) is named, removed and left to be computed again."""
        found = set()
        for path in sorted(self.points_dir.iterdir()):
            match = _POINT.match(path.name)
            if not match:
                continue
            index = int(match.group(1))
            problem = self._verify(index, path)
            if problem is None:
                found.add(index)
                continue
            self.log(f"sweep store: point {index} ({path}) is corrupt ({problem}); it is computed again")
            path.unlink(missing_ok=True)
            self.checksums.pop(index, None)
        return found

    def _verify(self, index: int, path: Path) -> str | None:
        expected = self.checksums.get(index)
        try:
            if expected is not None:
                actual = _sha256(path)
                return None if actual == expected else "checksum mismatch"
            result = self.read(index)  # no checksum (killed between rename and journal): read it all
        except (OSError, StoreError) as exc:
            return str(exc)
        if result.get("fingerprint") != self.fingerprint:
            return "belongs to another sweep"
        self.checksums[index] = _sha256(path)
        return None

    def write(self, index: int, result: dict[str, Any]) -> Path:
        """Store one point's result atomically (temp file, fsync, rename) and journal its checksum."""
        path = self.path_of(index)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        arrays = _to_arrays({**result, "fingerprint": self.fingerprint, "index": int(index)})
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        data = buffer.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        try:
            try:
                with open(tmp, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            finally:
                if tmp.exists():
                    tmp.unlink()
            with open(self.journal_path, "a") as journal:
                journal.write(f"{int(index)} {digest}\n")
                journal.flush()
                os.fsync(journal.fileno())
        except OSError as exc:  # disk full, directory removed, permissions changed under a running sweep
            raise StoreError(f"{path}: cannot store point {index} ({exc.strerror or exc}); the points stored so far "
                             f"are kept, rerun to resume") from None
        self.checksums[int(index)] = digest
        return path

    def read(self, index: int) -> dict[str, Any]:
        path = self.path_of(index)
        try:
            with np.load(path, allow_pickle=False) as arrays:
                result = _from_arrays(arrays)
        except (OSError, ValueError, EOFError, KeyError) as exc:
            raise StoreError(f"{path}: cannot read the stored point ({exc}); rerun the sweep to recompute it, "
                             f"or --restart") from None
        except Exception as exc:  # zipfile.BadZipFile and friends from a damaged file
            raise StoreError(f"{path}: damaged stored point ({type(exc).__name__}: {exc}); rerun the sweep to "
                             f"recompute it, or --restart") from None
        if result.get("fingerprint") != self.fingerprint:
            raise StoreMismatch(f"{path} belongs to another sweep (fingerprint "
                                f"{result.get('fingerprint')} != {self.fingerprint}); use --restart")
        return result
