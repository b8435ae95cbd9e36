"""Writing results: every file neuromorph writes appears atomically, or not at all.

One writer for every kind of output — netCDF (:func:`write_netcdf`), PNG figures
(:func:`save_figure`), text such as SPICE decks (:func:`write_text`), JSON (:func:`write_json`) —
all through :func:`atomic_path`: the data go to a temporary file in the *same directory* as the
target, the file is flushed and fsync'ed, then renamed over the target with ``os.replace`` (atomic
on POSIX within one file system) and the directory entry is fsync'ed. An interrupted or killed
run, a full disk or a failing writer never leaves a half-written file under the final name; the
temporary file is removed on failure. Operating-system failures (disk full, permission denied,
a directory in the way) become :class:`neuromorph.errors.OutputError` naming the file.

Checkpoints (:func:`write_npz` / :func:`read_npz`): a NumPy ``.npz`` written atomically with a
``<name>.sha256`` file beside it; reading verifies the checksum and raises
:class:`neuromorph.errors.CorruptStoreError` naming the file when it does not match or the file
cannot be read back, so the caller can discard it and compute again.

JSON is strict (:func:`json_safe`): ``NaN`` and ``±Infinity`` are not JSON, so they are written
as ``null`` with a sibling field ``<key>_note`` saying why.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import CorruptStoreError, OutputError

__all__ = ["atomic_path", "write_netcdf", "write_text", "write_bytes", "write_json", "save_figure",
           "json_safe", "dumps_strict", "write_npz", "read_npz", "checksum_path", "text_table"]


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems do not support fsync on directories
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsync'ed and renamed onto ``path``.

    The block writes the complete file to the yielded path (any writer that takes a file name).
    On an exception the temporary file is deleted and the target is left as it was."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a directory; give a file name", file=str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the directory {path.parent} ({exc.strerror or exc})",
                          file=str(path)) from None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_directory(path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the file ({exc.strerror or exc})", file=str(path)) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def write_netcdf(ds, path: str | Path) -> Path:
    """Write the xarray Dataset ``ds`` to ``path`` (netCDF4 via h5netcdf) atomically; returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    return path


def write_bytes(data: bytes, path: str | Path) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_text(text: str, path: str | Path) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically — SPICE decks, logs, tables; returns the path."""
    return write_bytes(text.encode("utf-8"), path)


def write_json(obj: Any, path: str | Path, indent: int | None = 2) -> Path:
    """Write ``obj`` as strict JSON (see :func:`json_safe`) atomically; returns the path."""
    return write_text(dumps_strict(obj, indent=indent) + "\n", path)


def save_figure(fig, path: str | Path, **savefig_kwargs) -> Path:
    """Save a matplotlib figure atomically (format from the suffix of ``path``); returns the path."""
    path = Path(path)
    fmt = savefig_kwargs.pop("format", None) or (path.suffix.lstrip(".") or "png")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, **savefig_kwargs)
    return path


def checksum_path(path: str | Path) -> Path:
    """The ``<name>.sha256`` file that holds the checksum of ``path``."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def write_npz(arrays: dict, path: str | Path) -> Path:
    """Write ``arrays`` as an ``.npz`` (no pickles) atomically, with its SHA-256 beside it."""
    import hashlib
    import io

    import numpy as np

    path = Path(path)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    write_bytes(data, path)
    write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n", checksum_path(path))
    return path


def read_npz(path: str | Path, what: str = "checkpoint") -> dict | None:
    """The arrays of an ``.npz`` written by :func:`write_npz` (None if there is none); a file that
    fails its checksum or cannot be read back raises :class:`CorruptStoreError` naming it."""
    import hashlib
    import io

    import numpy as np

    path = Path(path)
    if not path.exists():
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorruptStoreError(f"{path}: cannot read the {what} ({exc.strerror or exc})", file=str(path)) from None
    sidecar = checksum_path(path)
    if sidecar.exists():
        expected = (sidecar.read_text(errors="replace").split() or [""])[0]
        if hashlib.sha256(data).hexdigest() != expected:
            raise CorruptStoreError(f"{path}: the {what} is corrupt (checksum mismatch)", file=str(path))
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as loaded:
            return {key: loaded[key] for key in loaded.files}
    except Exception as exc:  # damaged zip/npy bytes raise many kinds of errors
        raise CorruptStoreError(f"{path}: the {what} cannot be read back ({type(exc).__name__}: {exc})",
                                file=str(path)) from None


def _note(value: float) -> str:
    if math.isnan(value):
        return "not a number (NaN): undefined or not computed"
    return "+infinity: beyond the computed range" if value > 0 else "-infinity: below the computed range"


def json_safe(obj: Any) -> Any:
    """A copy of ``obj`` that strict JSON can hold: numpy scalars and arrays become Python numbers
    and lists, paths become strings, and a non-finite float becomes ``None``; inside a mapping the
    entry ``key`` then gets a sibling ``key_note`` that says whether it was NaN or ±infinity."""
    if isinstance(obj, dict):
        out: dict = {}
        for key, value in obj.items():
            safe = json_safe(value)
            out[str(key)] = safe
            number = _as_float(value)
            if f"{key}_note" in obj:
                continue
            if number is not None and not math.isfinite(number):
                out[f"{key}_note"] = _note(number)
            elif isinstance(safe, list):
                bad = sorted({_note(x) for x in _flat_floats(value) if not math.isfinite(x)})
                if bad:
                    out[f"{key}_note"] = "null entries are " + "; ".join(bad)
        return out
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (str, bool)) or obj is None:
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    number = _as_float(obj)
    if number is not None:
        if hasattr(obj, "dtype") and getattr(obj.dtype, "kind", "") in "iub":
            return obj.item()
        return number if math.isfinite(number) else None
    if hasattr(obj, "tolist"):  # numpy arrays
        return json_safe(obj.tolist())
    return str(obj)


def _flat_floats(value: Any) -> list[float]:
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flat_floats(item)]
    number = _as_float(value)
    return [] if number is None else [number]


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "dtype") and getattr(value, "shape", None) == () and value.dtype.kind in "fiub":
        return float(value)
    return None


def dumps_strict(obj: Any, indent: int | None = 2) -> str:
    """``json.dumps`` of :func:`json_safe` ``(obj)`` with ``allow_nan=False`` (never emits NaN/Infinity)."""
    return json.dumps(json_safe(obj), indent=indent, allow_nan=False)


def text_table(rows) -> list[str]:
    """Rows of strings as left-aligned columns two spaces apart (the tables the commands print),
    trailing blanks stripped; the first row is usually the header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
