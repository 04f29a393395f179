"""Feature extractors and the network methods of emostudy.transfer, on tiny data."""

import cv2
import numpy as np
import pytest
import skimage.data

from emostudy.errors import InvalidInputError
from emostudy.models import build_cnn, load_emotion_model
from emostudy.transfer import (
    FineTuned,
    ScratchCNN,
    face_descriptors,
    identity_check,
    network_features,
)


@pytest.fixture(scope="module")
def faces():
    """Twelve 48x48 uint8 faces: the astronaut, shifted and brightened, plus two classes."""
    gray = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2GRAY)
    crops = []
    for k in range(12):
        dx, dy = k % 3 * 3, k // 3 * 2
        crop = cv2.resize(gray[60 + dy : 172 + dy, 164 + dx : 276 + dx], (48, 48))
        crops.append(np.clip(crop.astype(int) + 5 * k, 0, 255).astype(np.uint8))
    return np.stack(crops)[..., None]


def test_network_features_flatten_maps_and_average_over_mirror_images(faces):
    model = build_cnn(filters=(4, 8), dense=(), global_pool=True, name="tiny")
    layers = [layer.name for layer in model.layers]
    pooled, gap = layers[-3], layers[-2]  # last max-pool map, global average pool
    plain = network_features(faces, model=model, layers=[pooled, gap], flip=False)
    assert plain[pooled].shape == (12, 12 * 12 * 8) and plain[gap].shape == (12, 8)
    mirrored = network_features(faces[:, :, ::-1].copy(), model=model, layers=[gap], flip=False)
    averaged = network_features(faces, model=model, layers=[gap], flip=True)
    np.testing.assert_allclose(averaged[gap], (plain[gap] + mirrored[gap]) / 2, rtol=1e-5)


def test_network_features_refuse_unknown_layers_and_wrong_image_sizes(faces):
    model = build_cnn(filters=(4,), dense=(), global_pool=True, name="tiny")
    with pytest.raises(InvalidInputError, match="not in tiny"):
        network_features(faces, model=model, layers=["no_such_layer"])
    with pytest.raises(InvalidInputError, match="48, 48, 1"):
        network_features(np.zeros((2, 64, 64, 1), np.uint8), model=model, layers=["logits"])


def test_face_descriptors_tell_the_same_face_from_another():
    gray = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2GRAY)
    astronaut = cv2.resize(gray[60:172, 164:276], (48, 48))
    noise = np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)
    d = face_descriptors(np.stack([astronaut, astronaut[:, ::-1], noise]))
    assert d.shape == (3, 128)
    assert np.linalg.norm(d[0] - d[1]) < 0.6 < np.linalg.norm(d[0] - d[2])


def test_identity_check_is_a_known_answer():
    descriptors = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [5.0, 1.0]])
    subjects = np.array(["S1", "S1", "S2", "S2"])
    check = identity_check(descriptors, subjects, threshold=0.6)
    assert check["same_subject_match"] == 0.5  # S1 pair 0.1 apart, S2 pair 1.0 apart
    assert check["different_subject_match"] == 0.0
    assert check["same_subject_median_distance"] == pytest.approx(0.55)
    with pytest.raises(InvalidInputError, match="same and of different"):
        identity_check(descriptors, np.array(["S1"] * 4))


def test_scratch_cnn_learns_an_easy_task_and_returns_probabilities():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 24)
    images = np.where(labels[:, None, None, None] == 1, 200, 40).astype(np.uint8)
    images = np.clip(images + rng.integers(-30, 30, (48, 48, 48, 1)), 0, 255).astype(np.uint8)
    method = ScratchCNN(n_classes=2, epochs=20, batch_size=4, augment=None, seed=0)
    proba = method.fit(images, labels).predict_proba(images)
    assert proba.shape == (48, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert (proba.argmax(axis=1) == labels).mean() > 0.9


def test_fine_tuning_freezes_the_lower_blocks_first_and_leaves_the_shipped_model_alone(faces):
    method = FineTuned(head_epochs=1, full_epochs=0, batch_size=4, augment=None, seed=0)
    shipped = load_emotion_model(method.base)  # the network fine-tuning starts from
    before = [w.copy() for w in shipped.get_weights()]
    labels = np.arange(12) % 7
    method.fit(faces, labels)
    backbone = method.backbone_
    first_conv = backbone.get_layer("conv2d").get_weights()[0]
    last_conv = backbone.get_layer("conv2d_7").get_weights()[0]
    np.testing.assert_array_equal(first_conv, shipped.get_layer("conv2d").get_weights()[0])
    assert not np.allclose(last_conv, shipped.get_layer("conv2d_7").get_weights()[0])
    for kept, now in zip(before, shipped.get_weights(), strict=True):
        np.testing.assert_array_equal(kept, now)
    proba = method.predict_proba(faces[:5])
    assert proba.shape == (5, 7)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    # stage 2 unfreezes everything
    method = FineTuned(head_epochs=1, full_epochs=1, batch_size=4, augment=None, seed=0)
    method.fit(faces, labels)
    moved = method.backbone_.get_layer("conv2d").get_weights()[0]
    assert not np.allclose(moved, shipped.get_layer("conv2d").get_weights()[0])


def test_network_methods_refuse_images_of_the_wrong_size():
    with pytest.raises(InvalidInputError, match="48, 48, 1"):
        ScratchCNN(epochs=1).fit(np.zeros((4, 32, 32, 1), np.uint8), np.array([0, 1, 0, 1]))
    with pytest.raises(InvalidInputError, match="not a layer"):
        FineTuned(frozen_until="nope").fit(np.zeros((4, 48, 48, 1), np.uint8), np.zeros(4, int))


def test_features_of_many_fresh_models_print_no_retracing_warning(faces, capsys, caplog):
    """Each call builds a new extractor, so Keras retraces its predict function by design;
    TensorFlow's "triggered tf.function retracing" warning must not reach the reader."""
    for k in range(7):
        model = build_cnn(filters=(4,), dense=(), global_pool=True, name=f"tiny{k}")
        network_features(faces, model=model, layers=[model.layers[-2].name])
    printed = capsys.readouterr()
    assert "retracing" not in printed.out + printed.err + caplog.text
