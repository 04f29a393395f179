"""Activations, losses, the NumPy MLP and its gradients (checked numerically and against TF)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from emostudy.errors import InvalidInputError
from emostudy.nn import (
    MLP,
    Adam,
    binary_cross_entropy,
    check_mlp_gradients,
    cross_entropy,
    mse,
    numerical_gradient,
    relative_error,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_binary_cross_entropy,
    sigmoid_grad,
    softmax,
    softmax_cross_entropy,
    softmax_grad,
    tanh,
    tanh_grad,
)


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip("keras")


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip("tensorflow")


def _blobs(n=60, n_features=4, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, size=(n_classes, n_features))
    y = rng.integers(0, n_classes, size=n)
    X = centers[y] + rng.normal(0, 1, size=(n, n_features))
    return X, y


# --- activations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "df"), [(sigmoid, sigmoid_grad), (relu, relu_grad), (tanh, tanh_grad)]
)
def test_activation_derivatives_match_central_differences(f, df):
    z = np.random.default_rng(1).normal(0, 2, size=200)
    z = z[np.abs(z) > 1e-3]  # stay away from ReLU's kink
    eps = 1e-6
    numeric = (f(z + eps) - f(z - eps)) / (2 * eps)
    np.testing.assert_allclose(df(z), numeric, atol=1e-8)


def test_sigmoid_and_softmax_are_stable_for_extreme_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
        p = softmax(np.array([[1000.0, 1001.0, -1000.0]]))
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(p[0, :2], softmax(np.array([0.0, 1.0])))


def test_softmax_matches_keras_and_softmax_grad_is_a_vjp():
    keras = _keras()
    z = np.random.default_rng(2).normal(size=(5, 7))
    np.testing.assert_allclose(softmax(z), keras.ops.softmax(z, axis=-1), atol=1e-12)
    upstream = np.random.default_rng(3).normal(size=(5, 7))
    numeric = numerical_gradient(lambda: float(np.sum(softmax(z) * upstream)), z)[0]
    np.testing.assert_allclose(softmax_grad(z, upstream), numeric, atol=1e-8)


# --- losses -----------------------------------------------------------------------------------


def test_losses_match_keras():
    keras = _keras()
    rng = np.random.default_rng(4)
    logits = rng.normal(0, 3, size=(8, 5))
    labels = rng.integers(0, 5, size=8)
    onehot = np.eye(5)[labels]
    probs = softmax(logits)

    loss, _ = softmax_cross_entropy(logits, labels)
    ref = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")(
        labels, logits
    )
    assert loss == pytest.approx(float(ref), rel=1e-10)

    loss, _ = cross_entropy(probs, onehot)
    ref = keras.losses.CategoricalCrossentropy(dtype="float64")(onehot, probs)
    assert loss == pytest.approx(float(ref), rel=1e-6)  # Keras clips probabilities at 1e-7

    y_reg = rng.normal(size=(8, 3))
    y_hat = rng.normal(size=(8, 3))
    assert mse(y_hat, y_reg)[0] == pytest.approx(
        float(keras.losses.MeanSquaredError(dtype="float64")(y_reg, y_hat)), rel=1e-10
    )

    y_bin = rng.integers(0, 2, size=(8, 1)).astype(float)
    z_bin = rng.normal(0, 3, size=(8, 1))
    ref = keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64")(y_bin, z_bin)
    assert sigmoid_binary_cross_entropy(z_bin, y_bin)[0] == pytest.approx(float(ref), rel=1e-10)
    ref = keras.losses.BinaryCrossentropy(dtype="float64")(y_bin, sigmoid(z_bin))
    assert binary_cross_entropy(sigmoid(z_bin), y_bin)[0] == pytest.approx(float(ref), rel=1e-6)


def test_loss_gradients_match_central_differences():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    probs = softmax(rng.normal(size=(6, 4)))
    onehot = np.eye(4)[labels]
    targets = rng.normal(size=(6, 4))
    y01 = rng.integers(0, 2, size=(6, 4)).astype(float)
    cases = [
        (lambda: softmax_cross_entropy(logits, labels), logits),
        (lambda: cross_entropy(probs, onehot), probs),
        (lambda: mse(logits, targets), logits),
        (lambda: sigmoid_binary_cross_entropy(logits, y01), logits),
        (lambda: binary_cross_entropy(probs, y01), probs),
    ]
    for loss_fn, wrt in cases:
        numeric = numerical_gradient(lambda f=loss_fn: f()[0], wrt)[0]
        assert relative_error(loss_fn()[1], numeric) < 1e-7


def test_softmax_cross_entropy_is_finite_for_huge_logits():
    loss, grad = softmax_cross_entropy(np.array([[1e4, -1e4], [-1e4, 1e4]]), np.array([1, 1]))
    assert np.isfinite(loss) and loss == pytest.approx(1e4)
    assert np.all(np.isfinite(grad))


def test_loss_input_validation():
    with pytest.raises(InvalidInputError, match="labels must lie"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(InvalidInputError, match="shape"):
        mse(np.zeros(3), np.zeros(4))


# --- MLP: gradients -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activation", "output", "loss"),
    [
        ("sigmoid", "softmax", "bce"),
        ("relu", "softmax", "bce"),
        ("tanh", "softmax", "bce"),
        ("tanh", "sigmoid", "bce"),
        ("relu", "sigmoid", "mse"),
    ],
)
def test_backprop_matches_numerical_gradient(activation, output, loss):
    X, y = _blobs(n=10, n_features=4, n_classes=3, seed=6)
    n_out = 3 if output == "softmax" else 1
    if output == "sigmoid":
        y = (y == 0).astype(int)
    mlp = MLP([4, 5, 4, n_out], activation=activation, output=output, loss=loss, seed=1, l2=0.01)
    errors = check_mlp_gradients(mlp, X, y)
    assert set(errors) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert max(errors.values()) < 1e-6, errors


def _tf_loss(tf, mlp, params, X, y):
    """The MLP's loss rebuilt from TensorFlow ops, on TF variables holding the same weights."""
    act = {"relu": tf.nn.relu, "tanh": tf.tanh, "sigmoid": tf.sigmoid}[mlp.activation]
    A = tf.constant(X)
    for i, (W, b) in enumerate(params):
        Z = A @ W + b
        A = act(Z) if i < len(params) - 1 else Z
    if mlp.output == "softmax":
        data = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant(y), logits=A)
        )
    else:
        data = tf.reduce_mean(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant(y, tf.float64), logits=A)
        )
    return data + 0.5 * mlp.l2 * tf.add_n([tf.reduce_sum(W * W) for W, _ in params])


@pytest.mark.parametrize(
    ("activation", "output"), [("relu", "softmax"), ("tanh", "softmax"), ("sigmoid", "sigmoid")]
)
def test_backprop_matches_tensorflow_autodiff(activation, output):
    tf = _tf()
    X, y = _blobs(n=16, n_features=4, n_classes=3, seed=7)
    n_out = 3
    if output == "sigmoid":
        y, n_out = (y == 0).astype(int)[:, None], 1
    mlp = MLP([4, 6, 5, n_out], activation=activation, output=output, seed=2, l2=0.003)
    variables = [(tf.Variable(W), tf.Variable(b)) for W, b in mlp.params]
    with tf.GradientTape() as tape:
        tf_loss = _tf_loss(tf, mlp, variables, X, y)
    tf_grads = tape.gradient(tf_loss, [v for layer in variables for v in layer])
    assert variables[0][0].dtype == tf.float64
    loss, grads = mlp.loss_and_grads(X, y)
    assert loss == pytest.approx(float(tf_loss), rel=1e-12)
    ours = [g for layer in grads for g in layer]
    for mine, theirs in zip(ours, tf_grads, strict=True):
        assert relative_error(mine, theirs.numpy()) < 1e-8


# --- MLP: behaviour -------------------------------------------------------------------------


def test_shapes_init_and_predictions():
    mlp = MLP([4, 8, 3], seed=0)
    W1, b1 = mlp.params[0]
    assert W1.shape == (4, 8) and b1.shape == (8,) and W1.dtype == np.float64
    assert mlp.n_params == 4 * 8 + 8 + 8 * 3 + 3
    assert np.all(b1 == 0)
    X, _ = _blobs(n=5)
    probs, cache = mlp.forward(X)
    assert probs.shape == (5, 3) and np.allclose(probs.sum(axis=1), 1)
    assert len(cache["A"]) == 2 and len(cache["Z"]) == 2
    assert mlp.predict(X).dtype == np.int64
    np.testing.assert_array_equal(mlp.predict(X), probs.argmax(axis=1))
    # He init: std sqrt(2 / n_in); Xavier: sqrt(2 / (n_in + n_out)).
    big_he = MLP([400, 400], output="sigmoid", seed=0).params[0][0]
    big_xavier = MLP([400, 400], output="sigmoid", weight_init="xavier", seed=0).params[0][0]
    assert big_he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert big_xavier.std() == pytest.approx(np.sqrt(2 / 800), rel=0.02)
    np.testing.assert_array_equal(MLP([4, 8, 3], seed=0).params[0][0], W1)


def test_mlp_learns_xor_with_binary_cross_entropy():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    mlp = MLP([2, 8, 1], activation="tanh", output="sigmoid", weight_init="xavier", seed=0)
    history = mlp.fit(X, y, Adam(lr=0.05), epochs=300, batch_size=4)
    np.testing.assert_array_equal(mlp.predict(X), y)
    assert history["loss"][-1] < 0.05
    assert history["accuracy"][-1] == 1.0


def test_fit_history_validation_and_reproducibility():
    X, y = _blobs(n=90, seed=8)
    X_val, y_val = _blobs(n=30, seed=8)[0][:30], y[:30]
    runs = []
    for _ in range(2):
        mlp = MLP([4, 16, 3], seed=3)
        runs.append(mlp.fit(X, y, Adam(0.01), epochs=15, batch_size=16, X_val=X_val, y_val=y_val))
    history = runs[0]
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 15 for v in history.values())
    assert history == runs[1]
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] > 0.9
    no_val = MLP([4, 16, 3], seed=3).fit(X, y, Adam(0.01), epochs=2, batch_size=16)
    assert no_val["val_loss"] == [] and len(no_val["loss"]) == 2


def test_mlp_input_validation():
    mlp = MLP([4, 3])
    with pytest.raises(InvalidInputError, match=r"shape \(N, 4\)"):
        mlp.predict(np.zeros((2, 5)))
    with pytest.raises(InvalidInputError, match="labels must lie"):
        mlp.loss(np.zeros((2, 4)), np.array([0, 3]))
    with pytest.raises(InvalidInputError, match="integer"):
        mlp.loss(np.zeros((2, 4)), np.array([0.0, 1.0]))
    with pytest.raises(InvalidInputError, match="activation"):
        MLP([4, 3], activation="swish")
    with pytest.raises(InvalidInputError, match="softmax output needs"):
        MLP([4, 1])
