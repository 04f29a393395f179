"""The one interface every face detector follows: :class:`Face` results and :class:`FaceDetector`.

Conventions, the same for every detector in :mod:`emostudy.detectors`:

* ``detector.detect(image, color_order="bgr")`` takes a ``uint8`` image array, BGR (OpenCV's
  order, the default), RGB (``color_order="rgb"``) or grayscale (a 2-D array, or ``(H, W, 1)``),
  or the path of an image file (read in colour);
* it returns a list of :class:`Face`, best score first, with boxes ``(x, y, w, h)`` and landmarks in
  the pixel coordinates of the image that was passed in (floats; ``x, y`` is the top-left corner);
* each detector's own settings ("tunables") are constructor parameters with the defaults its
  authors document, and :meth:`FaceDetector.settings` returns them as a dict;
* every box is finite and inside the image: the base class clips boxes to the image and drops
  non-finite and degenerate ones (narrower or shorter than :data:`MIN_BOX_SIDE` pixels after
  clipping), whatever the detector's network returned;
* an image whose shorter side is below :data:`MIN_IMAGE_SIDE` pixels has no faces (an empty list,
  the detector is not run); an image whose longer side exceeds ``max_side`` (default
  :data:`DEFAULT_MAX_SIDE`) is shrunk to it first and the boxes mapped back, so memory and time stay
  bounded whatever the photo's size;
* bad input raises :class:`~emostudy.errors.InvalidInputError`,
  :class:`~emostudy.errors.DataNotFoundError` or :class:`~emostudy.errors.CorruptImageError` with a
  message that says what to do, never an error from inside OpenCV or TensorFlow.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import cv2
import numpy as np

from emostudy._validation import check_int
from emostudy.errors import InvalidInputError
from emostudy.imageio import as_bgr

#: Values accepted by the ``color_order`` argument of :meth:`FaceDetector.detect`.


#: Longer side (pixels) an image is shrunk to before detection unless ``max_side`` says otherwise.
#: Peak memory of each detector at this size is below 1.5 GB (dlib MMOD has its own, smaller
#: default, :data:`emostudy.detectors.dlib_mmod.MMOD_MAX_SIDE`).
DEFAULT_MAX_SIDE = 2048


#: :meth:`FaceDetector.detect_tiled` tiles an image only when its longer side exceeds the
#: detector's ``max_side`` by more than this factor (below it, shrinking loses little).
TILE_FACTOR = 1.5

#: Overlap of neighbouring tiles, as a fraction of the tile side: a face smaller than this
#: overlap (minus a small margin) lies whole inside at least one tile. Larger faces are found by
#: the whole-image pass at ``max_side``, which :meth:`FaceDetector.detect_tiled` also runs.
TILE_OVERLAP = 0.25

#: IoU above which two detections of the tiled search are one face (:func:`emostudy.geometry.nms`).
TILE_NMS_IOU = 0.3


#: Images whose shorter side is below this many pixels hold no detectable face: no detector here
#: finds faces under about 10 pixels, and some (YuNet, dlib MMOD) misbehave on such inputs.
MIN_IMAGE_SIDE = 16


#: Boxes narrower or shorter than this (pixels, after clipping to the image) are dropped.
MIN_BOX_SIDE = 1.0


@dataclass(frozen=True)
class Face:
    """One detected face.

    Attributes
    ----------
    box
        ``(x, y, w, h)``: top-left corner, width and height in input-image pixels (floats).
    score
        The detector's confidence; its scale depends on the detector (a probability for the
        neural detectors, an SVM margin for dlib HOG, a stage sum or a neighbour count for Haar).
        Only the order of scores of one detector is meaningful.
    landmarks
        Optional ``(K, 2)`` array of ``(x, y)`` points in input-image pixels (eyes, nose, mouth...,
        in the detector's own order), or ``None``.
    """

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def xyxy(self) -> tuple[float, float, float, float]:
        """The box as ``(x1, y1, x2, y2)`` corners."""
        x, y, w, h = self.box
        return (x, y, x + w, y + h)

    @property
    def area(self) -> float:
        """Box area in square pixels."""
        return self.box[2] * self.box[3]

    def scaled(self, factor: float) -> Face:
        """The same face with box and landmarks multiplied by ``factor`` (image resizing)."""
        box = tuple(float(v * factor) for v in self.box)
        marks = None if self.landmarks is None else self.landmarks * factor
        return Face(box, self.score, marks)  # type: ignore[arg-type]

    def shifted(self, dx: float, dy: float) -> Face:
        """The same face moved by ``(dx, dy)`` pixels (from a tile's pixels to the image's)."""
        x, y, w, h = self.box
        marks = None if self.landmarks is None else self.landmarks + np.array([dx, dy])
        return Face((float(x + dx), float(y + dy), float(w), float(h)), self.score, marks)


def make_face(x: float, y: float, w: float, h: float, score: float, landmarks: Any = None) -> Face:
    """Build a :class:`Face` from plain numbers (floats; landmarks as a ``(K, 2)`` array)."""
    marks = None
    if landmarks is not None:
        marks = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
    return Face((float(x), float(y), float(w), float(h)), float(score), marks)


def _tile_starts(length: int, side: int, stride: int) -> list[int]:
    """Start offsets of tiles of ``side`` pixels covering ``length`` pixels, ``stride`` apart (the
    last tile ends at the edge)."""
    if length <= side:
        return [0]
    starts = list(range(0, length - side, stride))
    return [*starts, length - side]


def faces_to_array(faces: list[Face]) -> np.ndarray:
    """``(N, 5)`` float array of ``x, y, w, h, score`` rows (``(0, 5)`` when there are no faces)."""
    if not faces:
        return np.zeros((0, 5))
    return np.array([[*f.box, f.score] for f in faces], dtype=np.float64)


def inside_image(faces: list[Face], width: int, height: int) -> list[Face]:
    """The faces whose boxes are finite, clipped to a ``width x height`` image, and not degenerate.

    The one check every detector's output passes through (in :meth:`FaceDetector.detect`): a face
    with a non-finite box, score or landmark is dropped; a box is clipped to the image; a box
    narrower or shorter than :data:`MIN_BOX_SIDE` pixels after clipping is dropped. Landmarks may
    lie outside the image (a face cut by the border) and are left as they are.
    """
    kept = []
    for face in faces:
        x, y, w, h = face.box
        finite = np.isfinite([x, y, w, h, face.score]).all()
        if face.landmarks is not None:
            finite = finite and np.isfinite(face.landmarks).all()
        if not finite:
            continue
        x1, y1 = min(max(x, 0.0), width), min(max(y, 0.0), height)
        x2, y2 = min(max(x + w, 0.0), width), min(max(y + h, 0.0), height)
        if x2 - x1 < MIN_BOX_SIDE or y2 - y1 < MIN_BOX_SIDE:
            continue
        box = (float(x1), float(y1), float(x2 - x1), float(y2 - y1))
        kept.append(face if box == face.box else Face(box, face.score, face.landmarks))
    return kept


class FaceDetector(ABC):
    """Base class of every detector: input checks, optional downscaling, sorted results.

    Subclasses set :attr:`name`, take their tunables as keyword constructor parameters (stored
    with :meth:`_set_settings`) and implement :meth:`_detect` on a BGR image.

    Parameters
    ----------
    max_side
        An image whose longer side exceeds ``max_side`` pixels is shrunk to that size before
        detection (aspect ratio kept, ``cv2.INTER_AREA``); boxes are mapped back to the input
        image. Default :data:`DEFAULT_MAX_SIDE` (2048), which keeps memory bounded for any photo.
        ``None``: detect at the image's own resolution, however large (memory then grows with the
        image: several GB for a 50-megapixel photo).
    """

    #: Registry name, e.g. ``"yunet"``.
    name: ClassVar[str] = "detector"
    #: One-line description (family, paper, where the weights come from).
    description: ClassVar[str] = ""
    #: The interval the detector's scores lie in (``(0.0, 1.0)`` for the detectors whose score
    #: is a probability); ``None`` when unbounded (a neighbour count, an SVM margin).
    score_range: ClassVar[tuple[float, float] | None] = None

    @classmethod
    def check_score(cls, name: str, value: Any) -> float:
        """``value`` as a score threshold of this detector: a finite number inside
        :attr:`score_range` (a threshold outside it would keep every face or none)."""
        from emostudy._validation import check_number

        if cls.score_range is None:
            return check_number(name, value)
        low, high = cls.score_range
        try:
            return check_number(name, value, low=low, high=high)
        except InvalidInputError as error:
            raise InvalidInputError(
                f"{error} The {cls.name} detector scores faces from {low:g} to {high:g}."
            ) from None

    def __init__(self, *, max_side: int | None = DEFAULT_MAX_SIDE) -> None:
        self.max_side = None if max_side is None else check_int("max_side", max_side, minimum=16)
        self._settings: dict[str, Any] = {}

    def _set_settings(self, **settings: Any) -> None:
        self._settings = dict(settings)

    def settings(self) -> dict[str, Any]:
        """The detector's tunables (constructor parameters) and their values, plus ``max_side``."""
        return {**self._settings, "max_side": self.max_side}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings().items())
        return f"{type(self).__name__}({args})"

    def detect(self, image: Any, color_order: str = "bgr") -> list[Face]:
        """Detect faces in ``image`` (see :func:`as_bgr` for what it may be).

        Returns
        -------
        list of Face
            Best score first; boxes and landmarks in the pixels of ``image``; every box finite
            and inside the image (see :func:`inside_image`). An image with a side shorter than
            :data:`MIN_IMAGE_SIDE` pixels gives an empty list.
        """
        bgr = as_bgr(image, color_order)
        height, width = bgr.shape[:2]
        if min(height, width) < MIN_IMAGE_SIDE:
            return []
        factor = 1.0
        if self.max_side is not None and max(bgr.shape[:2]) > self.max_side:
            factor = self.max_side / max(bgr.shape[:2])
            size = (max(1, round(bgr.shape[1] * factor)), max(1, round(bgr.shape[0] * factor)))
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
            if min(bgr.shape[:2]) < MIN_IMAGE_SIDE:  # a thin strip shrunk below any face
                return []
        faces = self._detect(bgr)
        if factor != 1.0:
            faces = [face.scaled(1.0 / factor) for face in faces]
        return sorted(inside_image(faces, width, height), key=lambda f: -f.score)

    __call__ = detect

    def detect_tiled(
        self, image: Any, color_order: str = "bgr", *, overlap: float = TILE_OVERLAP
    ) -> list[Face]:
        """Detect small faces in a large photo: full-resolution tiles, plus the usual whole-image
        pass, merged by non-maximum suppression.

        :meth:`detect` shrinks an image to ``max_side`` first, so a face 30 pixels high in a
        10,000-pixel photo becomes 6 pixels high and is lost. Here, when the image's longer side
        exceeds ``max_side`` by more than :data:`TILE_FACTOR`, the detector also runs on
        overlapping ``max_side x max_side`` tiles at the image's own resolution (each tile is a
        view: memory stays that of one tile, whatever the photo's size; time grows with the
        number of tiles). Detections touching an inner tile edge are dropped (the neighbouring
        tile sees that face whole), and the rest are merged with the whole-image pass by
        :func:`emostudy.geometry.nms` at IoU :data:`TILE_NMS_IOU`. Smaller images get
        :meth:`detect`.

        Parameters
        ----------
        image, color_order
            As for :meth:`detect`.
        overlap
            Fraction of the tile side that neighbouring tiles share, in ``[0.1, 0.5]``.
        """
        from emostudy._validation import check_number
        from emostudy.geometry import nms

        overlap = check_number("overlap", overlap, low=0.1, high=0.5)
        bgr = as_bgr(image, color_order)
        height, width = bgr.shape[:2]
        side = self.max_side or DEFAULT_MAX_SIDE
        whole = self.detect(bgr)
        if max(height, width) <= TILE_FACTOR * side:
            return whole
        stride = max(1, int(side * (1 - overlap)))
        margin = 2.0
        found = list(whole)
        for top in _tile_starts(height, side, stride):
            for left in _tile_starts(width, side, stride):
                tile = bgr[top : top + side, left : left + side]
                bottom, right = top + tile.shape[0], left + tile.shape[1]
                for face in self.detect(tile):
                    x1, y1, x2, y2 = face.shifted(left, top).xyxy
                    cut = (
                        (left > 0 and x1 < left + margin)
                        or (top > 0 and y1 < top + margin)
                        or (right < width and x2 > right - margin)
                        or (bottom < height and y2 > bottom - margin)
                    )
                    if not cut:
                        found.append(face.shifted(left, top))
        if not found:
            return []
        boxes = np.array([f.box for f in found], dtype=np.float64)
        keep = nms(boxes, np.array([f.score for f in found]), iou_threshold=TILE_NMS_IOU)
        return sorted(inside_image([found[i] for i in keep], width, height), key=lambda f: -f.score)

    @abstractmethod
    def _detect(self, bgr: np.ndarray) -> list[Face]:
        """Detect faces in a validated ``(H, W, 3)`` uint8 BGR image."""
