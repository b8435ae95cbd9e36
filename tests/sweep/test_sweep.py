"""Sweep planning, validation before work, executors (same numbers whatever runs them), store."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neuromorph.analysis.memory_theory import predict_memory
from neuromorph.config.yamlio import ConfigError
from neuromorph.sweep import compute_point, point_seed, point_tasks, run_sweep
from neuromorph.sweep.executors import DASK_HINT, DaskUnavailable, ExecutorSpec, run_tasks
from neuromorph.sweep.grid import apply_override, plan_sweep
from neuromorph.sweep.store import PointStore, StoreBusy, StoreMismatch

ROOT = Path(__file__).resolve().parents[2]
DEVICES = ROOT / "devices"


def write_card(tmp_path: Path, body: str, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body.replace("DEVICES", str(DEVICES)))
    return path


SMALL = """\
kind: sweep
name: small
device: DEVICES/benna_fusi_m8.yaml
grid:
  n_variables: [2, 4]
  couplings.ratio: [0.4, 0.6]
experiment:
  method: both
  synapses: 50
  trials: 4
  rate: 1 Hz
  duration: 20 s
  ages: {first: 0.5 s, last: 20 s, count: 6}
seed: 3
"""


def test_shipped_cards_plan_in_card_order():
    plan = plan_sweep(ROOT / "circuits/sweep_benna_fusi_m_x_ratio.yaml")
    assert plan.fields == ["n_variables", "couplings.ratio"] and plan.shape == (8, 4)
    assert [p.index for p in plan.points] == list(range(32))
    # the last field varies fastest
    assert plan.points[1].values == {"n_variables": 1, "couplings.ratio": 0.35}
    assert plan.points[4].values == {"n_variables": 2, "couplings.ratio": 0.25}
    np.testing.assert_allclose(plan.coords["couplings.ratio"], [0.25, 0.35, 0.5, 0.7])
    proton = plan_sweep(ROOT / "circuits/sweep_proton_length_x_compartments.yaml")
    np.testing.assert_allclose(proton.coords["diffusion_length"], [0.5e-6, 1e-6, 2e-6, 4e-6, 8e-6])
    assert proton.units["diffusion_length"] == "m"
    assert proton.points[0].device_data["diffusion_length"] == "0.5 um"
    assert proton.points[0].device_data["gate"]["saturation"] == "soft"  # the rest of the card is kept


def test_fingerprint_depends_on_card_and_seed(tmp_path):
    card = write_card(tmp_path, SMALL)
    a, b = plan_sweep(card), plan_sweep(card, seed=4)
    assert a.fingerprint != b.fingerprint and a.fingerprint == plan_sweep(card).fingerprint
    other = write_card(tmp_path, SMALL.replace("trials: 4", "trials: 5"), "other.yaml")
    assert plan_sweep(other).fingerprint != a.fingerprint


def test_unknown_dotted_path_is_refused_with_line_and_allowed_fields(tmp_path):
    card = write_card(tmp_path, SMALL.replace("couplings.ratio: [0.4, 0.6]",
                                              "couplings.ratio: [0.4]\n  event_sise: [1, 2]\n  bounds.uper: [1]"))
    with pytest.raises(ConfigError) as err:
        plan_sweep(card)
    text = str(err.value)
    assert f"{card}:7: grid.event_sise: unknown field 'event_sise'" in text
    assert "expected one of:" in text and "event_size" in text
    assert "grid.bounds.uper: unknown field 'uper' of bounds; expected one of: lower, upper" in text


def test_empty_grid_and_empty_value_list_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="grid: the grid is empty"):
        plan_sweep(write_card(tmp_path, "device: DEVICES/benna_fusi_m8.yaml\ngrid: {}\n"))
    with pytest.raises(ConfigError, match=r"sweep.yaml:3: grid.n_variables: empty list of values"):
        plan_sweep(write_card(tmp_path, "device: DEVICES/benna_fusi_m8.yaml\ngrid:\n  n_variables: []\n"))


def test_unphysical_values_are_refused_naming_point_field_and_line(tmp_path):
    card = write_card(tmp_path, (
        "device: DEVICES/proton_transistor_5.yaml\n"
        "grid:\n"
        "  diffusion_length:\n"
        "    - 1 um\n"
        "    - -2 um\n"
        "    - 3 s\n"
        "  compartments: [2, 0]\n"))
    with pytest.raises(ConfigError) as err:
        plan_sweep(card)
    problems = err.value.problems
    assert any(p.startswith(f"{card}:5: sweep point 2 (diffusion_length=-2 um, compartments=2): diffusion_length: "
                            "must be > 0 m") for p in problems), problems
    assert any(f"{card}:6: sweep point 4 (diffusion_length=3 s, compartments=2): diffusion_length:" in p
               and "expected length" in p for p in problems)
    assert any(f"{card}:7: sweep point 1 (diffusion_length=1 um, compartments=0): compartments:" in p for p in problems)


def test_physically_impossible_device_is_refused(tmp_path):
    # a chain whose internal coupling is 0 is rejected by the model layer; named per point
    card = write_card(tmp_path, "device: DEVICES/benna_fusi_m8.yaml\ngrid:\n  couplings: [[0.25, 0, 1, 1, 1, 1, 1, 1]]\n")
    with pytest.raises(ConfigError, match=r"sweep point 0 \(couplings=\[0.25, 0, 1"):
        plan_sweep(card)


def test_mean_field_method_is_refused_for_bounded_devices(tmp_path):
    card = write_card(tmp_path, "device: DEVICES/single_timescale.yaml\ngrid:\n  bounds:\n    - {lower: -1, upper: 1}\n"
                                "experiment: {method: mean_field}\n")
    with pytest.raises(ConfigError, match="mean_field is impossible for a device with bounds"):
        plan_sweep(card)


def test_apply_override_copies_and_creates_missing_mappings():
    data = {"kind": "proton_transistor", "gate": {"width": "1 ms"}, "capacities": [1, 2, 3]}
    out = apply_override(data, "gate.width", "2 ms")
    out = apply_override(out, "variation.capacity", 0.1)
    out = apply_override(out, "capacities.1", 5)
    assert data == {"kind": "proton_transistor", "gate": {"width": "1 ms"}, "capacities": [1, 2, 3]}
    assert out["gate"]["width"] == "2 ms" and out["variation"] == {"capacity": 0.1} and out["capacities"] == [1, 5, 3]


def test_point_seed_depends_only_on_seed_and_index():
    assert point_seed(1, 5) == point_seed(1, 5)
    assert len({point_seed(1, i) for i in range(100)} | {point_seed(2, 0)}) == 101


def test_compute_point_is_pure_and_matches_direct_theory(tmp_path):
    plan = plan_sweep(write_card(tmp_path, SMALL))
    task = point_tasks(plan, [3])[0]
    a, b = compute_point(task), compute_point(dict(task))
    for key in ("snr_mc", "snr_theory", "timescales"):
        np.testing.assert_array_equal(a[key], b[key])
    # the theory curve is the mean field of the device with the overrides (m = 4, ratio 0.6)
    from neuromorph.devices.base import ChainDevice
    from neuromorph.synapses.chain import LinearChain

    device = ChainDevice("x", LinearChain(2.0 ** np.arange(4), 0.25 * 0.6 ** np.arange(4)), 1.0)
    np.testing.assert_allclose(a["snr_theory"], predict_memory(device, plan.ages, 50, 1.0).snr, rtol=1e-10)
    np.testing.assert_allclose(a["timescales"], device.chain.timescales(), rtol=1e-10)


@pytest.mark.parametrize("events", ["poisson", "per_step"])
def test_point_numbers_do_not_depend_on_the_thread_count(tmp_path, events):
    # executors differ only in numba threads per task (serial: all, workers: one); 4096 rows
    # engage the parallel kernel builds, whose per-synapse arithmetic is thread-independent
    body = (SMALL.replace("synapses: 50", "synapses: 1024").replace("method: both", "method: monte_carlo")
            .replace("rate: 1 Hz", f"rate: 1 Hz\n  events: {events}"))
    plan = plan_sweep(write_card(tmp_path, body))
    task = point_tasks(plan, [1])[0]
    try:
        one = compute_point({**task, "threads": 1})
        many = compute_point({**task, "threads": 2})
    finally:
        from neuromorph.kernels import set_thread_count

        set_thread_count(None)
    np.testing.assert_array_equal(one["snr_mc"], many["snr_mc"])
    assert one["lifetime_mc"] == many["lifetime_mc"] or (np.isnan(one["lifetime_mc"]) and np.isnan(many["lifetime_mc"]))


def test_serial_pool_and_dask_give_identical_numbers(tmp_path):
    # Same seed → identical numbers whichever executor runs it (DESIGN §4.7). Each point draws
    # from SeedSequence(seed, spawn_key=(index,)); workers use one numba thread, serial all.
    plan = plan_sweep(write_card(tmp_path, SMALL))
    serial, _ = run_sweep(plan, tmp_path / "serial", ExecutorSpec("serial"), progress=False, log=None)
    pool, _ = run_sweep(plan, tmp_path / "pool", ExecutorSpec("pool", 2), progress=False, log=None)
    dask, _ = run_sweep(plan, tmp_path / "dask", ExecutorSpec("dask", 2), progress=False, log=None)
    assert np.isfinite(serial["snr_mc"].values).any() and np.isfinite(serial["snr_theory"].values).all()
    xr.testing.assert_identical(serial, pool)
    xr.testing.assert_identical(serial, dask)
    assert serial["snr_mc"].dims == ("n_variables", "couplings_ratio", "age")
    assert serial["couplings_ratio"].attrs["path"] == "couplings.ratio"


def test_resumed_store_computes_only_missing_points(tmp_path):
    plan = plan_sweep(write_card(tmp_path, SMALL.replace("method: both", "method: mean_field")))
    store = PointStore(tmp_path / "out", plan.fingerprint).open()
    first = compute_point(point_tasks(plan, [0])[0])
    store.write(0, first)
    store.close()
    computed = []
    import neuromorph.sweep as sweep_module

    original = sweep_module.compute_point

    def counting(task):
        computed.append(task["index"])
        return original(task)

    sweep_module.compute_point = counting
    try:
        ds, stats = run_sweep(plan, tmp_path / "out", ExecutorSpec("serial"), progress=False, log=None)
    finally:
        sweep_module.compute_point = original
    assert sorted(computed) == [1, 2, 3] and stats.already_done == 1 and stats.computed == 3
    np.testing.assert_array_equal(ds["snr"].values[0, 0], first["snr"])


def test_store_refuses_results_of_another_card_or_seed(tmp_path):
    PointStore(tmp_path, "aaaa", {"seed": 1, "card": "x.yaml"}).open().close()
    with pytest.raises(StoreMismatch, match=r"seed: 1 \(stored\) vs 2 \(now\).*--restart"):
        PointStore(tmp_path, "bbbb", {"seed": 2, "card": "x.yaml"}).open()
    store = PointStore(tmp_path, "aaaa").open()
    store.write(0, {"index": 0, "ages": np.ones(2), "snr": np.ones(2), "method": "mean_field"})
    store.close()
    restarted = PointStore(tmp_path, "bbbb").open(restart=True)
    assert restarted.done() == set()
    restarted.close()


def test_store_lock_refuses_a_live_run_and_takes_over_a_stale_one(tmp_path):
    (tmp_path / "points").mkdir()
    (tmp_path / "lock").write_text(str(os.getppid()))  # a live process
    with pytest.raises(StoreBusy, match="in use by a running sweep"):
        PointStore(tmp_path, "f").open()
    (tmp_path / "lock").write_text("999999999")  # no such process: a killed run
    store = PointStore(tmp_path, "f").open()
    assert (tmp_path / "lock").read_text() == str(os.getpid())
    store.close()
    assert not (tmp_path / "lock").exists()


def test_store_write_is_atomic(tmp_path, monkeypatch):
    store = PointStore(tmp_path, "f").open()
    result = {"index": 0, "ages": np.ones(3), "snr": np.arange(3.0), "method": "x", "compute_time_s": 0.1}

    def broken(handle, **arrays):
        handle.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError):
        store.write(0, result)
    assert list((tmp_path / "points").iterdir()) == [] and store.done() == set()
    monkeypatch.undo()
    store.write(0, result)
    back = store.read(0)
    np.testing.assert_array_equal(back["snr"], result["snr"])
    assert back["method"] == "x" and store.done() == {0}
    store.close()


def test_missing_dask_gives_the_install_hint(without_dask):
    with pytest.raises(DaskUnavailable, match=r"pip install neuromorph\[dask\]"):
        run_tasks(lambda t: t, [{"index": 0}], ExecutorSpec("dask", 1), lambda r: None)
    assert DASK_HINT == "pip install neuromorph[dask]"
