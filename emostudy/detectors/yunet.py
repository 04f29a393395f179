"""YuNet: a tiny anchor-free face detector, run by OpenCV's ``cv2.FaceDetectorYN``.

Wu et al. (2023): a depthwise-separable backbone of about 75k parameters, a feature pyramid and an
anchor-free head that predicts, at every cell of three feature maps (strides 8, 16, 32), a face
score, a box and five landmarks. The ONNX weights (opencv_zoo, ``2023mar``) are fetched, SHA-256
checked, by :func:`emostudy.assets.fetch_model`.
"""

from __future__ import annotations

import cv2
import numpy as np

from emostudy.assets import fetch_model
from emostudy.detectors.base import Face, FaceDetector, make_face
from emostudy.errors import InvalidInputError

WEIGHTS = "face_detection_yunet_2023mar.onnx"


class YuNetDetector(FaceDetector):
    """``cv2.FaceDetectorYN`` with the opencv_zoo YuNet model and OpenCV's defaults.

    Parameters
    ----------
    score_threshold
        Faces with a lower score are dropped (``FaceDetectorYN.create`` default 0.9; opencv_zoo's
        WIDER FACE evaluation uses 0.3).
    nms_threshold
        IoU above which the lower-scored of two boxes is suppressed (default 0.3).
    top_k
        Boxes kept before non-maximum suppression (default 5000).
    input_size
        ``(width, height)`` the network runs at. ``None`` (default): the image's own size, as in
        OpenCV's sample and the published evaluation; otherwise the image is resized to it (aspect
        ratio not kept) and boxes are mapped back.
    """

    name = "yunet"
    description = "YuNet (OpenCV FaceDetectorYN, 2023mar ONNX)"

    def __init__(
        self,
        *,
        score_threshold: float = 0.9,
        nms_threshold: float = 0.3,
        top_k: int = 5000,
        input_size: tuple[int, int] | None = None,
        max_side: int | None = None,
    ) -> None:
        super().__init__(max_side=max_side)
        if not 0.0 <= score_threshold <= 1.0 or not 0.0 < nms_threshold <= 1.0:
            raise InvalidInputError(
                f"score_threshold must be in [0, 1] and nms_threshold in (0, 1], got "
                f"{score_threshold} and {nms_threshold}."
            )
        if input_size is not None and (len(input_size) != 2 or min(input_size) < 32):
            raise InvalidInputError(f"input_size must be None or (w, h) >= 32, got {input_size}.")
        self._model = cv2.FaceDetectorYN.create(
            str(fetch_model(WEIGHTS)), "", (320, 320), score_threshold, nms_threshold, int(top_k)
        )
        self._set_settings(
            score_threshold=float(score_threshold),
            nms_threshold=float(nms_threshold),
            top_k=int(top_k),
            input_size=None if input_size is None else tuple(int(v) for v in input_size),
        )

    def _detect(self, bgr: np.ndarray) -> list[Face]:
        h, w = bgr.shape[:2]
        size = self._settings["input_size"]
        sx = sy = 1.0
        if size is not None and tuple(size) != (w, h):
            sx, sy = w / size[0], h / size[1]
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_LINEAR)
        self._model.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, rows = self._model.detect(bgr)
        if rows is None:
            return []
        scale = np.array([sx, sy] * 7)
        faces = []
        for row in rows:
            vals = row[:14] * scale  # x, y, w, h, then five (x, y) landmarks
            faces.append(make_face(*vals[:4], row[14], vals[4:14]))
        return faces
