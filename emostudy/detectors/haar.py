"""OpenCV's Viola-Jones Haar cascade face detector (the frontal face cascade in ``cv2.data``).

Viola and Jones (2001, 2004): Haar-like box features computed in constant time from an integral
image, selected and weighted by AdaBoost, arranged in an attentional cascade of ever stricter
stages. :mod:`emostudy.detectors.haar_theory` takes the shipped cascade apart.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from emostudy._validation import check_choice, check_int, check_number, check_size
from emostudy.detectors.base import DEFAULT_MAX_SIDE, Face, FaceDetector, make_face
from emostudy.errors import InvalidInputError, ModelNotFoundError

#: Cascade used by default: OpenCV's stump-based 24x24 frontal face cascade (Lienhart et al.).
DEFAULT_CASCADE = "haarcascade_frontalface_default.xml"


def cascade_path(cascade: str = DEFAULT_CASCADE) -> Path:
    """Path of a cascade XML: a file name inside ``cv2.data.haarcascades`` or a path."""
    path = Path(cascade)
    if not path.is_file():
        path = Path(cv2.data.haarcascades) / cascade
    if not path.is_file():
        raise ModelNotFoundError(
            f"Haar cascade '{cascade}' not found (looked in {cv2.data.haarcascades}). OpenCV 4.x "
            "wheels (opencv-python) ship the cascades; OpenCV 5 wheels do not."
        )
    return path


class HaarCascadeDetector(FaceDetector):
    """``cv2.CascadeClassifier.detectMultiScale`` with OpenCV's documented defaults.

    Parameters
    ----------
    cascade
        Cascade XML file name in ``cv2.data.haarcascades``, or a path.
    scale_factor
        Ratio between two scales of the image pyramid (OpenCV default 1.1): smaller is slower and
        finds more faces.
    min_neighbors
        A face is reported where more than ``min_neighbors`` raw windows overlap (default 3):
        higher means fewer false alarms and fewer faces.
    min_size, max_size
        Smallest and largest face ``(w, h)`` searched for, in pixels (``None``: no limit, i.e. the
        24x24 training window and the whole image).
    score
        What :attr:`Face.score` holds: ``"neighbors"`` (how many raw windows were grouped into the
        face) or ``"level_weight"`` (the sum of the weak classifiers' votes in the last stage, from
        ``detectMultiScale3``). Both only rank faces; the detections are the same.
    equalize
        Equalise the gray-level histogram first (as the original study did); default False.
    """

    name = "haar"
    description = "Viola-Jones Haar cascade (OpenCV frontal default)"

    def __init__(
        self,
        *,
        cascade: str = DEFAULT_CASCADE,
        scale_factor: float = 1.1,
        min_neighbors: int = 3,
        min_size: tuple[int, int] | None = None,
        max_size: tuple[int, int] | None = None,
        score: str = "neighbors",
        equalize: bool = False,
        max_side: int | None = DEFAULT_MAX_SIDE,
    ) -> None:
        super().__init__(max_side=max_side)
        scale_factor = check_number("scale_factor", scale_factor, low=1.0, low_open=True)
        min_neighbors = check_int("min_neighbors", min_neighbors, minimum=0)
        check_choice("score", score, ("neighbors", "level_weight"))
        if min_size is not None:
            min_size = check_size("min_size", min_size)
        if max_size is not None:
            max_size = check_size("max_size", max_size)
        if (
            min_size is not None
            and max_size is not None
            and (min_size[0] > max_size[0] or min_size[1] > max_size[1])
        ):
            raise InvalidInputError(
                f"min_size {min_size} is larger than max_size {max_size}: no face could be found. "
                "Give min_size <= max_size in both width and height."
            )
        if not isinstance(cascade, str):
            raise InvalidInputError(
                f"cascade must be a file name or path (str), got {type(cascade).__name__}."
            )
        path = cascade_path(cascade)
        try:
            self._classifier = cv2.CascadeClassifier(str(path))
        except (cv2.error, SystemError) as error:  # a malformed XML file
            raise ModelNotFoundError(
                f"OpenCV could not load the cascade file {path}: it is not a valid cascade XML "
                f"({type(error).__name__}). Use a cascade shipped with OpenCV "
                "(cv2.data.haarcascades)."
            ) from None
        if self._classifier.empty():
            raise ModelNotFoundError(f"OpenCV could not load the cascade file {path}.")
        self._set_settings(
            cascade=cascade,
            scale_factor=float(scale_factor),
            min_neighbors=int(min_neighbors),
            min_size=None if min_size is None else tuple(int(v) for v in min_size),
            max_size=None if max_size is None else tuple(int(v) for v in max_size),
            score=score,
            equalize=bool(equalize),
        )

    def raw_windows(self, image, color_order: str = "bgr") -> np.ndarray:
        """Every window that passes all the cascade's stages, before grouping (``minNeighbors=0``).

        Returns an ``(N, 4)`` float array of ``x, y, w, h`` boxes in input-image pixels (the
        ``max_side`` setting is ignored here). :func:`group_windows` turns them into faces exactly
        as ``detectMultiScale`` does for a given ``min_neighbors``.
        """
        from emostudy.imageio import as_bgr

        s = self._settings
        gray = cv2.cvtColor(as_bgr(image, color_order), cv2.COLOR_BGR2GRAY)
        if s["equalize"]:
            gray = cv2.equalizeHist(gray)
        boxes = self._classifier.detectMultiScale(
            gray,
            scaleFactor=s["scale_factor"],
            minNeighbors=0,
            minSize=s["min_size"] or (0, 0),
            maxSize=s["max_size"] or (0, 0),
        )
        return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)

    def _detect(self, bgr: np.ndarray) -> list[Face]:
        s = self._settings
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        if s["equalize"]:
            gray = cv2.equalizeHist(gray)
        kwargs = dict(
            scaleFactor=s["scale_factor"],
            minNeighbors=s["min_neighbors"],
            minSize=s["min_size"] or (0, 0),
            maxSize=s["max_size"] or (0, 0),
        )
        if s["score"] == "neighbors":
            boxes, scores = self._classifier.detectMultiScale2(gray, **kwargs)
        else:
            boxes, _, scores = self._classifier.detectMultiScale3(
                gray, outputRejectLevels=True, **kwargs
            )
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        return [make_face(*box, score) for box, score in zip(boxes, scores, strict=True)]


def group_windows(
    windows: np.ndarray, min_neighbors: int, eps: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """Group raw cascade windows into faces, as ``detectMultiScale`` does (``cv2.groupRectangles``).

    Windows whose sides and positions agree within ``eps`` (relative) form one cluster; a cluster
    of more than ``min_neighbors`` windows becomes one face, the average of its windows; a face
    lying inside a larger, better-supported one is dropped.

    Returns
    -------
    boxes, neighbors
        ``(M, 4)`` float boxes and the ``(M,)`` number of windows behind each.
    """
    rects = [[int(v) for v in row] for row in np.asarray(windows).reshape(-1, 4)]
    if min_neighbors <= 0:
        return np.asarray(rects, dtype=np.float64).reshape(-1, 4), np.ones(len(rects))
    grouped, weights = cv2.groupRectangles(rects, int(min_neighbors), eps)
    return (
        np.asarray(grouped, dtype=np.float64).reshape(-1, 4),
        np.asarray(weights, dtype=np.float64).reshape(-1),
    )
