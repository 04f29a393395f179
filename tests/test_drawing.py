"""Drawings a reader can read (issue 23): lines and text grow with the image, labels stay inside
it and avoid each other, probability bars are named and never vanish without notice."""

import warnings

import cv2
import numpy as np
import pytest

from emostudy.recognition import (
    DrawingWarning,
    FaceEmotion,
    draw_faces,
    drawing_scale,
    label_layout,
)


def face(x, y, w, h, emotion=3, track=None):
    probabilities = np.full(7, 0.05)
    probabilities[emotion] = 0.7
    return FaceEmotion(box=(x, y, w, h), score=0.9, probabilities=probabilities, track_id=track)


def inside(rect, width, height):
    x1, y1, x2, y2 = rect
    return 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height


def overlaps(a, b):
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


@pytest.mark.parametrize("size", [(320, 240), (1280, 960), (6000, 4000)])
def test_labels_stay_inside_the_image_at_every_edge(size):
    width, height = size
    s = width // 10
    faces = [
        face(0, 0, s, s),  # top-left corner: no room above
        face(width - s, 0, s, s, track=12),  # top-right: the label would run off the right
        face(0, height - s, s, s),  # bottom-left: no room below
        face(width - s, height - s, s, s),  # bottom-right
    ]
    rects = label_layout(faces, width, height)
    assert len(rects) == 4 and all(inside(r, width, height) for r in rects)
    drawn = draw_faces(np.zeros((height, width, 3), np.uint8), faces, bars=False)
    assert drawn.shape == (height, width, 3) and drawn.dtype == np.uint8


def test_labels_of_a_crowd_do_not_overlap():
    # a row of small, close faces (as in study photo 13): labels above them would collide
    faces = [face(40 + 45 * i, 200 + (i % 2) * 10, 40, 40, track=i) for i in range(8)]
    rects = label_layout(faces, 640, 480)
    assert all(inside(r, 640, 480) for r in rects)
    assert not any(overlaps(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :])


def test_lines_and_text_grow_with_the_image():
    small, large = drawing_scale(640, 480), drawing_scale(6400, 4800)
    assert large["line"] >= 5 * small["line"] and large["text"] >= 5 * small["text"]
    assert large["font"] > small["font"]

    def edge_width(side):
        image = np.zeros((side, side, 3), np.uint8)
        box = (side // 4, side // 4, side // 2, side // 2)
        drawn = draw_faces(image, [face(*box)], bars=False)
        row = drawn[side // 2]  # a row through the middle of the box's left edge
        return int((row[: side // 2].max(axis=1) > 0).sum())

    assert edge_width(6400) >= 5 * edge_width(640)


def test_probability_bars_are_named_and_say_when_they_do_not_fit():
    image = np.zeros((480, 640, 3), np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DrawingWarning)
        with_bars = draw_faces(image, [face(100, 100, 80, 80)])
    plain = draw_faces(image, [face(100, 100, 80, 80)], bars=False)
    beside = (with_bars != plain).any(axis=2)[:, 185:]
    columns = np.flatnonzero(beside.any(axis=0))
    assert columns.size, "no bars beside the box"
    # the block holds a name column before the bars: wider than the bars alone (30+ px)
    assert columns.max() - columns.min() > 60
    # a face as wide as the image leaves no room on either side: a warning, not silence
    with pytest.warns(DrawingWarning, match="No room beside 1 of 1 faces"):
        draw_faces(image, [face(5, 100, 630, 200)])


def test_a_bar_block_goes_left_when_the_right_is_full():
    image = np.zeros((480, 640, 3), np.uint8)
    box = face(560, 100, 70, 70)
    drawn = draw_faces(image, [box])
    plain = draw_faces(image, [box], bars=False)
    changed = np.flatnonzero((drawn != plain).any(axis=2).any(axis=0))
    assert changed.max() < 560  # drawn left of the box


def test_study_photo_13_labels_are_readable(tmp_path):
    from emostudy.settings import data_dir

    photo = data_dir() / "photos" / "photo_13.jpg"
    if not photo.is_file():
        pytest.skip("study photos not available (EMOSTUDY_DATA/photos)")
    from emostudy.recognition import EmotionRecognizer

    image = cv2.imread(str(photo))
    result = EmotionRecognizer().recognize(image)
    height, width = image.shape[:2]
    rects = label_layout(result.faces, width, height)
    assert all(inside(r, width, height) for r in rects)
    pairs = [(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :]]
    assert sum(overlaps(a, b) for a, b in pairs) == 0, f"{len(result.faces)} faces"
