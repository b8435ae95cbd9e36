"""Writing results: netCDF files appear atomically (temp file + rename), so an interrupted run
never leaves a half-written file behind under the final name."""

from __future__ import annotations

import os
from pathlib import Path

import xarray as xr

__all__ = ["write_netcdf"]


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` (netCDF4 via h5netcdf) atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        ds.to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
