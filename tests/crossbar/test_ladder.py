"""The exact pulse-driven RC-ladder solution against scipy.integrate.solve_ivp, a hand-solved
single compartment, and the device's instantaneous soft-saturation event model."""

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neuromorph.crossbar.ladder import ladder_response, ladder_rhs
from neuromorph.devices.loader import load_device
from neuromorph.synapses.chain import LinearChain

ROOT = Path(__file__).resolve().parents[2]
PT5 = load_device(ROOT / "devices/proton_transistor_5.yaml")
G_GATE = PT5.card.gate.injection_conductance

# a 10 ms gate pulse at 1 s with 100 µs edges, then back to 0 V
KNOTS_T = np.array([0.0, 1.0, 1.0001, 1.0101, 1.0102])
KNOTS_V = np.array([0.0, 0.0, 1.0, 1.0, 0.0])


def reference(chain, g, t_eval, u0, connected):
    """solve_ivp (Radau, rtol 1e-10) restarted at every knot, so no step crosses a kink."""
    rhs = ladder_rhs(chain, g, KNOTS_T, KNOTS_V, connected)
    bounds = np.unique(np.concatenate([[0.0], KNOTS_T, [t_eval[-1]]]))
    out = np.empty((chain.n_variables, t_eval.size))
    y = np.array(u0, float)
    out[:, t_eval == 0] = y[:, None]
    for a, b in zip(bounds[:-1], bounds[1:]):
        # the Jacobian of a linear ODE is its (piecewise constant) matrix, by finite differences
        mid = 0.5 * (a + b)
        jac = np.stack([rhs(mid, e) - rhs(mid, np.zeros_like(e)) for e in np.eye(chain.n_variables)], axis=1)
        sol = solve_ivp(rhs, (a, b), y, method="Radau", rtol=1e-10, atol=1e-14, dense_output=True, jac=jac)
        sel = (t_eval > a) & (t_eval <= b)
        if sel.any():
            out[:, sel] = sol.sol(t_eval[sel])
        y = sol.y[:, -1]
    return out


@pytest.mark.parametrize("connected", ["always", "while_driven"])
def test_exact_solution_matches_solve_ivp(connected):
    t = np.unique(np.concatenate([np.linspace(0, 10, 201), np.linspace(0.99, 1.02, 151), KNOTS_T]))
    u0 = 0.3 * 0.5 ** np.arange(5)
    exact = ladder_response(PT5.chain, G_GATE, KNOTS_T, KNOTS_V, t, u0=u0, connected=connected)
    ref = reference(PT5.chain, G_GATE, t, u0, connected)
    # Radau at rtol 1e-10 is accurate to ~1e-10 of the largest voltage (measured 9e-12 and 2.5e-10); the
    # exact solution to rounding: 1e-8 leaves margin and still fails any modelling error
    assert np.max(np.abs(exact - ref)) / np.max(np.abs(ref)) < 1e-8


def test_single_compartment_step_response_is_the_rc_charging_curve():
    c, g_leak, g_s = 2e-9, 1e-9, 3e-9
    chain = LinearChain([c], [g_leak])
    t = np.linspace(0, 10, 101)
    u = ladder_response(chain, g_s, [0.0], [0.7], t)[0]
    tau = c / (g_s + g_leak)
    np.testing.assert_allclose(u, 0.7 * g_s / (g_s + g_leak) * -np.expm1(-t / tau), rtol=1e-13, atol=1e-16)


def test_ramp_is_integrated_exactly():
    """A single compartment without leak under a linear ramp V = s·t has the closed form
    u(t) = s·(t − τ(1 − e^{−t/τ})), τ = C/g_s."""
    c, g_s, slope = 1e-9, 2e-9, 3.0
    chain = LinearChain([c], [0.0])
    t = np.linspace(0, 2, 41)
    u = ladder_response(chain, g_s, [0.0, 2.0], [0.0, 2.0 * slope], t)[0]
    tau = c / g_s
    np.testing.assert_allclose(u, slope * (t + tau * np.expm1(-t / tau)), rtol=1e-12, atol=1e-15)


def test_segment_propagation_and_dense_output_agree_at_breakpoints():
    """The augmented-matrix expm carries the state across breakpoints; the closed-form eigen
    evaluation fills in the segments: at a breakpoint and just after it they must agree."""
    t = np.array([1.0101, 1.0101 + 1e-12, 1.0102, 1.0102 + 1e-12])
    u = ladder_response(PT5.chain, G_GATE, KNOTS_T, KNOTS_V, t, u0=0.3 * 0.5 ** np.arange(5))
    np.testing.assert_allclose(u[:, 0], u[:, 1], rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(u[:, 2], u[:, 3], rtol=1e-9, atol=1e-15)


def test_floating_gate_pulse_reproduces_the_device_event():
    """A gate connected only during the pulse (short edges) moves u_1 by the device's
    soft-saturation event (V − u_1)(1 − e^{−g w/C_1}); the ladder also lets charge diffuse into
    compartment 2 during the pulse, an O(g_1 w / C_1) ≈ 10⁻⁵·(rel.) effect, and the edges add
    O(edge/width) = 1e-4: tolerance 5e-4 of the step."""
    gate = PT5.card.gate
    edge = gate.width * 1e-5
    knots_t = np.array([0.0, 1.0, 1.0 + edge, 1.0 + edge + gate.width, 1.0 + 2 * edge + gate.width])
    knots_v = np.array([0.0, 0.0, 1.0, 1.0, 0.0])
    u0 = np.array([0.2, 0.1, 0.05, 0.0, 0.0])
    t = np.array([1.0, knots_t[-1]])
    u = ladder_response(PT5.chain, G_GATE, knots_t, knots_v, t, u0=u0, connected="while_driven")
    a = -np.expm1(-G_GATE * (gate.width + edge) / PT5.chain.capacities[0])
    expected_step = (1.0 - u[0, 0]) * a
    assert u[0, 1] - u[0, 0] == pytest.approx(expected_step, rel=5e-4)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="u0"):
        ladder_response(PT5.chain, G_GATE, KNOTS_T, KNOTS_V, [0.0, 1.0], u0=[0.1, 0.2])
    with pytest.raises(ValueError, match="non-decreasing"):
        ladder_response(PT5.chain, G_GATE, KNOTS_T, KNOTS_V, [1.0, 0.5])
    with pytest.raises(ValueError, match="connected"):
        ladder_response(PT5.chain, G_GATE, KNOTS_T, KNOTS_V, [1.0], connected="sometimes")
