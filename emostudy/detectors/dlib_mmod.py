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

from emostudy.detectors.base import Face, FaceDetector, make_face
from emostudy.errors import InvalidInputError, ModelNotFoundError


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
    """

    name = "dlib_mmod"
    description = "CNN trained with max-margin object detection (dlib MMOD)"

    def __init__(
        self, *, upsample: int = 1, score_threshold: float = 0.0, max_side: int | None = None
    ) -> None:
        super().__init__(max_side=max_side)
        if int(upsample) < 0:
            raise InvalidInputError(f"upsample must be >= 0, got {upsample}.")
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
