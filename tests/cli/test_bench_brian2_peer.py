"""``neuromorph bench step --peer brian2``: the same chain network in Brian2, checked against the
exact solution in the same run (tiny N; the timings are never asserted, only what is reported and
the accuracy each integrator must reach).

Brian2 2.9.0 fails with NumPy 2.4, so the default test environment never installs it: the peer
tests run only inside the `bench` extra's own virtual environment
(``python -m venv /tmp/venv-brian2 && /tmp/venv-brian2/bin/pip install -e '.[bench]' pytest``, then
``/tmp/venv-brian2/bin/python -m pytest tests/cli/test_bench_brian2_peer.py``). Without Brian2
the command must refuse ``--peer brian2`` with the install command (tested here)."""

import importlib.util
import json

import numpy as np
import pytest
import scipy.linalg

HAVE_BRIAN2 = importlib.util.find_spec("brian2") is not None
NEEDS_BRIAN2 = pytest.mark.skipif(
    not HAVE_BRIAN2, reason="Brian2 is not installed: the default test environment never installs it (Brian2 2.9 "
                            "needs NumPy < 2.4); run this file in the `bench` extra's own venv, see the module docstring")

TINY = ["--synapses", 300, "--variables", 2, "--fused-steps", 2, "--repeats", 1, "--peer-steps", 6,
        "--peer-subset", 100]


@pytest.mark.skipif(HAVE_BRIAN2, reason="Brian2 is installed here: the refusal without it cannot be observed")
def test_peer_without_brian2_exits_2_naming_the_bench_extra_and_the_install_command(run_cli):
    code, out, err = run_cli("bench", "step", *TINY, "--peer", "brian2")
    assert code == 2 and "Traceback" not in err
    assert "--peer brian2" in err and "`bench` extra" in err
    assert "pip install -e" in err and "[bench]" in err and "python -m venv" in err
    assert "chain stepping" not in out  # refused before any work


@NEEDS_BRIAN2
def test_brian2_euler_and_exact_against_the_exact_solution(run_cli):
    # m = 2: Brian2's exact (sympy) method accepts the equations (from m = 3 on it refuses them)
    code, out, err = run_cli("bench", "step", *TINY, "--peer", "brian2", "--peer-targets", "numpy", "--json")
    assert code == 0, err
    doc = json.loads(out)
    peer = doc["peer"]
    cases = {case["method"]: case for case in peer["cases"]}
    # "unresolved": at this tiny N Brian2's per-run overhead may vary more than the steps cost, so
    # no time per step can be given; the accuracy is checked all the same
    assert set(cases) == {"euler", "exact"} and all(c["status"] in ("ok", "unresolved") for c in cases.values())
    ours = peer["neuromorph"]["eigen numba"]["max_abs_error"]
    # the eigen step is exact up to float64 rounding accumulated over 6 steps of |u| <= a few units
    assert ours < 1e-12
    # Brian2's closed form, evaluated in float64, is exact to rounding as well (looser: sympy's
    # expressions of exp() and square roots lose a few more digits)
    assert cases["exact"]["max_abs_error"] < 1e-9
    # forward Euler at dt = 1 is first order: the local error (λ dt)²/2 with λ of order 0.1-0.4
    # per time unit leaves errors of order 1e-2 after a few steps
    assert cases["euler"]["max_abs_error"] > 1e-3
    names = {(f["name"], f["baseline"]) for f in doc["figures"]}
    assert ("eigen numba error", "brian2 exact numpy error") in names
    assert ("eigen numba 1 thread", "brian2 euler numpy") in names or cases["euler"]["status"] == "unresolved"


@NEEDS_BRIAN2
def test_brian2_refusal_is_reported_not_hidden(run_cli):
    # m = 3: Brian2 2.9.0 refuses the exact method (complex closed forms); the run still completes
    code, out, err = run_cli("bench", "step", *TINY[:2], "--variables", 3, *TINY[4:], "--peer", "brian2",
                             "--peer-targets", "numpy", "--peer-methods", "exact", "--peer-timeout", 120, "--json")
    assert code == 0, err
    (case,) = json.loads(out)["peer"]["cases"]
    assert case["status"] in ("refused", "timeout") and case["note"]


def test_exact_reference_is_the_matrix_exponential_stepped_with_events():
    from neuromorph.bench._brian2_peer import chain_equations, exact_reference
    from neuromorph.bench.step import _chain

    chain = _chain(3)
    events = np.array([[1.0, -1.0], [0.0, 1.0], [1.0, 0.0]])
    prop = scipy.linalg.expm(chain.operator())
    u = exact_reference(prop, events)
    # by hand: u(3) = P² e α_0 + P e α_1 + e α_2 with e = (1, 0, 0)
    e = np.array([1.0, 0.0, 0.0])
    expected = np.stack([prop @ prop @ e * events[0, j] + prop @ e * events[1, j] + e * events[2, j]
                         for j in range(2)])
    np.testing.assert_allclose(u, expected, rtol=0, atol=1e-15)  # same operations, rounding only
    # the Brian2 equations are du/dt = A u written out: the leak only on the last variable
    eqs = chain_equations(chain.capacities, chain.couplings).splitlines()
    assert len(eqs) == 3 and eqs[0].startswith("du1/dt") and "-0.0625*u3" in eqs[2]
