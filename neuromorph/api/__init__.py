"""The Python API: every ``neuromorph`` command as a function that returns what the command
writes (an `xarray.Dataset`, or plain data), and cards given as files or Python dicts.

Everything here is re-exported at the top level (``neuromorph.load_device``, ``neuromorph.memory``,
…). The functions call exactly the package functions the command-line tools call, with the
same defaults, so a command and its API twin give identical Datasets for the same seed
(``tests/test_api.py`` checks every command).

**Cards.** A card argument (``CardLike``) is a path to a YAML card or a mapping with the same
content. A mapping is validated by the same schema with the same messages, minus the
``file:line:`` prefix (the field path stays): ``load_device({"kind": "benna_fusi",
"n_variables": 0, "capacities": [1], "couplings": [1]})`` raises `ConfigError` with
``n_variables: Input should be greater than or equal to 1 (got 0)``. A mapping may say
``base: other.yaml`` (relative to ``base_dir``, default the working directory) and is merged
over that card as a file card would be; other relative paths in it (a crossbar card's
``device:``, a continual card's ``network:``) are resolved from ``base_dir`` too.

**Overrides** use the sweep engine's dotted paths (`neuromorph.sweep.grid`):

```python
load_device("devices/proton_transistor_5.yaml", **{"gate.cycle_noise": 0})
load_device("devices/proton_transistor_5.yaml", gate__cycle_noise=0, compartments=3)
```

``a__b`` is the keyword spelling of ``a.b``; list items are addressed by index
(``capacities.2``). A mapping value is merged key by key into the mapping at that path (like
``base:``); any other value replaces it. A problem with an overridden value is reported as
``CARD: override FIELD: …``.
"""

from __future__ import annotations

from .cards import CardLike, card_data, load_crossbar, load_device, load_protocol
from .experiments import crossbar_writes, memory, simulate, sweep, timescales
from .spice import netlist, spice_check
from .tasks import continual, familiarity, fit, train

__all__ = [
    "CardLike",
    "card_data",
    "continual",
    "crossbar_writes",
    "familiarity",
    "fit",
    "load_crossbar",
    "load_device",
    "load_protocol",
    "memory",
    "netlist",
    "simulate",
    "spice_check",
    "sweep",
    "timescales",
    "train",
]
