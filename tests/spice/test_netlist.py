"""Deck generation: element counts, node merging, validation, and that
ngspice parses and runs every deck variant without errors."""

import re
from collections import Counter

import numpy as np
import pytest

from neuromorph.crossbar.irdrop import WireParameters
from neuromorph.spice.netlist import (
    CROSSBAR_RAW_FILE,
    PulseSource,
    crossbar_deck,
    rc_ladder_deck,
)
from neuromorph.spice.ngspice import NgspiceNotFound, find_ngspice, run_deck


def _elements(deck: str) -> list[list[str]]:
    """Element lines (not title, comments, dot-cards or the control block)."""
    lines = deck.splitlines()[1:]
    out, in_control = [], False
    for ln in lines:
        s = ln.strip()
        if s.lower().startswith(".control"):
            in_control = True
        if in_control:
            if s.lower().startswith(".endc"):
                in_control = False
            continue
        if not s or s.startswith(("*", ".")):
            continue
        out.append(s.split())
    return out


def _prefix_counts(deck: str) -> Counter:
    return Counter(re.match(r"[A-Za-z]+", e[0]).group(0) for e in _elements(deck))


G35 = np.arange(1, 16, dtype=float).reshape(3, 5) * 1e-5
WIRES = WireParameters(r_row_ohm=2.0, r_col_ohm=3.0, r_driver_ohm=1.0, r_sense_ohm=4.0)


@pytest.mark.parametrize("transposed", [False, True])
def test_crossbar_element_counts_full(transposed):
    n_in, n_out = G35.shape
    v = np.linspace(0.1, 0.3, n_out if transposed else n_in)
    deck = crossbar_deck(G35, v, WIRES, transposed=transposed)
    c = _prefix_counts(deck)
    n_src = n_out if transposed else n_in
    n_sense = n_in if transposed else n_out
    assert c == Counter(
        Rcell=n_in * n_out, Rrow=n_in * n_out, Rcol=n_in * n_out,
        Rdrv=n_src, Rsense=n_sense, Vin=n_src, Vsense=n_sense,
    )
    assert deck.rstrip().endswith(".end")
    assert deck.splitlines()[0] == "neuromorph crossbar"
    assert "* array: N_in = 3 rows x N_out = 5 columns" in deck
    assert "r_row_ohm = 2, r_col_ohm = 3, r_driver_ohm = 1, r_sense_ohm = 4" in deck
    assert re.search(r"^\.op$", deck, re.M)
    assert f"write {CROSSBAR_RAW_FILE}" in deck
    # every element line has a name, two distinct nodes and a value
    for e in _elements(deck):
        assert len(e) in (3 + 1, 3 + 2) and e[1] != e[2], e
    # deterministic
    assert deck == crossbar_deck(G35, v, WIRES, transposed=transposed)


def test_crossbar_cell_values_and_nodes():
    deck = crossbar_deck(G35, np.full(3, 0.2), WIRES)
    els = {e[0]: e for e in _elements(deck)}
    assert els["Rcell_2_4"][1:3] == ["row2_4", "col2_4"]
    assert float(els["Rcell_2_4"][3]) == 1 / G35[2, 4]
    assert els["Rrow_1_0"][1:3] == ["rowend1", "row1_0"]
    assert els["Rrow_1_3"][1:3] == ["row1_2", "row1_3"]
    assert els["Rcol_2_4"][1:3] == ["col2_4", "colend4"]
    assert els["Vsense_4"][1:] == ["sa4", "0", "DC", "0"]
    # values round-trip exactly
    assert float(els["Rcell_0_1"][3]) == 1 / G35[0, 1]


def test_crossbar_zero_cells_omitted_and_zero_wires_merged():
    G = G35.copy()
    G[0, 0] = G[2, 3] = 0.0
    deck = crossbar_deck(G, np.full(3, 0.2), WireParameters(r_row_ohm=0.0, r_col_ohm=3.0, r_driver_ohm=0.0, r_sense_ohm=4.0))
    c = _prefix_counts(deck)
    assert c["Rcell"] == 13 and c["Rrow"] == 0 and c["Rdrv"] == 0 and c["Rcol"] == 15 and c["Rsense"] == 5
    els = {e[0]: e for e in _elements(deck)}
    # r_row = r_driver = 0: the cells hang directly on the source node
    assert els["Rcell_1_2"][1] == "in1"
    assert "Rcell_0_0" not in els
    assert "0 cells" not in deck and "(2 cells with G = 0 omitted)" in deck


def test_crossbar_all_ideal_deck():
    deck = crossbar_deck(G35, np.full(3, 0.2), WireParameters())
    assert _prefix_counts(deck) == Counter(Rcell=15, Vin=3, Vsense=5)
    els = {e[0]: e for e in _elements(deck)}
    assert els["Rcell_1_2"][1:3] == ["in1", "sa2"]


def test_crossbar_deck_validation():
    with pytest.raises(ValueError, match=r"v_in must have shape \(3,\).*got shape \(5,\)"):
        crossbar_deck(G35, np.ones(5), WIRES)
    with pytest.raises(ValueError, match=r"v_in must have shape \(5,\).*got shape \(3,\)"):
        crossbar_deck(G35, np.ones(3), WIRES, transposed=True)
    with pytest.raises(ValueError, match=">= 0"):
        crossbar_deck(-G35, np.ones(3), WIRES)
    with pytest.raises(ValueError, match="2-D"):
        crossbar_deck(np.ones(4), np.ones(4), WIRES)
    with pytest.raises(ValueError, match="single input vector"):
        crossbar_deck(G35, np.ones((3, 2)), WIRES)
    with pytest.raises(TypeError, match="WireParameters"):
        crossbar_deck(G35, np.ones(3), {"r_row_ohm": 1.0})


# --------------------------------------------------------------------------- #
# RC ladder deck
# --------------------------------------------------------------------------- #
PULSE = PulseSource(v_low_v=0.0, v_high_v=1.0, delay_s=1e-3, rise_s=1e-5, fall_s=1e-5, width_s=2e-3)


def test_ladder_deck_contents():
    C = [1e-9, 2e-9, 4e-9]
    g = [1e-6, 5e-7, 0.0]
    deck = rc_ladder_deck(C, g, PULSE, 1e5, 1e-2, 1e-5)
    c = _prefix_counts(deck)
    assert c == Counter(C=3, R=2, Rsrc=1, Vsrc=1)  # R1, R2; zero leak omitted
    els = {e[0]: e for e in _elements(deck)}
    assert els["R1"][1:] == ["n1", "n2", "1000000"]
    assert els["Rsrc"][1:] == ["src", "n1", "100000"]
    assert "Rleak" not in els
    assert "Vsrc src 0 PULSE(0 1 0.001 1e-05 1e-05 0.002 0.1)" in deck
    assert re.search(r"^\.tran 1e-05 0.01 0 1e-05$", deck, re.M)
    assert ".ic" not in deck and "UIC" not in deck
    assert "reltol=1e-6" in deck
    deck_ic = rc_ladder_deck(C, [1e-6, 5e-7, 1e-7], PULSE, 1e5, 1e-2, 1e-5, initial_voltages_v=[0.1, 0.2, 0.3])
    assert "Rleak n3 0 10000000" in deck_ic
    assert ".ic v(n1)=0.1 v(n2)=0.2 v(n3)=0.3" in deck_ic
    assert re.search(r"^\.tran .* UIC$", deck_ic, re.M)


def test_pulse_source_waveform_and_breakpoints():
    p = PulseSource(0.1, 0.9, delay_s=1.0, rise_s=0.5, fall_s=0.25, width_s=2.0, period_s=5.0)
    t = np.array([0.0, 1.0, 1.25, 1.5, 3.0, 3.5, 3.625, 3.75, 6.0, 6.25, 6.5])
    np.testing.assert_allclose(p.value(t), [0.1, 0.1, 0.5, 0.9, 0.9, 0.9, 0.5, 0.1, 0.1, 0.5, 0.9])
    np.testing.assert_allclose(p.breakpoints(7.0), [1.0, 1.5, 3.5, 3.75, 6.0, 6.5])
    assert "PULSE(0.1 0.9 1 0.5 0.25 2 5)" == p.spice(10.0)
    single = PulseSource(0.0, 1.0, 1.0, 0.5, 0.5, 1.0)
    assert single.value(np.array([100.0]))[0] == 0.0
    assert single.spice(10.0).endswith(" 100)")  # period > any simulated time


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(capacitances_f=[1e-9, -1e-9]), "capacitances_f must be finite and > 0"),
        (dict(capacitances_f=[]), "non-empty"),
        (dict(conductances_s=[1e-6]), r"same shape as capacitances_f \(2,\).*got shape \(1,\)"),
        (dict(conductances_s=[1e-6, -1.0]), "conductances_s must be finite and >= 0"),
        (dict(source_resistance_ohm=0.0), "source_resistance_ohm must be finite and > 0"),
        (dict(t_stop_s=-1.0), "t_stop_s"),
        (dict(t_step_s=1.0), "t_step_s must be <= t_stop_s"),
        (dict(initial_voltages_v=[0.0]), r"initial_voltages_v must have shape \(2,\)"),
        (dict(conductances_s=[0.0, 1e-6]), "disconnects nodes n2..n2 at DC"),
    ],
)
def test_ladder_deck_validation(kwargs, match):
    args = dict(
        capacitances_f=[1e-9, 2e-9], conductances_s=[1e-6, 1e-7], source=PULSE,
        source_resistance_ohm=1e5, t_stop_s=1e-2, t_step_s=1e-5,
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        rc_ladder_deck(**args)


def test_ladder_zero_interior_conductance_ok_with_initial_voltages():
    deck = rc_ladder_deck([1e-9, 2e-9], [0.0, 1e-7], PULSE, 1e5, 1e-2, 1e-5, initial_voltages_v=[0.0, 0.5])
    assert "R1 " not in deck and "Rleak n2 0" in deck


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(rise_s=0.0), "rise_s and fall_s must be > 0"),
        (dict(width_s=-1.0), "width_s"),
        (dict(delay_s=float("nan")), "delay_s must be finite"),
        (dict(period_s=1e-6), "period_s must be >="),
    ],
)
def test_pulse_source_validation(kwargs, match):
    args = dict(v_low_v=0.0, v_high_v=1.0, delay_s=0.0, rise_s=1e-6, fall_s=1e-6, width_s=1e-3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        PulseSource(**args)


# --------------------------------------------------------------------------- #
# ngspice accepts the decks
# --------------------------------------------------------------------------- #
@pytest.mark.spice
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize(
    "w",
    [
        WIRES,
        WireParameters(),
        WireParameters(r_row_ohm=0.0, r_col_ohm=3.0, r_driver_ohm=1.0, r_sense_ohm=0.0),
        WireParameters(r_row_ohm=2.0, r_col_ohm=0.0, r_driver_ohm=0.0, r_sense_ohm=4.0),
    ],
)
def test_ngspice_runs_crossbar_decks(transposed, w):
    G = G35.copy()
    G[1, 1] = 0.0
    v = np.linspace(-0.1, 0.3, 5 if transposed else 3)
    res = run_deck(crossbar_deck(G, v, w, transposed=transposed))
    n_sense = 3 if transposed else 5
    for k in range(n_sense):
        assert res[f"i(vsense_{k})"].shape == (1,)
    assert "warning" not in res.log.lower()


@pytest.mark.spice
def test_ngspice_runs_ladder_deck():
    res = run_deck(rc_ladder_deck([1e-9, 2e-9], [1e-6, 0.0], PULSE, 1e5, 5e-3, 1e-5))
    assert res["time"].size > 100 and res["v(n2)"].shape == res["time"].shape


def test_missing_ngspice_raises_with_install_hint(monkeypatch):
    monkeypatch.setenv("NEUROMORPH_NGSPICE", "/nonexistent/ngspice-xyz")
    assert find_ngspice() is None
    with pytest.raises(NgspiceNotFound, match=r"apt-get install ngspice"):
        run_deck("title\n.end\n")
