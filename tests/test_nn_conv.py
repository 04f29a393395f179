"""NumPy convolution and pooling against Keras layers, plus sizes, receptive fields, kernels."""

from __future__ import annotations

import os

import numpy as np
import pytest

from emostudy.errors import InvalidInputError
from emostudy.nn import (
    CLASSIC_KERNELS,
    avg_pool2d,
    conv2d,
    conv_params,
    dense_params,
    filter_image,
    max_pool2d,
    output_size,
    receptive_field,
)


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip("keras")


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "c_in", "c_out"),
    [
        ((7, 7), 3, 1, "valid", 1, 1),
        ((7, 8), 3, 1, "same", 3, 4),
        ((9, 7), 3, 2, "valid", 2, 5),
        ((9, 8), 3, 2, "same", 3, 2),
        ((8, 8), 4, 2, "same", 1, 3),  # even kernel: Keras pads more at the bottom/right
        ((10, 9), 5, 3, "same", 2, 2),
    ],
)
def test_conv2d_matches_keras_conv2d(size, kernel, stride, padding, c_in, c_out):
    keras = _keras()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, *size, c_in))
    kernels = rng.normal(size=(kernel, kernel, c_in, c_out))
    bias = rng.normal(size=c_out)
    layer = keras.layers.Conv2D(c_out, kernel, strides=stride, padding=padding)
    layer.build((None, *size, c_in))
    layer.set_weights([kernels, bias])
    expected = np.asarray(layer(x.astype(np.float32)))
    ours = conv2d(x, kernels, bias, stride=stride, padding=padding)
    assert ours.dtype == np.float64
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, atol=1e-5)


@pytest.mark.parametrize(
    ("pool", "stride", "padding"),
    [(2, None, "valid"), (3, 2, "valid"), (2, None, "same"), (3, 2, "same")],
)
def test_pooling_matches_keras(pool, stride, padding):
    keras = _keras()
    x = np.random.default_rng(1).normal(size=(2, 7, 6, 3))
    for ours_fn, layer_cls in (
        (max_pool2d, keras.layers.MaxPooling2D),
        (avg_pool2d, keras.layers.AveragePooling2D),
    ):
        expected = np.asarray(
            layer_cls(pool, strides=stride, padding=padding)(x.astype(np.float32))
        )
        ours = ours_fn(x, pool=pool, stride=stride, padding=padding)
        assert ours.shape == expected.shape
        np.testing.assert_allclose(ours, expected, atol=1e-6)


def test_conv2d_by_hand_on_a_tiny_image():
    x = np.arange(16, dtype=float).reshape(1, 4, 4, 1)
    k = np.array([[1.0, 0.0], [0.0, -1.0]])[:, :, None, None]  # x[i, j] - x[i+1, j+1]
    np.testing.assert_array_equal(conv2d(x, k)[0, :, :, 0], np.full((3, 3), -5.0))
    np.testing.assert_array_equal(conv2d(x, k, stride=2)[0, :, :, 0], np.full((2, 2), -5.0))


def test_sobel_on_a_vertical_step_edge():
    # Dark (0) left half, bright (1) right half: the step is between columns 2 and 3.
    image = np.zeros((5, 6))
    image[:, 3:] = 1.0
    gx = filter_image(image, CLASSIC_KERNELS["sobel_x"], padding="valid")
    gy = filter_image(image, CLASSIC_KERNELS["sobel_y"], padding="valid")
    # Windows centred on columns 1..4; those touching the step (centres 2 and 3) see
    # (1 + 2 + 1) * (right - left) = 4; flat regions give 0. No vertical change: gy = 0.
    np.testing.assert_array_equal(gx, np.tile([0.0, 4.0, 4.0, 0.0], (3, 1)))
    np.testing.assert_array_equal(gy, np.zeros((3, 4)))


def test_classic_kernels():
    assert set(CLASSIC_KERNELS) == {
        "identity",
        "blur",
        "sharpen",
        "sobel_x",
        "sobel_y",
        "laplacian",
    }
    image = np.random.default_rng(2).random((6, 6))
    for name, kernel in CLASSIC_KERNELS.items():
        assert kernel.shape == (3, 3) and kernel.dtype == np.float64, name
    np.testing.assert_allclose(filter_image(image, CLASSIC_KERNELS["identity"]), image)
    assert CLASSIC_KERNELS["blur"].sum() == pytest.approx(1.0)
    assert CLASSIC_KERNELS["sharpen"].sum() == pytest.approx(1.0)
    for name in ("sobel_x", "sobel_y", "laplacian"):  # no response to a constant image
        np.testing.assert_allclose(filter_image(np.ones((5, 5)), CLASSIC_KERNELS[name], "valid"), 0)
    with pytest.raises(ValueError):
        CLASSIC_KERNELS["blur"][0, 0] = 1.0  # read-only constants


def test_output_size_known_answers():
    assert output_size(48, 3, 1, "valid") == 46
    assert output_size(48, 3, 1, "same") == 48
    assert output_size(48, 3, 2, "same") == 24
    assert output_size(7, 3, 2, "same") == 4  # ceil(7 / 2)
    assert output_size(7, 3, 2, "valid") == 3
    assert output_size(224, 7, 2, 3) == 112  # ResNet stem: 7x7 stride 2 with 3 pixels of padding
    assert output_size(48, 2, 2, "valid") == 24
    with pytest.raises(InvalidInputError):
        output_size(2, 3, 1, "valid")
    with pytest.raises(InvalidInputError):
        output_size(8, 3, 1, "full")


def test_receptive_field():
    assert receptive_field([]) == 1
    assert receptive_field([(3, 1)]) == 3
    assert receptive_field([(3, 1)] * 3) == 7  # three 3x3 convs see as far as one 7x7
    assert receptive_field([(3, 1), (2, 2), (3, 1)]) == 8
    # VGG-style block pair: 1 + 2 + 2 (convs) + 1 (pool) = 6, jump 2; + 4 + 4 (convs) + 2 (pool).
    assert receptive_field([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)]) == 16


def test_parameter_counts_match_keras():
    keras = _keras()
    conv = keras.layers.Conv2D(32, (3, 3))
    conv.build((None, 48, 48, 1))
    dense = keras.layers.Dense(7)
    dense.build((None, 128))
    assert conv_params(3, 3, 1, 32) == conv.count_params() == 320
    assert dense_params(128, 7) == dense.count_params() == 903
    assert conv_params(3, 3, 64, 128, bias=False) == 3 * 3 * 64 * 128


def test_conv2d_input_validation():
    with pytest.raises(InvalidInputError, match="kernels must have shape"):
        conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 1, 4)))
    with pytest.raises(InvalidInputError, match=r"\(N, H, W, C\)"):
        conv2d(np.zeros((5, 5)), np.zeros((3, 3, 1, 1)))
    with pytest.raises(InvalidInputError, match="bias"):
        conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 2)), bias=np.zeros(3))
