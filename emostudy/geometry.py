"""Box geometry: intersection over union and non-maximum suppression (floor 0).

Boxes are ``(N, 4)`` arrays of ``x, y, w, h`` in pixels (top-left corner, width, height).
"""

from __future__ import annotations

import numpy as np

from emostudy._validation import check_boxes, check_int, check_number, check_probability
from emostudy.errors import InvalidInputError


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray, *, plus_one: bool = False) -> np.ndarray:
    """Pairwise intersection over union of ``(N, 4)`` and ``(M, 4)`` boxes given as ``x, y, w, h``.

    Parameters
    ----------
    boxes_a, boxes_b
        Boxes in pixels. A single flat box ``(4,)`` counts as ``(1, 4)``; any other shape, such
        as ``(2, 6)`` rows with extra columns, is refused rather than reshaped.
    plus_one
        The WIDER FACE evaluation's pixel convention: a box spans pixels ``x .. x + w``
        inclusive, so its width is ``w + 1``. ``False`` (default): continuous boxes of width ``w``.

    Returns
    -------
    numpy.ndarray
        ``(N, M)`` IoU values in [0, 1]; 0 where the union is empty (boxes of zero area).
    """
    a = check_boxes("boxes_a", boxes_a)
    b = check_boxes("boxes_b", boxes_b)
    one = 1.0 if plus_one else 0.0
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, 0][:, None], b[:, 0][None]) + one
    ih = np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, 1][:, None], b[:, 1][None]) + one
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area_a = (a[:, 2] + one) * (a[:, 3] + one)
    area_b = (b[:, 2] + one) * (b[:, 3] + one)
    union = area_a[:, None] + area_b[None] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def nms(
    boxes: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float = 0.3,
    score_threshold: float | None = None,
    top_k: int | None = None,
) -> np.ndarray:
    """Greedy non-maximum suppression.

    Parameters
    ----------
    boxes
        ``(N, 4)`` boxes as ``x, y, w, h``.
    scores
        ``(N,)`` scores; higher is better.
    iou_threshold
        A box is suppressed when its IoU with an already kept box is strictly greater than this.
    score_threshold
        Boxes scoring below it are dropped first (``None``: keep all).
    top_k
        Keep at most this many boxes (``None``: no limit).

    Returns
    -------
    np.ndarray
        Indices (int64) of the kept boxes, best score first (ties broken by the lower index).
    """
    boxes = check_boxes("boxes", boxes)
    try:
        scores = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError("scores must be an (N,) array of numbers.") from None
    if scores.ndim > 1 or len(boxes) != scores.size:
        raise InvalidInputError(
            f"nms needs one score per box: {len(boxes)} boxes but scores of shape {scores.shape}."
        )
    scores = scores.reshape(-1)
    if np.isnan(scores).any():
        raise InvalidInputError("scores hold NaN; drop those boxes first.")
    iou_threshold = check_probability("iou_threshold", iou_threshold)
    if score_threshold is not None:
        score_threshold = check_number("score_threshold", score_threshold)
    if top_k is not None:
        top_k = check_int("top_k", top_k, minimum=1)
    order = np.argsort(-scores, kind="stable")
    if score_threshold is not None:
        order = order[scores[order] >= score_threshold]
    keep: list[int] = []
    suppressed = np.zeros(len(order), dtype=bool)
    iou = box_iou(boxes[order], boxes[order])
    for rank, index in enumerate(order):
        if suppressed[rank]:
            continue
        keep.append(int(index))
        if top_k is not None and len(keep) >= top_k:
            break
        suppressed |= iou[rank] > iou_threshold
    return np.array(keep, dtype=np.int64)


__all__ = [
    "box_iou",
    "nms",
]
