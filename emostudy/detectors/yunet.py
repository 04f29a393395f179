"""YuNet: a tiny anchor-free face detector, run by OpenCV's ``cv2.FaceDetectorYN``.

Wu et al. (2023): a depthwise-separable backbone of about 75k parameters, a feature pyramid and an
anchor-free head that predicts, at every cell of three feature maps (strides 8, 16, 32), a face
score, a box and five landmarks. The ONNX weights (opencv_zoo, ``2023mar``) are fetched, SHA-256
checked, by :func:`emostudy.downloads.fetch_model`.
"""

from __future__ import annotations

import cv2
import numpy as np

from emostudy._validation import check_int, check_probability, check_size
from emostudy.detectors.base import DEFAULT_MAX_SIDE, Face, FaceDetector, make_face
from emostudy.downloads import fetch_model

WEIGHTS = "face_detection_yunet_2023mar.onnx"
#: Images (after ``input_size``) with a side shorter than this are padded with black at the bottom
#: or right first: below it, YuNet's coarsest feature map is empty and its output is garbage
#: (infinite boxes scored 1.0).
MIN_SIDE = 64


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
        ratio not kept) and boxes are mapped back. Images with a side under :data:`MIN_SIDE`
        pixels are padded (black) to it, which leaves the boxes where they are.
    """

    name = "yunet"
    score_range = (0.0, 1.0)
    description = "YuNet (OpenCV FaceDetectorYN, 2023mar ONNX)"

    def __init__(
        self,
        *,
        score_threshold: float = 0.9,
        nms_threshold: float = 0.3,
        top_k: int = 5000,
        input_size: tuple[int, int] | None = None,
        max_side: int | None = DEFAULT_MAX_SIDE,
    ) -> None:
        super().__init__(max_side=max_side)
        score_threshold = check_probability("score_threshold", score_threshold)
        nms_threshold = check_probability("nms_threshold", nms_threshold, zero_ok=False)
        top_k = check_int("top_k", top_k, minimum=1)
        if input_size is not None:
            input_size = check_size("input_size", input_size, minimum=32, maximum=4096)
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
        pad_h, pad_w = max(0, MIN_SIDE - bgr.shape[0]), max(0, MIN_SIDE - bgr.shape[1])
        if pad_h or pad_w:  # the network's stride-32 maps are empty below this: pad, black
            bgr = cv2.copyMakeBorder(bgr, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=0)
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
