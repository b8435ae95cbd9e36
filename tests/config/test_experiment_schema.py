"""One vocabulary for the memory experiment: the settings schema is the sweep card's
``experiment:`` block, the run settings and the ``neuromorph memory`` options use its names, and
one method vocabulary (auto | theory | monte_carlo | both) is understood everywhere."""

import argparse
from pathlib import Path

import numpy as np
import pytest

from neuromorph.cli import build_parser
from neuromorph.config.experiment_schema import METHODS, MemoryExperiment, normalise_method, resolve_method
from neuromorph.config.sweep_schema import SweepCard
from neuromorph.config.yamlio import ConfigError
from neuromorph.devices.base import ChainDevice
from neuromorph.devices.loader import load_device
from neuromorph.synapses.chain import LinearChain
from neuromorph.sweep.grid import plan_sweep
from neuromorph.tasks.memory import MemoryConfig, run_memory_point

ROOT = Path(__file__).resolve().parents[2]


def test_the_sweep_experiment_block_is_the_memory_experiment_schema():
    assert SweepCard.model_fields["experiment"].annotation is MemoryExperiment


@pytest.mark.parametrize("written,meant", [("mean_field", "theory"), ("mc", "monte_carlo"), ("auto", "auto"),
                                           ("both", "both"), ("theory", "theory"), ("monte_carlo", "monte_carlo")])
def test_one_method_vocabulary_with_the_older_spellings(written, meant):
    assert MemoryExperiment(method=written).method == meant
    assert normalise_method(written) == meant
    assert set(METHODS) == {"auto", "theory", "monte_carlo", "both"}


def test_auto_is_the_theory_where_it_exists():
    assert resolve_method("auto", theory_applicable=True) == "theory"
    assert resolve_method("auto", theory_applicable=False) == "monte_carlo"
    with pytest.raises(ValueError, match="auto, theory, monte_carlo, both"):
        normalise_method("mean-field-ish")


def test_an_unknown_method_in_a_sweep_card_names_its_line(tmp_path):
    card = tmp_path / "s.yaml"
    card.write_text(f"kind: sweep\ndevice: {ROOT}/devices/benna_fusi_m8.yaml\ngrid: {{event_size: [1, 2]}}\n"
                    "experiment:\n  method: meanfield\n")
    with pytest.raises(ConfigError) as err:
        plan_sweep(card)
    assert f"{card}:5: experiment.method" in str(err.value)


def test_run_settings_use_the_schema_names():
    exp = MemoryExperiment(synapses=321, trials=3, rate="2 Hz", events="per-step", criterion=2.0, duration="1 min",
                           burn_in="5 s", theory_devices=7)
    config = MemoryConfig.from_experiment(exp, n_ages=9)
    assert (config.synapses, config.trials, config.rate, config.events, config.criterion, config.duration,
            config.burn_in, config.theory_devices, config.n_ages) == (321, 3, 2.0, "per_step", 2.0, 60.0, 5.0, 7, 9)
    # the older constructor name still works and means the same
    assert MemoryConfig(n_synapses=321).synapses == MemoryConfig(synapses=321).n_synapses == 321
    assert config.replace(trials=5).trials == 5 and config.replace(trials=5).synapses == 321


def test_memory_options_are_named_after_the_schema_fields():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    memory = sub.choices["memory"]
    dests = {a.dest for a in memory._actions}
    schema = set(MemoryExperiment.model_fields)
    shared = {"synapses", "trials", "rate", "events", "criterion", "duration", "burn_in", "method"}
    assert shared <= dests and shared <= schema


def test_one_experiment_function_picks_the_method_per_device():
    """auto: the ideal chain gets the (exact) theory, a bounded chain Monte-Carlo only."""
    config = MemoryConfig(synapses=50, trials=2, rate=1.0, duration=5.0, n_ages=3)
    ages = np.array([0.5, 1.0, 2.0])
    free = run_memory_point(load_device(ROOT / "devices/benna_fusi_m8.yaml"), config, ages, "auto")
    assert free.method == "theory" and free.monte_carlo is None and free.theory.exact
    bounded = ChainDevice("bounded", LinearChain([1.0], [0.1]), 1.0, bounds=(-3.0, 3.0))
    point = run_memory_point(bounded, config, ages, "auto", monte_carlo_seed=1)
    assert point.method == "monte_carlo" and point.theory is None and point.monte_carlo["snr"].size == 3
    both = run_memory_point(bounded, config, ages, "both", monte_carlo_seed=1)
    assert both.theory is None and "Monte-Carlo only" in both.theory_note
    np.testing.assert_array_equal(both.monte_carlo["snr"].values, point.monte_carlo["snr"].values)
