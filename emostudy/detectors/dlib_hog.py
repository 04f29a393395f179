"""dlib's HOG + linear SVM face detector (``dlib.get_frontal_face_detector``).

Dalal and Triggs (2005): histograms of oriented gradients in a sliding window, scored by a linear
SVM, over an image pyramid. dlib's detector is five such filters (front, left, right, front rotated
left and right) trained with King's max-margin object detection objective.
"""

from __future__ import annotations

import cv2
import numpy as np

from emostudy._validation import check_int, check_number
from emostudy.detectors.base import DEFAULT_MAX_SIDE, Face, FaceDetector, make_face

#: Most upsamplings allowed: each one quadruples time and memory.
MAX_UPSAMPLE = 3

#: dlib's frontal face detector is five HOG filters, in this order (dlib's documentation).
FILTERS = ("front", "left", "right", "front, rotated left", "front, rotated right")


class DlibHOGDetector(FaceDetector):
    """dlib's frontal face detector (HOG features, linear SVM, sliding window, image pyramid).

    Parameters
    ----------
    upsample
        How many times the image is doubled in size first (dlib's examples use 1): the detector's
        window is about 80x80 pixels, so one upsampling finds faces down to about 40x40. At most
        :data:`MAX_UPSAMPLE` (each doubling quadruples time and memory).
    adjust_threshold
        Added to the SVM's decision threshold (default 0.0): negative values report weaker
        detections too, which a precision-recall curve needs.
    """

    name = "dlib_hog"
    description = "HOG + linear SVM (dlib frontal_face_detector)"

    def __init__(
        self,
        *,
        upsample: int = 1,
        adjust_threshold: float = 0.0,
        max_side: int | None = DEFAULT_MAX_SIDE,
    ) -> None:
        super().__init__(max_side=max_side)
        upsample = check_int("upsample", upsample, minimum=0, maximum=MAX_UPSAMPLE)
        adjust_threshold = check_number("adjust_threshold", adjust_threshold)
        import dlib

        self._detector = dlib.get_frontal_face_detector()
        self._set_settings(upsample=int(upsample), adjust_threshold=float(adjust_threshold))

    @property
    def window(self) -> tuple[int, int]:
        """``(width, height)`` of the sliding window, in pixels."""
        return (self._detector.detection_window_width, self._detector.detection_window_height)

    @property
    def n_filters(self) -> int:
        """Number of HOG filters (linear SVMs) the detector runs: 5, see :data:`FILTERS`."""
        return self._detector.num_detectors

    def detect_with_filters(self, image, color_order: str = "bgr") -> list[tuple[Face, str]]:
        """Like :meth:`detect`, but each face comes with the name of the filter that fired."""
        from emostudy.detectors.base import inside_image
        from emostudy.imageio import as_bgr

        rgb = cv2.cvtColor(as_bgr(image, color_order), cv2.COLOR_BGR2RGB)
        rects, scores, which = self._detector.run(
            rgb, self._settings["upsample"], self._settings["adjust_threshold"]
        )
        height, width = rgb.shape[:2]
        found = []
        for r, s, k in zip(rects, scores, which, strict=True):
            face = inside_image(
                [make_face(r.left(), r.top(), r.width(), r.height(), s)], width, height
            )
            found.extend((f, FILTERS[int(k)]) for f in face)
        return sorted(found, key=lambda pair: -pair[0].score)

    def _detect(self, bgr: np.ndarray) -> list[Face]:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        rects, scores, _ = self._detector.run(
            rgb, self._settings["upsample"], self._settings["adjust_threshold"]
        )
        return [
            make_face(r.left(), r.top(), r.width(), r.height(), s)
            for r, s in zip(rects, scores, strict=True)
        ]
