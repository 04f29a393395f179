"""The scaffolding of chapters 1-4 (emostudy.book.foundations)."""

import numpy as np
import pytest

from emostudy.book import (
    compare_numpy_and_keras_mlp,
    glue_values,
    sample_photographs,
    standardise_pixels,
    tensorflow_mlp_gradients,
    train_face_mlp,
)
from emostudy.data import make_synthetic_faces
from emostudy.errors import InvalidInputError
from emostudy.nn import MLP, flatten_params, relative_error


@pytest.fixture
def glued(monkeypatch):
    import myst_nb

    calls = []
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display=True: calls.append((name, value, display))
    )
    return calls


def test_glue_values_glues_plain_values_under_the_prefix(glued):
    out = glue_values({"acc": np.float64(0.25), "n": np.int64(3), "name": "FER"}, prefix="ch9_")
    assert out is None  # a cell ending with the call shows nothing
    assert {name: value for name, value, _ in glued} == {
        "ch9_acc": 0.25,
        "ch9_n": 3,
        "ch9_name": "FER",
    }
    assert [name for name, _, _ in glued] == ["ch9_acc", "ch9_n", "ch9_name"]
    assert all(display is False for _, _, display in glued)
    assert type(glued[0][1]) is float and type(glued[1][1]) is int  # not NumPy scalars
    assert repr(glued[0][1]) == "0.25"


def test_glue_values_refuses_what_it_cannot_name(glued):
    with pytest.raises(InvalidInputError, match="mapping"):
        glue_values([("a", 1)])
    with pytest.raises(InvalidInputError, match="non-empty strings"):
        glue_values({"fine": 1, "": 2})  # nothing is glued when one name is bad
    assert glued == []


def test_standardise_pixels_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 2.0, size=(500, 4, 4, 1)).astype(np.float32)
    shifted = train[:50] + 2.0  # the first 50 training images, brighter by 2
    train_z, other_z = standardise_pixels(train, shifted)
    assert train_z.dtype == np.float32 and train_z.shape == train.shape
    np.testing.assert_allclose(train_z.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train_z.std(axis=0), 1.0, atol=1e-4)
    # the other set is moved by the training mean and scaled by the training std, not its own
    expected = np.broadcast_to(2.0 / (train.std(axis=0) + 1e-6), other_z.shape)
    np.testing.assert_allclose(other_z - train_z[:50], expected, rtol=1e-4)


def test_standardise_pixels_handles_constant_pixels_and_integers():
    train = np.zeros((3, 2, 2), dtype=np.uint8)
    (z,) = standardise_pixels(train)
    assert z.dtype == np.float64 and np.all(np.isfinite(z)) and np.all(z == 0)


def test_standardise_pixels_refuses_mismatched_or_empty_input():
    with pytest.raises(InvalidInputError, match="trailing shape"):
        standardise_pixels(np.ones((4, 3)), np.ones((2, 5)))
    with pytest.raises(InvalidInputError, match="at least one image"):
        standardise_pixels(np.ones((0, 3)))


@pytest.mark.parametrize(
    ("kwargs", "n_out", "binary"),
    [
        (dict(activation="relu", output="softmax"), 4, False),
        (dict(activation="tanh", output="sigmoid"), 1, True),
        (dict(activation="sigmoid", output="sigmoid", loss="mse"), 1, True),
    ],
)
def test_tensorflow_gradients_equal_backpropagation(kwargs, n_out, binary):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 5))
    y = (rng.random((12, 1)) > 0.5).astype(np.float64) if binary else rng.integers(0, n_out, 12)
    net = MLP([5, 6, n_out], seed=0, l2=0.05, **kwargs)
    loss, grads = tensorflow_mlp_gradients(net, X, y)
    _, cache = net.forward(X)
    ours = flatten_params(net.backward(cache, y))
    assert len(grads) == len(ours) == 4
    assert abs(loss - net.loss(X, y)) < 1e-12
    for a, b in zip(ours, grads, strict=True):
        assert a.shape == b.shape
        assert relative_error(a, b) < 1e-12


def test_tensorflow_gradients_see_a_wrong_penalty():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8)
    with_l2 = MLP([3, 4, 2], seed=0, l2=0.5)
    without = MLP([3, 4, 2], seed=0, l2=0.0)  # the same weights
    _, grads = tensorflow_mlp_gradients(with_l2, X, y)
    _, cache = without.forward(X)
    assert relative_error(flatten_params(without.backward(cache, y))[0], grads[0]) > 1e-3


def _blobs(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.normal(size=(n, 6)) + 3.0 * np.eye(3, 6)[y]
    return X, y


def test_numpy_and_keras_twins_learn_the_same_easy_problem():
    train, val, test = _blobs(300, 0), _blobs(60, 1), _blobs(90, 2)
    net = MLP([6, 8, 3], activation="relu", seed=0)
    result = compare_numpy_and_keras_mlp(
        net, train, val, test, hidden=[8], epochs=8, learning_rate=1e-2, seed=0
    )
    assert len(result.numpy_history["loss"]) == 8 == len(result.keras_history)
    assert result.n_test == 90
    assert result.numpy_eval["accuracy"] > 0.8 and result.keras_eval["accuracy"] > 0.8
    assert 0.8 < result.agreement <= 1.0
    table = result.table()
    assert list(table.index) == ["NumPy", "Keras"]
    for _, row in table.iterrows():
        assert row["95% interval low"] <= row["test accuracy"] <= row["95% interval high"]
    assert 1 <= result.keras_best_epoch <= 8


def test_numpy_and_keras_twins_must_share_the_architecture():
    data = _blobs(20, 0)
    with pytest.raises(InvalidInputError, match="hidden"):
        compare_numpy_and_keras_mlp(MLP([6, 8, 3], seed=0), data, data, data, hidden=[16], epochs=1)


def test_face_mlp_trains_on_training_and_measures_on_publictest():
    faces = make_synthetic_faces(60, seed=0)
    run = train_face_mlp(faces, hidden=(32,), epochs=10, batch_size=16, seed=0)
    usage = faces.meta["usage"].to_numpy()
    summary = run.summary()
    assert summary["n_train"] == int((usage == "Training").sum())
    assert summary["n_publictest"] == int((usage == "PublicTest").sum())
    assert summary["layer_sizes"] == [48 * 48, 32, len(faces.classes)]
    assert summary["epochs"] == 10 and 1 <= summary["best_epoch"] <= 10
    assert summary["best_publictest_accuracy"] >= summary["publictest_accuracy"] - 1e-12
    assert summary["publictest_accuracy"] == run.history["val_accuracy"][-1]
    assert set(summary["per_class_recall"]) == set(faces.classes)
    # the synthetic expressions are learnable: well above the majority answer after ten epochs
    assert summary["publictest_accuracy"] > summary["majority_baseline"] + 0.15


def test_face_mlp_needs_both_usages():
    faces = make_synthetic_faces(5, seed=0)
    with pytest.raises(InvalidInputError, match="Training and PublicTest"):
        train_face_mlp(faces.where(usage="Training"), epochs=1)


def test_sample_photographs_are_gray_crops_in_the_unit_range(recwarn):
    photos = sample_photographs()
    assert list(photos) == ["camera (crop)", "astronaut (crop)"]
    for image in photos.values():
        assert image.shape == (256, 256) and image.dtype == np.float64
        assert 0.0 <= image.min() < image.max() <= 1.0
    assert not [w for w in recwarn if "IProgress" in str(w.message)]
