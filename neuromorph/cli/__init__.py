"""The ``neuromorph`` command and its one error boundary.

Every module in this package that defines ``register(subparsers)`` adds one sub-command; it
sets ``func`` on its parser to a callable ``(args) -> int``.

Exit codes (see docs/errors.md):

* ``0``  — success;
* ``2``  — a user error: a bad command line (argparse), or any :class:`neuromorph.errors.NeuromorphError`
  raised by the work (bad card, option out of range, unusable output location, resource limit,
  busy/corrupt store, missing data or tool). One message, never a traceback;
* ``70`` — an internal error (EX_SOFTWARE): anything else that escapes is a bug. The terminal gets
  one short line and the path of a log file holding the full traceback;
* ``130`` — interrupted (Ctrl-C); finished work (stored sweep points, checkpoints) is kept.

``--debug`` (anywhere on the command line) or ``NEUROMORPH_DEBUG=1`` prints tracebacks for
developers. ``NEUROMORPH_LOG_DIR`` chooses where internal-error logs go (default
``$XDG_CACHE_HOME/neuromorph/logs`` or ``~/.cache/neuromorph/logs``, else the temp directory).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import pkgutil
import sys
import tempfile
import traceback
from pathlib import Path

from ..errors import EXIT_INTERNAL_ERROR, EXIT_INTERRUPTED, EXIT_USER_ERROR, NeuromorphError

__all__ = ["main", "build_parser", "subcommands", "UserError", "debug_enabled"]

#: Old name of the base of user errors; any :class:`NeuromorphError` is one.
UserError = NeuromorphError

DEBUG_FLAG = "--debug"


def debug_enabled(argv: list[str] | None = None) -> bool:
    """True if ``--debug`` is on the command line or ``NEUROMORPH_DEBUG`` is set to a true value."""
    if argv is not None and DEBUG_FLAG in _options_part(argv):
        return True
    return os.environ.get("NEUROMORPH_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def _options_part(argv: list[str]) -> list[str]:
    return argv[:argv.index("--")] if "--" in argv else argv


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuromorph",
        description="Emulate neuromorphic hardware from the device up: proton-transistor complex "
                    "synapses (Benna-Fusi chains), crossbars, memory experiments.",
        epilog="Example: neuromorph timescales devices/proton_transistor_5.yaml\n\n"
               "Exit codes: 0 success, 2 user error (one message, no traceback), 70 internal error "
               "(a bug; the traceback goes to a log file), 130 interrupted.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(DEBUG_FLAG, action="store_true",
                        help="show Python tracebacks (also NEUROMORPH_DEBUG=1); may be given anywhere")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def subcommands(parser: argparse.ArgumentParser | None = None) -> dict[str, argparse.ArgumentParser]:
    """Every registered sub-command name -> its parser (used by the contract tests)."""
    parser = parser or build_parser()
    for action in parser._actions:  # argparse keeps sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit code.

    A bad command line raises ``SystemExit(2)`` from argparse (``--help``: ``SystemExit(0)``)."""
    argv = [str(a) for a in (sys.argv[1:] if argv is None else argv)]
    debug = debug_enabled(argv)
    if DEBUG_FLAG in _options_part(argv):
        cut = argv.index("--") if "--" in argv else len(argv)
        argv = [a for a in argv[:cut] if a != DEBUG_FLAG] + argv[cut:]
    command = next((a for a in argv if not a.startswith("-")), "")
    try:
        parser = build_parser()
    except Exception as exc:  # a sub-command module that does not import is a bug
        return _internal_error(exc, command, argv, debug)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_usage(sys.stderr)
        print("neuromorph: error: give a command (neuromorph --help lists them)", file=sys.stderr)
        return EXIT_USER_ERROR
    name = f"neuromorph {args.command}"
    try:
        return int(args.func(args) or 0)
    except NeuromorphError as exc:
        if debug:
            traceback.print_exc()
        message = str(exc) or type(exc).__name__
        print(f"{name}: error:\n{message}" if "\n" in message else f"{name}: error: {message}", file=sys.stderr)
        return EXIT_USER_ERROR
    except MemoryError:
        if debug:
            traceback.print_exc()
        print(f"{name}: error: ran out of memory; make the problem smaller (fewer devices, synapses, "
              f"trials, points or a shorter protocol; see {name} --help)", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # output piped into a reader that stopped early (`neuromorph ... | head`): not an error
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # in-process runs with a captured stdout have no file descriptor
            pass
        return 0
    except KeyboardInterrupt:
        print(f"{name}: interrupted; finished work is kept, rerun to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _internal_error(exc, name, argv, debug)


def log_directory() -> Path:
    """Where internal-error logs are written (created on demand)."""
    if os.environ.get("NEUROMORPH_LOG_DIR"):
        return Path(os.environ["NEUROMORPH_LOG_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "neuromorph" / "logs"


def _write_log(exc: BaseException, argv: list[str]) -> Path | None:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (f"neuromorph internal error at {datetime.datetime.now().isoformat(timespec='seconds')}\n"
            f"command line: neuromorph {' '.join(argv)}\n"
            f"python {sys.version.split()[0]} on {sys.platform}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    for directory in (log_directory(), Path(tempfile.gettempdir()) / "neuromorph-logs"):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"internal-error-{stamp}-{os.getpid()}.log"
            path.write_text(text)
            return path
        except OSError:
            continue
    return None


def _internal_error(exc: BaseException, name: str, argv: list[str], debug: bool) -> int:
    name = name if name.startswith("neuromorph") else f"neuromorph {name}".rstrip()
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    log = _write_log(exc, argv)
    summary = f"{type(exc).__name__}: {exc}".splitlines()[0][:300] if str(exc) else type(exc).__name__
    where = f"full traceback in {log}" if log else "the traceback could not be written to a log file"
    print(f"{name}: internal error (a bug in neuromorph, not in your input): {summary}\n"
          f"  {where}; rerun with --debug to see it here. Please report it.", file=sys.stderr)
    return EXIT_INTERNAL_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
