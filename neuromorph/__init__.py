"""neuromorph: emulate neuromorphic hardware from the device up.

The public API — every ``neuromorph`` command as a function returning an `xarray.Dataset`
(see `neuromorph.api` and docs/api.md):

```python
import neuromorph as nm

device = nm.load_device("devices/proton_transistor_5.yaml", **{"gate.cycle_noise": 0})
ds = nm.memory([device, "devices/benna_fusi_m8.yaml"], synapses=1000, seed=1)
fig = nm.plots.snr(ds)
```

Heavy modules (numba kernels, xarray, matplotlib) are imported on first use, so
``import neuromorph`` stays fast. ``neuromorph.sweep`` is both the sweep package and, called,
the function `neuromorph.api.sweep`.
"""

from __future__ import annotations

import importlib
import types
from typing import TYPE_CHECKING, Any

from . import sweep as _sweep_package
from .errors import (
    ConfigError,
    DataUnavailableError,
    InvalidParameterError,
    NeuromorphError,
    OutputError,
    ResourceError,
    StoreError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # cards
    "load_device", "load_protocol", "load_crossbar", "card_data", "CrossbarArray",
    # experiments (one per command)
    "simulate", "timescales", "memory", "sweep", "crossbar_writes", "netlist", "spice_check", "familiarity", "train",
    "continual", "fit",
    # figures
    "plots",
    # errors
    "NeuromorphError", "ConfigError", "InvalidParameterError", "ResourceError", "OutputError", "StoreError",
    "DataUnavailableError",
]

_API = {"load_device", "load_protocol", "load_crossbar", "card_data", "simulate", "timescales", "memory",
        "crossbar_writes", "netlist", "spice_check", "familiarity", "train", "continual", "fit"}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from . import plots
    from .api import (
        card_data,
        continual,
        crossbar_writes,
        familiarity,
        fit,
        load_crossbar,
        load_device,
        load_protocol,
        memory,
        netlist,
        simulate,
        spice_check,
        sweep,
        timescales,
        train,
    )
    from .crossbar import CrossbarArray


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(".api", __name__), name)
    elif name == "CrossbarArray":
        value = importlib.import_module(".crossbar", __name__).CrossbarArray
    elif name == "plots":
        value = importlib.import_module(".plots", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _CallableSweepPackage(types.ModuleType):
    """The `neuromorph.sweep` package; calling it runs `neuromorph.api.sweep`.

    (Python sets ``neuromorph.sweep`` to the sub-package whenever it is imported, so the top-level
    function and the package must be one object.)"""

    def __call__(self, *args: Any, **kwargs: Any):
        from .api import sweep as run

        return run(*args, **kwargs)


_sweep_package.__class__ = _CallableSweepPackage
