"""Drawing recognised faces: boxes, labels and probability bars (OpenCV, for the command line and
videos), and Matplotlib views of images and of tracks over time (for the notebooks)."""

from __future__ import annotations

import os
import warnings
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
    "contempt": (75, 86, 140),
}


#: Images up to this many pixels on their longer side are drawn at scale 1 (thinner lines and
#: smaller text would not be readable); larger ones get lines and text in proportion.
BASE_SIDE = 640

FONT = cv2.FONT_HERSHEY_SIMPLEX


class DrawingWarning(UserWarning):
    """Part of a drawing was left out (no room for some faces' probability bars)."""


def drawing_scale(width: int, height: int) -> dict[str, float]:
    """Line thickness, font scale and text thickness for an image of ``width x height`` pixels:
    they grow with the longer side (``BASE_SIDE`` pixels: 2-pixel boxes, 0.5 font scale, 1-pixel
    text), so that a drawing on a 6,000-pixel photo stays as readable as on a 640-pixel one."""
    scale = max(width, height) / BASE_SIDE
    return {
        "line": max(1, round(2 * scale)),
        "font": 0.5 * max(scale, 0.6),
        "text": max(1, round(scale)),
    }


def label_text(face: FaceEmotion) -> str:
    """The label drawn above a face: ``"happy 93%"``, with ``"#3 "`` in front for a tracked face."""
    label = f"{face.emotion} {face.confidence:.0%}"
    return label if face.track_id is None else f"#{face.track_id} {label}"


def label_layout(
    faces: Sequence[FaceEmotion], width: int, height: int
) -> list[tuple[int, int, int, int]]:
    """Where each face's label goes: one ``(x1, y1, x2, y2)`` rectangle per face, inside the image.

    A label sits above its box, else below it, else inside its top edge (then further out),
    choosing the first place that overlaps no label already placed (faces in input order) and no
    other face's box; in a crowd with no free place it takes the least covered one. Every
    rectangle is clamped inside the ``width x height`` image.
    """
    style = drawing_scale(width, height)
    boxes = [_rect(face.box) for face in faces]
    placed: list[tuple[int, int, int, int]] = []
    for k, face in enumerate(faces):
        (tw, th), base = cv2.getTextSize(label_text(face), FONT, style["font"], style["text"])
        w, h = min(tw + 4, width), min(th + base + 4, height)
        x, y, bw, bh = (round(v) for v in face.box)
        left = min(max(x, 0), width - w)
        tops = [y - h, y + bh, y, y - 2 * h, y + bh + h, y - 3 * h, y + bh + 2 * h]
        others = boxes[:k] + boxes[k + 1 :]
        best, best_cost = None, None
        for top in tops:
            cy = min(max(top, 0), height - h)
            rect = (left, cy, left + w, cy + h)
            cost = 10 * sum(_overlap(rect, o) for o in placed)
            cost += sum(_overlap(rect, o) for o in others)
            if best_cost is None or cost < best_cost:
                best, best_cost = rect, cost
            if cost == 0:
                break
        placed.append(best)
    return placed


def _rect(box: Sequence[float]) -> tuple[int, int, int, int]:
    x, y, w, h = (round(v) for v in box)
    return (x, y, x + w, y + h)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(0, width) * max(0, height)


def draw_faces(
    image: np.ndarray,
    faces: Sequence[FaceEmotion] | Recognition,
    *,
    bars: bool = True,
    landmarks: bool = False,
) -> np.ndarray:
    """An annotated copy of a BGR image: per face a box and a label in the colour of its emotion
    (``"happy 93%"``, with ``#id`` for a tracked face), and optionally the seven probabilities as
    horizontal bars, each named by its class, beside the box.

    Lines and text grow with the image (:func:`drawing_scale`); labels stay inside the image and
    avoid each other (:func:`label_layout`). Bars go right of the box, else left of it, where they
    cover no face, label or other bars; a face with room on neither side gets none (in a crowd,
    most faces), and a :class:`DrawingWarning` says how many.

    Parameters
    ----------
    image
        uint8 BGR ``(H, W, 3)`` or grayscale ``(H, W)`` image (not modified).
    faces
        The faces (a :class:`Recognition` or a list of :class:`FaceEmotion`).
    bars
        Draw each face's probability bars.
    landmarks
        Draw each face's landmark points.
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
    height, width = canvas.shape[:2]
    style = drawing_scale(width, height)
    for face in faces:
        x, y, w, h = (round(v) for v in face.box)
        color = EMOTION_COLORS.get(face.emotion, (0, 255, 0))
        cv2.rectangle(canvas, (x, y), (x + w, y + h), color, style["line"])
        if landmarks and face.landmarks is not None:
            for px, py in face.landmarks:
                cv2.circle(canvas, (round(px), round(py)), style["line"] + 1, (0, 255, 255), -1)
    labels = label_layout(faces, width, height)
    no_room = 0
    if bars:
        taken = [_rect(face.box) for face in faces] + labels
        for face in faces:
            block = _draw_bars(canvas, face, style, taken)
            no_room += block is None
            if block is not None:
                taken.append(block)
    for face, (x1, y1, x2, y2) in zip(faces, labels, strict=True):
        color = EMOTION_COLORS.get(face.emotion, (0, 255, 0))
        cv2.rectangle(canvas, (x1, y1), (x2 - 1, y2 - 1), color, -1)
        (_, th), _ = cv2.getTextSize(label_text(face), FONT, style["font"], style["text"])
        cv2.putText(
            canvas,
            label_text(face),
            (x1 + 2, y1 + 2 + th),
            FONT,
            style["font"],
            (255, 255, 255),
            style["text"],
            cv2.LINE_AA,
        )
    if no_room:
        warnings.warn(
            f"No room beside {no_room} of {len(faces)} faces for their probability bars (they "
            "would cover other faces or run off the image); their labels name the top emotion "
            "(draw_faces(..., bars=False) leaves all bars out).",
            DrawingWarning,
            stacklevel=2,
        )
    return canvas


def _draw_bars(
    canvas: np.ndarray,
    face: FaceEmotion,
    style: dict[str, float],
    taken: list[tuple[int, int, int, int]],
) -> tuple[int, int, int, int] | None:
    """Probability bars with class names beside the face's box, where they cover nothing in
    ``taken`` (face boxes, labels, other bars); the block drawn, or None when there is no room."""
    height, width = canvas.shape[:2]
    x, y, w, h = (round(v) for v in face.box)
    font, thickness = style["font"] * 0.7, max(1, round(style["text"] * 0.7))
    names = [str(name) for name in face.classes]
    text_w = max(cv2.getTextSize(n, FONT, font, thickness)[0][0] for n in names)
    text_h = max(cv2.getTextSize(n, FONT, font, thickness)[0][1] for n in names)
    descent = max(cv2.getTextSize(n, FONT, font, thickness)[1] for n in names)
    row = text_h + descent + 3 + thickness
    bar_w = max(30, 4 * row)
    block_w, block_h = text_w + 4 + bar_w, row * len(names)
    gap = style["line"] + 2
    if block_h > height:
        return None
    y0 = min(max(y, 0), height - block_h)
    own = _rect(face.box)
    for x0 in (x + w + gap, x - gap - block_w):
        block = (x0, y0, x0 + block_w, y0 + block_h)
        fits = x0 >= 0 and x0 + block_w <= width
        if fits and not any(_overlap(block, o) for o in taken if o != own):
            break
    else:
        return None
    for i, (name, p) in enumerate(zip(names, face.probabilities, strict=True)):
        top = y0 + i * row
        color = EMOTION_COLORS.get(name, (0, 255, 0))
        cv2.rectangle(canvas, (x0, top), (x0 + block_w, top + row - 1), (30, 30, 30), -1)
        cv2.putText(
            canvas,
            name,
            (x0 + 2, top + 2 + text_h),
            FONT,
            font,
            (235, 235, 235),
            thickness,
            cv2.LINE_AA,
        )
        bar_x = x0 + text_w + 4
        cv2.rectangle(
            canvas, (bar_x, top + 2), (bar_x + bar_w - 2, top + row - 3), (70, 70, 70), -1
        )
        filled = bar_x + round((bar_w - 2) * float(p))
        if filled > bar_x:
            cv2.rectangle(canvas, (bar_x, top + 2), (filled, top + row - 3), color, -1)
    # framed in the face's colour, so that each block reads as its face's
    face_color = EMOTION_COLORS.get(face.emotion, (0, 255, 0))
    cv2.rectangle(canvas, block[:2], (block[2] - 1, block[3] - 1), face_color, thickness)
    return block
