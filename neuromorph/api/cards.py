"""Cards given as files or Python dicts, with dotted-path overrides (see :mod:`neuromorph.api`)."""

from __future__ import annotations

import copy
import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.yamlio import CardSource, ConfigError, read_card, validate_card

if TYPE_CHECKING:  # pragma: no cover - typing only

    from ..config.protocol_schema import ProtocolCard
    from ..crossbar.card import CrossbarConfig
    from ..devices.base import Device

#: a card: a path to a YAML file, or a mapping with the same content
CardLike = str | os.PathLike | Mapping

_DICT_CARD = "<dict>"
_OVERRIDE = "\0override"


# --------------------------------------------------------------------------------------------- cards

def _dotted(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword spellings (``gate__cycle_noise``) → dotted paths (``gate.cycle_noise``)."""
    return {str(key).replace("__", "."): value for key, value in overrides.items()}


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, Mapping):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(over)


def _mark(value: Any, path: tuple, location: tuple[str, int], lines: dict) -> None:
    """Record ``location`` for ``path`` and every path below it."""
    lines[path] = location
    if isinstance(value, Mapping):
        for key, item in value.items():
            _mark(item, path + (key,), location, lines)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _mark(item, path + (index,), location, lines)


def _plain(value: Any) -> Any:
    """Mappings and tuples as the dicts and lists YAML would give."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _source(card: CardLike, overrides: Mapping[str, Any] | None = None, base_dir: str | os.PathLike | None = None,
            check_override=None) -> CardSource:
    """The card's merged data and line map, with ``overrides`` applied."""
    from ..sweep.grid import _parts

    if isinstance(card, Mapping):
        folder = Path(base_dir) if base_dir is not None else Path.cwd()
        path = folder / _DICT_CARD
        data = _plain(card)
        lines: dict = {}
        if "base" in data:
            base_name = data.pop("base")
            if not isinstance(base_name, (str, os.PathLike)):
                raise ConfigError([f"base: expected a file name, got {base_name!r}"])
            base_path = folder / base_name
            if not base_path.exists():
                raise ConfigError([f"base: file {base_path} not found"])
            base = read_card(base_path)
            lines = dict(base.lines)
            data = _merge(base.data, data)
        for key, value in card.items():
            if key != "base":
                _mark(value, (str(key),), (str(path), 0), lines)
        source = CardSource(path=path, data=data, lines=lines)
    elif isinstance(card, (str, os.PathLike)):
        source = read_card(card)
    else:
        raise TypeError(f"a card is a path or a mapping, not {type(card).__name__}")
    for dotted, value in _dotted(overrides or {}).items():
        if check_override is not None:
            why = check_override(source.data, dotted)
            if why:
                raise ConfigError([f"{_card_name(source)}: override {dotted}: {why}"])
        parts = tuple(_parts(dotted))
        node: Any = source.data
        for part in parts:
            node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
        value = _plain(value)
        new = _merge(node, value) if isinstance(node, dict) and isinstance(value, Mapping) else value
        try:
            source.data = _apply(source.data, dotted, new)
        except KeyError:
            raise ConfigError([f"{_card_name(source)}: override {dotted}: no such field (a list index out of "
                               f"range, or a path through a plain value)"]) from None
        _mark(new, parts, (_OVERRIDE, 0), source.lines)
    return source


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _apply(data: dict, dotted: str, value: Any) -> dict:
    from ..sweep.grid import apply_override

    return apply_override(data, dotted, value)


def _card_name(source: CardSource) -> str:
    return "card" if source.path.name == _DICT_CARD else str(source.path)


def _clean(source: CardSource, problems: list[str]) -> list[str]:
    """Drop the ``file:line:`` of a dict card; name overridden fields as overrides."""
    out = []
    dict_prefix = re.compile(re.escape(str(source.path)) + r":\d+: ") if source.path.name == _DICT_CARD else None
    for problem in problems:
        if dict_prefix is not None:
            problem = dict_prefix.sub("", problem)
        out.append(problem.replace(f"{_OVERRIDE}:0: ", f"{_card_name(source)}: override "))
    return out


def _validated(source: CardSource, model: Any, build=None):
    """Validate (and optionally build) with every message cleaned by `_clean`."""
    try:
        card = validate_card(source, model)
        return card if build is None else build(card)
    except ConfigError as exc:
        raise ConfigError(_clean(source, exc.problems)) from None


def card_data(card: CardLike, /, base_dir: str | os.PathLike | None = None, **overrides: Any) -> dict:
    """The merged data of a card (``base:`` resolved, overrides applied), before validation.

    Parameters
    ----------
    card
        Path to a YAML card, or a mapping with the same content.
    base_dir
        Folder that relative paths in a mapping card (``base:``) are resolved from; default the
        working directory.
    **overrides
        Dotted-path overrides, ``a__b`` for ``a.b`` (see the module docstring).

    Returns
    -------
    dict
        A plain dict, as YAML would give it.
    """
    return copy.deepcopy(_source(card, overrides, base_dir).data)


def _name_of(card: CardLike, data: Mapping) -> str:
    if isinstance(card, Mapping):
        return str(data.get("name") or data.get("kind") or "card")
    return Path(card).stem


def load_device(card: CardLike, /, base_dir: str | os.PathLike | None = None, **overrides: Any) -> Device:
    """Read, validate and build a device card.

    Parameters
    ----------
    card
        Path to a device card (``devices/*.yaml``) or a mapping with the same fields.
    base_dir
        Folder for ``base:`` of a mapping card (default: the working directory).
    **overrides
        Card fields by dotted path (``**{"gate.cycle_noise": 0}`` or ``gate__cycle_noise=0``),
        checked like a sweep's grid fields.

    Returns
    -------
    Device
        A `neuromorph.devices.base.Device` (ideal chain, proton transistor or discrete
        stochastic synapse).

    Raises
    ------
    ConfigError
        One line per problem: ``file:line: field: expected … (got …)`` for files, the same
        without ``file:line:`` for mappings.

    Examples
    --------
    >>> import neuromorph as nm
    >>> device = nm.load_device("devices/proton_transistor_5.yaml", **{"gate.cycle_noise": 0})
    >>> device.n_variables
    5
    """
    from ..config.device_schema import DeviceCard
    from ..devices.loader import build_device
    from ..sweep.grid import check_path

    source = _source(card, overrides, base_dir, check_override=check_path)
    name = _name_of(card, source.data)

    def build(validated):
        try:
            return build_device(validated, name)
        except ValueError as exc:  # a physically impossible combination caught by the model layer
            file, line = source.where(())
            raise ConfigError([f"{file}:{line}: {exc}"]) from None

    return _validated(source, DeviceCard, build)


def load_protocol(card: CardLike, /, base_dir: str | os.PathLike | None = None, **overrides: Any) -> ProtocolCard:
    """Read and validate a pulse protocol card (``protocols/*.yaml``) for `simulate`.

    Parameters
    ----------
    card
        Path or mapping, e.g. ``{"segments": [{"train": {"pulses": 10, "interval": "1 s"}},
        {"relax": {"duration": "1 h"}}]}``.
    base_dir, **overrides
        As for `load_device` (``**{"segments.0.train.pulses": 20}``).

    Returns
    -------
    ProtocolCard
        The validated `neuromorph.config.protocol_schema.ProtocolCard`.
    """
    from ..config.protocol_schema import ProtocolCard

    return _validated(_source(card, overrides, base_dir), ProtocolCard)


def load_crossbar(card: CardLike, /, rows: int | None = None, columns: int | None = None,
                  base_dir: str | os.PathLike | None = None, **overrides: Any) -> CrossbarConfig:
    """Read and validate a crossbar card, load its device card and check the combination.

    Parameters
    ----------
    card
        Path to ``circuits/crossbar_*.yaml`` or a mapping; its ``device:`` is relative to the
        card's folder (``base_dir`` for a mapping, default the working directory).
    rows, columns
        Override the card's ``size`` (N_in × N_out weights).
    base_dir, **overrides
        As for `load_device` (``**{"dac.bits": 6}``).

    Returns
    -------
    CrossbarConfig
        Build the array with ``CrossbarArray(config, seed=…)``.
    """
    from ..crossbar.card import load_crossbar as _load

    source = _source(card, overrides, base_dir)
    try:
        config = _load(source.path, rows=rows, columns=columns, source=source)
    except ConfigError as exc:
        raise ConfigError(_clean(source, exc.problems)) from None
    if config.card.name is None and isinstance(card, Mapping):  # not the placeholder file name
        config = dataclasses.replace(config, card=config.card.model_copy(update={"name": "crossbar"}))
    return config


def _device(device: Device | CardLike) -> Device:
    return load_device(device) if isinstance(device, (str, os.PathLike, Mapping)) else device


# ---------------------------------------------------------------------------------------- experiments


def _card_label(card: CardLike) -> str:
    """What a Dataset's ``card`` attribute says: the path, or that the card was a dict."""
    return "(a Python dict)" if isinstance(card, Mapping) else str(card)


def _loaded(load, card: CardLike, overrides: Mapping[str, Any], base_dir):
    """``load(path, source=…)`` on a card given as a path or a dict, with cleaned messages."""
    source = _source(card, overrides, base_dir)
    try:
        return source, load(source.path, source=source)
    except ConfigError as exc:
        raise ConfigError(_clean(source, exc.problems)) from None
