"""Oracles for the float reference rules (DESIGN §2.3, issue 12 Deliver 6)."""

import numpy as np
import pytest

from neuromorph.learning import Network, RuleSettings, alignment_angle_deg
from neuromorph.learning.rules import pfa_feedback


def _batch(seed=0, n=16, n_in=7, n_out=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), rng.integers(0, n_out, size=n)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_bp_gradient_equals_finite_differences(activation):
    x, y = _batch()
    net = Network([7, 6, 5, 4], RuleSettings("bp"), activation=activation, seed=3)
    for l in (1, 2, 3):  # biases away from 0, so no pre-activation sits exactly on the ReLU kink
        net.params[f"b{l}"][:] = np.random.default_rng(l).uniform(0.1, 0.3, size=net.sizes[l])
    grads, _ = net.gradients(x, y)
    h = 1e-6
    for name, p in net.params.items():
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            up = net.evaluate(x, y)[0]
            p[idx] = old - h
            down = net.evaluate(x, y)[0]
            p[idx] = old
            numeric[idx] = (up - down) / (2 * h)
        # central differences: truncation O(h^2) ~ 1e-12, rounding ~ 1e-16/h = 1e-10
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def test_multi_head_gradient_equals_finite_differences():
    x, y = _batch(n_out=4)
    y = np.where(y < 2, y, y - 2)  # labels 0/1, outputs 0..3 with only {0, 1} competing
    net = Network([7, 5, 4], RuleSettings("bp"), activation="tanh", seed=1)
    grads, _ = net.gradients(x, y, classes=(0, 1))
    w = net.params["W2"]
    numeric = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        old = w[idx]
        w[idx] = old + 1e-6
        up = net.evaluate(x, y, classes=(0, 1))[0]
        w[idx] = old - 1e-6
        down = net.evaluate(x, y, classes=(0, 1))[0]
        w[idx] = old
        numeric[idx] = (up - down) / 2e-6
    np.testing.assert_allclose(grads["W2"], numeric, rtol=1e-6, atol=1e-9)
    assert np.all(grads["W2"][2:] == 0.0)  # the other head's outputs receive nothing


def _settings(kind, **extra):
    return RuleSettings(kind, learning_rate=0.05, momentum=0.9, weight_decay=1e-4, weight_decay_initial=1e-2,
                        weight_decay_initial_steps=3, **extra)


def test_pfa_with_identity_feedback_is_kolen_pollack_bit_for_bit():
    kp = Network([7, 6, 5, 4], _settings("kp"), seed=11)
    pfa = Network([7, 6, 5, 4], _settings("pfa", expansion=1, feedback_init="identity"), seed=11)
    for step in range(8):
        x, y = _batch(seed=100 + step)
        kp.train_batch(x, y, epoch=step // 4)
        pfa.train_batch(x, y, epoch=step // 4)
        for l in (1, 2, 3):
            assert np.array_equal(kp.params[f"W{l}"], pfa.params[f"W{l}"])
            assert np.array_equal(kp.params[f"b{l}"], pfa.params[f"b{l}"])
        for l in (2, 3):
            assert np.array_equal(kp.params[f"B{l}"], pfa.params[f"R{l}"])
    # and the weights did move (the comparison is not between two frozen networks)
    assert not np.allclose(kp.params["W2"], Network([7, 6, 5, 4], _settings("kp"), seed=11).params["W2"])


@pytest.mark.parametrize("k, expected_deg", [(1, 45.0), (10, 17.5), (100, 5.7)])
def test_best_pfa_alignment_is_arctan_inverse_sqrt_k(k, expected_deg):
    """angle(W, B Bᵀ W) for Gaussian B with E[B Bᵀ] = I: tan θ = 1/sqrt(k) (+ O(1/n) finite size).

    n = 200 units, 8 draws: the angle's sampling spread is ~0.3 deg at k = 1 and smaller above;
    the finite-size bias (E‖BBᵀW‖² = (1 + (n+1)/n_r)‖W‖²) is < 0.2 deg. Tolerance 1 deg."""
    rng = np.random.default_rng(k)
    n, n_prev = 200, 150
    angles = []
    for _ in range(8):
        b = pfa_feedback(rng, n, k, "gaussian")
        w = rng.normal(size=(n, n_prev))
        angles.append(alignment_angle_deg(w, b @ b.T @ w))
    assert np.degrees(np.arctan(1 / np.sqrt(k))) == pytest.approx(expected_deg, abs=0.05)
    assert np.mean(angles) == pytest.approx(expected_deg, abs=1.0)


@pytest.mark.parametrize("k", [1, 10])
def test_orthogonal_feedback_reaches_zero_angle(k):
    rng = np.random.default_rng(0)
    b = pfa_feedback(rng, 50, k, "orthogonal")
    np.testing.assert_allclose(b @ b.T, np.eye(50), atol=1e-12)
    w = rng.normal(size=(50, 30))
    assert alignment_angle_deg(w, b @ b.T @ w) < 1e-5


@pytest.mark.parametrize("init", ["gaussian", "uniform"])
def test_random_feedback_has_identity_gram_in_expectation(init):
    rng = np.random.default_rng(5)
    b = pfa_feedback(rng, 40, 250, init)     # n_r = 10,000: entries of B Bᵀ - I have sd 1/100
    np.testing.assert_allclose(b @ b.T, np.eye(40), atol=0.06)


def _mismatch(net, l):
    return net.params[f"R{l}"] - net.fixed[f"B{l}"].T @ net.params[f"W{l}"]


def test_pfa_mismatch_receives_no_gradient_and_decays_by_the_schedule():
    """Plain SGD: R - BᵀW -> (1 - ηλ_t)(R - BᵀW) each step, λ_t from the step-counted schedule."""
    settings = RuleSettings("pfa", learning_rate=0.2, momentum=0.0, weight_decay=1e-3, weight_decay_initial=0.05,
                            weight_decay_initial_steps=4, expansion=3)
    net = Network([7, 6, 5, 4], settings, seed=2)
    start = {l: _mismatch(net, l) for l in (2, 3)}
    factor = 1.0
    for step in range(10):
        x, y = _batch(seed=step)
        net.train_batch(x, y, epoch=0)
        factor *= 1.0 - 0.2 * (0.05 if step < 4 else 1e-3)
    assert factor == pytest.approx((1 - 0.01) ** 4 * (1 - 2e-4) ** 6)
    for l in (2, 3):
        # rounding only: the updates are O(0.1), the mismatch O(1); 1e-12 relative is far below any gradient leak
        np.testing.assert_allclose(_mismatch(net, l), factor * start[l], rtol=1e-11, atol=1e-12)


def test_pfa_mismatch_with_momentum_follows_the_linear_recursion():
    """With momentum the mismatch M and its velocity V obey V' = μV + λM, M' = M − ηV' exactly."""
    eta, mu, lam = 0.1, 0.9, 0.02
    settings = RuleSettings("pfa", learning_rate=eta, momentum=mu, weight_decay=lam, expansion=2)
    net = Network([7, 6, 5, 4], settings, seed=4)
    m = _mismatch(net, 3)
    v = np.zeros_like(m)
    for step in range(12):
        x, y = _batch(seed=50 + step)
        net.train_batch(x, y, epoch=0)
        v = mu * v + lam * m
        m = m - eta * v
    np.testing.assert_allclose(_mismatch(net, 3), m, rtol=1e-10, atol=1e-12)


def test_sgd_is_pytorch_sgd_with_decay_before_momentum():
    from neuromorph.learning import SGD

    p = {"w": np.array([1.0, -2.0])}
    opt = SGD(momentum=0.5)
    opt.step(p, {"w": np.array([0.1, 0.2])}, learning_rate=0.1, weight_decay=0.01)
    # v1 = g + λp = [0.11, 0.18]; p = p − 0.1 v1
    np.testing.assert_allclose(p["w"], [1.0 - 0.011, -2.0 - 0.018])
    opt.step(p, {"w": np.array([0.0, 0.0])}, learning_rate=0.1, weight_decay=0.0)
    # v2 = 0.5 v1
    np.testing.assert_allclose(p["w"], [1.0 - 0.011 - 0.0055, -2.0 - 0.018 - 0.009])


def test_schedules_count_decay_in_steps_and_learning_rate_in_epochs():
    s = RuleSettings("pfa", learning_rate=0.1, lr_milestones=(20, 30), lr_factor=0.5, weight_decay=1e-4,
                     weight_decay_initial=1e-2, weight_decay_initial_steps=938)
    assert [s.learning_rate_at(e) for e in (0, 19, 20, 29, 30, 39)] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    assert s.weight_decay_at(937) == 1e-2 and s.weight_decay_at(938) == 1e-4
