"""solve_read against ngspice on the same circuit (independent nodal solver).

ngspice builds its own MNA matrix from the deck and solves it with its own
sparse LU; the only shared piece is the topology definition.
"""

import shutil

import numpy as np
import pytest

from neuromorph.crossbar.irdrop import WireParameters, solve_read
from neuromorph.spice.netlist import crossbar_deck
from neuromorph.spice.ngspice import (
    NgspiceError,
    NgspiceResult,
    crossbar_currents,
    parse_raw,
    run_deck,
)

pytestmark = pytest.mark.spice

# Both sides solve the same linear system in binary64 and ngspice writes 16
# significant digits, so agreement is ~1e-13 in practice; 1e-6 is the
# accuracy required of the model (and leaves room for ngspice's Newton
# convergence tolerances).
RTOL = 1e-6


def _rel_err(a, b):
    """max over outputs of |a - b| / max|b|"""
    return np.abs(a - b).max() / np.abs(b).max()


def _problem(n_in, n_out, seed, transposed):
    rng = np.random.default_rng(seed)
    G = rng.uniform(1e-6, 1e-4, (n_in, n_out))
    w = WireParameters(*rng.uniform(1.0, 5.0, 4))
    v = rng.uniform(0.0, 0.3, n_out if transposed else n_in)
    return G, v, w


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("shape, seed", [((8, 6), 10), ((32, 32), 11)])
def test_solve_read_matches_ngspice(shape, seed, transposed):
    G, v, w = _problem(*shape, seed, transposed)
    res = run_deck(crossbar_deck(G, v, w, transposed=transposed))
    n_sense = shape[0] if transposed else shape[1]
    I_spice = crossbar_currents(res, n_sense)
    sol = solve_read(G, v, w, transposed=transposed)
    err = _rel_err(sol.output_current_a, I_spice)
    assert err < RTOL, err
    # wire resistance matters here: the comparison is not trivially ideal
    ideal = G @ v if transposed else G.T @ v
    assert _rel_err(ideal, I_spice) > 1e-4
    # every node voltage too (same tolerance, relative to max |v_in|)
    vr = np.array([[res[f"v(row{i}_{j})"][0] for j in range(shape[1])] for i in range(shape[0])])
    vc = np.array([[res[f"v(col{i}_{j})"][0] for j in range(shape[1])] for i in range(shape[0])])
    assert np.abs(vr - sol.row_node_v).max() < RTOL * v.max()
    assert np.abs(vc - sol.col_node_v).max() < RTOL * v.max()
    # source currents: SPICE reports current into the + terminal, i.e. minus
    # the current delivered
    I_src = -np.array([res[f"i(vin_{k})"][0] for k in range(v.size)])
    assert _rel_err(sol.input_current_a, I_src) < RTOL


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize(
    "w",
    [
        WireParameters(),
        WireParameters(r_row_ohm=0.0, r_col_ohm=2.5, r_driver_ohm=1.5, r_sense_ohm=3.0),
        WireParameters(r_row_ohm=2.5, r_col_ohm=0.0, r_driver_ohm=1.5, r_sense_ohm=3.0),
        WireParameters(r_row_ohm=2.5, r_col_ohm=0.0, r_driver_ohm=0.0, r_sense_ohm=0.0),
        WireParameters(r_row_ohm=0.0, r_col_ohm=2.5, r_driver_ohm=0.0, r_sense_ohm=0.0),
        WireParameters(r_row_ohm=0.0, r_col_ohm=0.0, r_driver_ohm=1.5, r_sense_ohm=3.0),
    ],
)
def test_zero_resistance_paths_match_ngspice(w, transposed):
    """The node-merging code paths (one per zero pattern) against ngspice,
    with signed inputs and some zero cells."""
    rng = np.random.default_rng(12)
    G = rng.uniform(1e-6, 1e-4, (8, 6))
    G[rng.random(G.shape) < 0.15] = 0.0
    v = rng.uniform(-0.3, 0.3, 6 if transposed else 8)
    I_spice = crossbar_currents(run_deck(crossbar_deck(G, v, w, transposed=transposed)), 8 if transposed else 6)
    assert _rel_err(solve_read(G, v, w, transposed=transposed).output_current_a, I_spice) < RTOL


def test_sense_current_sign_convention():
    # one positive cell, positive input: current flows into the sense amp
    res = run_deck(crossbar_deck(np.array([[1e-4]]), np.array([0.2]), WireParameters(1.0, 1.0, 1.0, 1.0)))
    I = crossbar_currents(res, 1)
    assert I[0] > 0
    np.testing.assert_allclose(I, [0.2 / (1e4 + 4.0)], rtol=1e-12)  # series circuit, rounding only


def test_binary_raw_file_is_parsed(tmp_path):
    deck = crossbar_deck(np.array([[1e-4, 2e-4]]), np.array([0.3]), WireParameters(1.0, 2.0, 0.5, 0.5))
    deck_bin = deck.replace("set filetype=ascii", "set filetype=binary")
    r_ascii = run_deck(deck)
    r_bin = run_deck(deck_bin, workdir=tmp_path)
    assert isinstance(r_bin, NgspiceResult) and r_bin.deck_path == tmp_path / "deck.cir"
    plots = parse_raw(tmp_path / "neuromorph_crossbar.raw")
    assert plots[0].plotname.lower().startswith("operating point")
    # ASCII keeps 16 significant digits
    np.testing.assert_allclose(crossbar_currents(r_ascii, 2), crossbar_currents(r_bin, 2), rtol=1e-15)


def test_broken_deck_raises_with_log_and_path():
    deck = "broken deck\nV1 a 0 DC 1\nQ1 a b c nomodel\n.op\n.control\nrun\nwrite x.raw\nquit\n.endc\n.end\n"
    with pytest.raises(NgspiceError) as info:
        run_deck(deck)
    msg = str(info.value)
    assert "deck.cir" in msg and "nomodel" in msg
    assert info.value.deck_path.exists()  # kept for inspection
    shutil.rmtree(info.value.deck_path.parent)


def test_deck_without_write_raises():
    with pytest.raises(NgspiceError, match="no raw file") as info:
        run_deck("no write\nV1 a 0 DC 1\nR1 a 0 1\n.op\n.control\nrun\nquit\n.endc\n.end\n")
    shutil.rmtree(info.value.deck_path.parent)


def test_timeout_raises():
    # a long transient with a tiny step cannot finish in 0.2 s
    deck = (
        "slow\nV1 a 0 SIN(0 1 1e6)\nR1 a b 1k\nC1 b 0 1n\n.tran 1e-12 1e-3 0 1e-12\n"
        ".control\nrun\nwrite s.raw\nquit\n.endc\n.end\n"
    )
    with pytest.raises(NgspiceError, match="timed out") as info:
        run_deck(deck, timeout_s=0.2)
    shutil.rmtree(info.value.deck_path.parent)
