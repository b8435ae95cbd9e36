"""Schema of network cards (``circuits/mlp_*.yaml``) and continual-learning cards
(``circuits/continual_*.yaml``). The pydantic models are the file format; unknown fields,
unknown rules, sizes that do not fit the data set and bad schedules are refused before any
work, as ``file:line: field: message (got …)``.

Network card::

    kind: network
    name: mlp_digits_rules
    dataset: {name: digits, validation: 0.1}   # digits | fashion_mnist; validation fraction of train
    layers: [64, 100, 100, 10]                 # inputs, hidden…, classes (must fit the data set)
    activation: relu                           # relu | tanh | sigmoid
    weights: ideal                             # float weights (the reference), or on arrays:
    # weights: {crossbar: crossbar_16x16_pt5.yaml, weight_decay: relaxation, ir_drop: false}
    # weights: {crossbar: crossbar_compare_single.yaml, cells_per_weight: 8}  # mean of 8 arrays
    # or per layer: weights: [{crossbar: crossbar_16x16_pt5.yaml}, ideal]  (layer l: W_l and its feedback)
    # timing: {update_slot: 50 ms, between_epochs: 10 min}   # device time (default: the crossbar card's)
    batch_size: 64
    epochs: 100
    seed: 0
    rules:                                     # one run per entry (same data order and init seed)
      - kind: pfa                              # bp | fa | dfa | kp | pfa
        learning_rate: 0.1
        momentum: 0.9
        lr_schedule: {milestones: [], factor: 0.5}            # epochs
        weight_decay: {value: 1e-4, initial: 1e-2, initial_steps: 938}   # optimiser steps
        expansion: 10                          # PFA: n_r = k·n_l
        feedback_init: gaussian                # PFA B: gaussian | uniform | orthogonal | identity

Continual card::

    kind: continual
    network: mlp_digits_rules.yaml             # relative to this card: layers, rules, batch size
    tasks: {kind: permuted, count: 5}          # permuted | split (scenario: task | class)
    epochs_per_task: 10
    dataset: digits                            # optional: overrides the network card's data set
    seed: 0
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)

from .device_schema import Strict
from .quantities import NonNegativeQuantity, PositiveQuantity
from .units import TIME
from .yamlio import CardSource, ConfigError, read_card, validate_card

__all__ = ["CrossbarWeights", "ComparisonSubstrate", "MAX_CELLS_PER_WEIGHT", "TrainingTiming", "DatasetSpec", "LearningRateSchedule", "WeightDecaySchedule", "RuleCard", "NetworkCard",
           "TaskSequence", "ContinualCard", "ComparisonCard", "load_network_card", "load_continual_card",
           "load_comparison_card", "layer_substrates", "on_arrays", "describe_substrates",
           "DATASET_SHAPES"]

#: inputs and classes of each offline data set (neuromorph.tasks.datasets.DATASETS mirrors this)
DATASET_SHAPES = {"digits": (64, 10), "fashion_mnist": (784, 10)}


class DatasetSpec(Strict):
    name: Literal["digits", "fashion_mnist"] = "digits"
    validation: float = Field(0.1, ge=0.0, lt=0.9, description="fraction of the training set held out")


class LearningRateSchedule(Strict):
    """η × ``factor`` at every epoch listed in ``milestones`` (0-based epochs, increasing)."""

    milestones: list[int] = []
    factor: float = Field(0.5, gt=0.0, le=1.0)

    @field_validator("milestones")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(m < 1 for m in value):
            raise ValueError("milestones are epochs >= 1 at which the learning rate drops")
        if any(b <= a for a, b in zip(value, value[1:])):
            raise ValueError("milestones must be strictly increasing")
        return value


class WeightDecaySchedule(Strict):
    """λ = ``initial`` for the first ``initial_steps`` optimiser steps, then ``value``."""

    value: float = Field(1e-4, ge=0.0, lt=1.0)
    initial: float | None = Field(None, ge=0.0, lt=1.0)
    initial_steps: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _consistent(self):
        if self.initial_steps > 0 and self.initial is None:
            raise ValueError("initial_steps is given but initial (the decay of those steps) is not")
        if self.initial is not None and self.initial_steps == 0:
            raise ValueError("initial is given but initial_steps is 0: give the number of optimiser steps")
        return self


class RuleCard(Strict):
    kind: Literal["bp", "fa", "dfa", "kp", "pfa"]
    label: str | None = None
    learning_rate: float = Field(gt=0.0, le=10.0)
    momentum: float = Field(0.9, ge=0.0, lt=1.0)
    lr_schedule: LearningRateSchedule = LearningRateSchedule()
    weight_decay: WeightDecaySchedule = WeightDecaySchedule()
    expansion: int = Field(10, ge=1, le=1000)
    feedback_init: Literal["gaussian", "uniform", "orthogonal", "identity"] = "gaussian"

    @model_validator(mode="after")
    def _identity(self):
        if self.feedback_init == "identity" and self.expansion != 1:
            raise ValueError("feedback_init identity needs expansion 1 (B = I is n_l x n_l)")
        return self

    @property
    def name(self) -> str:
        return self.label or self.kind


#: the most replicas of one weight (``cells_per_weight``): every replica is a whole array
MAX_CELLS_PER_WEIGHT = 64
CELLS_PER_WEIGHT = ("m independent cells per weight (m arrays of the card, each its own seed), read as their mean "
                    "and each written with its own pulses: the matched-variables baseline of Benna & Fusi (2016); "
                    "1 = one cell per weight")


class CrossbarWeights(Strict):
    """Every learned matrix on its own crossbar array: the card resized to the matrix, each array
    its own seed. ``cells_per_weight`` m > 1: every learned matrix is the mean of m such arrays
    (:mod:`neuromorph.learning.replicated`). Weight decay on arrays: ``relaxation`` (the devices'
    leak plays λ; no decay pulses) or ``explicit`` (pulses for −ηλW once per batch)."""

    crossbar: str = Field(description="crossbar card (circuits/crossbar_*.yaml), relative to the network card")
    cells_per_weight: int = Field(1, ge=1, le=MAX_CELLS_PER_WEIGHT, description=CELLS_PER_WEIGHT)
    weight_decay: Literal["relaxation", "explicit"] = "relaxation"
    ir_drop: bool = False
    read_noise: bool = True

    @model_serializer(mode="wrap")
    def _one_cell_as_before(self, handler):
        """``cells_per_weight`` is written only where it is not 1, so the fingerprints of cards
        (and so the checkpoints of runs) from before the field existed stay valid."""
        data = handler(self)
        if self.cells_per_weight == 1 and isinstance(data, dict):
            data.pop("cells_per_weight", None)
        return data


def _by_shape(value) -> str:
    """Which member of a substrate union a value means: a string (``ideal`` or a card path), a
    mapping or a validated model (a substrate with options: serialisation asks too) or a list (one substrate per layer) — so that a bad value
    is reported against the member it was meant as, not against every member. (Capitalised tags:
    :func:`~neuromorph.config.yamlio.path_is_tag` leaves them out of the reported field path.)"""
    if isinstance(value, list):
        return "List"
    return "Options" if isinstance(value, (dict, Strict)) else "Name"


LayerSubstrate = Annotated[Annotated[Literal["ideal"], Tag("Name")] | Annotated[CrossbarWeights, Tag("Options")],
                           Discriminator(_by_shape)]


class TrainingTiming(Strict):
    """Device time of a training run on arrays: one update slot per sample's write (default the
    crossbar card's ``timing.update``) and a pause after every epoch."""

    update_slot: PositiveQuantity(TIME) | None = None
    between_epochs: NonNegativeQuantity(TIME) = 0.0


class NetworkCard(Strict):
    kind: Literal["network"] = "network"
    name: str | None = None
    description: str = ""
    dataset: DatasetSpec = DatasetSpec()
    layers: list[int] = Field(min_length=2)
    activation: Literal["relu", "tanh", "sigmoid"] = "relu"
    weights: Annotated[Annotated[Literal["ideal"], Tag("Name")] | Annotated[CrossbarWeights, Tag("Options")]
                       | Annotated[list[LayerSubstrate], Tag("List")], Discriminator(_by_shape)] = "ideal"
    timing: TrainingTiming = TrainingTiming()
    batch_size: int = Field(64, ge=1, le=65536)
    epochs: int = Field(ge=1, le=100_000)
    seed: int = 0
    rules: list[RuleCard] = Field(min_length=1)

    @field_validator("layers")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(n < 1 for n in value):
            raise ValueError("every layer needs at least one unit")
        return value


class TaskSequence(Strict):
    kind: Literal["permuted", "split"]
    count: int = Field(ge=2, le=100)
    scenario: Literal["task", "class"] | None = None

    @model_validator(mode="after")
    def _scenario(self):
        if self.kind == "split" and self.scenario is None:
            raise ValueError("split tasks need scenario: task (multi-head) or class (single head)")
        if self.kind == "permuted" and self.scenario is not None:
            raise ValueError("scenario applies only to split tasks (permuted tasks share one head)")
        return self


class ContinualCard(Strict):
    kind: Literal["continual"] = "continual"
    name: str | None = None
    description: str = ""
    network: str = Field(description="network card, relative to this card")
    dataset: Literal["digits", "fashion_mnist"] | None = None
    tasks: TaskSequence
    epochs_per_task: int = Field(ge=1, le=10_000)
    seed: int = 0


def _problem(source, path: tuple, message: str) -> str:
    from .yamlio import format_path

    file, line = source.where(path)
    return f"{file}:{line}: {format_path(path)}: {message}"


def check_network(card: NetworkCard, source, dataset: str | None = None) -> list[str]:
    """Cross-field checks with the line of the offending field."""
    problems = []
    name = dataset or card.dataset.name
    n_in, n_classes = DATASET_SHAPES[name]
    if card.layers[0] != n_in:
        problems.append(_problem(source, ("layers", 0), f"expected {n_in} inputs for {name} "
                                 f"({'8x8' if n_in == 64 else '28x28'} pixels) (got {card.layers[0]})"))
    if card.layers[-1] != n_classes:
        problems.append(_problem(source, ("layers", len(card.layers) - 1),
                                 f"expected {n_classes} outputs, one per class of {name} (got {card.layers[-1]})"))
    if isinstance(card.weights, list) and len(card.weights) != len(card.layers) - 1:
        problems.append(_problem(source, ("weights",), f"expected one substrate per layer ({len(card.layers) - 1} "
                                 f"for layers {card.layers}) (got {len(card.weights)})"))
    if on_arrays(card):
        for i, rule in enumerate(card.rules):
            if rule.momentum:
                problems.append(_problem(source, ("rules", i, "momentum"), "rules on crossbar arrays train with plain "
                                         f"SGD (each sample's change is a pulse write); set momentum: 0 (got {rule.momentum})"))
    labels = [r.name for r in card.rules]
    for i, rule in enumerate(card.rules):
        if labels.count(rule.name) > 1:
            problems.append(_problem(source, ("rules", i, "label" if rule.label else "kind"),
                                     f"two rules are called {rule.name!r}; give each a distinct label"))
        late = [m for m in rule.lr_schedule.milestones if m >= card.epochs]
        if late:
            problems.append(_problem(source, ("rules", i, "lr_schedule", "milestones"),
                                     f"milestones {late} are not before the last epoch (epochs: {card.epochs}); "
                                     "drop them or train longer"))
    return problems


def load_network_card(path: str | Path, source: CardSource | None = None) -> tuple[NetworkCard, object]:
    """Validate a network card; returns (card, its CardSource). ``source`` is the card's already
    read data (cards built from Python dicts, :mod:`neuromorph.api`)."""
    source = read_card(path) if source is None else source
    if source.data.get("kind", "network") != "network":
        raise ConfigError([_problem(source, ("kind",), f"expected 'network' (got {source.data.get('kind')!r}); "
                                    "neuromorph train reads network cards (circuits/mlp_*.yaml)")])
    card = validate_card(source, NetworkCard)
    problems = check_network(card, source)
    if problems:
        raise ConfigError(problems)
    return _resolve_crossbar(card, source), source


def layer_substrates(card: NetworkCard) -> list:
    """The substrate of every layer (1..L): 'ideal' or a :class:`CrossbarWeights`."""
    if isinstance(card.weights, list):
        return list(card.weights)
    return [card.weights] * (len(card.layers) - 1)


def on_arrays(card: NetworkCard) -> bool:
    """Whether any layer of the network lives on crossbar arrays."""
    return any(w != "ideal" for w in layer_substrates(card))


def _resolve_crossbar(card: NetworkCard, source) -> NetworkCard:
    """Crossbar card paths made relative to the working directory (they are written relative
    to the network card that states them); a missing file is refused here."""
    if not on_arrays(card):
        return card
    entries = card.weights if isinstance(card.weights, list) else [card.weights]
    resolved, problems = [], []
    for i, entry in enumerate(entries):
        if entry == "ideal":
            resolved.append(entry)
            continue
        where = ("weights", i, "crossbar") if isinstance(card.weights, list) else ("weights", "crossbar")
        stated_in = Path(source.where(where)[0])
        path = stated_in.parent / entry.crossbar
        if not path.is_file():
            problems.append(_problem(source, where, f"file {entry.crossbar!r} not found (resolved to {path}; "
                                     f"relative to {stated_in.parent}/)"))
        resolved.append(entry.model_copy(update={"crossbar": str(path)}))
    if problems:
        raise ConfigError(problems)
    return card.model_copy(update={"weights": resolved if isinstance(card.weights, list) else resolved[0]})


def describe_substrates(card: NetworkCard) -> str:
    """'ideal', 'crossbar X' or one entry per layer."""
    names = ["ideal" if w == "ideal" else f"crossbar {w.crossbar}" + (f" x {w.cells_per_weight} cells per weight"
                                                                       if w.cells_per_weight > 1 else "")
             for w in layer_substrates(card)]
    return names[0] if len(set(names)) == 1 else "; ".join(f"layer {i + 1}: {n}" for i, n in enumerate(names))


def load_continual_card(path: str | Path, source: CardSource | None = None) -> tuple[ContinualCard, NetworkCard, Path]:
    """Validate a continual card and the network card it names; returns (card, network, network path).
    ``source`` is the card's already read data (cards built from Python dicts, :mod:`neuromorph.api`)."""
    path = Path(path)
    source = read_card(path) if source is None else source
    if source.data.get("kind", "continual") != "continual":
        raise ConfigError([_problem(source, ("kind",), f"expected 'continual' (got {source.data.get('kind')!r}); "
                                    "neuromorph continual reads continual cards (circuits/continual_*.yaml)")])
    card = validate_card(source, ContinualCard)
    stated_in = Path(source.where(("network",))[0])
    net_path = stated_in.parent / card.network
    if not net_path.is_file():
        raise ConfigError([_problem(source, ("network",), f"file {card.network!r} not found (resolved to "
                                    f"{net_path}; relative to {stated_in.parent}/)")])
    net_source = read_card(net_path)
    network = validate_card(net_source, NetworkCard)
    problems = check_network(network, net_source, card.dataset)
    if not problems:
        network = _resolve_crossbar(network, net_source)
    n_classes = DATASET_SHAPES[card.dataset or network.dataset.name][1]
    if card.tasks.kind == "split" and n_classes % card.tasks.count:
        problems.append(_problem(source, ("tasks", "count"), f"{n_classes} classes cannot be split into "
                                 f"{card.tasks.count} equal tasks; use a divisor of {n_classes} (2 or 5) "
                                 f"(got {card.tasks.count})"))
    if problems:
        raise ConfigError(problems)
    return card, network, net_path


class ComparisonSubstrate(Strict):
    """A comparison substrate on arrays with options: ``{crossbar: card, cells_per_weight: m}``."""

    crossbar: str = Field(description="crossbar card (circuits/crossbar_*.yaml), relative to the comparison card")
    cells_per_weight: int = Field(1, ge=1, le=MAX_CELLS_PER_WEIGHT, description=CELLS_PER_WEIGHT)


class ComparisonCard(Strict):
    """The same continual run on several weight substrates, for several rules, each at its best
    learning rate from a small search (chosen on the validation split)::

        kind: continual_comparison
        continual: continual_permuted_digits_small.yaml   # task sequence + network (relative)
        substrates:                                       # label: ideal | crossbar card (relative)
          float: ideal                                    #   | {crossbar: card, cells_per_weight: m}
          proton_transistor_m5: crossbar_16x16_pt5.yaml
          single_timescale_m8: {crossbar: crossbar_compare_single.yaml, cells_per_weight: 8}
        rules: [bp, pfa]
        learning_rates: [0.03, 0.1, 0.3]
        seed: 0
    """

    kind: Literal["continual_comparison"] = "continual_comparison"
    name: str | None = None
    description: str = ""
    continual: str = Field(description="continual card, relative to this card")
    substrates: dict[str, Annotated[Annotated[str, Tag("Name")] | Annotated[ComparisonSubstrate, Tag("Options")],
                                    Discriminator(_by_shape)]] = Field(min_length=1)
    rules: list[Literal["bp", "fa", "dfa", "kp", "pfa"]] = Field(min_length=1)
    learning_rates: list[float] = Field(min_length=1)
    expansion: int = Field(10, ge=1, le=1000)
    seed: int = 0

    @field_validator("learning_rates")
    @classmethod
    def _rates(cls, value: list[float]) -> list[float]:
        if any(not 0 < v <= 10 for v in value):
            raise ValueError("learning rates must be in (0, 10]")
        if len(set(value)) != len(value):
            raise ValueError("learning rates must be distinct")
        return value


def load_comparison_card(path: str | Path, source: CardSource | None = None):
    """Validate a comparison card, its continual card and network card, and resolve every
    substrate's crossbar card; returns (card, continual, network, {label: substrate}) with substrate
    None (float weights), a crossbar card path, or ``{"crossbar": path, "cells_per_weight": m}``
    for m > 1 cells per weight.
    ``source`` is the card's already read data (cards built from Python dicts, :mod:`neuromorph.api`)."""
    path = Path(path)
    source = read_card(path) if source is None else source
    card = validate_card(source, ComparisonCard)
    here = Path(source.where(("continual",))[0]).parent
    continual_path = here / card.continual
    if not continual_path.is_file():
        raise ConfigError([_problem(source, ("continual",), f"file {card.continual!r} not found (resolved to "
                                    f"{continual_path})")])
    continual, network, _ = load_continual_card(continual_path)
    substrates, problems = {}, []
    for label, value in card.substrates.items():
        if value == "ideal":
            substrates[label] = None
            continue
        name = value if isinstance(value, str) else value.crossbar
        where = ("substrates", label) if isinstance(value, str) else ("substrates", label, "crossbar")
        crossbar = Path(source.where(where)[0]).parent / name
        if not crossbar.is_file():
            problems.append(_problem(source, where, f"crossbar card {name!r} not found (resolved "
                                     f"to {crossbar}); give 'ideal' or a crossbar card"))
        m = 1 if isinstance(value, str) else value.cells_per_weight
        substrates[label] = str(crossbar) if m == 1 else {"crossbar": str(crossbar), "cells_per_weight": m}
    if problems:
        raise ConfigError(problems)
    return card, continual, network, substrates
