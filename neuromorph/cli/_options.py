"""Shared command-line pieces: option types, output locations, resource estimates.

Every command uses these so that the same mistake gets the same message everywhere.

Option types (``type=`` for argparse)
    :func:`seed` (0 … 2³²−1), :func:`positive_int` / :func:`nonnegative_int` /
    :func:`bounded_int` (whole numbers, optionally with an upper bound), :func:`positive_float` /
    :func:`nonnegative_float` (finite numbers). argparse puts the option name in front of the
    message (``argument --seed: must be between 0 and 4294967295, got -1``) and exits with status 2
    before any work starts.

Output locations — the one policy for every command
    * ``-o PREFIX`` names files ``PREFIX.nc``, ``PREFIX.png`` … (a given ``.nc``/``.png`` suffix is
      dropped first, so ``-o out/run.nc`` also writes ``out/run.nc`` and ``out/run.png``);
    * ``-o DIR/`` (trailing slash) or an existing directory writes inside it, under the command's
      default file name;
    * ``-o ""`` is refused; missing parent directories are created;
    * the location is created and tested for writability *before* the computation starts
      (an output under a file, or in a read-only directory, is refused up front, exit 2);
    * **existing outputs are replaced, and the command says so** (``wrote out/run.nc (replaced the
      previous file)``); files are written atomically (:mod:`neuromorph.outputs`), so the previous
      file stays intact until the new one is complete. Stores that resume (sweep directories,
      checkpoints) are never replaced silently: they resume, or ``--restart`` starts afresh.

Resources
    :func:`check_memory` refuses work whose estimated memory exceeds what the machine has
    (``NEUROMORPH_MEMORY_LIMIT`` — bytes, or with a suffix such as ``4G`` — overrides the limit),
    naming the estimate and the option to change; :func:`check_steps` does the same for very long
    stepped integrations.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OutputError, ResourceError

__all__ = ["SEED_MAX", "seed", "positive_int", "nonnegative_int", "bounded_int", "positive_float",
           "nonnegative_float", "nonnegative_quantity", "add_seed_option", "OutputPrefix", "output_prefix", "output_directory",
           "output_file", "check_writable_directory", "available_memory_bytes", "check_memory",
           "check_steps", "format_bytes"]

#: seeds are 0 … 2**32 − 1 for every command (fits every RNG the toolkit and its kernels use)
SEED_MAX = 2**32 - 1


def _whole(text: str) -> int:
    try:
        return int(str(text).strip().replace("_", ""))
    except ValueError:
        pass
    try:  # 1e6 is a whole number too
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not math.isfinite(value) or value != int(value):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(value)


def bounded_int(minimum: int | None = None, maximum: int | None = None, what: str = "") -> Callable[[str], int]:
    """argparse type: a whole number in ``[minimum, maximum]`` (either bound may be None)."""

    def convert(text: str) -> int:
        value = _whole(text)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            if minimum is not None and value < minimum:
                span = f">= {minimum}"
            else:
                span = f"<= {maximum}"
            raise argparse.ArgumentTypeError(f"must be {span}{what}, got {value}")
        return value

    convert.__name__ = "whole number"
    return convert


seed = bounded_int(0, SEED_MAX)
seed.__name__ = "seed"
seed.__doc__ = f"argparse type: a random seed, a whole number from 0 to {SEED_MAX}."

positive_int = bounded_int(1)
positive_int.__doc__ = "argparse type: a whole number >= 1."
nonnegative_int = bounded_int(0)
nonnegative_int.__doc__ = "argparse type: a whole number >= 0."


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = _number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def nonnegative_float(text: str) -> float:
    """argparse type: a finite number >= 0."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def nonnegative_quantity(dimension) -> Callable[[str], float]:
    """argparse type: a quantity >= 0 with units (``'10 s'``, ``'5 min'``; a bare number is SI)."""
    from ..config.units import UnitError, parse_quantity

    def convert(text: str) -> float:
        try:
            value = parse_quantity(text, dimension)
        except UnitError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if not value >= 0:
            raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
        return value

    convert.__name__ = f"{dimension.name or 'quantity'} >= 0"
    return convert


def add_seed_option(parser: argparse.ArgumentParser, default: int | None = 0, help: str | None = None) -> None:
    """``--seed N`` with the common range check (same seed -> same numbers)."""
    parser.add_argument("--seed", type=seed, default=default, metavar="N",
                        help=help or f"random seed, 0 to {SEED_MAX} (default {default}); same seed, same numbers")


# ---------------------------------------------------------------------------------------------
# output locations


def check_writable_directory(directory: Path, option: str = "--output") -> None:
    """Create ``directory`` (and parents) and prove it writable by creating and removing a file."""
    directory = Path(directory)
    for parent in [directory, *directory.parents]:
        if parent.exists() and not parent.is_dir():
            raise OutputError(f"{option} {directory}: cannot create a directory there, {parent} is a file",
                              option=option, file=str(directory))
        if parent.exists():
            break
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{option} {directory}: cannot create the directory ({exc.strerror or exc})",
                          option=option, file=str(directory)) from None
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".neuromorph-write-test-"):
            pass
    except OSError as exc:
        raise OutputError(f"{option} {directory}: directory is not writable ({exc.strerror or exc})",
                          option=option, file=str(directory)) from None


def _nonempty(value: str | os.PathLike | None, option: str) -> str | None:
    if value is None:
        return None
    text = os.fspath(value)
    if not text.strip():
        raise OutputError(f"{option}: empty output location; give a path such as out/run", option=option)
    if "\0" in text:
        raise OutputError(f"{option}: the output location contains a NUL character", option=option)
    return text


def _means_directory(text: str) -> bool:
    return text.endswith(("/", os.sep)) or Path(text).is_dir()


@dataclass
class OutputPrefix:
    """The files of one run, ``prefix + suffix`` each, checked before the work starts."""

    prefix: Path
    suffixes: tuple[str, ...]
    option: str = "--output"
    existing: set = field(default_factory=set)

    def path(self, suffix: str) -> Path:
        """``PREFIX + suffix`` (e.g. ``.nc``, ``.png``, ``_ladder.cir``)."""
        return self.prefix.with_name(self.prefix.name + suffix)

    def wrote(self, path: str | Path) -> str:
        """The line to print after writing ``path``: says when an earlier file was replaced."""
        path = Path(path)
        return f"wrote {path} (replaced the previous file)" if path in self.existing else f"wrote {path}"


def output_prefix(value: str | os.PathLike | None, default: str | Path, suffixes: Sequence[str] = (".nc", ".png"),
                  option: str = "--output") -> OutputPrefix:
    """Resolve ``-o`` for a command that writes ``PREFIX.nc``, ``PREFIX.png`` …; check it now.

    ``default`` is the prefix used without ``-o``; its last part is also the file name used for
    ``-o DIR/``. See the module docstring for the policy."""
    text = _nonempty(value, option)
    default = Path(default)
    if text is None:
        prefix = default
    elif _means_directory(text):
        prefix = Path(text) / default.name
    else:
        prefix = Path(text)
        for suffix in suffixes:
            if suffix.startswith(".") and prefix.name.endswith(suffix) and len(prefix.name) > len(suffix):
                prefix = prefix.with_name(prefix.name[: -len(suffix)])
                break
    target = OutputPrefix(prefix=prefix, suffixes=tuple(suffixes), option=option)
    check_writable_directory(prefix.parent, option)
    for suffix in suffixes:
        path = target.path(suffix)
        if path.is_dir():
            raise OutputError(f"{option}: {path} is a directory; give another output prefix", option=option,
                              file=str(path))
        if path.exists():
            target.existing.add(path)
    return target


def output_file(value: str | os.PathLike | None, default: str | Path, option: str = "--output") -> OutputPrefix:
    """Resolve ``-o FILE`` for a command that writes one main file (extra files get suffixes on
    its stem, e.g. ``deck_ladder.cir``); ``-o DIR/`` writes ``DIR/<default name>``."""
    text = _nonempty(value, option)
    default = Path(default)
    if text is None:
        path = default
    elif _means_directory(text):
        path = Path(text) / default.name
    else:
        path = Path(text)
    suffix = path.suffix  # the file is written under exactly the name given
    target = OutputPrefix(prefix=path.with_suffix("") if suffix else path, suffixes=(suffix,), option=option)
    check_writable_directory(target.prefix.parent, option)
    main = target.path(suffix)
    if main.is_dir():
        raise OutputError(f"{option}: {main} is a directory; give a file name", option=option, file=str(main))
    if main.exists():
        target.existing.add(main)
    return target


def output_directory(value: str | os.PathLike | None, default: str | Path, option: str = "--output") -> Path:
    """Resolve ``-o DIR`` for a command that writes a directory of results; create and test it now."""
    text = _nonempty(value, option)
    directory = Path(text) if text is not None else Path(default)
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{option} {directory}: is a file, not a directory", option=option, file=str(directory))
    check_writable_directory(directory, option)
    return directory


# ---------------------------------------------------------------------------------------------
# resources

_SIZE = re.compile(r"^\s*([0-9.]+(?:[eE][-+]?\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*$")


def format_bytes(n: float) -> str:
    """``1.5 GiB``-style size."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.3g} EiB"  # pragma: no cover


def _parse_size(text: str) -> int | None:
    match = _SIZE.match(text)
    if not match:
        return None
    scale = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)


def available_memory_bytes() -> int:
    """Memory this process may still use: ``NEUROMORPH_MEMORY_LIMIT`` if set, else the smaller of
    the kernel's MemAvailable and the cgroup limit (Linux), else total physical memory."""
    override = os.environ.get("NEUROMORPH_MEMORY_LIMIT")
    if override and _parse_size(override) is not None:
        return _parse_size(override)
    candidates = []
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    candidates.append(int(line.split()[1]) * 1024)
    except OSError:
        pass
    for cgroup in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(cgroup).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            candidates.append(int(text))
    if not candidates:
        try:
            candidates.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError, AttributeError):
            return 2**63
    return min(candidates)


def check_memory(needed_bytes: float, what: str, hint: str, fraction: float = 0.8) -> None:
    """Refuse (``ResourceError``) if ``needed_bytes`` exceeds ``fraction`` of the available memory.

    ``what`` names the work ("simulate: 100000000 devices x 5 compartments x 2001 samples"),
    ``hint`` the option to change ("lower --devices")."""
    available = available_memory_bytes()
    if not math.isfinite(needed_bytes) or needed_bytes > fraction * available:
        raise ResourceError(f"{what} would need about {format_bytes(needed_bytes)} of memory, more than "
                            f"{fraction:.0%} of the {format_bytes(available)} available; {hint}")


def check_steps(n_steps: float, seconds_per_step: float, what: str, hint: str, limit_steps: float = 1e9,
                allow: bool = False) -> str:
    """For stepped integrations: refuse above ``limit_steps`` unless ``allow``; return a one-line
    estimate ("2.0e+08 steps, about 40 s") to print before starting."""
    expected = n_steps * seconds_per_step
    note = f"{n_steps:.3g} steps, expected to take about {_duration(expected)}"
    if not allow and (not math.isfinite(n_steps) or n_steps > limit_steps):
        raise ResourceError(f"{what}: {note} (limit {limit_steps:.3g} steps); {hint}")
    return note


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "forever"
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"
