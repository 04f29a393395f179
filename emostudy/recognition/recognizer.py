"""The emotion recognizer: detector + FER-style crop + emotion model, in one object.

>>> from emostudy.recognition import EmotionRecognizer
>>> recognizer = EmotionRecognizer()                     # doctest: +SKIP
>>> result = recognizer.recognize("photo.jpg")           # doctest: +SKIP
>>> [(face.emotion, face.confidence) for face in result] # doctest: +SKIP
>>> result.to_frame()                                    # doctest: +SKIP

Defaults: chapter 7's chosen detector (RetinaFace) at its operating threshold, chapter 12's crop,
and the shipped headline model with flip test-time augmentation, run on ONNX Runtime.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from emostudy._validation import check_bool, check_int, check_number, check_sequence
from emostudy.detectors import DETECTORS, create_detector
from emostudy.detectors.base import FaceDetector
from emostudy.errors import EmostudyError, InvalidInputError
from emostudy.faces.crop import DEFAULT_CROP, CropSpec, crop_faces, to_gray
from emostudy.imageio import as_bgr
from emostudy.models.engines import Engine, create_engine
from emostudy.models.inputs import predict_logits, softmax, to_model_input
from emostudy.recognition.results import FaceEmotion, Recognition

#: The detector chapter 7's benchmark chose (``book/results/detectors.json``, ``verdict``).
DEFAULT_DETECTOR = "retinaface"

#: Chapter 7's operating thresholds (best F1 on WIDER FACE medium), per detector; faces scoring
#: lower are dropped unless ``min_score`` says otherwise. The tests check them against the book.
OPERATING_THRESHOLDS: dict[str, float] = {
    "haar": 8.0,
    "dlib_hog": -0.41948288302289294,
    "dlib_mmod": 0.585405707359314,
    "mtcnn": 0.8866304755210876,
    "ssd": 0.15546295046806335,
    "yunet": 0.767753005027771,
    "blazeface_short": 0.5002100467681885,
    "blazeface_full": 0.3150022327899933,
    "retinaface": 0.8372461795806885,
}

#: Longest image side the detector sees by default (larger photos are shrunk for detection only;
#: faces are cropped from the full-resolution image).
DEFAULT_MAX_SIDE = 1280

#: The detector's image side for video (:meth:`EmotionRecognizer.for_video`): a 640x480 frame is
#: searched at 320x240, four times fewer pixels, which finds faces down to about 40 pixels high in
#: the frame (chapter 12 measures the speed and the accuracy it costs).
VIDEO_MAX_SIDE = 320


class EmotionRecognizer:
    """Find faces and recognise their expressions in images, folders and video frames.

    Parameters
    ----------
    detector
        A registry name (:func:`emostudy.detectors.available_detectors`) or a ready
        :class:`~emostudy.detectors.FaceDetector`. Default: RetinaFace (chapter 7's choice).
    model
        A shipped model name, a ``.keras``/``.onnx``/``.tflite`` file, or a Keras model
        (default: the shipped headline model).
    min_score
        Faces the detector scores below this are dropped. Default: chapter 7's operating
        threshold of a detector given by name; a ready detector keeps its own threshold.
    crop
        The face crop (default: chapter 12's choice, :data:`emostudy.faces.DEFAULT_CROP`).
    flip_tta
        Average each face's logits with its mirror image's (the shipped model's reported setting;
        doubles the classification batch).
    engine
        How the model runs: ``"auto"`` (ONNX Runtime when an export exists, else a compiled
        ``tf.function``) or one of :data:`emostudy.models.engines.ENGINES`.
    max_side
        Longest side of the image the detector sees, in pixels (never more than the detector's
        own limit, :data:`emostudy.detectors.DEFAULT_MAX_SIDE` = 2,048, which bounds memory;
        ``None``: the detector's own). Faces are cropped from the full image. To search a large
        photo at its own resolution, use ``tile=True``; a detector created with
        ``max_side=None`` searches the whole photo unshrunk, with memory growing with its area
        (YuNet asks for 2.3 GB on a 12,000-pixel photo).
    tile
        Also search large images in overlapping ``max_side`` tiles at full resolution
        (:meth:`emostudy.detectors.FaceDetector.detect_tiled`): small faces in a photo much larger
        than ``max_side`` are found, with the memory of one tile; time grows with the tiles.
    """

    def __init__(
        self,
        detector: str | FaceDetector = DEFAULT_DETECTOR,
        model: Any = None,
        *,
        min_score: float | None = None,
        crop: CropSpec = DEFAULT_CROP,
        flip_tta: bool = True,
        engine: str = "auto",
        max_side: int | None = DEFAULT_MAX_SIDE,
        tile: bool = False,
    ) -> None:
        if not isinstance(crop, CropSpec):
            raise InvalidInputError(f"crop must be a CropSpec, got {type(crop).__name__}.")
        if min_score is not None:
            min_score = check_number("min_score", min_score)  # finite, not a string
            scored_by = detector if isinstance(detector, FaceDetector) else DETECTORS.get(detector)
            if scored_by is not None:
                min_score = scored_by.check_score("min_score", min_score)
        if max_side is not None:
            max_side = check_int("max_side", max_side, minimum=16)
        self.tile = check_bool("tile", tile)
        if isinstance(detector, FaceDetector):
            self.detector = detector
            default_score = None  # a ready detector keeps its own threshold
        elif isinstance(detector, str):
            default_score = OPERATING_THRESHOLDS.get(detector)
            self.detector = create_detector(
                detector, **self._detector_settings(detector, min_score)
            )
            own = self.detector.max_side
            if max_side is not None and (own is None or int(max_side) < own):
                self.detector.max_side = int(max_side)
        else:
            raise InvalidInputError(
                "detector must be a detector name or a FaceDetector, got "
                f"{type(detector).__name__}."
            )
        self.min_score = float(min_score) if min_score is not None else default_score
        self.crop = crop
        self.flip_tta = bool(flip_tta)
        self.engine: Engine = create_engine(model, engine)
        #: The model's class names in output order (7 FER-2013 classes, or FER+'s 8).
        self.classes: tuple[str, ...] = self.engine.classes
        #: Images per model call (faces and their mirrors): one frame's faces fit in one call.
        self.batch_size = 64

    @classmethod
    def for_video(cls, detector: str = DEFAULT_DETECTOR, model: Any = None, **options: Any):
        """A recognizer tuned for frames per second: the detector searches each frame at
        :data:`VIDEO_MAX_SIDE` pixels (faces are still cropped from the full frame). Other
        ``options`` as for the constructor."""
        options.setdefault("max_side", VIDEO_MAX_SIDE)
        return cls(detector, model, **options)

    @staticmethod
    def _detector_settings(name: str, min_score: float | None) -> dict[str, Any]:
        """Lower a detector's own score threshold so that ``min_score`` can do the filtering."""
        import inspect

        from emostudy.detectors import DETECTORS

        if name not in DETECTORS:
            return {}  # create_detector raises the clear error
        params = inspect.signature(DETECTORS[name].__init__).parameters
        wanted = min_score if min_score is not None else OPERATING_THRESHOLDS.get(name)
        if "score_threshold" in params and wanted is not None:
            default = params["score_threshold"].default
            return {"score_threshold": float(min(max(wanted, 0.0), default))}
        return {}

    def __repr__(self) -> str:
        return (
            f"EmotionRecognizer(detector={self.detector.name!r}, min_score={self.min_score}, "
            f"engine={self.engine.name!r}, crop={self.crop.label!r}, flip_tta={self.flip_tta})"
        )

    # -- stages ---------------------------------------------------------------------------------
    def detect(self, image: Any, color_order: str = "bgr") -> list:
        """Faces in ``image`` (path or array) scoring at least :attr:`min_score`, best first
        (searched in tiles too when the recognizer was made with ``tile=True``)."""
        if self.tile:
            faces = self.detector.detect_tiled(image, color_order)
        else:
            faces = self.detector.detect(image, color_order)
        if self.min_score is not None:
            faces = [face for face in faces if face.score >= self.min_score]
        return faces

    def classify(self, faces: np.ndarray) -> np.ndarray:
        """Probabilities ``(N, 7)`` for uint8 48x48 face crops ``(N, 48, 48[, 1])``.

        Faces go to the model in batches of :attr:`batch_size` images (mirror images included),
        so memory stays bounded however many faces an image or a study holds.
        """
        x = to_model_input(faces)
        if len(x) == 0:
            return np.zeros((0, len(self.classes)))
        tta = "flip" if self.flip_tta else None
        step = self.batch_size // 2 if self.flip_tta else self.batch_size
        return softmax(predict_logits(self.engine, x, batch_size=step, tta=tta))

    # -- the whole pipeline ---------------------------------------------------------------------
    def recognize(self, image: Any, color_order: str = "bgr") -> Recognition:
        """Detect, crop and classify every face of one image.

        Parameters
        ----------
        image
            A file path, or a uint8 BGR (default), RGB (``color_order="rgb"``) or grayscale array.

        Returns
        -------
        Recognition
            Faces best detector score first, and the milliseconds each stage took.
        """
        source = str(image) if isinstance(image, str | os.PathLike) else None
        start = time.perf_counter()
        bgr = as_bgr(image, color_order)
        faces = self.detect(bgr)
        detected = time.perf_counter()
        crops = crop_faces(to_gray(bgr), faces, spec=self.crop)
        cropped = time.perf_counter()
        probabilities = self.classify(crops)
        done = time.perf_counter()
        results = [
            FaceEmotion(
                box=face.box,
                score=face.score,
                landmarks=face.landmarks,
                probabilities=p,
                classes=self.classes,
            )
            for face, p in zip(faces, probabilities, strict=True)
        ]
        timings = {
            "detect": (detected - start) * 1000,
            "crop": (cropped - detected) * 1000,
            "classify": (done - cropped) * 1000,
            "total": (done - start) * 1000,
        }
        height, width = bgr.shape[:2]
        return Recognition(results, (int(width), int(height)), source, timings)

    __call__ = recognize

    def recognize_files(
        self, paths: Iterable[str | os.PathLike], *, workers: int = 2
    ) -> Iterator[tuple[str, Recognition | EmostudyError]]:
        """Recognise many image files, ``workers`` at a time, in order.

        Yields ``(path, result)`` pairs; a file that cannot be read or understood yields its
        :class:`~emostudy.errors.EmostudyError` instead of a result, so one bad file never stops
        a folder. Decoding, detection and the model all release Python's lock, so two workers
        keep two cores busy.
        """
        workers = check_int("workers", workers)
        if workers < 1:
            raise InvalidInputError(f"workers must be >= 1, got {workers}.")
        paths = check_sequence("paths", paths, "image paths")
        return self._recognize_all(paths, workers)

    def _recognize_all(
        self, paths: list, workers: int
    ) -> Iterator[tuple[str, Recognition | EmostudyError]]:
        def one(path: str | os.PathLike) -> tuple[str, Recognition | EmostudyError]:
            try:
                return str(path), self.recognize(path)
            except EmostudyError as error:
                return str(path), error

        if workers == 1:
            yield from map(one, paths)
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            yield from pool.map(one, paths)
