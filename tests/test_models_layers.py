"""The fused batch-norm layer against Keras' own BatchNormalization."""

import keras
import numpy as np
import pytest

from emostudy.errors import InvalidInputError
from emostudy.hardware import bfloat16_support, has_native_bfloat16
from emostudy.models import FusedBatchNormalization


@pytest.fixture
def pair():
    """A Keras BatchNormalization and a FusedBatchNormalization with equal random weights."""
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, (16, 6, 6, 5)).astype(np.float32)
    weights = [
        rng.uniform(0.5, 1.5, 5).astype(np.float32),  # gamma
        rng.normal(0, 1, 5).astype(np.float32),  # beta
        rng.normal(0, 1, 5).astype(np.float32),  # moving mean
        rng.uniform(0.5, 2, 5).astype(np.float32),  # moving variance
    ]
    reference, fused = keras.layers.BatchNormalization(momentum=0.9), FusedBatchNormalization(0.9)
    for layer in (reference, fused):
        layer.build(x.shape)
        layer.set_weights(weights)
    return x, reference, fused


def test_inference_uses_the_moving_statistics_like_keras(pair):
    x, reference, fused = pair
    expected = np.asarray(reference(x, training=False))
    np.testing.assert_allclose(np.asarray(fused(x, training=False)), expected, atol=1e-5)
    gamma, beta, mean, variance = fused.get_weights()
    by_hand = gamma * (x - mean) / np.sqrt(variance + 1e-3) + beta
    np.testing.assert_allclose(np.asarray(fused(x)), by_hand, atol=1e-5)


def test_training_normalises_with_batch_statistics_and_updates_moving_ones(pair):
    x, reference, fused = pair
    np.testing.assert_allclose(
        np.asarray(fused(x, training=True)), np.asarray(reference(x, training=True)), atol=1e-5
    )
    n = x.shape[0] * x.shape[1] * x.shape[2]
    _, _, mean, variance = fused.get_weights()
    _, _, keras_mean, keras_variance = reference.get_weights()
    np.testing.assert_allclose(mean, keras_mean, atol=1e-6)
    # Documented difference: the moving variance takes the unbiased (n - 1) batch variance.
    batch_variance = x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(
        variance - keras_variance, 0.1 * batch_variance / (n - 1), rtol=1e-3, atol=1e-7
    )


@pytest.mark.skipif(
    not has_native_bfloat16(), reason=f"no native bfloat16 here: {bfloat16_support()}"
)
def test_bfloat16_inputs_keep_float32_statistics():
    x = np.random.default_rng(1).normal(size=(8, 4, 4, 3)).astype(np.float32)
    layer = FusedBatchNormalization(dtype="mixed_bfloat16")
    out = layer(x, training=True)
    assert keras.backend.standardize_dtype(out.dtype) == "bfloat16"
    assert all(w.dtype == "float32" for w in layer.weights)
    np.testing.assert_allclose(np.asarray(out, np.float32).mean(axis=(0, 1, 2)), 0, atol=0.05)


def test_saved_model_round_trips_with_the_layer(tmp_path):
    inputs = keras.Input((8, 8, 2))
    model = keras.Model(inputs, FusedBatchNormalization()(inputs))
    model.layers[-1].set_weights([np.full(2, v, np.float32) for v in (2.0, 1.0, 0.5, 4.0)])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    x = np.ones((1, 8, 8, 2), np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[-1].get_config()["momentum"] == 0.99


def test_non_image_inputs_are_refused_with_the_alternative_named():
    with pytest.raises(InvalidInputError, match="keras.layers.BatchNormalization"):
        FusedBatchNormalization().build((None, 10))


def test_patch_erasing_fills_one_rectangle_per_chosen_image_with_noise():
    from emostudy.models import RandomPatchErasing

    images = np.full((400, 48, 48, 1), 0.5, np.float32)
    out = np.asarray(RandomPatchErasing(0.5, seed=3)(images, training=True))
    changed = out != 0.5
    erased = changed.any(axis=(1, 2, 3))
    assert 0.4 < erased.mean() < 0.6  # about half the images
    for image in changed[erased][:50, ..., 0]:
        rows, cols = np.nonzero(image.any(axis=1))[0], np.nonzero(image.any(axis=0))[0]
        box = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        assert box.mean() > 0.95  # a rectangle (a noise pixel may equal 0.5 by chance)
        assert 0.01 <= image.mean() <= 0.34
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_patch_erasing_is_identity_at_inference_and_seeded():
    from emostudy.models import RandomPatchErasing

    images = np.random.default_rng(0).random((16, 48, 48, 1), dtype=np.float32)
    np.testing.assert_array_equal(RandomPatchErasing(1.0)(images, training=False), images)
    first = np.asarray(RandomPatchErasing(1.0, seed=7)(images, training=True))
    second = np.asarray(RandomPatchErasing(1.0, seed=7)(images, training=True))
    np.testing.assert_array_equal(first, second)
    with pytest.raises(InvalidInputError, match="probability"):
        RandomPatchErasing(1.5)


# RandomFaceCrop: crop-based training inside the model.


def _window_offsets(image, crop, size):
    """Every (top, left) where ``crop`` is exactly the ``size`` window of ``image``."""
    return [
        (top, left)
        for top in range(image.shape[0] - size + 1)
        for left in range(image.shape[1] - size + 1)
        if np.array_equal(image[top : top + size, left : left + size], crop)
    ]


def test_face_crop_takes_the_centre_window_at_inference():
    from emostudy.models import RandomFaceCrop

    x = np.random.default_rng(0).random((3, 48, 48, 1)).astype(np.float32)
    out = np.asarray(RandomFaceCrop(44)(x, training=False))
    np.testing.assert_array_equal(out, x[:, 2:46, 2:46])


def test_face_crop_takes_an_exact_random_window_of_each_face_in_training():
    from emostudy.models import RandomFaceCrop

    x = np.random.default_rng(1).random((64, 48, 48, 1)).astype(np.float32)
    layer = RandomFaceCrop(44, seed=3)
    first, second = (np.asarray(layer(x, training=True)) for _ in range(2))
    offsets = [_window_offsets(x[i], first[i], 44) for i in range(len(x))]
    assert all(len(found) == 1 for found in offsets)  # exact pixels, no resampling
    assert len({found[0] for found in offsets}) > 10  # each face its own window
    assert not np.array_equal(first, second)  # and new windows at every step


def test_face_crop_names_bad_sizes_and_small_inputs():
    from emostudy.models import RandomFaceCrop

    with pytest.raises(InvalidInputError, match="positive int"):
        RandomFaceCrop(0)
    with pytest.raises(InvalidInputError, match="at least 44x44"):
        RandomFaceCrop(44)(np.zeros((1, 40, 40, 1), np.float32))


def test_a_model_with_a_face_crop_saves_and_loads(tmp_path):
    from emostudy.models import build_model

    model = build_model("vgg_lite_crop44")
    assert model.input_shape == (None, 48, 48, 1)
    x = np.random.default_rng(2).random((4, 48, 48, 1)).astype(np.float32)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


def test_moving_statistics_are_averaged_across_replicas():
    fused = FusedBatchNormalization()
    fused.build((1, 4, 4, 3))
    assert fused.moving_mean.aggregation == "mean" and fused.moving_variance.aggregation == "mean"
    assert fused.gamma.aggregation == "none"


@pytest.mark.parametrize("name", ["tiny_cnn", "vgg_lite", "vgg_lite_crop44"])
def test_macs_per_image_agree_with_tensorflows_profiler(name):
    import tensorflow as tf

    from emostudy.models import build_model, macs_per_image

    model = build_model(name)
    function = tf.function(lambda x: model(x, training=False))
    graph = function.get_concrete_function(tf.TensorSpec((1, 48, 48, 1), tf.float32)).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    flops = tf.compat.v1.profiler.profile(graph, options=options).total_float_ops
    macs = macs_per_image(model)
    # The profiler counts 2 FLOPs per multiply-accumulate, plus the cheap element-wise ops.
    assert 2 * macs <= flops <= 2 * macs * 1.05, (macs, flops)
