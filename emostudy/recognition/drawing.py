"""Drawing recognised faces: boxes, labels and probability bars (OpenCV, for the command line and
videos), and Matplotlib views of images and of tracks over time (for the notebooks)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np

from emostudy._validation import check_boxes
from emostudy.errors import InvalidInputError
from emostudy.imageio import as_bgr
from emostudy.recognition.results import FaceEmotion, Recognition

#: One colour per class, BGR (OpenCV order), from Matplotlib's ``tab10``.
EMOTION_COLORS: dict[str, tuple[int, int, int]] = {
    "angry": (40, 39, 214),
    "disgust": (44, 160, 44),
    "fear": (189, 103, 148),
    "happy": (14, 127, 255),
    "sad": (180, 119, 31),
    "surprise": (207, 190, 23),
    "neutral": (127, 127, 127),
}


def draw_faces(
    image: np.ndarray,
    faces: Sequence[FaceEmotion] | Recognition,
    *,
    bars: bool = True,
    landmarks: bool = False,
) -> np.ndarray:
    """An annotated copy of a BGR image: per face a box and a label in the colour of its emotion
    (``"happy 93%"``, with ``#id`` for a tracked face), and optionally the seven probabilities as
    horizontal bars beside the box.

    Parameters
    ----------
    image
        uint8 BGR ``(H, W, 3)`` or grayscale ``(H, W)`` image (not modified).
    faces
        The faces (a :class:`Recognition` or a list of :class:`FaceEmotion`).
    """
    if not isinstance(image, np.ndarray):
        raise InvalidInputError(
            f"draw_faces draws on an image array, got {type(image).__name__}"
            + (
                "; read the file first: emostudy.imageio.read_image(path)."
                if isinstance(image, str | os.PathLike)
                else "."
            )
        )
    canvas = as_bgr(image).copy()
    faces = list(faces)
    for i, face in enumerate(faces):
        if not isinstance(face, FaceEmotion):
            raise InvalidInputError(
                f"faces must be a Recognition or FaceEmotion objects, got {type(face).__name__} "
                f"at position {i}."
            )
        check_boxes(f"faces[{i}].box", face.box)
    scale = max(canvas.shape[:2]) / 640
    thickness = max(1, round(2 * scale))
    font_scale = 0.5 * max(scale, 0.6)
    for face in faces:
        color = EMOTION_COLORS.get(face.emotion, (0, 255, 0))
        x, y, w, h = (round(v) for v in face.box)
        cv2.rectangle(canvas, (x, y), (x + w, y + h), color, thickness)
        label = f"{face.emotion} {face.confidence:.0%}"
        if face.track_id is not None:
            label = f"#{face.track_id} {label}"
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
        top = y - th - base - 2 if y - th - base - 2 >= 0 else y + h
        cv2.rectangle(canvas, (x, top), (x + tw + 4, top + th + base + 2), color, -1)
        cv2.putText(
            canvas,
            label,
            (x + 2, top + th + 1),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )
        if landmarks and face.landmarks is not None:
            for px, py in face.landmarks:
                cv2.circle(canvas, (round(px), round(py)), thickness + 1, (0, 255, 255), -1)
        if bars:
            _draw_bars(canvas, face, (x + w + 3, y), max(h, 7 * 6), font_scale)
    return canvas


def _draw_bars(canvas, face, origin, height, font_scale) -> None:
    x0, y0 = origin
    n = len(face.classes)
    row = max(5, int(height / n))
    width = max(30, int(row * 5))
    if x0 + width >= canvas.shape[1]:
        return  # no room on the right: the label says enough
    for i, (name, p) in enumerate(zip(face.classes, face.probabilities, strict=True)):
        top = y0 + i * row
        if top + row - 1 >= canvas.shape[0]:
            break
        color = EMOTION_COLORS.get(name, (0, 255, 0))
        cv2.rectangle(canvas, (x0, top), (x0 + width, top + row - 2), (40, 40, 40), -1)
        cv2.rectangle(canvas, (x0, top), (x0 + round(width * float(p)), top + row - 2), color, -1)
