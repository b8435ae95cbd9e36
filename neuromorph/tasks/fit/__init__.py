"""``neuromorph fit``: from measured traces to a device card (see docs/fitting.md).

:func:`fit_measurements` fits dotted card fields to all traces of a
:class:`~neuromorph.config.measurement_schema.Measurement` at once with the exact gate-drive model;
:func:`fitted_card_text` writes the result as a card that ``base:``-s the original.
"""

from .card import fitted_card_text, write_fitted_card
from .forward import predict_traces, trace_drive
from .solve import FitParameter, FitResult, fit_measurements

__all__ = ["fit_measurements", "FitResult", "FitParameter", "fitted_card_text", "write_fitted_card",
           "predict_traces", "trace_drive"]
