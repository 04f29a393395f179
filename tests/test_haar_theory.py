"""Integral images, Haar-like features and the parsed OpenCV cascade, against OpenCV itself."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from emostudy.detectors.haar import cascade_path
from emostudy.detectors.haar_theory import (
    evaluate_window,
    haar_feature,
    integral_image,
    parse_cascade,
    rect_sum,
    scaled_feature,
)
from emostudy.errors import DataLayoutError, InvalidInputError
from emostudy.settings import data_dir


@pytest.mark.parametrize("seed", range(3))
def test_integral_image_equals_opencv(seed):
    image = np.random.default_rng(seed).integers(0, 256, size=(37, 53), dtype=np.uint8)
    ii, sq = integral_image(image), integral_image(image, squared=True)
    cv_sum, cv_sq = cv2.integral2(image, sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)
    assert ii.shape == (38, 54) and np.array_equal(ii, cv2.integral(image))
    assert np.array_equal(ii, cv_sum) and np.array_equal(sq, cv_sq)


def test_rect_sum_is_four_lookups():
    image = np.arange(30, dtype=np.uint8).reshape(5, 6)
    ii = integral_image(image)
    assert rect_sum(ii, 1, 2, 3, 2) == image[2:4, 1:4].sum()
    xs = np.array([0, 2, 5])
    assert rect_sum(ii, xs, 0, 1, 5).tolist() == image[:, xs].sum(axis=0).tolist()
    with pytest.raises(InvalidInputError):
        integral_image(np.zeros((3, 3, 3)))


def test_edge_feature_by_hand():
    # left half dark (10), right half bright (200), a 4x4 image
    image = np.array([[10, 10, 200, 200]] * 4, dtype=np.uint8)
    feature = scaled_feature("edge (left-right)", 0, 0, 2, 4)
    # OpenCV convention: -1 x whole (4 x 10 x 2 + 4 x 200 x 2 = 1680) + 2 x right half (1600)
    # = 1600 - 80: the right half minus the left half
    assert haar_feature(integral_image(image), feature) == 1600 - 80
    assert feature.tolist() == [[0, 0, 4, 4, -1], [2, 0, 2, 4, 2]]
    with pytest.raises(InvalidInputError):
        scaled_feature("diagonal", 0, 0, 1, 1)


def test_parsed_cascade_matches_the_xml():
    cascade = parse_cascade()
    assert cascade.window == (24, 24)
    assert len(cascade.stages) == 25 and cascade.n_weak == 2913
    assert len(cascade.stages[0]) == 9
    assert cascade.stages[0].stage_threshold == pytest.approx(-5.0425500869750977)
    table = cascade.stage_table()
    assert table["weak_classifiers"].tolist()[:3] == [9, 16, 27]
    assert (table["min_vote"] < table["stage_threshold"]).all()
    assert (table["stage_threshold"] < table["max_vote"]).all()
    first = cascade.features[0]
    assert first.tolist() == [[6, 4, 12, 9, -1], [6, 7, 12, 3, 3]]


def test_a_non_cascade_file_is_a_layout_error(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<opencv_storage><x/></opencv_storage>")
    with pytest.raises(DataLayoutError):
        parse_cascade(bad)


def _windows():
    """24x24 gray windows: crops around the faces of two photos (some pass), and random crops."""
    rng = np.random.default_rng(0)
    crops = []
    for name, (fx, fy, fs) in {
        "photo_56.jpg": (150, 200, 210),
        "photo_03.jpg": (190, 90, 210),
    }.items():
        gray = cv2.imread(str(data_dir() / "photos" / name), cv2.IMREAD_GRAYSCALE)
        for _ in range(40):
            s = int(fs * rng.uniform(0.9, 1.25))
            x = int(fx + rng.uniform(-0.15, 0.1) * fs)
            y = int(fy + rng.uniform(-0.15, 0.1) * fs)
            crops.append(
                cv2.resize(gray[y : y + s, x : x + s], (24, 24), interpolation=cv2.INTER_AREA)
            )
        for _ in range(20):
            s = int(rng.integers(24, 200))
            x, y = rng.integers(0, gray.shape[1] - s), rng.integers(0, gray.shape[0] - s)
            crops.append(
                cv2.resize(gray[y : y + s, x : x + s], (24, 24), interpolation=cv2.INTER_AREA)
            )
    return crops


@pytest.mark.needs_data
def test_numpy_cascade_agrees_with_opencv_window_by_window():
    if not (data_dir() / "photos").is_dir():
        pytest.skip("study photos not found (set EMOSTUDY_DATA)")
    cascade = parse_cascade()
    opencv = cv2.CascadeClassifier(str(cascade_path()))
    passed = 0
    for window in _windows():
        ours = evaluate_window(
            cascade, integral_image(window), integral_image(window, squared=True)
        )
        # a 24x24 image holds exactly one 24x24 window at scale 1
        boxes, _, weights = opencv.detectMultiScale3(
            window, scaleFactor=1.1, minNeighbors=0, outputRejectLevels=True
        )
        assert ours.passed == (len(boxes) == 1)
        if ours.passed:
            passed += 1
            assert ours.stages_passed == 25 and ours.weak_evaluated == cascade.n_weak
            assert float(np.ravel(weights)[0]) == pytest.approx(ours.last_sum, abs=1e-4)
        else:
            assert ours.stages_passed < 25 and len(ours.stage_sums) == ours.stages_passed + 1
    assert passed >= 3  # the comparison covered accepted windows too


def test_window_outside_the_image_is_refused():
    ii = integral_image(np.zeros((20, 20), np.uint8))
    with pytest.raises(InvalidInputError):
        evaluate_window(parse_cascade(), ii, ii)


def test_feature_count_of_a_24x24_window():
    from emostudy.detectors.haar_theory import count_haar_features

    counts = count_haar_features(24, 24)
    assert sum(counts.values()) == 162_336  # the figure usually quoted for Viola-Jones' set
    # by hand for a 2x2 window: a left-right edge feature is 2 wide and 1 or 2 tall; 2x1 fits
    # at 2 positions (top and bottom row), 2x2 at 1: 3 features (likewise top-bottom); the
    # four-rectangle feature fits once; three-rectangle features need 3 pixels
    assert count_haar_features(2, 2) == {
        "two-rectangle, left-right": 3,
        "two-rectangle, top-bottom": 3,
        "three-rectangle, horizontal": 0,
        "three-rectangle, vertical": 0,
        "four-rectangle": 1,
    }


def test_sliding_window_count_by_hand():
    from emostudy.detectors.haar_theory import sliding_window_count

    # a 28x24 image at scale 1 with step 2: x in {0, 2, 4}, y in {0}: 3 windows; the next level
    # (28/1.5 = 19 pixels wide) no longer holds a 24x24 window
    assert sliding_window_count(28, 24, 1.5) == [(1.0, 3)]
    with pytest.raises(InvalidInputError):
        sliding_window_count(28, 24, 1.0)


def test_vectorised_stage_sums_equal_the_window_by_window_evaluation():
    from emostudy.detectors.haar_theory import (
        cascade_stage_sums,
        cascade_survival,
        weak_classifiers_evaluated,
    )

    cascade = parse_cascade()
    rng = np.random.default_rng(1)
    windows = rng.integers(0, 256, size=(6, 24, 24), dtype=np.uint8)
    windows[0] = 128  # a flat window: zero variance, normalisation factor 1
    sums = cascade_stage_sums(cascade, windows)
    assert sums.shape == (6, 25)
    alive = cascade_survival(cascade, sums)
    cost = weak_classifiers_evaluated(cascade, sums)
    for i, window in enumerate(windows):
        one = evaluate_window(
            cascade, integral_image(window), integral_image(window, squared=True), early_exit=False
        )
        assert np.allclose(one.stage_sums, sums[i])
        assert one.stages_passed == alive[i].sum()
        early = evaluate_window(
            cascade, integral_image(window), integral_image(window, squared=True)
        )
        assert early.weak_evaluated == cost[i]
