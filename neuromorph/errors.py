"""The one hierarchy of expected failures, at the lowest layer so every layer can raise them.

Every error a user can cause (a bad card, option, output location, data set or resource request)
is a :class:`NeuromorphError`; the CLI catches exactly this hierarchy, prints ``str(err)`` and
exits with status 2. Anything else that escapes is a bug and is reported as an internal error
(exit 70). The classes keep the built-in bases (``ValueError`` / ``RuntimeError``) that callers
caught before the hierarchy existed.

``ConfigError``            a card (YAML file or dict) fails validation; one message per problem,
                           ``file:line: field: expected … (got …)``.
``InvalidParameterError``  a Python argument or CLI option out of range (names the option).
``UnstableStepError``      an explicit integrator asked for a step beyond its stability limit.
``ResourceError``          the work would need more memory or time than allowed (gives the estimate).
``OutputError``            an output location cannot be created or written.
``StoreError``             a sweep/training/familiarity store or checkpoint cannot be used
                           (``CorruptStoreError``: it fails its checksum or cannot be read back).
``DataUnavailableError``   an offline data set is missing (names the package that provides it).
``NgspiceError``           ngspice is missing or failed on a deck.
``ExecutorError``          a requested executor (Dask) is not installed or its scheduler is unreachable.

Every class accepts optional keyword context — ``file``, ``line``, ``field``, ``option`` — kept as
attributes for programs (the message itself already names them). Classes defined elsewhere before
the hierarchy existed are subclasses of these and keep their old import names:
``config.yamlio.ConfigError`` (is this ``ConfigError``), ``config.units.UnitError``,
``synapses.integrators.UnstableStepError``, ``sweep.store.StoreMismatch`` / ``StoreBusy`` /
``StoreCorrupt``, ``sweep.executors.DaskUnavailable``, ``spice.ngspice.NgspiceNotFound`` /
``NgspiceError``, ``cli.UserError`` (is :class:`NeuromorphError`).

Exit codes of the ``neuromorph`` command: 0 success, 2 user error (this hierarchy, or a bad
command line), 70 internal error (a bug: short message plus the path of a log with the traceback),
130 interrupted.
"""

from __future__ import annotations

__all__ = ["NeuromorphError", "ConfigError", "InvalidParameterError", "UnstableStepError", "ResourceError",
           "OutputError", "StoreError", "CorruptStoreError", "DataUnavailableError", "NgspiceError", "ExecutorError",
           "EXIT_OK", "EXIT_USER_ERROR", "EXIT_INTERNAL_ERROR", "EXIT_INTERRUPTED"]

EXIT_OK = 0
EXIT_USER_ERROR = 2          # argparse uses 2 for a bad command line too
EXIT_INTERNAL_ERROR = 70     # EX_SOFTWARE (sysexits.h)
EXIT_INTERRUPTED = 130       # 128 + SIGINT


class NeuromorphError(Exception):
    """Base of every expected (user-caused) failure. ``str(err)`` is the ready-to-print message.

    Optional keyword context (``file``, ``line``, ``field``, ``option``) is kept as attributes."""

    def __init__(self, *args, file: str | None = None, line: int | None = None, field: str | None = None,
                 option: str | None = None):
        super().__init__(*args)
        self.file = file
        self.line = line
        self.field = field
        self.option = option


class ConfigError(NeuromorphError, ValueError):
    """A user error in a card. ``problems`` holds one ready-to-print line per problem."""

    def __init__(self, problems: list[str] | str, **context):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems), **context)


class InvalidParameterError(NeuromorphError, ValueError):
    """An argument or option out of its allowed range; the message names it, the value and the range."""


class UnstableStepError(InvalidParameterError):
    """An explicit integrator was asked for a step above its stability limit."""


class ResourceError(NeuromorphError, ValueError):
    """The requested work would exceed memory or time limits; the message gives the estimate."""


class OutputError(NeuromorphError, ValueError):
    """An output location is unusable (under a file, unwritable, exists without --overwrite)."""


class StoreError(NeuromorphError, ValueError):
    """A results store or checkpoint is busy, mismatched or corrupt."""


class CorruptStoreError(StoreError):
    """A stored result or checkpoint fails its checksum or cannot be read back (named; callers
    discard it and compute it again)."""


class DataUnavailableError(NeuromorphError, RuntimeError):
    """An offline data set is not installed; the message says what to install."""


class NgspiceError(NeuromorphError, RuntimeError):
    """ngspice is missing or failed on a deck."""


class ExecutorError(NeuromorphError, ValueError):
    """A requested executor is not installed, or its scheduler cannot be reached."""
