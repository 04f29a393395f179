"""dlib's 68 landmarks on face crops and the geometric features built from them."""

import cv2
import numpy as np
import pytest
import skimage.data

from emostudy.errors import InvalidInputError
from emostudy.faces.landmarks import (
    N_LANDMARKS,
    OUTLINES,
    detect_landmarks,
    landmark_features,
    landmark_geometry,
)


@pytest.fixture(scope="module")
def astronaut_face():
    """A 96x96 grayscale crop of the astronaut's face (scikit-image's photo), FER-style framing."""
    gray = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray[60:172, 164:276], (96, 96), interpolation=cv2.INTER_AREA)


def similarity(points, *, scale, angle_degrees, shift):
    theta = np.deg2rad(angle_degrees)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    return scale * points @ rotation.T + np.asarray(shift)


def template_points(seed=0):
    """A (68, 2) point set with distinct eye centres (any such set works for the geometry)."""
    points = np.random.default_rng(seed).uniform(0, 48, size=(N_LANDMARKS, 2))
    points[36:42] = [10, 18] + np.random.default_rng(seed + 1).normal(0, 1, (6, 2))
    points[42:48] = [38, 18] + np.random.default_rng(seed + 2).normal(0, 1, (6, 2))
    return points


def test_geometry_is_invariant_to_shift_scale_and_in_plane_rotation():
    points = template_points()
    reference = landmark_geometry(points)
    assert reference.shape == (1, 136 + 58 + 2278)
    for scale, angle, shift in [(2.0, 0, (0, 0)), (0.37, 25, (100, -3)), (5.0, -170, (-7, 9))]:
        moved = similarity(points, scale=scale, angle_degrees=angle, shift=shift)
        np.testing.assert_allclose(landmark_geometry(moved), reference, atol=1e-9)


def test_geometry_puts_the_eyes_on_the_x_axis_one_unit_apart():
    points = similarity(template_points(), scale=3.0, angle_degrees=40, shift=(5, 5))
    aligned = landmark_geometry(points)[0, :136].reshape(N_LANDMARKS, 2)
    right, left = aligned[36:42].mean(axis=0), aligned[42:48].mean(axis=0)
    np.testing.assert_allclose(right, [-0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(left, [0.5, 0.0], atol=1e-12)


def test_geometry_angles_and_distances_are_known_answers():
    points = template_points()
    features = landmark_geometry(points)[0]
    n_angles = sum(
        (last - first + 1) if closed else (last - first - 1) for first, last, closed in OUTLINES
    )
    assert n_angles == 58
    angles = features[136 : 136 + n_angles]
    assert np.all((angles >= 0) & (angles <= np.pi))
    # the first outline angle is at point 1 of the jaw, between points 0 and 2
    u, v = points[0] - points[1], points[2] - points[1]
    expected = np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v))
    assert angles[0] == pytest.approx(expected)
    # the first distance is between points 0 and 1, in inter-ocular distances
    ocular = np.linalg.norm(points[42:48].mean(axis=0) - points[36:42].mean(axis=0))
    assert features[136 + n_angles] == pytest.approx(np.linalg.norm(points[0] - points[1]) / ocular)


def test_geometry_changes_when_the_expression_does():
    points = template_points()
    open_mouth = points.copy()
    open_mouth[57] += [0, 5]  # lower lip down
    assert not np.allclose(landmark_geometry(points), landmark_geometry(open_mouth))


@pytest.mark.parametrize(
    ("landmarks", "message"),
    [
        (np.zeros((2, 5, 2)), "shape"),
        (np.zeros((68, 3)), "shape"),
        (np.zeros((68, 2)), "eye centres"),
        (np.full((68, 2), np.nan), "NaN"),
    ],
)
def test_geometry_refuses_what_is_not_a_landmark_set(landmarks, message):
    with pytest.raises(InvalidInputError, match=message):
        landmark_geometry(landmarks)


def test_landmarks_of_a_real_face_are_where_a_face_has_them(astronaut_face):
    points = detect_landmarks(astronaut_face)
    assert points.shape == (1, 68, 2) and points.dtype == np.float32
    points = points[0]
    assert np.all((points > -5) & (points < 101))
    brows, eyes, nose_tip, mouth, chin = (
        points[17:27, 1].mean(),
        points[36:48, 1].mean(),
        points[30, 1],
        points[48:68, 1].mean(),
        points[8, 1],
    )
    assert brows < eyes < nose_tip < mouth < chin
    assert points[36:42, 0].mean() < points[42:48, 0].mean()  # person's right eye on image left


def test_landmarks_follow_the_image_when_it_is_scaled(astronaut_face):
    small = cv2.resize(astronaut_face, (48, 48), interpolation=cv2.INTER_AREA)
    at_96 = detect_landmarks(astronaut_face, upscale=2)[0]
    at_48 = detect_landmarks(small, upscale=4)[0]
    # same 192-pixel working size: the points agree to a fraction of a 48-pixel-crop pixel
    np.testing.assert_allclose(at_96 / 2, at_48, atol=1.5)
    ocular = np.linalg.norm(at_96[42:48].mean(axis=0) - at_96[36:42].mean(axis=0))
    gap = np.abs(landmark_features(astronaut_face, upscale=2) - landmark_features(small)).mean()
    assert gap < 0.05, (gap, ocular)


def test_landmark_features_barely_move_when_the_face_turns_in_the_image_plane(astronaut_face):
    centre = (47.5, 47.5)
    turned = cv2.warpAffine(
        astronaut_face,
        cv2.getRotationMatrix2D(centre, 8, 1.0),
        (96, 96),
        borderMode=cv2.BORDER_REPLICATE,
    )
    base = landmark_features(astronaut_face, upscale=2)
    aligned = base[0, :136].reshape(68, 2)
    turned_aligned = landmark_features(turned, upscale=2)[0, :136].reshape(68, 2)
    # point positions in the eye frame agree to a few hundredths of the inter-ocular distance
    assert np.median(np.linalg.norm(aligned - turned_aligned, axis=1)) < 0.06
    # while the raw landmarks moved by pixels
    raw = detect_landmarks(astronaut_face, upscale=2)[0]
    raw_turned = detect_landmarks(turned, upscale=2)[0]
    assert np.median(np.linalg.norm(raw - raw_turned, axis=1)) > 1.0


@pytest.mark.parametrize(
    ("faces", "kwargs", "message"),
    [
        (np.zeros((48, 48), np.float32), {}, "uint8"),
        (np.zeros((2, 48, 48, 3), np.uint8), {}, "grayscale"),
        (np.zeros((8, 8), np.uint8), {}, ">= 16"),
        (np.zeros((48, 48), np.uint8), {"upscale": 0}, "upscale"),
        (np.zeros((48, 48), np.uint8), {"box": (0.5, 0, 0.4, 1)}, "box"),
    ],
)
def test_detect_landmarks_refuses_bad_input_with_the_fix(faces, kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        detect_landmarks(faces, **kwargs)
