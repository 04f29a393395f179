"""SGD, Momentum and Adam: exact update rules, agreement with Keras, and that they learn."""

from __future__ import annotations

import os

import numpy as np
import pytest

from emostudy.errors import InvalidInputError
from emostudy.nn import (
    MLP,
    SGD,
    Adam,
    Momentum,
    flatten_params,
    minimize,
    numerical_gradient,
    quadratic,
    quadratic_grad,
    rosenbrock,
    rosenbrock_grad,
)


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip("keras")


W0 = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
B0 = np.array([0.1, -0.2, 0.3])
GRADS = [
    (np.array([[0.5, 0.1, -0.3], [2.0, -1.0, 0.0]]), np.array([0.2, 0.0, -0.4])),
    (np.array([[0.2, -0.3, -0.1], [1.5, -0.5, 0.7]]), np.array([-0.1, 0.3, -0.2])),
    (np.array([[-0.4, 0.2, 0.6], [0.9, 0.1, -0.8]]), np.array([0.05, -0.6, 0.1])),
]


def _run_ours(optimizer):
    params = [(W0.copy(), B0.copy())]
    for g in GRADS:
        optimizer.step(params, [g])
    return params[0]


def _run_keras(optimizer):
    keras = _keras()
    variables = [keras.Variable(W0, dtype="float64"), keras.Variable(B0, dtype="float64")]
    for gW, gb in GRADS:
        optimizer.apply_gradients([(gW, variables[0]), (gb, variables[1])])
    return variables[0].numpy(), variables[1].numpy()


def test_sgd_step_is_w_minus_lr_g():
    W, b = _run_ours(SGD(lr=0.1))
    np.testing.assert_allclose(W, W0 - 0.1 * sum(g[0] for g in GRADS), atol=1e-15)
    np.testing.assert_allclose(b, B0 - 0.1 * sum(g[1] for g in GRADS), atol=1e-15)


def test_sgd_matches_keras():
    keras = _keras()
    for ours, theirs in zip(
        _run_ours(SGD(0.1)), _run_keras(keras.optimizers.SGD(learning_rate=0.1)), strict=True
    ):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_momentum_matches_keras_sgd_with_momentum():
    keras = _keras()
    ours = _run_ours(Momentum(lr=0.1, beta=0.9))
    theirs = _run_keras(keras.optimizers.SGD(learning_rate=0.1, momentum=0.9))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_momentum_and_keras_formulations_are_equivalent_step_by_step():
    """Ours: v = beta v + g, w -= lr v.  Keras: u = beta u - lr g, w += u.  Claim: u = -lr v."""
    lr, beta = 0.05, 0.8
    w_ours, w_keras = W0.copy(), W0.copy()
    optimizer = Momentum(lr=lr, beta=beta)
    u = np.zeros_like(W0)
    for g, _ in GRADS:
        optimizer.step([w_ours], [g])
        u = beta * u - lr * g
        w_keras += u
        np.testing.assert_allclose(u, -lr * optimizer._state[0]["velocity"], atol=1e-15)
        np.testing.assert_allclose(w_ours, w_keras, atol=1e-15)


def test_adam_first_step_moves_every_coordinate_by_about_lr():
    w = np.array([1.0, -1.0, 5.0])
    Adam(lr=0.01).step([w], [np.array([1e-3, -50.0, 2.0])])
    # Step 1: m_hat = g, s_hat = g**2, so the update is lr * g / (|g| + eps) ~ lr * sign(g).
    np.testing.assert_allclose(w, [0.99, -0.99, 4.99], atol=1e-7)


def test_adam_matches_keras_when_epsilon_is_negligible():
    """Same algorithm to round-off. Keras turns beta1, beta2 and lr into float32 before casting to
    the variable's float64, so we use values that float32 holds exactly (0.9 and 0.999 are not)."""
    keras = _keras()
    lr, beta1, beta2 = 2.0**-6, 0.875, 1.0 - 2.0**-9
    ours = _run_ours(Adam(lr=lr, beta1=beta1, beta2=beta2, eps=1e-12))
    theirs = _run_keras(
        keras.optimizers.Adam(learning_rate=lr, beta_1=beta1, beta_2=beta2, epsilon=1e-12)
    )
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_adam_with_default_epsilons_matches_keras_closely():
    """Keras adds epsilon to sqrt(s), we add it to sqrt(s_hat): differences of order lr*eps/|g|."""
    keras = _keras()
    ours = _run_ours(Adam(lr=0.01))
    theirs = _run_keras(keras.optimizers.Adam(learning_rate=0.01))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def _problem():
    rng = np.random.default_rng(0)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    y = rng.integers(0, 3, size=120)
    return centers[y] + rng.normal(0, 0.8, size=(120, 2)), y


@pytest.mark.parametrize("optimizer", [SGD(0.1), Momentum(0.05), Adam(0.01)], ids=repr)
def test_each_optimizer_reduces_the_loss(optimizer):
    X, y = _problem()
    mlp = MLP([2, 8, 3], activation="tanh", seed=0)
    before = mlp.loss(X, y)
    mlp.fit(X, y, optimizer, epochs=10, batch_size=20)
    after = mlp.loss(X, y)
    assert after < 0.5 * before


def test_minimize_returns_trajectory_and_converges_on_a_bowl():
    x0 = np.array([3.0, -2.0])
    trajectory = minimize(quadratic_grad, x0, SGD(0.15), steps=100)
    assert trajectory.shape == (101, 2)
    np.testing.assert_array_equal(trajectory[0], x0)
    np.testing.assert_array_equal(x0, [3.0, -2.0])  # not modified
    assert quadratic(trajectory[-1]) < 1e-8
    # lr above 2 / max(scales) = 0.2 diverges along the steep axis.
    assert not np.all(np.isfinite(minimize(quadratic_grad, x0, SGD(0.25), steps=2000)[-1]))


def test_adam_makes_progress_on_rosenbrock_and_gradient_is_right():
    x = np.array([-1.2, 1.0])
    numeric = numerical_gradient(lambda: rosenbrock(x), x)[0]
    np.testing.assert_allclose(rosenbrock_grad(x), numeric, rtol=1e-7)
    trajectory = minimize(rosenbrock_grad, x, Adam(lr=0.05), steps=2000)
    assert rosenbrock(trajectory[-1]) < 1e-2 * rosenbrock(x)


def test_flatten_params_and_mismatched_gradients():
    W, b = np.zeros((2, 3)), np.zeros(3)
    flat = flatten_params([(W, b), {"c": np.zeros(1)}])
    assert len(flat) == 3 and flat[0] is W
    with pytest.raises(InvalidInputError, match="shape"):
        SGD(0.1).step([(W, b)], [(np.zeros((3, 2)), b)])
    with pytest.raises(InvalidInputError, match="gradient arrays"):
        SGD(0.1).step([(W, b)], [W])
    with pytest.raises(InvalidInputError, match="learning rate"):
        Adam(lr=0)
