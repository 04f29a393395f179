"""The FER-style face crop: known answers for margin, squaring, alignment and image edges."""

import cv2
import numpy as np
import pytest

from emostudy.data import FACE_SIZE
from emostudy.detectors import make_face
from emostudy.errors import InvalidInputError
from emostudy.faces.crop import (
    DEFAULT_CROP,
    CropSpec,
    crop_candidates,
    crop_face,
    crop_faces,
    eye_line_angle,
    to_gray,
)
from emostudy.models import to_model_input


def _textured(height=200, width=300, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width), dtype=np.uint8)


def test_a_48_pixel_box_with_no_margin_returns_the_pixels_themselves():
    image = _textured()
    plain = CropSpec(margin=0.0, square=True, align=False)
    crop = crop_face(image, (40, 30, 48, 48), spec=plain)
    assert crop.dtype == np.uint8 and crop.shape == (FACE_SIZE, FACE_SIZE)
    np.testing.assert_array_equal(crop, image[30:78, 40:88])


def test_a_larger_box_is_shrunk_by_pixel_area_averaging():
    image = _textured()
    plain = CropSpec(margin=0.0, square=True, align=False)
    crop = crop_face(image, (10, 20, 96, 96), spec=plain)
    expected = cv2.resize(image[20:116, 10:106], (48, 48), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(crop, expected)


def test_margin_widens_the_crop_on_each_side():
    image = np.zeros((300, 300), np.uint8)
    image[100:200, 100:200] = 255  # a white 100-pixel square: the "face"
    crop = crop_face(image, (100, 100, 100, 100), spec=CropSpec(margin=0.25, align=False))
    # 150-pixel crop: the white square covers the middle two thirds (32 of 48 pixels)
    white = (crop > 127).sum(axis=1)
    assert white.max() == pytest.approx(32, abs=1)
    assert crop[0, 0] == 0 and crop[24, 24] == 255


def test_square_uses_the_longer_side_and_box_aspect_stretches():
    image = np.zeros((300, 300), np.uint8)
    image[100:200, 125:175] = 255  # a tall 50x100 white box
    squared = crop_face(image, (125, 100, 50, 100), spec=CropSpec(square=True, align=False))
    stretched = crop_face(image, (125, 100, 50, 100), spec=CropSpec(square=False, align=False))
    assert (squared[24] > 127).sum() == pytest.approx(24, abs=1)  # half the width is white
    assert (stretched > 127).all()  # the box fills the whole crop


def test_parts_outside_the_image_repeat_the_edge():
    image = np.full((100, 100), 7, np.uint8)
    crop = crop_face(image, (-30, -30, 60, 60), spec=CropSpec(align=False))
    assert crop.shape == (48, 48) and (crop == 7).all()


def test_eye_line_angle_for_five_and_68_points():
    assert eye_line_angle(None) == 0.0
    level = np.array([[30, 40], [70, 40], [50, 60], [35, 80], [65, 80]], float)
    assert eye_line_angle(level) == pytest.approx(0.0)
    tilted = level.copy()
    tilted[1] = [70, 80]  # right-hand eye 40 px lower over 40 px: 45 degrees
    assert eye_line_angle(tilted) == pytest.approx(45.0)
    assert eye_line_angle(tilted[[1, 0, 2, 3, 4]]) == pytest.approx(45.0)  # order-free
    dlib = np.zeros((68, 2))
    dlib[36:42] = [20, 50]
    dlib[42:48] = [60, 10]
    assert eye_line_angle(dlib) == pytest.approx(-45.0)


def test_alignment_undoes_a_rotation():
    rng = np.random.default_rng(1)
    image = cv2.GaussianBlur(rng.integers(0, 256, (240, 240), dtype=np.uint8), (0, 0), 3)
    box = (72, 72, 96, 96)
    eyes = np.array([[100.0, 105.0], [140.0, 105.0], [120, 125], [105, 145], [135, 145]])
    upright = crop_face(image, box, eyes, spec=CropSpec(align=True))
    rotation = cv2.getRotationMatrix2D((119.5, 119.5), 20, 1.0)  # counter-clockwise 20 degrees
    rotated = cv2.warpAffine(image, rotation, (240, 240), borderMode=cv2.BORDER_REFLECT)
    moved = np.c_[eyes, np.ones(len(eyes))] @ rotation.T
    assert eye_line_angle(moved) == pytest.approx(-20.0, abs=1e-6)
    aligned = crop_face(rotated, box, moved, spec=CropSpec(align=True))
    unaligned = crop_face(rotated, box, moved, spec=CropSpec(align=False))
    error_aligned = np.abs(aligned.astype(int) - upright).mean()
    error_unaligned = np.abs(unaligned.astype(int) - upright).mean()
    assert error_aligned < 2.0 < error_unaligned


def test_crop_faces_batches_detector_faces_and_feeds_the_model_input():
    image = cv2.cvtColor(_textured(), cv2.COLOR_GRAY2BGR)
    faces = [make_face(10, 10, 60, 60, 0.9), make_face(100, 50, 80, 90, 0.8)]
    crops = crop_faces(image, faces)
    assert crops.shape == (2, 48, 48) and crops.dtype == np.uint8
    np.testing.assert_array_equal(crops[0], crop_face(image, faces[0].box))
    assert to_model_input(crops).shape == (2, 48, 48, 1)
    assert crop_faces(image, []).shape == (0, 48, 48)


def test_to_gray_matches_opencv_and_refuses_bad_input():
    bgr = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    np.testing.assert_array_equal(to_gray(bgr), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    assert to_gray(bgr[:, :, :1]).shape == (20, 30)
    with pytest.raises(InvalidInputError, match="uint8"):
        to_gray(bgr.astype(np.float32))
    with pytest.raises(InvalidInputError, match="shape"):
        to_gray(np.zeros((20, 30, 4), np.uint8))


def test_bad_boxes_and_specs_get_clear_errors():
    with pytest.raises(InvalidInputError, match="w, h > 0"):
        crop_face(_textured(), (0, 0, 0, 10))
    with pytest.raises(InvalidInputError, match="margin"):
        CropSpec(margin=2.0)
    with pytest.raises(InvalidInputError, match="shift"):
        CropSpec(shift=0.9)


def test_candidates_cover_the_grid_and_the_default_is_one_of_them():
    grid = crop_candidates()
    assert len(grid) == 5 * 2 * 2 and len(set(grid)) == len(grid)
    assert DEFAULT_CROP in grid
    assert DEFAULT_CROP.to_dict() == {
        "margin": DEFAULT_CROP.margin,
        "square": DEFAULT_CROP.square,
        "align": DEFAULT_CROP.align,
        "shift": DEFAULT_CROP.shift,
    }
    assert "margin" in DEFAULT_CROP.label
