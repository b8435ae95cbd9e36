"""The ``neuromorph`` command.

Every module in this package that defines ``register(subparsers)`` adds one sub-command; it
sets ``func`` on its parser to a callable ``(args) -> int``. User errors (bad cards, unphysical
values, missing data or tools) are printed as one clear message each and exit with status 2 —
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from ..config.units import UnitError
from ..config.yamlio import ConfigError

__all__ = ["main", "UserError"]


class UserError(Exception):
    """An error caused by the user's input; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuromorph",
        description="Emulate neuromorphic hardware from the device up: proton-transistor complex "
                    "synapses (Benna-Fusi chains), crossbars, memory experiments.",
        epilog="Example: neuromorph timescales devices/proton_transistor_5.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except (ConfigError, UnitError, UserError) as exc:
        print(f"neuromorph {args.command}: error:\n{exc}" if "\n" in str(exc)
              else f"neuromorph {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # output piped into a reader that stopped early (`neuromorph ... | head`): not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"neuromorph {args.command}: interrupted; finished work is kept, rerun to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
