"""Every public entry point through the same kinds of bad input, under a memory cap (issue 12).

Each row of the table is a :class:`Case`: a call on one entry point with one kind of bad input
(wrong type, wrong shape, empty, tiny or huge image, out-of-range or non-finite setting, a folder
for a file, a missing or corrupt file), and what must happen: either an ``emostudy.errors`` class
whose message contains the words that name the fix, or a normal return that passes a check (a
3x3 image has no faces, an empty batch gives ``(0, K)`` probabilities, K the default model's
classes...).

All rows run in one worker process (``python -m tests.test_bad_inputs``) whose address space is
capped with ``RLIMIT_AS`` before TensorFlow, dlib or ONNX Runtime load, so a call that allocates
without bound fails there instead of taking the machine down; the worker also records the peak
resident memory of each row (the kernel's high-water mark, reset before the row), which may rise
at most :data:`RSS_GROWTH_CAP_GB` above its level when the row starts. If the worker
dies (a native abort when the cap is hit), that row fails and a new worker carries on after it.

To add a public function: write its rows in a ``*_cases()`` function below and add that function
to :data:`CASE_GROUPS` (the recognizer and the ``emostudy`` command have theirs). Detectors join
by registration: every name in ``available_detectors()`` gets the input and size rows
automatically, and must have out-of-range settings in :data:`BAD_SETTINGS`. A row that shows a
gap not yet fixed carries ``known_issue`` (where the gap lies): it is a strict expected failure,
which fails as soon as the gap is fixed, so that the mark is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from emostudy.models import model_classes

ROOT = Path(__file__).resolve().parents[1]
SHARED_MODELS = ROOT.parent / "shared" / "models"
#: Address-space cap of the worker (virtual memory: TensorFlow and every detector loaded take
#: about 3.5 GB of it before any call).
ADDRESS_SPACE_CAP_GB = 10
#: How far the worker's resident memory may rise above its level at the start of a row, during it
#: (an 8000x6000 photo is 0.14 GB; detectors shrink it to their max_side first).
RSS_GROWTH_CAP_GB = 1.5
#: Settings of the detectors used in the rows (MMOD on a small side: seconds per image otherwise).
TEST_SETTINGS = {"dlib_mmod": {"upsample": 0, "max_side": 360}}
#: Number of classes of the default emotion model (its card's class list; 8 for the FER+ model).
K_DEFAULT = len(model_classes())

#: Out-of-range or wrongly typed settings for each registered detector, and the words that must
#: appear in the error. A new detector must add its own.
BAD_SETTINGS: dict[str, list[tuple[dict[str, Any], str]]] = {
    "haar": [
        ({"scale_factor": 1.0}, "scale_factor must lie in (1, inf)"),
        ({"min_neighbors": "3"}, "min_neighbors must be an integer"),
        ({"min_size": 24}, "min_size must be a (width, height) pair"),
    ],
    "dlib_hog": [
        ({"upsample": -1}, "upsample must be an integer >= 0"),
        ({"adjust_threshold": float("inf")}, "adjust_threshold must be a finite number"),
    ],
    "dlib_mmod": [
        ({"upsample": 10}, "upsample must be an integer >= 0 and <= 3"),
        ({"score_threshold": "0"}, "score_threshold must be a number"),
    ],
    "mtcnn": [
        ({"thresholds": (-1, -1, -1)}, "thresholds[0] must lie in [0, 1]"),
        ({"thresholds": (2, 2, 2)}, "thresholds[0] must lie in [0, 1]"),
        ({"thresholds": 0.5}, "thresholds must be a sequence of 3 numbers"),
        ({"nms_thresholds": (0.5, 0.7, 0.7, 1.2)}, "nms_thresholds[3] must lie in (0, 1]"),
        ({"scale_factor": 1.5}, "scale_factor must lie in (0, 1)"),
        ({"min_face_size": 5}, "min_face_size must be an integer >= 12"),
    ],
    "ssd": [
        ({"confidence_threshold": 1.5}, "confidence_threshold must lie in [0, 1]"),
        ({"input_size": 300}, "input_size must be a (width, height) pair"),
    ],
    "yunet": [
        ({"score_threshold": "0.5"}, "score_threshold must be a number"),
        ({"score_threshold": float("nan")}, "score_threshold must be a finite number"),
        ({"input_size": 320}, "input_size must be a (width, height) pair"),
        ({"nms_threshold": 0.0}, "nms_threshold must lie in (0, 1]"),
        ({"top_k": 0}, "top_k must be an integer >= 1"),
    ],
    "blazeface_short": [
        ({"min_score": -0.1}, "min_score must lie in [0, 1]"),
        ({"model": "tiny"}, "model must be one of 'short', 'full'"),
    ],
    "blazeface_full": [({"nms_threshold": 2}, "nms_threshold must lie in (0, 1]")],
    "retinaface": [
        ({"score_threshold": -1}, "score_threshold must lie in [0, 1]"),
        ({"top_k": 2.5}, "top_k must be an integer"),
    ],
}


@dataclass(frozen=True)
class Case:
    """One row: ``call(ctx)`` must raise ``raises`` with every string of ``words`` in its message,
    or, when ``raises`` is None, return a value that ``check`` accepts (it raises otherwise)."""

    id: str
    call: Callable[[Context], Any]
    raises: type[Exception] | None = None
    words: tuple[str, ...] = ()
    check: Callable[[Any], None] | None = None
    #: A known gap, with where it lies: the row is a strict xfail until the code is fixed.
    known_issue: str | None = None


# --------------------------------------------------------------------------------------------
# the context every row gets: a folder of bad files and the detectors, made once in the worker


class Context:
    """Bad files in a temporary folder, and detectors created on first use."""

    def __init__(self, folder: Path) -> None:
        import cv2

        from tests.data_fixtures import fake_fer_csv_rows, write_fake_fer_folder, write_fer_csv
        from tests.test_data_wider import write_fake_wider

        self.tmp = folder
        self.missing = folder / "no_such_file.jpg"
        self.folder = folder / "a_folder"
        self.folder.mkdir()
        self.corrupt = folder / "corrupt.jpg"
        self.corrupt.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
        self.empty_file = folder / "empty.png"
        self.empty_file.write_bytes(b"")
        self.face_png = folder / "face.png"
        cv2.imwrite(str(self.face_png), np.random.default_rng(0).integers(0, 256, (48, 48)))
        self.header_only = write_fer_csv(folder / "header_only.csv", [])
        self.bom_csv = write_fer_csv(folder / "bom.csv", fake_fer_csv_rows())
        self.bom_csv.write_bytes(b"\xef\xbb\xbf" + self.bom_csv.read_bytes())
        pixels = ",".join(["128"] * 2304)
        self.comma_csv = write_fer_csv(folder / "comma.csv", [(0, pixels, "Training")])
        self.fer = folder / "fer2013"
        write_fake_fer_folder(self.fer)
        self.empty_ckplus = folder / "ckplus_empty"
        self.empty_ckplus.mkdir()
        self.ckplus_empty_class = folder / "ckplus_empty_class"
        (self.ckplus_empty_class / "fear").mkdir(parents=True)
        self.wider_truncated = write_fake_wider(folder / "wider_truncated")
        mat = self.wider_truncated / "ground_truth" / "wider_face_val.mat"
        mat.write_bytes(mat.read_bytes()[:64])
        self._detectors: dict[str, Any] = {}

    def detector(self, name: str):
        from emostudy.detectors import create_detector

        if name not in self._detectors:
            self._detectors[name] = create_detector(name, **TEST_SETTINGS.get(name, {}))
        return self._detectors[name]

    @staticmethod
    def faceset(labels=(0, 0, 0, 1, 1, 1)):
        import pandas as pd

        from emostudy.data import FaceSet

        n = len(labels)
        meta = pd.DataFrame(
            {"usage": ["all"] * n, "source": ["s"] * n, "subject": [f"S{i:03d}" for i in range(n)]}
        )
        images = np.random.default_rng(1).integers(0, 256, (n, 48, 48, 1), dtype=np.uint8)
        return FaceSet(images, np.asarray(labels, np.int64), ("a", "b"), meta, "tiny")


@contextlib.contextmanager
def env(**values: str) -> Iterator[None]:
    """Set environment variables for the length of one row."""
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def errors():
    import emostudy.errors

    return emostudy.errors


# --------------------------------------------------------------------------------------------
# checks of returned values


def faces_inside(width: int, height: int, *, none: bool = False) -> Callable[[Any], None]:
    """A check: a list of Face whose boxes are finite, inside the image and not degenerate."""

    def check(faces):
        from emostudy.detectors import Face

        assert isinstance(faces, list) and all(isinstance(f, Face) for f in faces), faces
        if none:
            assert faces == [], f"expected no faces, got {faces}"
        for face in faces:
            x, y, w, h = face.box
            assert np.isfinite([x, y, w, h, face.score]).all(), face
            assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, face
            assert w >= 1 and h >= 1, face

    return check


def shape_is(shape: tuple[int, ...]) -> Callable[[Any], None]:
    def check(value):
        assert np.shape(value) == shape, f"shape {np.shape(value)} != {shape}"

    return check


def is_true(predicate: Callable[[Any], bool], what: str) -> Callable[[Any], None]:
    def check(value):
        assert predicate(value), f"{what}: got {value!r}"[:300]

    return check


# --------------------------------------------------------------------------------------------
# the rows, one group per entry point


def loader_cases() -> list[Case]:
    from emostudy.data import load_ckplus, load_fer2013, load_wider_face_val, read_gray

    e = errors()
    return [
        Case("fer2013/wrong-type-path", lambda c: load_fer2013(42), e.InvalidInputError,
             ("path must be a folder or file path",)),
        Case("fer2013/missing", lambda c: load_fer2013(c.tmp / "nope"), e.DataNotFoundError,
             ("not found", "Get it from")),
        Case("fer2013/folder-without-data", lambda c: load_fer2013(c.folder), e.DataLayoutError,
             ("no train/ and test/ folders",)),
        Case("fer2013/image-instead-of-csv", lambda c: load_fer2013(c.face_png),
             e.DataLayoutError, ("neither a folder nor a .csv file",)),
        Case("fer2013/empty-csv", lambda c: load_fer2013(c.header_only, progress=False),
             e.DataLayoutError, ("has no rows", "original fer2013.csv")),
        Case("fer2013/csv-with-bom", lambda c: load_fer2013(c.bom_csv, progress=False),
             check=is_true(lambda fs: len(fs) == 9, "the 9 rows load")),
        Case("fer2013/comma-pixels", lambda c: load_fer2013(c.comma_csv, progress=False),
             e.DataLayoutError, ("separated by spaces, not commas", "Fix or delete that row")),
        Case("fer2013/usage-int", lambda c: load_fer2013(c.fer, usage=1), e.InvalidInputError,
             ("usage must be a usage name",)),
        Case("fer2013/usage-unknown", lambda c: load_fer2013(c.fer, usage="Test"),
             e.InvalidInputError, ("valid usages: Training, PublicTest, PrivateTest",)),
        Case("ckplus/wrong-type-path", lambda c: load_ckplus(3.5), e.InvalidInputError,
             ("path must be a folder or file path",)),
        Case("ckplus/missing", lambda c: load_ckplus(c.tmp / "nope"), e.DataNotFoundError,
             ("Get it from",)),
        Case("ckplus/file-instead-of-folder", lambda c: load_ckplus(c.face_png),
             e.DataNotFoundError, ("CK+ not found",)),
        Case("ckplus/empty", lambda c: load_ckplus(c.empty_ckplus, progress=False),
             e.DataLayoutError, ("No CK+ images found in", "class folders")),
        Case("ckplus/empty-class", lambda c: load_ckplus(c.ckplus_empty_class, progress=False),
             e.DataLayoutError, ("is empty", "remove the folder")),
        Case("wider/missing", lambda c: load_wider_face_val(c.tmp / "nope"), e.DataNotFoundError,
             ("Get it from",)),
        Case("wider/wrong-type-path", lambda c: load_wider_face_val(["a"]), e.InvalidInputError,
             ("path must be a folder or file path",)),
        Case("wider/truncated-mat", lambda c: load_wider_face_val(c.wider_truncated),
             e.DataLayoutError, ("wider_face_val.mat", "truncated", "Download it again")),
        Case("read_gray/folder", lambda c: read_gray(c.folder), e.InvalidInputError,
             ("is a folder, not an image file",)),
        Case("read_gray/missing", lambda c: read_gray(c.missing), e.DataNotFoundError,
             ("not found", "Check the path")),
        Case("read_gray/corrupt", lambda c: read_gray(c.corrupt), e.CorruptImageError,
             ("Re-download",)),
        Case("read_gray/empty-file", lambda c: read_gray(c.empty_file), e.CorruptImageError,
             ("0 bytes",)),
        Case("read_gray/wrong-type", lambda c: read_gray(None), e.InvalidInputError,
             ("path must be a folder or file path",)),
    ]  # fmt: skip


def audit_and_split_cases() -> list[Case]:
    from emostudy.data import audit, sample_per_class, subject_folds, train_validation_split

    e = errors()
    empty = lambda c: c.faceset(labels=())  # noqa: E731
    return [
        Case("audit/empty", lambda c: audit(empty(c)).summary(),
             check=is_true(lambda s: set(s.values()) == {0}, "all counts 0")),
        Case("audit/wrong-type", lambda c: audit(np.zeros((2, 48, 48, 1), np.uint8)),
             e.InvalidInputError, ("audit takes a FaceSet",)),
        Case("audit/negative-blank-std", lambda c: audit(c.faceset(), blank_std=-1),
             e.InvalidInputError, ("blank_std must lie in [0, inf)",)),
        Case("audit/nan-blank-std", lambda c: audit(c.faceset(), blank_std=float("nan")),
             e.InvalidInputError, ("blank_std must be a finite number",)),
        Case("subject_folds/too-many", lambda c: subject_folds(c.faceset(), n_splits=5),
             e.InvalidInputError, ("Use n_splits <= 3",)),
        Case("subject_folds/float", lambda c: subject_folds(c.faceset(), n_splits=2.0),
             e.InvalidInputError, ("n_splits must be an integer", "Pass int(2.0)")),
        Case("subject_folds/one", lambda c: subject_folds(c.faceset(), n_splits=1),
             e.InvalidInputError, ("n_splits must be an integer >= 2",)),
        Case("subject_folds/no-column", lambda c: subject_folds(c.faceset(), group_column="who"),
             e.InvalidInputError, ("no 'who' column",)),
        Case("sample_per_class/float", lambda c: sample_per_class(c.faceset(), 2.5),
             e.InvalidInputError, ("n_per_class must be an integer",)),
        Case("sample_per_class/zero", lambda c: sample_per_class(c.faceset(), 0),
             e.InvalidInputError, ("n_per_class must be an integer >= 1",)),
        Case("sample_per_class/empty", lambda c: len(sample_per_class(empty(c), 3)),
             check=is_true(lambda n: n == 0, "no images")),
        Case("train_validation_split/out-of-range",
             lambda c: train_validation_split(c.faceset(), 1.5), e.InvalidInputError,
             ("validation_fraction must lie in (0, 1)",)),
        Case("train_validation_split/string",
             lambda c: train_validation_split(c.faceset(), "0.2"), e.InvalidInputError,
             ("validation_fraction must be a number", "e.g. 0.2")),
        Case("train_validation_split/wrong-type", lambda c: train_validation_split([1, 2], 0.5),
             e.InvalidInputError, ("Expected a FaceSet",)),
    ]  # fmt: skip


def detector_cases() -> list[Case]:
    from emostudy.detectors import available_detectors, create_detector

    e = errors()
    cases = [
        Case("create_detector/unknown", lambda c: create_detector("nope"), e.InvalidInputError,
             ("available: haar",)),
        Case("create_detector/unknown-setting", lambda c: create_detector("haar", threshold=1),
             e.InvalidInputError, ("its settings are",)),
        Case("create_detector/max_side-negative", lambda c: create_detector("haar", max_side=-5),
             e.InvalidInputError, ("max_side must be an integer >= 16",)),
        Case("create_detector/max_side-string", lambda c: create_detector("ssd", max_side="big"),
             e.InvalidInputError, ("max_side must be an integer",)),
    ]  # fmt: skip
    for name in available_detectors():
        for i, (tunables, words) in enumerate(BAD_SETTINGS.get(name, [])):
            cases.append(
                Case(
                    f"{name}/bad-setting-{i}",
                    lambda c, n=name, t=tunables: create_detector(n, **t),
                    e.InvalidInputError,
                    (words,),
                )
            )
    # the inputs every detector takes, checked once per registered detector
    noise = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    inputs: list[tuple[str, Any, dict, type | None, tuple[str, ...], Any]] = [
        ("list", [[1, 2, 3]], {}, e.InvalidInputError, ("Expected a NumPy uint8 image",), None),
        ("none", None, {}, e.InvalidInputError, ("The image is None", "check the path"), None),
        ("float", noise / 255.0, {}, e.InvalidInputError, ("Scale floats",), None),
        ("nan", np.full((64, 64, 3), np.nan), {}, e.InvalidInputError, ("uint8",), None),
        ("4-channels", np.zeros((64, 64, 4), np.uint8), {}, e.InvalidInputError,
         ("Drop the alpha channel",), None),
        ("4-d", np.zeros((2, 64, 64, 3), np.uint8), {}, e.InvalidInputError,
         ("(H, W) or (H, W, 3)",), None),
        ("empty", np.zeros((0, 0, 3), np.uint8), {}, e.InvalidInputError,
         ("(H, W) or (H, W, 3)",), None),
        ("bad-color", noise, {"color_order": "hsv"}, e.InvalidInputError,
         ("color_order must be one of",), None),
        ("gray-as-bgr", noise, {"color_order": "gray"}, e.InvalidInputError,
         ("color_order='bgr'",), None),
        ("folder", "FOLDER", {}, e.InvalidInputError, ("is a folder, not an image file",), None),
        ("missing", "MISSING", {}, e.DataNotFoundError, ("Image file not found",), None),
        ("corrupt", "CORRUPT", {}, e.CorruptImageError, ("not an image",), None),
        ("tiny-3x3", np.zeros((3, 3, 3), np.uint8), {}, None, (), faces_inside(3, 3, none=True)),
        ("tiny-8x640", np.zeros((8, 640, 3), np.uint8), {}, None, (),
         faces_inside(640, 8, none=True)),
        ("tiny-16x4000", np.zeros((16, 4000, 3), np.uint8), {}, None, (),
         faces_inside(4000, 16)),
        ("thumbnail-20x30", np.full((20, 30, 3), 255, np.uint8), {}, None, (),
         faces_inside(30, 20)),
        ("huge-8000x6000", huge_image, {}, None, (), faces_inside(8000, 6000)),
    ]  # fmt: skip
    paths = {"FOLDER": "folder", "MISSING": "missing", "CORRUPT": "corrupt"}
    for name in available_detectors():
        for kind, image, kwargs, raises, words, check in inputs:

            def call(c, n=name, im=image, kw=kwargs):
                if isinstance(im, str) and im in paths:
                    im = getattr(c, paths[im])
                elif callable(im):
                    im = im()
                return c.detector(n).detect(im, **kw)

            cases.append(Case(f"{name}/detect-{kind}", call, raises, words, check))
    cases.append(
        Case(
            "mtcnn/zero-thresholds-stay-bounded",
            lambda c: create_detector("mtcnn", thresholds=(0, 0, 0)).detect(noise_image(480, 360)),
            check=faces_inside(480, 360),
        )
    )
    return cases


def huge_image() -> np.ndarray:
    """An 8000x6000 photo-sized canvas (144 MB), gray with a noisy square in the middle."""
    image = np.full((6000, 8000, 3), 128, np.uint8)
    image[2500:3500, 3500:4500] = np.random.default_rng(3).integers(0, 256, (1000, 1000, 3))
    return image


def noise_image(width: int, height: int) -> np.ndarray:
    return np.random.default_rng(4).integers(0, 256, (height, width, 3), dtype=np.uint8)


def evaluation_cases() -> list[Case]:
    from emostudy.evaluation import detect_all, iou_matrix
    from emostudy.geometry import box_iou, nms

    e = errors()
    boxes = np.array([[0, 0, 10, 10], [5, 5, 10, 10]], float)
    return [
        Case("detect_all/one-path", lambda c: detect_all(c.detector("haar"), "photo.jpg"),
             e.InvalidInputError, ("pass [image]", "detector.detect(image)")),
        Case("detect_all/one-array", lambda c: detect_all(c.detector("haar"), noise_image(64, 64)),
             e.InvalidInputError, ("pass [image]",)),
        Case("detect_all/not-a-detector", lambda c: detect_all("haar", [c.face_png]),
             e.InvalidInputError, ("see create_detector",)),
        Case("detect_all/number", lambda c: detect_all(c.detector("haar"), 5),
             e.InvalidInputError, ("takes a list of images",)),
        Case("detect_all/empty", lambda c: detect_all(c.detector("haar"), [])[1],
             check=shape_is((0,))),
        Case("detect_all/missing-file", lambda c: detect_all(c.detector("haar"), [c.missing]),
             e.DataNotFoundError, ("Check the path",)),
        Case("box_iou/6-columns", lambda c: box_iou(np.zeros((2, 6)), boxes),
             e.InvalidInputError, ("got shape (2, 6)", "boxes_a[:, :4]")),
        Case("box_iou/flat-8", lambda c: box_iou(np.zeros(8), boxes), e.InvalidInputError,
             ("got shape (8,)",)),
        Case("box_iou/nan", lambda c: box_iou([[0, 0, np.nan, 1]], boxes), e.InvalidInputError,
             ("non-finite",)),
        Case("box_iou/strings", lambda c: box_iou("abcd", boxes), e.InvalidInputError,
             ("array of numbers",)),
        Case("box_iou/empty", lambda c: box_iou(np.zeros((0, 4)), boxes), check=shape_is((0, 2))),
        Case("nms/6-columns", lambda c: nms(np.zeros((2, 6)), [1, 2]), e.InvalidInputError,
             ("got shape (2, 6)",)),
        Case("nms/score-count", lambda c: nms(boxes, [1, 2, 3]), e.InvalidInputError,
             ("one score per box",)),
        Case("nms/nan-score", lambda c: nms(boxes, [1, np.nan]), e.InvalidInputError,
             ("NaN",)),
        Case("nms/threshold", lambda c: nms(boxes, [1, 2], iou_threshold=1.5),
             e.InvalidInputError, ("iou_threshold must lie in [0, 1]",)),
        Case("nms/threshold-string", lambda c: nms(boxes, [1, 2], iou_threshold="0.3"),
             e.InvalidInputError, ("iou_threshold must be a number",)),
        Case("nms/top_k", lambda c: nms(boxes, [1, 2], top_k=0), e.InvalidInputError,
             ("top_k must be an integer >= 1",)),
        Case("nms/empty", lambda c: nms(np.zeros((0, 4)), []), check=shape_is((0,))),
        Case("iou_matrix/nan", lambda c: iou_matrix([[0, 0, np.inf, 1]], boxes),
             e.InvalidInputError, ("non-finite",)),
    ]  # fmt: skip


def prediction_cases() -> list[Case]:
    from emostudy.models import load_emotion_model, predict_emotions

    e = errors()
    face = np.random.default_rng(5).integers(0, 256, (48, 48), dtype=np.uint8)

    def blank(c):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            probabilities = predict_emotions(np.zeros((2, 48, 48), np.uint8))
        return probabilities, [str(w.message) for w in caught]

    return [
        Case("predict_emotions/empty", lambda c: predict_emotions(np.zeros((0, 48, 48), np.uint8)),
             check=shape_is((0, K_DEFAULT))),
        Case("predict_emotions/one-face-with-channel", lambda c: predict_emotions(face[..., None]),
             check=shape_is((1, K_DEFAULT))),
        Case("predict_emotions/rgb", lambda c: predict_emotions(np.stack([face] * 3, axis=-1)),
             e.InvalidInputError, ("Convert them to grayscale",)),
        Case("predict_emotions/batch-size-0", lambda c: predict_emotions(face, batch_size=0),
             e.InvalidInputError, ("batch_size must be an integer >= 1",)),
        Case("predict_emotions/batch-size-negative",
             lambda c: predict_emotions(face, batch_size=-1), e.InvalidInputError,
             ("batch_size must be an integer >= 1",)),
        Case("predict_emotions/float", lambda c: predict_emotions(face / 255.0),
             e.InvalidInputError, ("uint8", "multiply by 255")),
        Case("predict_emotions/nan", lambda c: predict_emotions(np.full((48, 48), np.nan)),
             e.InvalidInputError, ("uint8",)),
        Case("predict_emotions/wrong-size", lambda c: predict_emotions(np.zeros((2, 64, 64),
             np.uint8)), e.InvalidInputError, ("resize faces to 48x48",)),
        Case("predict_emotions/string", lambda c: predict_emotions("face.png"),
             e.InvalidInputError, ("uint8 NumPy array",)),
        Case("predict_emotions/not-a-model", lambda c: predict_emotions(face, model="vgg"),
             e.InvalidInputError, ("load_emotion_model",)),
        Case("predict_emotions/blank-faces-flagged", blank,
             check=is_true(lambda r: r[0].shape == (2, K_DEFAULT)
                           and any("blank" in m for m in r[1]),
                           "a warning names the blank faces")),
        Case("load_emotion_model/unknown", lambda c: load_emotion_model("nope"),
             e.ModelNotFoundError, ("available",)),
    ]  # fmt: skip


def cache_cases() -> list[Case]:
    import hashlib

    from emostudy import downloads, settings

    e = errors()

    def damaged(c):
        cache = c.tmp / "damaged-cache"
        cache.mkdir(exist_ok=True)
        name = "face_detection_yunet_2023mar.onnx"
        (cache / name).write_bytes(b"tampered")
        entry = downloads.MODEL_REGISTRY[name]
        downloads.MODEL_REGISTRY[name] = downloads.ModelFile(
            "http://127.0.0.1:9/x.onnx", entry.sha256
        )
        try:
            with env(EMOSTUDY_CACHE=str(cache)):
                downloads.fetch_model(name)
        finally:
            downloads.MODEL_REGISTRY[name] = entry
            assert (cache / f"{name}.damaged").is_file() and not (cache / name).exists()

    found = hashlib.sha256(b"tampered").hexdigest()
    return [
        Case("fetch_model/unknown", lambda c: downloads.fetch_model("nope.onnx"),
             e.ModelNotFoundError, ("Known model files",)),
        Case("fetch_model/wrong-hash", damaged, e.ModelNotFoundError,
             ("wrong SHA-256", f"found {found}", "Download it by hand")),
        Case("cache_dir/points-at-a-file", lambda c: _with_cache(c.face_png, settings.cache_dir),
             e.SettingsError, ("which is a file, not a folder", "Set EMOSTUDY_CACHE")),
        Case("seed_cache/missing", lambda c: downloads.seed_cache(c.tmp / "nope"),
             e.DataNotFoundError, ("not a folder",)),
        Case("dataset_path/missing", lambda c: _with_data(c.folder, settings.dataset_path,
             "fer2013"), e.DataNotFoundError, ("EMOSTUDY_DATA", "Get it from")),
    ]  # fmt: skip


def _with_cache(path, function):
    with env(EMOSTUDY_CACHE=str(path)):
        return function()


def _with_data(path, function, *args):
    with env(EMOSTUDY_DATA=str(path)):
        return function(*args)


def recognizer_cases() -> list[Case]:
    from emostudy.recognition import EmotionRecognizer

    e = errors()
    made: dict[str, Any] = {}

    def rec():
        if "default" not in made:
            made["default"] = EmotionRecognizer()
        return made["default"]

    def faces_of(image):
        return lambda c: rec().recognize(image() if callable(image) else image).faces

    none = is_true(lambda faces: faces == [], "no faces")
    return [
        Case("recognizer/tiny-3x3", faces_of(np.zeros((3, 3, 3), np.uint8)), check=none),
        Case("recognizer/tiny-8x640", faces_of(np.zeros((8, 640, 3), np.uint8)), check=none),
        Case("recognizer/tiny-16x4000", faces_of(np.zeros((16, 4000, 3), np.uint8)), check=none),
        Case("recognizer/huge-8000x6000", faces_of(huge_image), check=none),
        Case("recognizer/missing", lambda c: rec().recognize(c.missing), e.DataNotFoundError,
             ("Check the path",)),
        Case("recognizer/folder", lambda c: rec().recognize(c.folder), e.InvalidInputError,
             ("is a folder",)),
        Case("recognizer/corrupt", lambda c: rec().recognize(c.corrupt), e.CorruptImageError,
             ("not an image",)),
        Case("recognizer/wrong-type", lambda c: rec().recognize([1, 2]), e.InvalidInputError,
             ("Expected a NumPy uint8 image",)),
        Case("recognizer/float", lambda c: rec().recognize(np.zeros((64, 64, 3))),
             e.InvalidInputError, ("Scale floats",)),
        Case("recognizer/classify-rgb", lambda c: rec().classify(np.zeros((1, 48, 48, 3),
             np.uint8)), e.InvalidInputError, ("Convert them to grayscale",)),
        Case("recognizer/classify-empty", lambda c: rec().classify(np.zeros((0, 48, 48),
             np.uint8)), check=shape_is((0, K_DEFAULT))),
        Case("recognizer/workers-0", lambda c: list(rec().recognize_files([c.face_png],
             workers=0)), e.InvalidInputError, ("workers must be >= 1",)),
        Case("recognizer/unknown-detector", lambda c: EmotionRecognizer(detector="nope"),
             e.InvalidInputError, ("available: haar",)),
        Case("recognizer/detector-int", lambda c: EmotionRecognizer(detector=5),
             e.InvalidInputError, ("detector name or a FaceDetector",)),
        Case("recognizer/min_score-nan", lambda c: EmotionRecognizer(min_score=float("nan")),
             e.InvalidInputError, ("min_score must be a finite number",)),
        Case("recognizer/unknown-engine", lambda c: EmotionRecognizer(engine="nope"),
             e.InvalidInputError, ("use 'auto' or one of",)),
        Case("recognizer/unknown-model", lambda c: EmotionRecognizer(model="nope"),
             e.ModelNotFoundError, ("available",)),
        Case("recognizer/min_score-string", lambda c: EmotionRecognizer(min_score="0.5"),
             e.InvalidInputError, ("min_score",)),
        Case("recognizer/max_side-negative", lambda c: EmotionRecognizer(max_side=-1),
             e.InvalidInputError, ("max_side",)),
    ]  # fmt: skip


def cli_cases() -> list[Case]:
    import io

    def cli(*args: str, where: Callable[[Context], list[str]] | None = None):
        def call(c):
            from emostudy.cli import main

            err = io.StringIO()
            argv = [*args, *(where(c) if where else [])]
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(argv)
            return code, err.getvalue()

        return call

    def exits(code: int, *words: str) -> Callable[[Any], None]:
        def check(result):
            got, text = result
            assert got == code, f"exit code {got}, expected {code}: {text[-300:]}"
            assert "Traceback" not in text, text[-500:]
            for word in words:
                assert word in text, f"{word!r} not in {text[-300:]!r}"

        return check

    return [
        Case("cli/missing-file", cli(where=lambda c: [str(c.missing)]),
             check=exits(1, "No such file or folder")),
        Case("cli/corrupt-file", cli(where=lambda c: [str(c.corrupt)]),
             check=exits(1, "Cannot decode image file")),
        Case("cli/no-source", cli(), check=exits(2, "Give exactly one of")),
        Case("cli/unknown-option", cli("--bogus"), check=exits(2, "No such option")),
        # issue 23
        Case("cli/empty-source", cli(""), check=exits(1, "SOURCE is an empty string")),
        Case("cli/min-score-above-1", cli("--demo", "--min-score", "2"),
             check=exits(2, "--min-score must lie in [0, 1]")),
        Case("cli/output-is-a-folder", cli("--demo", "-o", where=lambda c: [str(c.folder)]),
             check=exits(1, "is an existing folder")),
        Case("cli/corrupt-tflite-model", cli("--demo", "--model", where=lambda c: [str(_made(
             c, "cli_corrupt.tflite", lambda p: p.write_bytes(b"\xff\xfe not a model")))]),
             check=exits(1, "not a valid .tflite model")),
        Case("cli/folder-with-an-unreadable-image", lambda c: _denied_folder_run(c, cli),
             check=exits(4, "skipped 1 of 2 images", "permission denied")),
    ]  # fmt: skip


def _denied_folder_run(c: Context, cli: Callable[..., Callable[[Context], Any]]):
    """A folder of two images, one of them unreadable, through the command (haar: fast)."""
    folder = c.tmp / "cli_denied_folder"
    if not folder.exists():
        folder.mkdir()
        for name in ("a.png", "b.png"):
            (folder / name).write_bytes(c.face_png.read_bytes())
    with denied(folder / "b.png"):
        return cli("--detector", "haar", "-q", str(folder))(c)


# --------------------------------------------------------------------------------------------
# issue 23: the bad inputs a newcomer's sweep found, grouped by where the fix lives


@contextlib.contextmanager
def denied(path: Path) -> Iterator[None]:
    """``path`` (a file or folder) unreadable for the length of one row: ``chmod 000``, and, when
    the worker runs as root (whom permissions do not stop), the reads that touch ``path``
    (listing a folder, reading a file) raise ``PermissionError`` as they would for another user."""
    import pathlib

    mode = path.stat().st_mode
    path.chmod(0)
    real_iterdir, real_fromfile, real_access = pathlib.Path.iterdir, np.fromfile, os.access

    def under(other: Any) -> bool:
        other = Path(other)
        return other == path or path in other.parents

    def refuse(target: Any) -> None:
        raise PermissionError(13, "Permission denied", str(target))

    def iterdir(self):
        if under(self):
            refuse(self)
        return real_iterdir(self)

    def fromfile(file, *args, **kwargs):
        if isinstance(file, str | os.PathLike) and under(file):
            refuse(file)
        return real_fromfile(file, *args, **kwargs)

    def access(target, mode, *args, **kwargs):
        return False if under(target) else real_access(target, mode, *args, **kwargs)

    as_root = os.geteuid() == 0
    if as_root:
        pathlib.Path.iterdir, np.fromfile, os.access = iterdir, fromfile, access
    try:
        yield
    finally:
        if as_root:
            pathlib.Path.iterdir, np.fromfile, os.access = real_iterdir, real_fromfile, real_access
        path.chmod(mode)


def _made(c: Context, name: str, build: Callable[[Path], Any]) -> Path:
    """A file or folder ``name`` in the row context's folder, built once."""
    path = c.tmp / name
    if not path.exists():
        build(path)
    return path


def _fer_folder(path: Path) -> None:
    from tests.data_fixtures import write_fake_fer_folder

    write_fake_fer_folder(path)


def _ckplus_folder(path: Path) -> None:
    from tests.data_fixtures import write_fake_ckplus

    write_fake_ckplus(path)


def _png_claiming(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims ``width x height`` pixels (a few hundred bytes on disk)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _video(path: Path) -> None:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for i in range(5):
        writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
    writer.release()


def _first_class_folder(root: Path, split: str = "") -> Path:
    base = root / split if split else root
    return sorted(p for p in base.iterdir() if p.is_dir())[0]


def _errors_of(results) -> list[str]:
    return [type(r).__name__ for _, r in results if isinstance(r, Exception)]


def reading_cases() -> list[Case]:
    """One image reader and one folder lister: permissions, huge headers, paths that are not."""
    from emostudy.data import load_ckplus, load_fer2013, read_gray
    from emostudy.imageio import read_image
    from emostudy.recognition import EmotionRecognizer

    e = errors()
    made: dict[str, Any] = {}

    def rec():
        if "rec" not in made:
            made["rec"] = EmotionRecognizer(detector="haar")
        return made["rec"]

    def fer_denied(part: Callable[[Path], Path]):
        def call(c):
            root = _made(c, "fer_perm", _fer_folder)
            with denied(part(root)):
                return load_fer2013(root, progress=False)

        return call

    def ck_denied(part: Callable[[Path], Path]):
        def call(c):
            root = _made(c, "ckplus_perm", _ckplus_folder)
            with denied(part(root)):
                return load_ckplus(root, progress=False)

        return call

    def file_denied(function: Callable[[Context, Path], Any]):
        def call(c):
            path = _made(c, "denied.png", lambda p: p.write_bytes(c.face_png.read_bytes()))
            with denied(path):
                return function(c, path)

        return call

    huge = lambda c: _made(c, "claims_40000.png", lambda p: _png_claiming(p, 40000, 40000))  # noqa: E731
    denied_words = ("permission denied", "chmod")
    return [
        Case("fer2013/denied-class-folder",
             fer_denied(lambda root: _first_class_folder(root, "train")), e.FileAccessError,
             denied_words),
        Case("fer2013/denied-root", fer_denied(lambda root: root), e.FileAccessError,
             denied_words),
        Case("fer2013/denied-image", fer_denied(lambda root: sorted(
             _first_class_folder(root, "train").iterdir())[0]), e.FileAccessError, denied_words),
        Case("ckplus/denied-class-folder", ck_denied(_first_class_folder), e.FileAccessError,
             denied_words),
        Case("ckplus/denied-root", ck_denied(lambda root: root), e.FileAccessError, denied_words),
        Case("read_gray/denied", file_denied(lambda c, p: read_gray(p)), e.FileAccessError,
             denied_words),
        Case("detect/denied", file_denied(lambda c, p: c.detector("haar").detect(p)),
             e.FileAccessError, denied_words),
        Case("recognize/denied", file_denied(lambda c, p: rec().recognize(p)), e.FileAccessError,
             denied_words),
        Case("recognize_files/denied-is-skipped",
             file_denied(lambda c, p: _errors_of(rec().recognize_files([p], workers=1))),
             check=is_true(lambda errs: errs == ["FileAccessError"], "a FileAccessError result")),
        Case("read_image/header-40000x40000", lambda c: read_image(huge(c)), e.CorruptImageError,
             ("too large to read", "up to 150 megapixels")),
        Case("detect/header-40000x40000", lambda c: c.detector("haar").detect(huge(c)),
             e.CorruptImageError, ("too large to read", "up to 150 megapixels")),
        Case("recognize/header-40000x40000", lambda c: rec().recognize(huge(c)),
             e.CorruptImageError, ("too large to read", "up to 150 megapixels")),
        Case("read_image/unknown-user", lambda c: read_image("~nosuchuser_emostudy/x.png"),
             e.InvalidInputError, ("names no user", "write the path out in full")),
        Case("read_image/url", lambda c: read_image("http://example.com/face.jpg"),
             e.InvalidInputError, ("is a URL", "Download the file first")),
        Case("recognize/url", lambda c: rec().recognize("https://example.com/face.jpg"),
             e.InvalidInputError, ("is a URL",)),
        Case("fer2013/empty-string", lambda c: load_fer2013(""), e.InvalidInputError,
             ("empty string", "'.' for this folder")),
        Case("ckplus/empty-string", lambda c: load_ckplus(""), e.InvalidInputError,
             ("empty string",)),
    ]  # fmt: skip


def _latin1_csv(path: Path) -> None:
    from tests.data_fixtures import fake_fer_csv_rows, write_fer_csv

    write_fer_csv(path, fake_fer_csv_rows())
    path.write_bytes(path.read_bytes().replace(b"Training", "Tr\xe4ining".encode("latin-1"), 1))


def _long_field_csv(path: Path) -> None:
    path.write_text('emotion,pixels,Usage\n0,"' + "1 " * 70000 + '",Training\n')


def _undecodable_ckplus(path: Path) -> None:
    (path / "anger").mkdir(parents=True)
    for name in ("S010_004_00000018.png", "S011_004_00000021.png"):
        (path / "anger" / name).write_bytes(b"not a png at all")


def _wider(change: Callable[[Path], None], **options: Any) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        from tests.test_data_wider import write_fake_wider

        write_fake_wider(path, **options)
        change(path)

    return build


def _keep(index: int) -> dict[str, dict[str, list[int]]]:
    from tests.test_data_wider import KEEP

    return {**KEEP, "easy": {**KEEP["easy"], "0_Parade_a": [index]}}


def data_cases() -> list[Case]:
    from emostudy.data import (
        audit,
        load_ckplus,
        load_fer2013,
        load_wider_face_val,
        make_synthetic_faces,
        sample_per_class,
        subject_folds,
    )

    e = errors()

    def wider(name: str, change: Callable[[Path], None] = lambda p: None, **options: Any):
        return lambda c: load_wider_face_val(_made(c, name, _wider(change, **options)))

    def demographics(text: str) -> Callable[[Path], None]:
        return lambda root: (root / "demographics_val.csv").write_text(text)

    def gt_latin1(root: Path) -> None:
        gt = root / "wider_face_val_bbx_gt.txt"
        gt.write_bytes(gt.read_bytes().replace(b"Parade_a", "Parade_\xe4".encode("latin-1"), 1))

    def no_subject(c):
        faceset = c.faceset()
        faceset.meta.loc[2, "subject"] = None
        return subject_folds(faceset, n_splits=2)

    def missing_usage(c):
        faceset = c.faceset()
        faceset.meta.loc[0, "usage"] = None
        return audit(faceset)

    sample = lambda c: load_wider_face_val(_made(c, "wider_ok", _wider(lambda p: None)))  # noqa: E731
    return [
        Case("fer2013/latin1-csv", lambda c: load_fer2013(_made(c, "latin1.csv", _latin1_csv),
             progress=False), e.DataLayoutError, ("not UTF-8", "Re-save it as UTF-8")),
        Case("fer2013/field-over-csv-limit", lambda c: load_fer2013(
             _made(c, "long_field.csv", _long_field_csv), progress=False), e.DataLayoutError,
             ("not a well-formed CSV", "fix or delete that row")),
        Case("ckplus/all-undecodable", lambda c: load_ckplus(
             _made(c, "ckplus_undecodable", _undecodable_ckplus), progress=False),
             e.CorruptImageError, ("all of them", "re-download")),
        Case("wider/gt-not-utf8", wider("wider_latin1", gt_latin1), e.DataLayoutError,
             ("not UTF-8",)),
        Case("wider/demographics-empty", wider("wider_demo_empty", demographics("")),
             e.DataLayoutError, ("Cannot read", "without demographics")),
        Case("wider/demographics-face-not-integer", wider("wider_demo_face", demographics(
             ",file,perceived_gender,perceived_age,perceived_skin,face\n"
             "0,images/0--Parade/0_Parade_a.jpg,Female,Adult,V,first\n")), e.DataLayoutError,
             ("'face' column must hold 0-based integer",)),
        Case("wider/demographics-file-numeric", wider("wider_demo_file", demographics(
             ",file,perceived_gender,perceived_age,perceived_skin,face\n0,7,Female,Adult,V,1\n")),
             e.DataLayoutError, ("'file' column must hold image paths",)),
        Case("wider/keep-index-9", wider("wider_keep9", keep=_keep(9)), e.DataLayoutError,
             ("keeps face 9", "1-based")),
        Case("wider/keep-index-0", wider("wider_keep0", keep=_keep(0)), e.DataLayoutError,
             ("keeps face 0", "1-based")),
        Case("wider/sample-negative", lambda c: sample(c).sample(-1), e.InvalidInputError,
             ("n must be an integer >= 1",)),
        Case("wider/sample-float", lambda c: sample(c).sample(1.5), e.InvalidInputError,
             ("n must be an integer",)),
        Case("subject_folds/seed-string", lambda c: subject_folds(c.faceset(), 2, seed="x"),
             e.InvalidInputError, ("seed must be an integer",)),
        Case("subject_folds/none-subject", no_subject, e.InvalidInputError,
             ("have no 'subject'", "give every image its subject")),
        Case("sample_per_class/seed-string", lambda c: sample_per_class(c.faceset(), 2,
             seed="x"), e.InvalidInputError, ("seed must be an integer",)),
        Case("make_synthetic_faces/float", lambda c: make_synthetic_faces(2.5),
             e.InvalidInputError, ("n_per_class must be an integer",)),
        Case("make_synthetic_faces/string", lambda c: make_synthetic_faces("3"),
             e.InvalidInputError, ("n_per_class must be an integer",)),
        Case("audit/missing-usage-counted", lambda c: missing_usage(c).summary(),
             check=is_true(lambda s: s["n_images"] == 6, "all 6 images counted")),
        Case("audit/missing-usage-in-class-counts",
             lambda c: int(missing_usage(c).class_counts["total"].sum()),
             check=is_true(lambda n: n == 6, "class counts total 6")),
    ]  # fmt: skip


class _FakeModel:
    """A stand-in Keras model whose ``predict`` returns a fixed kind of output."""

    def __init__(self, output: Callable[[int], np.ndarray]) -> None:
        self.output = output
        self.output_shape = (None, 7)

    def predict(self, x, **kwargs):
        return self.output(len(x))

    def __call__(self, x, **kwargs):
        return self.output(len(x))


def model_cases() -> list[Case]:
    from emostudy.detectors import create_detector
    from emostudy.models import load_emotion_model, predict_emotions
    from emostudy.recognition import EmotionRecognizer

    e = errors()
    face = np.random.default_rng(6).integers(0, 256, (2, 48, 48), dtype=np.uint8)
    nan_model = _FakeModel(lambda n: np.full((n, 7), np.nan, np.float32))
    flat_model = _FakeModel(lambda n: np.zeros(n, np.float32))

    def recognizer(**options):
        return lambda c: EmotionRecognizer(detector="haar", **options)

    def corrupt(name: str, data: bytes):
        return lambda c: EmotionRecognizer(
            detector="haar", model=_made(c, name, lambda p: p.write_bytes(data))
        )

    def files(paths, **options):
        def call(c):
            return list(EmotionRecognizer(detector="haar").recognize_files(paths, **options))

        return call

    return [
        Case("create_detector/list", lambda c: create_detector(["haar"]), e.InvalidInputError,
             ("takes one detector name", "available: haar")),
        Case("load_emotion_model/list", lambda c: load_emotion_model(["x"]),
             e.InvalidInputError, ("named by a string",)),
        Case("load_emotion_model/absolute-path", lambda c: load_emotion_model(str(c.tmp / "m")),
             e.InvalidInputError, ("is a file path, not a shipped model name",)),
        Case("haar/min-size-above-max-size", lambda c: create_detector(
             "haar", min_size=(80, 80), max_size=(40, 40)), e.InvalidInputError,
             ("larger than max_size",)),
        Case("haar/corrupt-cascade", lambda c: create_detector("haar", cascade=str(
             _made(c, "corrupt_cascade.xml", lambda p: p.write_text("<opencv_storage><cascade>"
             "<stageType>BOOST</stageType><stages>oops")))), e.ModelNotFoundError,
             ("could not load the cascade file",)),
        Case("predict_emotions/nan-model", lambda c: predict_emotions(face, model=nan_model),
             e.InvalidInputError, ("NaN or inf for 2 of 2 faces",)),
        Case("predict_emotions/flat-model", lambda c: predict_emotions(face, model=flat_model),
             e.InvalidInputError, ("must return (N, n_classes) logits",)),
        Case("recognizer/corrupt-keras", corrupt("corrupt.keras", b"PK\x03\x04 broken zip"),
             e.ModelNotFoundError, ("not a valid .keras model", "Re-save or re-download")),
        Case("recognizer/corrupt-tflite", corrupt("corrupt.tflite", b"\xff\xfe not flatbuffers"),
             e.ModelNotFoundError, ("not a valid .tflite model", "emostudy export")),
        Case("recognizer/model-int", recognizer(model=123), e.InvalidInputError,
             ("model must be a shipped model name",)),
        Case("recognizer/model-list", recognizer(model=["x"]), e.InvalidInputError,
             ("model must be a shipped model name",)),
        Case("recognize_files/one-path", files("photo.jpg"), e.InvalidInputError,
             ("must be a list of image paths", "pass ['photo.jpg']")),
        Case("recognize_files/workers-none", files([], workers=None), e.InvalidInputError,
             ("workers must be an integer",)),
        Case("recognize_files/workers-string", files([], workers="two"), e.InvalidInputError,
             ("workers must be an integer",)),
    ]  # fmt: skip


def crop_video_drawing_cases() -> list[Case]:
    from emostudy.faces import CropSpec
    from emostudy.recognition import (
        AnnotatedVideoWriter,
        FaceEmotion,
        FaceTracker,
        draw_faces,
        read_frames,
        recognize_video,
        track_summary,
    )

    e = errors()
    video = lambda c: _made(c, "clip.avi", _video)  # noqa: E731
    image = np.zeros((60, 80, 3), np.uint8)

    def write(frames, *, fps=10.0, size=(64, 48)):
        def call(c):
            import cv2

            out = c.tmp / f"written_{len(list(c.tmp.glob('written_*')))}.avi"
            with AnnotatedVideoWriter(out, fps=fps, size=size) as writer:
                for frame in frames:
                    writer.write(frame)
            capture = cv2.VideoCapture(str(out))
            readable = 0
            while capture.read()[0]:
                readable += 1
            capture.release()
            return writer.frames, readable

        return call

    def face(box):
        return FaceEmotion(box=box, score=1.0)

    gray = [np.full((48, 64), 100, np.uint8)] * 3
    return [
        Case("CropSpec/margin-string", lambda c: CropSpec(margin="0.1"), e.InvalidInputError,
             ("margin must be a number",)),
        Case("CropSpec/shift-none", lambda c: CropSpec(shift=None), e.InvalidInputError,
             ("shift must be a number",)),
        Case("CropSpec/square-string", lambda c: CropSpec(square="no"), e.InvalidInputError,
             ("square must be True or False",)),
        Case("FaceTracker/iou-string", lambda c: FaceTracker(iou_threshold="0.3"),
             e.InvalidInputError, ("iou_threshold must be a number",)),
        Case("FaceTracker/max_missed-string", lambda c: FaceTracker(max_missed="x"),
             e.InvalidInputError, ("max_missed must be an integer",)),
        Case("recognize_video/smoothing-string", lambda c: recognize_video(
             object(), video(c), smoothing="0.5"), e.InvalidInputError,
             ("smoothing must be a number",)),
        Case("read_frames/every-string", lambda c: read_frames(video(c), every="x"),
             e.InvalidInputError, ("every must be an integer",)),
        Case("read_frames/max_frames-string", lambda c: read_frames(video(c), max_frames="3"),
             e.InvalidInputError, ("max_frames must be an integer",)),
        Case("read_frames/max_frames-negative", lambda c: read_frames(video(c), max_frames=-1),
             e.InvalidInputError, ("max_frames must be an integer >= 1",)),
        Case("read_frames/reads", lambda c: len(list(read_frames(video(c), max_frames=3))),
             check=is_true(lambda n: n == 3, "3 frames")),
        Case("AnnotatedVideoWriter/size-strings", write([], size=("a", "b")),
             e.InvalidInputError, ("size[0] must be an integer",)),
        Case("AnnotatedVideoWriter/fps-nan", write([], fps=float("nan")), e.InvalidInputError,
             ("fps must be a finite number",)),
        Case("AnnotatedVideoWriter/gray-frames", write(gray),
             check=is_true(lambda r: r == (3, 3), "3 frames written and 3 readable")),
        Case("AnnotatedVideoWriter/float-frame", write([np.zeros((48, 64, 3))]),
             e.InvalidInputError, ("Scale floats",)),
        Case("track_summary/list", lambda c: track_summary([1, 2]), e.InvalidInputError,
             ("takes the table of tracks_table",)),
        Case("draw_faces/path", lambda c: draw_faces("photo.jpg", []), e.InvalidInputError,
             ("read the file first",)),
        Case("draw_faces/nan-box", lambda c: draw_faces(image, [face((np.nan, 0, 10, 10))]),
             e.InvalidInputError, ("non-finite",)),
        Case("draw_faces/float-image", lambda c: draw_faces(image / 255.0, []),
             e.InvalidInputError, ("Scale floats",)),
        Case("draw_faces/gray-image", lambda c: draw_faces(image[..., 0], [face((5, 5, 20, 20))]),
             check=is_true(lambda out: out.shape == (60, 80, 3) and out.dtype == np.uint8,
                           "a uint8 BGR drawing")),
    ]  # fmt: skip


class _Method:
    """A stand-in transfer method whose probabilities are fixed."""

    def __init__(self, value: float = 0.5) -> None:
        self.value = value

    def fit(self, inputs, labels, *, groups=None):
        return self

    def predict_proba(self, inputs):
        return np.full((len(inputs), 2), self.value)

    def __repr__(self) -> str:
        return f"_Method({self.value})"


def transfer_cases() -> list[Case]:
    from emostudy.transfer import (
        cross_validate,
        make_folds,
        shared_class_scores,
        subjects_shared,
    )

    e = errors()
    features = np.arange(8, dtype=float).reshape(4, 2)
    folds = [(np.array([0, 1]), np.array([2, 3])), (np.array([2, 3]), np.array([0, 1]))]

    def cv(labels=(0, 1, 0, 1), method=_Method):
        return lambda c: cross_validate(
            method, features, labels, folds, name="m", classes=("a", "b")
        )

    fer = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    ck = ("anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise")

    def shared(scores, labels):
        return lambda c: shared_class_scores(scores, labels, score_classes=fer, label_classes=ck)

    good = np.full((2, 7), 1 / 7)
    return [
        Case("make_folds/array", lambda c: make_folds(np.zeros((6, 48, 48, 1))),
             e.InvalidInputError, ("make_folds takes a FaceSet",)),
        Case("make_folds/n_splits-string", lambda c: make_folds(c.faceset(), n_splits="2"),
             e.InvalidInputError, ("n_splits must be an integer",)),
        Case("make_folds/n_splits-float", lambda c: make_folds(c.faceset(), n_splits=2.0),
             e.InvalidInputError, ("n_splits must be an integer", "Pass int(2.0)")),
        Case("subjects_shared/too-few-groups", lambda c: subjects_shared(folds, ["S1", "S2"]),
             e.InvalidInputError, ("groups must name the subject of every image",)),
        Case("cross_validate/fractional-labels", cv(labels=[0.7, 1.9, 0.2, 1.5]),
             e.InvalidInputError, ("whole class indices", "never rounded")),
        Case("cross_validate/string-labels", cv(labels=["a", "b", "a", "b"]),
             e.InvalidInputError, ("integer class indices", "classes.index")),
        Case("cross_validate/method-instance", cv(method=_Method()), e.InvalidInputError,
             ("make_method must be a factory",)),
        Case("cross_validate/nan-probabilities", cv(method=lambda: _Method(np.nan)),
             e.InvalidInputError, ("NaN or inf",)),
        Case("cross_validate/works", lambda c: cv()(c).mean_accuracy,
             check=is_true(lambda a: 0 <= a <= 1, "an accuracy")),
        Case("shared_class_scores/nan", shared(np.full((2, 7), np.nan), [0, 4]),
             e.InvalidInputError, ("scores must be finite",)),
        Case("shared_class_scores/label-99", shared(good, [0, 99]), e.InvalidInputError,
             ("labels has labels in [0, 99]",)),
        Case("shared_class_scores/label-negative", shared(good, [-1, 0]), e.InvalidInputError,
             ("must lie in [0, 6]",)),
    ]  # fmt: skip


def evaluation_more_cases() -> list[Case]:
    from emostudy.evaluation import (
        agreement,
        average_precision,
        bootstrap_ci,
        classification_metrics,
        confusion_matrix,
        evaluate_detections,
        match_detections,
        precision_recall_curve,
        recall_by,
        size_bucket,
        wilson_interval,
    )

    e = errors()
    y = [0, 1, 1, 0]
    box = [[0, 0, 10, 10]]
    return [
        Case("confusion_matrix/n_classes-float", lambda c: confusion_matrix(y, y, 2.5),
             e.InvalidInputError, ("n_classes must be an integer",)),
        Case("confusion_matrix/n_classes-string", lambda c: confusion_matrix(y, y, "2"),
             e.InvalidInputError, ("n_classes must be an integer",)),
        Case("classification_metrics/classes-none", lambda c: classification_metrics(y, y, None),
             e.InvalidInputError, ("classes must be a list of names",)),
        Case("bootstrap_ci/n_boot-float", lambda c: bootstrap_ci(y, y, n_boot=10.5),
             e.InvalidInputError, ("n_boot must be an integer",)),
        Case("bootstrap_ci/n_boot-bool", lambda c: bootstrap_ci(y, y, n_boot=True),
             e.InvalidInputError, ("n_boot must be an integer",)),
        Case("bootstrap_ci/confidence-string", lambda c: bootstrap_ci(y, y, confidence="0.95"),
             e.InvalidInputError, ("confidence must be a number",)),
        Case("bootstrap_ci/seed-string", lambda c: bootstrap_ci(y, y, seed="x"),
             e.InvalidInputError, ("seed must be an integer",)),
        Case("bootstrap_ci/n_boot-1e9", lambda c: bootstrap_ci(y, y, n_boot=10**9),
             e.InvalidInputError, ("n_boot must be an integer >= 1 and <= 100000",)),
        Case("bootstrap_ci/n_boot-max-bounded", lambda c: bootstrap_ci(y * 25, y * 25,
             n_boot=100_000), check=is_true(lambda ci: ci[0] <= ci[1], "an interval")),
        Case("match_detections/nan-score", lambda c: match_detections(box, [np.nan], box),
             e.InvalidInputError, ("det_scores holds NaN", "cannot be ranked")),
        Case("match_detections/iou-string", lambda c: match_detections(box, [1.0], box,
             iou_threshold="0.5"), e.InvalidInputError, ("iou_threshold must be a number",)),
        Case("match_detections/negative-gt", lambda c: match_detections(box, [1.0],
             [[0, 0, -10, 10]]), e.InvalidInputError, ("negative width or height",)),
        Case("average_precision/nan-precision", lambda c: average_precision([0.5, 1.0],
             [np.nan, 0.5]), e.InvalidInputError, ("precision must be finite",)),
        Case("average_precision/recall-above-1", lambda c: average_precision([0.5, 3.0],
             [1.0, 1.0]), e.InvalidInputError, ("recall must be finite and lie in [0, 1]",)),
        Case("evaluate_detections/4-columns", lambda c: evaluate_detections([[[0, 0, 10, 10]]],
             [box]), e.InvalidInputError, ("(N, 5)",)),
        Case("agreement/negative-threshold", lambda c: agreement(box, box, iou_threshold=-1),
             e.InvalidInputError, ("iou_threshold must lie in (0, 1]",)),
        Case("agreement/zero-threshold", lambda c: agreement(box, [[50, 50, 5, 5]],
             iou_threshold=0), e.InvalidInputError, ("iou_threshold must lie in (0, 1]",)),
        Case("wilson_interval/more-successes-than-n", lambda c: wilson_interval(5, 3),
             e.InvalidInputError, ("successes must be an integer >= 0 and <= 3",)),
        Case("wilson_interval/confidence-1.5", lambda c: wilson_interval(1, 3, 1.5),
             e.InvalidInputError, ("confidence must lie in (0, 1)",)),
        Case("recall_by/float-scores", lambda c: recall_by([0.9, np.nan], ["a", "a"]),
             e.InvalidInputError, ("found must be booleans", "scores >= threshold")),
        Case("size_bucket/no-edges", lambda c: size_bucket([10, 20], edges=[]),
             e.InvalidInputError, ("edges must be a non-empty",)),
        Case("precision_recall_curve/ints", lambda c: precision_recall_curve([1, 2]),
             e.InvalidInputError, ("takes a list of ImageMatch",)),
    ]  # fmt: skip


#: Every group of rows. A new public function adds its group here.
CASE_GROUPS = [
    loader_cases,
    audit_and_split_cases,
    detector_cases,
    evaluation_cases,
    prediction_cases,
    cache_cases,
    recognizer_cases,
    cli_cases,
    reading_cases,
    data_cases,
    model_cases,
    crop_video_drawing_cases,
    transfer_cases,
    evaluation_more_cases,
]


def all_cases() -> list[Case]:
    cases = [case for group in CASE_GROUPS for case in group()]
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return cases


# --------------------------------------------------------------------------------------------
# the worker: runs the rows under the address-space cap, one JSON line per row


def _reset_peak_rss() -> None:
    """Reset the kernel's record of this process's peak resident memory (Linux >= 4.0), so that
    each row is measured on its own; elsewhere the peak stays the process's peak so far."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _rss_gb(field: str) -> float:
    """``VmHWM`` (peak resident memory since the last reset) or ``VmRSS`` (now), in GB."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 2**20  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def run_one(case: Case, ctx: Context) -> dict[str, Any]:
    from emostudy.errors import EmostudyError

    record: dict[str, Any] = {"id": case.id, "error": None, "message": "", "failed_check": None}
    _reset_peak_rss()
    rss_before = _rss_gb("VmRSS")
    start = time.perf_counter()
    try:
        value = case.call(ctx)
    except Exception as error:  # recorded, judged by the parent
        if _unavailable_offline(error, case):
            record["skip"] = f"model file unavailable offline: {error}"
        record["error"] = f"{type(error).__module__}.{type(error).__qualname__}"
        record["emostudy"] = isinstance(error, EmostudyError)
        record["classes"] = [f"{k.__module__}.{k.__qualname__}" for k in type(error).__mro__]
        record["message"] = str(error)
        if not isinstance(error, EmostudyError):
            record["message"] += "\n" + "".join(traceback.format_exc(limit=-3))
    else:
        if case.check is not None:
            try:
                case.check(value)
            except AssertionError as failure:
                record["failed_check"] = str(failure) or "check failed"
    record["seconds"] = time.perf_counter() - start
    record["peak_rss_gb"] = _rss_gb("VmHWM")
    record["rss_growth_gb"] = record["peak_rss_gb"] - rss_before
    return record


def _unavailable_offline(error: Exception, case: Case) -> bool:
    """A detector's weights could not be fetched (no network, no seeded cache)."""
    from emostudy.errors import ModelNotFoundError

    unexpected = case.raises is None or not issubclass(ModelNotFoundError, case.raises)
    return isinstance(error, ModelNotFoundError) and unexpected and "download" in str(error)


def worker(out_path: str, skip: int) -> None:
    """Run the rows from position ``skip`` on, appending one JSON line per row to ``out_path``."""
    cap = ADDRESS_SPACE_CAP_GB * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.simplefilter("ignore")
    cases = all_cases()
    with tempfile.TemporaryDirectory() as folder, open(out_path, "a") as out:
        ctx = Context(Path(folder))
        for case in cases[skip:]:
            out.write(json.dumps({"start": case.id}) + "\n")
            out.flush()
            out.write(json.dumps(run_one(case, ctx)) + "\n")
            out.flush()


def run_table(tmp_dir: Path) -> dict[str, dict[str, Any]]:
    """Run every row in workers; a worker that dies fails its row and the next one resumes."""
    out = tmp_dir / "outcomes.jsonl"
    n = len(all_cases())
    done: dict[str, dict[str, Any]] = {}
    skip = 0
    while skip < n:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.test_bad_inputs", str(out), str(skip)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        started = None
        for line in out.read_text().splitlines():
            record = json.loads(line)
            if "start" in record:
                started = record["start"]
            else:
                done[record["id"]] = record
                started = None
        if proc.returncode == 0:
            break
        if started is None:  # died before its first row: set-up failed
            raise RuntimeError(f"bad-input worker failed to start:\n{proc.stderr[-3000:]}")
        done[started] = {
            "id": started,
            "crashed": f"worker died (exit {proc.returncode}): {proc.stderr[-1500:]}",
        }
        skip = len(done)
    return done


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Every row's outcome, from workers run once per session (model cache seeded from
    ../shared/models when it exists, else the user's cache; rows needing absent weights skip)."""
    folder = tmp_path_factory.mktemp("bad-inputs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TQDM_DISABLE", "1")
        if SHARED_MODELS.is_dir():
            from emostudy import downloads

            patch.setenv("EMOSTUDY_CACHE", str(folder / "model-cache"))
            downloads.seed_cache(SHARED_MODELS)
        start = time.perf_counter()
        results = run_table(folder)
        print(f"bad-input table: {len(results)} rows in {time.perf_counter() - start:.1f} s")
        return results


CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, outcomes):
    record = outcomes.get(case.id)
    assert record is not None, f"{case.id} did not run"
    assert "crashed" not in record, record.get("crashed")
    if "skip" in record:
        pytest.skip(record["skip"])
    assert record["rss_growth_gb"] <= RSS_GROWTH_CAP_GB, (
        f"{case.id}: resident memory rose by {record['rss_growth_gb']:.2f} GB during the call"
    )
    problem = _judge(case, record)
    if case.known_issue:
        if problem is None:
            pytest.fail(f"{case.id} is fixed ({case.known_issue}): remove its known_issue mark")
        pytest.xfail(f"{case.known_issue}: {problem}")
    assert problem is None, problem


def _judge(case: Case, record: dict[str, Any]) -> str | None:
    """Why a row's outcome misses its expectation, or None when it meets it."""
    if case.raises is None:
        if record["error"] is not None:
            return f"{case.id} raised {record['error']}: {record['message']}"
        return record["failed_check"]
    expected = f"{case.raises.__module__}.{case.raises.__qualname__}"
    if record["error"] is None:
        return f"{case.id} returned instead of raising {expected}"
    if not record["emostudy"]:
        return f"{case.id}: a foreign {record['error']}: {record['message']}"
    if expected not in record["classes"]:
        return f"{case.id}: {record['error']}, not {expected}"
    for words in case.words:
        if words not in record["message"]:
            return f"{case.id}: {words!r} not in {record['message']!r}"
    return None


def test_every_registered_detector_has_out_of_range_settings_in_the_table():
    from emostudy.detectors import available_detectors

    assert set(available_detectors()) <= set(BAD_SETTINGS)
    ids = {case.id for case in CASES}
    for name in available_detectors():
        assert f"{name}/detect-huge-8000x6000" in ids and f"{name}/detect-tiny-3x3" in ids


def test_every_expected_error_is_an_emostudy_error():
    from emostudy.errors import EmostudyError

    for case in CASES:
        assert case.raises is None or issubclass(case.raises, EmostudyError), case.id
        assert case.raises is None or case.words, f"{case.id}: name the words of the fix"


if __name__ == "__main__":
    worker(sys.argv[1], int(sys.argv[2]))
