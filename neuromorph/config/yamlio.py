"""Reading YAML cards with line numbers, ``base:`` inheritance and readable validation errors.

Every user-facing card (device, protocol, circuit, sweep) goes through :func:`load_card`:

1. the YAML is parsed while the line of every key and list item is remembered;
2. ``base: other.yaml`` (relative to the card) loads another card first and deep-merges this one
   over it — mappings merge key by key, everything else is replaced;
3. the merged data is validated by a pydantic model (the schema);
4. any failure becomes one :class:`ConfigError` per problem, each naming file, line, field path,
   the offending value and what was expected. The CLI prints these without a traceback.

Hostile input is refused with the file named, before anything big is built: a file that is not
UTF-8 text (binary, other encodings), a directory, a symlink loop, an empty card, a top level that
is a list or a scalar, keys that are not plain names, nesting deeper than :data:`MAX_DEPTH`, and
YAML aliases / merge keys (``<<: *base``) that would expand to more than :data:`MAX_EXPANDED_NODES`
values (an "alias bomb") or refer to themselves.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import ConfigError  # the hierarchy's ConfigError, importable from here under its old name

__all__ = ["ConfigError", "load_each", "CardSource", "read_card", "load_card", "validate_card", "format_path",
           "model_candidates", "model_for"]

#: a card whose aliases expand to more values than this is refused (the shipped cards have < 500)
MAX_EXPANDED_NODES = 100_000
#: nesting depth limit of mappings/lists in a card
MAX_DEPTH = 64
#: largest card file read (bytes)
MAX_CARD_BYTES = 10 * 2**20

Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")
Location = tuple[str, int]  # (file, 1-based line)


@dataclass
class CardSource:
    """Raw data of a card after ``base:`` merging, and where each value came from."""

    path: Path
    data: dict[str, Any]
    lines: dict[tuple, Location]

    def where(self, field_path: tuple) -> Location:
        """The file and line of ``field_path``, or of its nearest ancestor that has one."""
        path = tuple(field_path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return (str(self.path), 1)


def format_path(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<card>"


def _expanded_size(root: yaml.Node, file: str) -> None:
    """Refuse node graphs whose aliases expand too much, refer to themselves, or nest too deep.

    Aliased nodes are shared in the graph; the size a consumer would walk is computed once per
    node (linear in the distinct nodes), so a billion-laughs card is refused in microseconds."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def children(node):
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                yield key_node
                yield value_node
        elif isinstance(node, yaml.SequenceNode):
            yield from node.value

    def size(node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        line = node.start_mark.line + 1
        if key in active:
            raise ConfigError([f"{file}:{line}: an alias refers to the node that contains it (recursive YAML); "
                               f"write the values out"], file=file, line=line)
        if depth > MAX_DEPTH:
            raise ConfigError([f"{file}:{line}: nested more than {MAX_DEPTH} levels deep; cards are shallow "
                               f"mappings of fields"], file=file, line=line)
        active.add(key)
        total = 1
        for child in children(node):
            total += size(child, depth + 1)
            if total > MAX_EXPANDED_NODES:
                raise ConfigError([f"{file}:{line}: YAML aliases/merge keys here expand to more than "
                                   f"{MAX_EXPANDED_NODES:,} values (an alias bomb?); write the values out"],
                                  file=file, line=line)
        active.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _record_lines(node: yaml.Node, path: tuple, file: str, lines: dict, problems: list) -> None:
    """Remember the line of every key and list item (on the node graph as composed, before
    construction flattens merge keys); report duplicate and non-scalar keys."""
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:  # ``<<: *base`` — its keys count only where not given here
                merged.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(f"{file}:{key_node.start_mark.line + 1}: {format_path(path)}: a key must be a "
                                f"plain name, not a {'list' if isinstance(key_node, yaml.SequenceNode) else 'mapping'}")
                continue
            key = key_node.value
            here = path + (key,)
            if key in seen:
                problems.append(f"{file}:{key_node.start_mark.line + 1}: {format_path(here)}: "
                                f"duplicate key {key!r}; each key may appear once")
            seen.add(key)
            lines[here] = (file, key_node.start_mark.line + 1)
            _record_lines(value_node, here, file, lines, problems)
        for source in merged:
            if isinstance(source, yaml.MappingNode):
                inherited: dict = {}
                _record_lines(source, path, file, inherited, [])
                for key, where in inherited.items():
                    if key[len(path)] not in seen:
                        lines.setdefault(key, where)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = (file, item.start_mark.line + 1)
            _record_lines(item, path + (index,), file, lines, problems)


def _read_text(path: Path) -> str:
    """The card's text; every way of not being a readable UTF-8 text file is a ConfigError."""
    file = str(path)
    try:
        if path.is_dir():
            raise ConfigError([f"{file}: is a directory, not a card file"], file=file)
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CARD_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError([f"{file}: file not found"], file=file) from None
    except OSError as exc:
        raise ConfigError([f"{file}: cannot read file ({exc.strerror or exc})"], file=file) from None
    if len(raw) > MAX_CARD_BYTES:
        raise ConfigError([f"{file}: larger than {MAX_CARD_BYTES // 2**20} MiB; not a card"], file=file)
    if b"\0" in raw:
        raise ConfigError([f"{file}: a binary file (contains NUL bytes), not a YAML card"], file=file)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError([f"{file}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                           f"save the card as UTF-8"], file=file, line=line) from None
    return text.removeprefix("\ufeff")


def _yaml_problem(file: str, exc: yaml.YAMLError) -> ConfigError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        context = f"{context} that starts at line {context_mark.line + 1}"
    detail = f"{problem} ({context})" if context and context not in problem else problem
    return ConfigError([f"{file}:{line}: not valid YAML: {detail}"], file=file, line=line)


def _parse(path: Path) -> tuple[Any, dict]:
    file = str(path)
    text = _read_text(path)
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            lines: dict = {}
            problems: list[str] = []
            if node is not None:
                _expanded_size(node, file)
                _record_lines(node, (), file, lines, problems)  # before construction flattens merge keys
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_problem(file, exc) from None
    except ConfigError:
        raise
    except RecursionError:
        raise ConfigError([f"{file}: nested too deeply to read; cards are shallow mappings of fields"],
                          file=file) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. unhashable merge keys, absurd timestamps
        raise ConfigError([f"{file}: cannot read this YAML: {exc}"], file=file) from None
    if problems:
        raise ConfigError(problems)
    return data, lines


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return over


def read_card(path: str | Path, _chain: tuple = ()) -> CardSource:
    """Parse a card and resolve its ``base:`` chain (without schema validation)."""
    path = Path(path)
    file = str(path)
    try:
        resolved = path.resolve()
    except (RuntimeError, OSError) as exc:  # symlink loop
        raise ConfigError([f"{file}: cannot read file ({exc})"], file=file) from None
    if resolved in _chain:
        cycle = " -> ".join(str(p) for p in _chain + (path.resolve(),))
        raise ConfigError([f"{file}:1: base: cards extend each other in a cycle ({cycle})"])
    data, lines = _parse(path)
    if data is None:
        raise ConfigError([f"{file}:1: the card is empty; expected a mapping of fields (key: value)"], file=file)
    if not isinstance(data, dict):
        got = {"list": "a list", "str": "a single text value", "int": "a number", "float": "a number",
               "bool": "true/false"}.get(type(data).__name__, type(data).__name__)
        raise ConfigError([f"{file}:1: expected a mapping of fields (key: value) at the top level, "
                           f"got {got}"], file=file, line=1)
    if "base" in data:
        base_name = data.pop("base")
        where = lines.get(("base",), (file, 1))
        if not isinstance(base_name, str):
            raise ConfigError([f"{where[0]}:{where[1]}: base: expected a file name, got {base_name!r}"])
        base_path = (path.parent / base_name)
        if not base_path.exists():
            raise ConfigError([f"{where[0]}:{where[1]}: base: file {base_path} not found"])
        base = read_card(base_path, _chain + (resolved,))
        data = _merge(base.data, data)
        lines = {**base.lines, **{k: v for k, v in lines.items() if k != ("base",)}}
    return CardSource(path=path, data=data, lines=lines)


def _data_path(data: Any, loc: tuple) -> tuple:
    """Keep only the parts of a pydantic ``loc`` that index into the data (drops union tags)."""
    path: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif path and part == path[-1]:  # a union member's tag repeating the field name
            continue
        elif isinstance(node, dict) and isinstance(part, str) and not path_is_tag(part, node):
            # a missing or unknown field: still name it
            path.append(part)
            node = None
    return tuple(path)


def path_is_tag(part: str, node: dict) -> bool:
    """pydantic puts the discriminator value (e.g. ``benna_fusi``) and model names in ``loc``."""
    return part in node.values() or part[:1].isupper() or part.startswith("function-")


def validate_card(source: CardSource, model: Any, context: str = "") -> Any:
    """Validate ``source.data`` against ``model`` (a pydantic model or any annotated type such as
    a discriminated union); raise :class:`ConfigError` naming each problem."""
    try:
        return TypeAdapter(model).validate_python(source.data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            path = _data_path(source.data, err["loc"])
            file, line = source.where(path)
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                allowed = _allowed_fields(model, path[:-1], source.data)
                message = f"unknown field{'; expected one of: ' + ', '.join(allowed) if allowed else ''}"
            elif err["type"] == "missing":
                message = "required field is missing"
            elif err["type"] == "union_tag_not_found":
                path = path + (err["ctx"]["discriminator"].strip("'"),)
                message = f"required field is missing; expected one of: {_tags(model, path[:-1], source.data)}"
            elif err["type"] == "union_tag_invalid":
                path = path + (err["ctx"]["discriminator"].strip("'"),)
                file, line = source.where(path)
                message = f"unknown kind {err['ctx']['tag']!r}; expected one of: {err['ctx']['expected_tags']}"
            path, message = _relocate(source, path, message)
            file, line = source.where(path)
            value = err.get("input")
            shown = "" if err["type"] in _NO_VALUE or isinstance(value, dict) else f" (got {value!r})"
            problems.append(f"{file}:{line}: {context}{format_path(path)}: {message}{shown}")
        raise ConfigError(problems) from None


_NO_VALUE = {"missing", "union_tag_not_found", "union_tag_invalid"}
_LEADING_FIELD = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?:\s*\([^)]*\))?:\s+")


def _relocate(source: CardSource, path: tuple, message: str) -> tuple[tuple, str]:
    """A check on a whole model (e.g. "one list entry per compartment") names the field it is about
    at the start of its message; point at that field's own line instead of the model's."""
    match = _LEADING_FIELD.match(message)
    if not match:
        return path, message
    candidate = path + tuple(match.group(1).split("."))
    if candidate not in source.lines:
        return path, message
    return candidate, message[match.end():]


def _tags(model: Any, parent: tuple, data: Any) -> str:
    """The ``kind`` values a union accepts at ``parent``."""
    models = model_candidates(_annotation_at(model, parent, data))
    tags = [t for cand in models if "kind" in cand.model_fields
            for t in typing.get_args(cand.model_fields["kind"].annotation)]
    return ", ".join(repr(t) for t in tags)


def _annotation_at(model: Any, parent: tuple, data: Any) -> Any:
    current: Any = model
    node = data
    for part in parent:
        current = model_for(current, node)
        node = node.get(part) if isinstance(node, dict) else None
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            return None
        current = current.model_fields[part].annotation
    return current


def _allowed_fields(model: Any, parent: tuple, data: Any) -> list[str]:
    """Field names accepted at ``parent`` (best effort: follows nested models and ``kind`` tags)."""
    node = data
    for part in parent:
        node = node[part] if isinstance(node, (dict, list)) else None
    resolved = model_for(_annotation_at(model, parent, data), node)
    return sorted(resolved.model_fields) if resolved is not None else []


def model_candidates(annotation: Any) -> list[type[BaseModel]]:
    """Every pydantic model class inside an annotation (through unions, Annotated, Optional)."""
    candidates = [annotation]
    resolved = []
    while candidates:
        ann = candidates.pop()
        args = typing.get_args(ann)
        if args and typing.get_origin(ann) is not None:
            candidates.extend(args)
        elif isinstance(ann, type) and issubclass(ann, BaseModel):
            resolved.append(ann)
    return resolved


def model_for(annotation: Any, node: Any) -> type[BaseModel] | None:
    """The model class an annotation means for this data: the only candidate, the union member
    whose ``kind`` tag matches, or for an untagged union the member that has all the keys."""
    resolved = model_candidates(annotation)
    if len(resolved) == 1:
        return resolved[0]
    kind = node.get("kind") if isinstance(node, dict) else None
    for cand in resolved:
        tag = cand.model_fields.get("kind")
        if tag is not None and kind in typing.get_args(tag.annotation):
            return cand
    if isinstance(node, dict):  # untagged union (e.g. capacity: {volume} | {capacitance})
        for cand in resolved:
            if set(node) <= set(cand.model_fields):
                return cand
    return None


def load_card(path: str | Path, model: Any) -> Any:
    """Read, merge and validate a card in one call."""
    return validate_card(read_card(path), model)


def load_each(items, load: Callable[[Any], T]) -> list[T]:
    """``[load(item) for item in items]``, but every bad card is reported, not only the first:
    the problems of all failing items are raised together as one :class:`ConfigError`."""
    loaded, problems = [], []
    for item in items:
        try:
            loaded.append(load(item))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return loaded
