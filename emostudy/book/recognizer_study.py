"""Measuring the recognizer: FER-2013 faces put back into larger images (the crop study and the
detector-in-the-loop accuracy), test frames with a chosen number of faces, and a slideshow video.

FER-2013 faces are 48x48 crops. To measure the whole pipeline on them, each face is enlarged
(``scale``, bicubic) and pasted at a seeded random place into a canvas filled with the face's
median border grey. The detector then has to find it; the crop under study cuts it out again; the
model classifies it. A face counts as *found* when the best-scored detection overlaps its true
place by IoU >= ``min_iou``; a missed face counts as a wrong answer in the end-to-end accuracy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from emostudy.data.classes import FACE_SIZE
from emostudy.detectors.base import Face
from emostudy.errors import InvalidInputError
from emostudy.faces.crop import CropSpec, crop_face
from emostudy.geometry import box_iou


@dataclass(frozen=True)
class CanvasSpec:
    """How FER faces are put into a canvas: enlargement, canvas size ``(width, height)``, seed."""

    scale: float = 3.0
    size: tuple[int, int] = (320, 320)
    seed: int = 0

    def __post_init__(self) -> None:
        side = FACE_SIZE * self.scale
        if self.scale <= 0 or side > min(self.size):
            raise InvalidInputError(
                f"A {FACE_SIZE}x{FACE_SIZE} face at scale {self.scale} ({side:.0f} px) must fit "
                f"in the {self.size[0]}x{self.size[1]} canvas."
            )


def place_on_canvas(
    face: np.ndarray, index: int, spec: CanvasSpec = CanvasSpec()
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Face ``index`` of a set, enlarged and pasted into a grey canvas.

    Returns the ``(H, W)`` uint8 canvas and the face's true box ``(x, y, w, h)``; the place is
    drawn from a generator seeded by ``(spec.seed, index)``, so it does not depend on which other
    faces are processed.
    """
    face = np.asarray(face)
    if face.ndim == 3:
        face = face[..., 0]
    if face.dtype != np.uint8 or face.ndim != 2:
        raise InvalidInputError(f"Expected a uint8 (48, 48) face, got {face.dtype} {face.shape}.")
    side = round(face.shape[0] * spec.scale)
    big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    border = np.concatenate([face[0], face[-1], face[:, 0], face[:, -1]])
    width, height = spec.size
    canvas = np.full((height, width), int(np.median(border)), dtype=np.uint8)
    rng = np.random.default_rng([spec.seed, int(index)])
    x = int(rng.integers(0, width - side + 1))
    y = int(rng.integers(0, height - side + 1))
    canvas[y : y + side, x : x + side] = big
    return canvas, (float(x), float(y), float(side), float(side))


@dataclass
class CanvasDetections:
    """What a detector found on the canvases of a face set.

    Attributes
    ----------
    faces
        Per image, the best-scored detection overlapping the true box by ``min_iou``, or None.
    truth
        ``(N, 4)`` true boxes.
    n_detections
        ``(N,)`` every detection per canvas (false ones included).
    iou
        ``(N,)`` IoU of the matched detection (0 when missed).
    seconds
        Wall time of the detection pass.
    """

    faces: list[Face | None]
    truth: np.ndarray
    n_detections: np.ndarray
    iou: np.ndarray
    seconds: float

    @property
    def found(self) -> np.ndarray:
        """``(N,)`` bool: the face was found."""
        return np.array([f is not None for f in self.faces])


def detect_on_canvases(
    detect: Callable[[np.ndarray], list[Face]],
    faces: np.ndarray,
    spec: CanvasSpec = CanvasSpec(),
    *,
    min_iou: float = 0.3,
) -> CanvasDetections:
    """Run ``detect`` (e.g. ``recognizer.detect``) on the canvas of every face."""
    import time

    start = time.perf_counter()
    matched, truths, counts, ious = [], [], [], []
    for i, face in enumerate(faces):
        canvas, truth = place_on_canvas(face, i, spec)
        found = detect(canvas)
        counts.append(len(found))
        truths.append(truth)
        best, best_iou = None, 0.0
        if found:
            overlap = box_iou(np.array([f.box for f in found]), np.array([truth]))[:, 0]
            for face_found, value in zip(found, overlap, strict=True):  # best score first
                if value >= min_iou:
                    best, best_iou = face_found, float(value)
                    break
        matched.append(best)
        ious.append(best_iou)
    return CanvasDetections(
        matched,
        np.array(truths, dtype=np.float64).reshape(-1, 4),
        np.array(counts),
        np.array(ious),
        time.perf_counter() - start,
    )


def crops_for_candidates(
    faces: np.ndarray,
    detections: CanvasDetections,
    candidates: Sequence[CropSpec],
    spec: CanvasSpec = CanvasSpec(),
) -> np.ndarray:
    """``(C, N, 48, 48)`` uint8 crops of every found face under every candidate crop (a missed
    face gets a blank crop; score it as missed with ``detections.found``)."""
    out = np.zeros((len(candidates), len(faces), FACE_SIZE, FACE_SIZE), dtype=np.uint8)
    for i, (face, found) in enumerate(zip(faces, detections.faces, strict=True)):
        if found is None:
            continue
        canvas, _ = place_on_canvas(face, i, spec)
        for c, candidate in enumerate(candidates):
            out[c, i] = crop_face(canvas, found.box, found.landmarks, spec=candidate)
    return out


def in_the_loop_scores(
    labels: np.ndarray, predicted: np.ndarray, found: np.ndarray
) -> dict[str, float]:
    """Scores with the detector in the loop: ``found`` (fraction of faces found),
    ``accuracy_found`` (among found faces), ``accuracy_end_to_end`` (a missed face is wrong),
    ``macro_f1_end_to_end`` (missed faces as a wrong eighth class)."""
    from sklearn.metrics import f1_score

    labels, predicted, found = map(np.asarray, (labels, predicted, found))
    correct = (predicted == labels) & found
    end_to_end = np.where(found, predicted, -1)
    classes = np.unique(labels)
    return {
        "found": float(found.mean()),
        "accuracy_found": float(correct[found].mean()) if found.any() else 0.0,
        "accuracy_end_to_end": float(correct.mean()),
        "macro_f1_end_to_end": float(
            f1_score(labels, end_to_end, labels=classes, average="macro", zero_division=0)
        ),
    }


def compose_frame(
    faces: Sequence[np.ndarray],
    *,
    size: tuple[int, int] = (640, 480),
    background: int = 96,
) -> np.ndarray:
    """A BGR frame of ``size`` (width, height) holding the given BGR face images in a grid.

    ``len(faces)`` cells in the most square grid that fits; each face is resized to fill 90% of
    its cell (aspect ratio kept) and centred. Used to time the pipeline with 1, 5 or 20 faces.
    """
    n = len(faces)
    if n < 1:
        raise InvalidInputError("compose_frame needs at least one face image.")
    width, height = size
    cols = int(np.ceil(np.sqrt(n * width / height)))
    rows = int(np.ceil(n / cols))
    cell_w, cell_h = width // cols, height // rows
    frame = np.full((height, width, 3), background, dtype=np.uint8)
    for k, face in enumerate(faces):
        r, c = divmod(k, cols)
        fh, fw = face.shape[:2]
        factor = 0.9 * min(cell_w / fw, cell_h / fh)
        new_w, new_h = max(1, int(fw * factor)), max(1, int(fh * factor))
        resized = cv2.resize(face, (new_w, new_h), interpolation=cv2.INTER_AREA)
        if resized.ndim == 2:
            resized = cv2.cvtColor(resized, cv2.COLOR_GRAY2BGR)
        y = r * cell_h + (cell_h - new_h) // 2
        x = c * cell_w + (cell_w - new_w) // 2
        frame[y : y + new_h, x : x + new_w] = resized
    return frame


def face_patches(image: np.ndarray, faces: Sequence[Face], *, margin: float = 0.4) -> list:
    """Square BGR patches around detected faces (``margin`` of the box side on each side), for
    :func:`compose_frame`. Patches that would leave the image are skipped."""
    patches = []
    for face in faces:
        x, y, w, h = face.box
        side = max(w, h) * (1 + 2 * margin)
        cx, cy = x + w / 2, y + h / 2
        x0, y0 = round(cx - side / 2), round(cy - side / 2)
        x1, y1 = x0 + round(side), y0 + round(side)
        if x0 >= 0 and y0 >= 0 and x1 <= image.shape[1] and y1 <= image.shape[0]:
            patches.append(image[y0:y1, x0:x1].copy())
    return patches


def slideshow_frames(
    images: Sequence[np.ndarray],
    *,
    size: tuple[int, int] = (640, 480),
    frames_per_image: int = 20,
    zoom: float = 1.25,
) -> Iterator[np.ndarray]:
    """A slow zoom into each image in turn (BGR frames of ``size``), so faces move smoothly
    within a shot and cut between shots: a test video for tracking."""
    width, height = size
    for image in images:
        h, w = image.shape[:2]
        aspect = width / height
        base_w, base_h = (w, w / aspect) if w / h < aspect else (h * aspect, h)
        for t in np.linspace(0, 1, int(frames_per_image)):
            factor = 1 + (zoom - 1) * t
            cw, ch = base_w / factor, base_h / factor
            x0, y0 = (w - cw) / 2, (h - ch) / 2
            matrix = np.array(
                [[width / cw, 0, -x0 * width / cw], [0, height / ch, -y0 * height / ch]]
            )
            yield cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR)


def write_video(frames: Iterator[np.ndarray], path: str | os.PathLike, *, fps: float = 10) -> Any:
    """Write BGR frames to an ``.mp4`` (``mp4v``) or ``.avi`` (MJPG) file; returns the path."""
    from emostudy.recognition.video import AnnotatedVideoWriter

    writer = None
    for frame in frames:
        if writer is None:
            writer = AnnotatedVideoWriter(path, fps=fps, size=(frame.shape[1], frame.shape[0]))
        writer.write(frame)
    if writer is None:
        raise InvalidInputError("write_video got no frames.")
    writer.close()
    return Path(path)
