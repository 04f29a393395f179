"""Layer tables, receptive fields, filters and feature maps of small Keras models."""

from __future__ import annotations

import os

import numpy as np
import pytest

from emostudy.errors import InvalidInputError
from emostudy.nn import avg_pool2d, conv2d, max_pool2d, receptive_field


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip("keras")


@pytest.fixture(scope="module")
def inspect_cnn(keras):
    from emostudy import models as inspect_cnn

    return inspect_cnn


@pytest.fixture(scope="module")
def tiny_model(keras):
    from emostudy.models import build_cnn

    keras.utils.set_random_seed(0)
    return build_cnn((12, 12, 1), 3, filters=(2, 3), dense=(4,), name="tiny")


@pytest.mark.parametrize(("stride", "padding"), [(1, "valid"), (2, "same"), (2, "valid")])
def test_keras_conv2d_agrees_with_numpy_conv2d(inspect_cnn, stride, padding):
    rng = np.random.default_rng(1)
    x, kernels, bias = (
        rng.normal(size=(2, 7, 6, 2)),
        rng.normal(size=(3, 3, 2, 4)),
        rng.normal(size=4),
    )
    ours = conv2d(x, kernels, bias, stride=stride, padding=padding)
    theirs = inspect_cnn.keras_conv2d(x, kernels, bias, stride=stride, padding=padding)
    assert theirs.dtype == np.float64 and theirs.shape == ours.shape
    np.testing.assert_allclose(theirs, ours, atol=1e-5)
    no_bias = inspect_cnn.keras_conv2d(x, kernels, None, stride=stride, padding=padding)
    np.testing.assert_allclose(
        no_bias, conv2d(x, kernels, stride=stride, padding=padding), atol=1e-5
    )


def test_keras_conv2d_rejects_mismatched_channels(inspect_cnn):
    with pytest.raises(InvalidInputError, match="kernels"):
        inspect_cnn.keras_conv2d(np.zeros((1, 5, 5, 2)), np.zeros((3, 3, 1, 1)))


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_keras_pool2d_agrees_with_numpy_pooling(inspect_cnn, padding):
    x = np.random.default_rng(2).normal(size=(1, 7, 7, 3))
    np.testing.assert_allclose(
        inspect_cnn.keras_pool2d(x, "max", 2, padding=padding),
        max_pool2d(x, 2, padding=padding),
        atol=1e-6,
    )
    np.testing.assert_allclose(
        inspect_cnn.keras_pool2d(x, "avg", 3, 2, padding=padding),
        avg_pool2d(x, 3, 2, padding=padding),
        atol=1e-6,
    )
    with pytest.raises(InvalidInputError, match="kind"):
        inspect_cnn.keras_pool2d(x, "median")


def test_layer_table_counts_and_receptive_fields(inspect_cnn, tiny_model):
    table = inspect_cnn.layer_table(tiny_model)
    assert table["params"].sum() == tiny_model.count_params()
    counted = table.dropna(subset=["formula_params"])
    assert list(counted["type"]) == ["Conv2D", "Conv2D", "Dense", "Dense"]
    assert (counted["formula_params"] == counted["params"]).all()
    spatial = table[table["type"].isin(["Conv2D", "MaxPooling2D"])]
    # conv3 -> 3, pool2 -> 4, conv3 (jump 2) -> 8, pool2 -> 10
    assert list(spatial["receptive_field"]) == [3, 4, 8, 10]
    assert table.loc[table["type"] == "Flatten", "receptive_field"].isna().all()
    assert table.iloc[0]["output_shape"] == (12, 12, 2)


@pytest.mark.parametrize(
    "layers", [[(3, 1)], [(3, 1)] * 3, [(3, 1), (2, 2), (3, 1), (2, 2)], [(5, 2), (3, 1), (2, 2)]]
)
def test_measured_receptive_field_equals_formula(inspect_cnn, layers):
    assert inspect_cnn.measured_receptive_field(layers) == receptive_field(layers)


def test_measured_receptive_field_of_nothing_is_one_pixel(inspect_cnn):
    assert inspect_cnn.measured_receptive_field([]) == 1


def test_first_layer_filters_and_feature_maps(inspect_cnn, tiny_model):
    filters = inspect_cnn.first_layer_filters(tiny_model)
    assert filters.shape == (2, 3, 3, 1)
    x = np.random.default_rng(3).random((2, 12, 12, 1)).astype(np.float32)
    maps = inspect_cnn.feature_maps(tiny_model, x)
    assert [m.shape for m in maps.values()] == [(2, 6, 6, 2), (2, 3, 3, 3)]
    first_conv = inspect_cnn.feature_maps(tiny_model, x, names=[tiny_model.layers[1].name])
    (conv_out,) = first_conv.values()
    kernels, bias = tiny_model.layers[1].get_weights()
    np.testing.assert_allclose(conv_out, conv2d(x, kernels, bias, padding="same"), atol=1e-5)
    extractor = inspect_cnn.feature_model(tiny_model, ("Conv2D",))
    assert len(extractor.outputs) == 2


def test_feature_model_explains_a_bad_choice(inspect_cnn, tiny_model):
    with pytest.raises(InvalidInputError, match="no layer of type"):
        inspect_cnn.feature_model(tiny_model, ("LSTM",))
    with pytest.raises(InvalidInputError, match="no layer"):
        inspect_cnn.feature_model(tiny_model, names=["nope"])
    from emostudy.models import build_mlp

    dense = build_mlp((4,), 2, hidden=(3,))
    with pytest.raises(InvalidInputError, match="no Conv2D"):
        inspect_cnn.first_layer_filters(dense)


def test_nearest_kernels_finds_scaled_and_negated_references(inspect_cnn):
    from emostudy.nn import CLASSIC_KERNELS

    refs = {name: CLASSIC_KERNELS[name] for name in ("sobel_x", "sobel_y", "laplacian")}
    filters = np.stack(
        [3 * CLASSIC_KERNELS["sobel_y"], -CLASSIC_KERNELS["sobel_x"], np.zeros((3, 3))]
    )
    matches = inspect_cnn.nearest_kernels(filters, refs)
    assert matches[0][0] == "sobel_y" and matches[0][1] == pytest.approx(1.0)
    assert matches[1][0] == "sobel_x" and matches[1][1] == pytest.approx(-1.0)
    assert matches[2][1] == 0.0
    with pytest.raises(InvalidInputError, match="shape"):
        inspect_cnn.nearest_kernels(np.zeros((1, 5, 5)), refs)
