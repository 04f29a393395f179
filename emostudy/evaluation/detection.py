"""Evaluation of face detectors: IoU, greedy matching, precision-recall curves, average precision.

The rules are those of the WIDER FACE benchmark (Yang et al. 2016) and its official evaluation code
(``eval_tools/evaluation.m`` and its Python port):

1. In each image, detections are visited from the highest score down. Each takes the ground-truth
   face it overlaps most (highest IoU). If that IoU is at least the threshold (0.5):

   * the face is *ignored* in this setting (not in the setting's keep-list, or marked ``invalid``):
     the detection is neither a true nor a false positive, it is dropped;
   * the face is still unmatched: a **true positive**, and the face is now matched;
   * the face was already matched by a better detection: a **false positive** (a duplicate).

   Otherwise (best IoU below the threshold) the detection is a **false positive**.
2. Ignored faces are never counted as misses: recall's denominator is the number of kept faces.
3. Over the whole data set, detections are sorted by score; at each distinct score threshold
   ``t``, precision = TP / (TP + FP) and recall = TP / (number of kept faces) over the detections
   scoring at least ``t``.
4. Average precision (AP) is the area under the precision envelope (for each recall, the best
   precision at that recall or higher), summed over the recall steps: "all-point interpolation",
   as in the VOC 2010+ devkit and WIDER FACE's ``voc_ap``.

The official code computes IoU with the "+1 pixel" convention of old MATLAB code (a box from
``x1`` to ``x2`` is ``x2 - x1 + 1`` pixels wide); :func:`iou_matrix` offers both conventions and
:func:`evaluate_detections` uses the official one by default. The official code also samples 1000
thresholds of min-max normalised scores; here every distinct score is a threshold, which gives the
same curve up to that sampling.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from emostudy._validation import check_boxes, check_int, check_number
from emostudy.errors import InvalidInputError
from emostudy.geometry import box_iou


def _boxes(boxes: ArrayLike, name: str) -> np.ndarray:
    """``(N, 4)`` boxes; rows of a detector's ``(N, 5)`` output keep their first four columns."""
    try:
        array = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be an (N, 4) array of x, y, w, h numbers.") from None
    if array.size == 0:
        return np.zeros((0, 4))
    if array.ndim != 2 or array.shape[1] < 4:
        raise InvalidInputError(f"{name} must be an (N, 4) array of x, y, w, h; got {array.shape}.")
    if not np.isfinite(array[:, :4]).all():
        raise InvalidInputError(f"{name} holds non-finite coordinates (NaN or inf); drop them.")
    return array[:, :4]


def iou_matrix(boxes_a: ArrayLike, boxes_b: ArrayLike, *, plus_one: bool = False) -> np.ndarray:
    """Pairwise IoU (:func:`emostudy.geometry.box_iou`) of boxes, detector rows ``(N, 5)`` included.

    Parameters
    ----------
    plus_one
        Use the WIDER FACE evaluation's pixel convention: the box spans pixels ``x .. x + w``
        inclusive, so its width is ``w + 1``. ``False`` (default): continuous boxes of width ``w``.

    Returns
    -------
    np.ndarray
        ``(N, M)`` IoU values in [0, 1]; 0 where the union is empty.
    """
    a, b = _boxes(boxes_a, "boxes_a"), _boxes(boxes_b, "boxes_b")
    return box_iou(a, b, plus_one=plus_one)


#: Outcome codes of a detection in :class:`ImageMatch`.
FALSE_POSITIVE, TRUE_POSITIVE, IGNORED = 0, 1, 2


@dataclass(frozen=True)
class ImageMatch:
    """Greedy matching of one image's detections to its ground truth.

    Attributes
    ----------
    scores
        ``(D,)`` detection scores, highest first (the order the detections were visited).
    outcome
        ``(D,)`` int: :data:`TRUE_POSITIVE`, :data:`FALSE_POSITIVE` or :data:`IGNORED`.
    matched_gt
        ``(D,)`` index of the ground-truth face each detection was matched to (its best-IoU face
        when that IoU passed the threshold), -1 otherwise.
    gt_score
        ``(G,)`` score of the detection that matched each face, NaN if none did (also NaN for
        ignored faces). A face counts as found at score threshold ``t`` when ``gt_score >= t``.
    gt_ignored
        ``(G,)`` bool: ignored faces.
    """

    scores: np.ndarray
    outcome: np.ndarray
    matched_gt: np.ndarray
    gt_score: np.ndarray
    gt_ignored: np.ndarray

    @property
    def n_positive(self) -> int:
        """Number of faces that count (not ignored)."""
        return int((~self.gt_ignored).sum())


def match_detections(
    det_boxes: ArrayLike,
    det_scores: ArrayLike,
    gt_boxes: ArrayLike,
    ignore: ArrayLike | None = None,
    *,
    iou_threshold: float = 0.5,
    plus_one: bool = False,
) -> ImageMatch:
    """Match one image's detections to its ground-truth faces, greedily by score (module rules).

    Parameters
    ----------
    det_boxes, det_scores
        ``(D, 4)`` ``x, y, w, h`` detections and their ``(D,)`` scores (any order).
    gt_boxes
        ``(G, 4)`` ground-truth faces.
    ignore
        ``(G,)`` bool, True for faces that do not count (default: none ignored).
    iou_threshold
        Minimum IoU for a match (0.5 in WIDER FACE).
    plus_one
        IoU pixel convention, see :func:`iou_matrix`.
    """
    det = _boxes(det_boxes, "det_boxes")
    scores = _scores(det_scores, "det_scores")
    gt = check_boxes("gt_boxes", gt_boxes, nonnegative_size=True)
    if len(scores) != len(det):
        raise InvalidInputError(f"{len(det)} detection boxes but {len(scores)} scores.")
    ignored = np.zeros(len(gt), bool) if ignore is None else np.asarray(ignore, bool).reshape(-1)
    if len(ignored) != len(gt):
        raise InvalidInputError(f"{len(gt)} ground-truth boxes but {len(ignored)} ignore flags.")
    iou_threshold = _iou_threshold(iou_threshold)
    order = np.argsort(-scores, kind="stable")
    det, scores = det[order], scores[order]
    outcome = np.full(len(det), FALSE_POSITIVE, dtype=np.int64)
    matched_gt = np.full(len(det), -1, dtype=np.int64)
    gt_score = np.full(len(gt), np.nan)
    if len(gt) and len(det):
        overlaps = iou_matrix(det, gt, plus_one=plus_one)
        best = overlaps.argmax(axis=1)
        for d in range(len(det)):
            g = best[d]
            if overlaps[d, g] < iou_threshold:
                continue
            matched_gt[d] = g
            if ignored[g]:
                outcome[d] = IGNORED
            elif np.isnan(gt_score[g]):
                outcome[d] = TRUE_POSITIVE
                gt_score[g] = scores[d]
    return ImageMatch(scores, outcome, matched_gt, gt_score, ignored)


def _scores(values: ArrayLike, name: str) -> np.ndarray:
    """A 1-D array of finite detection scores (a NaN score would sort as the best and match)."""
    try:
        scores = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a 1-D array of numbers.") from None
    if not np.isfinite(scores).all():
        raise InvalidInputError(
            f"{name} holds NaN or inf at positions {np.flatnonzero(~np.isfinite(scores))[:5]}; a "
            "detection without a finite score cannot be ranked: drop it or give it a score."
        )
    return scores


def _iou_threshold(value: float) -> float:
    return check_number("iou_threshold", value, low=0.0, high=1.0, low_open=True)


@dataclass(frozen=True)
class PRCurve:
    """A precision-recall curve over a data set, one point per distinct score threshold.

    Attributes
    ----------
    thresholds
        ``(T,)`` score thresholds, decreasing.
    precision, recall
        ``(T,)`` precision and recall of the detections scoring at least each threshold.
    n_positive
        Faces that count (the recall denominator).
    n_detections
        Detections that count (true and false positives; ignored ones excluded).
    """

    thresholds: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    n_positive: int
    n_detections: int

    @property
    def ap(self) -> float:
        """Average precision (all-point interpolation), see :func:`average_precision`."""
        return average_precision(self.recall, self.precision)

    def at(self, threshold: float) -> tuple[float, float]:
        """``(precision, recall)`` of the detections scoring at least ``threshold``."""
        kept = np.flatnonzero(self.thresholds >= threshold)
        if kept.size == 0:
            return (float("nan"), 0.0)
        i = kept[-1]
        return (float(self.precision[i]), float(self.recall[i]))


def precision_recall_curve(matches: Sequence[ImageMatch]) -> PRCurve:
    """Pool the matched detections of many images into one precision-recall curve.

    Detections with equal scores enter together (one threshold per distinct score), so the curve
    does not depend on the order of ties.
    """
    if isinstance(matches, ImageMatch) or not all(isinstance(m, ImageMatch) for m in matches):
        raise InvalidInputError(
            "precision_recall_curve takes a list of ImageMatch (from match_detections or "
            f"evaluate_detections), got {matches!r}"[:200]
        )
    n_positive = int(sum(m.n_positive for m in matches))
    if n_positive == 0:
        raise InvalidInputError("No ground-truth face counts in these images: recall is undefined.")
    scores = np.concatenate([m.scores for m in matches]) if matches else np.zeros(0)
    outcome = np.concatenate([m.outcome for m in matches]) if matches else np.zeros(0, int)
    counted = outcome != IGNORED
    scores, tp = scores[counted], (outcome[counted] == TRUE_POSITIVE)
    order = np.argsort(-scores, kind="stable")
    scores, tp = scores[order], tp[order]
    if scores.size == 0:
        empty = np.zeros(0)
        return PRCurve(empty, empty, empty, n_positive, 0)
    tp_cum = np.cumsum(tp)
    fp_cum = np.cumsum(~tp)
    last_of_tie = np.r_[scores[1:] != scores[:-1], True]
    tp_cum, fp_cum, thresholds = tp_cum[last_of_tie], fp_cum[last_of_tie], scores[last_of_tie]
    precision = tp_cum / (tp_cum + fp_cum)
    recall = tp_cum / n_positive
    return PRCurve(thresholds, precision, recall, n_positive, int(scores.size))


def average_precision(recall: ArrayLike, precision: ArrayLike) -> float:
    """Area under the precision envelope (VOC all-point interpolation, WIDER FACE's ``voc_ap``).

    With sentinels ``recall = [0, r_1, ..., r_T, 1]`` and ``precision = [0, p_1, ..., p_T, 0]``,
    the envelope is ``P(i) = max_{j >= i} p_j`` and ``AP = sum_i (r_{i+1} - r_i) P(i + 1)``.
    Recall must be non-decreasing (as along a curve from :func:`precision_recall_curve`).
    """
    r = np.asarray(recall, dtype=np.float64).reshape(-1)
    p = np.asarray(precision, dtype=np.float64).reshape(-1)
    if r.shape != p.shape:
        raise InvalidInputError(f"recall has {r.size} points but precision {p.size}.")
    if r.size == 0:
        return 0.0
    for name, values in (("recall", r), ("precision", p)):
        if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
            raise InvalidInputError(
                f"{name} must be finite and lie in [0, 1], got values from {np.nanmin(values):g} "
                f"to {np.nanmax(values):g}{' with NaN' if np.isnan(values).any() else ''}."
            )
    if np.any(np.diff(r) < 0):
        raise InvalidInputError("recall must be non-decreasing along the curve.")
    mrec = np.concatenate(([0.0], r, [1.0]))
    mpre = np.concatenate(([0.0], p, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def evaluate_detections(
    detections: Sequence[ArrayLike],
    gt_boxes: Sequence[ArrayLike],
    ignore: Sequence[ArrayLike] | None = None,
    *,
    iou_threshold: float = 0.5,
    plus_one: bool = True,
) -> tuple[PRCurve, list[ImageMatch]]:
    """Evaluate detections on a set of images (WIDER FACE rules, see the module docstring).

    Parameters
    ----------
    detections
        Per image, an ``(D, 5)`` array of ``x, y, w, h, score`` rows (see
        :func:`emostudy.detectors.faces_to_array`).
    gt_boxes
        Per image, the ``(G, 4)`` ground-truth boxes.
    ignore
        Per image, ``(G,)`` bool flags of faces that do not count (default: none).
    plus_one
        IoU pixel convention; ``True`` (default) as in the official WIDER FACE evaluation.

    Returns
    -------
    curve, matches
        The pooled :class:`PRCurve` (``curve.ap`` is the AP) and each image's :class:`ImageMatch`.
    """
    if len(detections) != len(gt_boxes):
        raise InvalidInputError(
            f"{len(detections)} detection lists but {len(gt_boxes)} ground-truth lists."
        )
    if ignore is not None and len(ignore) != len(gt_boxes):
        raise InvalidInputError(
            f"{len(gt_boxes)} ground-truth lists but {len(ignore)} ignore lists."
        )
    matches = []
    for i, (det, gt) in enumerate(zip(detections, gt_boxes, strict=True)):
        det = check_boxes(f"detections[{i}]", det, columns=5)
        flags = None if ignore is None else ignore[i]
        matches.append(
            match_detections(
                det[:, :4],
                det[:, 4],
                gt,
                flags,
                iou_threshold=iou_threshold,
                plus_one=plus_one,
            )
        )
    return precision_recall_curve(matches), matches


# --- running detectors on WIDER FACE -------------------------------------------------------------


def detect_all(detector, images, *, progress: bool = False) -> tuple[list[np.ndarray], np.ndarray]:
    """Run ``detector`` on each image (BGR array or path); return detections and seconds per image.

    Parameters
    ----------
    images
        A list (or any iterable) of images: BGR uint8 arrays or file paths. One image is refused
        rather than guessed at (a path would be read as its characters, a 3-D array as rows):
        pass ``[image]``, or call ``detector.detect(image)``.

    Returns
    -------
    detections, seconds
        Per image an ``(D, 5)`` array of ``x, y, w, h, score`` rows, best first; and the ``(N,)``
        wall time of each ``detect`` call (the image is read from disk before the clock starts).
    """
    import time

    from tqdm import tqdm

    from emostudy.detectors.base import faces_to_array
    from emostudy.imageio import as_bgr

    if isinstance(images, str | bytes | os.PathLike | np.ndarray):
        what = "an array" if isinstance(images, np.ndarray) else f"the path {images!r}"
        raise InvalidInputError(
            f"detect_all takes a list of images or paths, got {what}. For one image pass "
            "[image], or call detector.detect(image)."
        )
    if not hasattr(images, "__iter__"):
        raise InvalidInputError(
            f"detect_all takes a list of images or paths, got {type(images).__name__}."
        )
    if not callable(getattr(detector, "detect", None)):
        raise InvalidInputError(
            f"detect_all needs a detector (see create_detector), got {type(detector).__name__}."
        )
    detections, seconds = [], []
    for image in tqdm(list(images), disable=not progress, desc=getattr(detector, "name", "")):
        bgr = as_bgr(image)
        start = time.perf_counter()
        faces = detector.detect(bgr)
        seconds.append(time.perf_counter() - start)
        detections.append(faces_to_array(faces))
    return detections, np.asarray(seconds)


@dataclass(frozen=True)
class WiderEvaluation:
    """A detector's results on a WIDER FACE (sub)set.

    Attributes
    ----------
    curves
        ``{"easy" | "medium" | "hard": PRCurve}``.
    faces
        The set's face table plus ``score``: the score of the detection matched to each face when
        every valid face counts (NaN if none matched; invalid faces always NaN). A face is found at
        operating threshold ``t`` when ``score >= t``; see :meth:`found`.
    n_images
        Images evaluated.
    """

    curves: dict[str, PRCurve]
    faces: object  # pandas.DataFrame
    n_images: int

    @property
    def ap(self) -> dict[str, float]:
        """AP per setting."""
        return {setting: curve.ap for setting, curve in self.curves.items()}

    def found(self, threshold: float = -np.inf) -> np.ndarray:
        """Bool per face: matched by a detection scoring at least ``threshold``."""
        scores = self.faces["score"].to_numpy(np.float64)
        with np.errstate(invalid="ignore"):
            return scores >= threshold


def evaluate_wider(
    detections: Sequence[ArrayLike],
    wider,
    *,
    settings: Sequence[str] = ("easy", "medium", "hard"),
    iou_threshold: float = 0.5,
    plus_one: bool = True,
) -> WiderEvaluation:
    """Evaluate per-image detections (aligned with ``wider.images``) on a :class:`WiderFaceSet`.

    AP per setting follows the official protocol (faces outside the setting's keep-list and invalid
    faces ignored); the per-face ``score`` column is computed with every valid face counting.
    """
    files = list(wider.images["file"])
    if len(detections) != len(files):
        raise InvalidInputError(f"{len(detections)} detection lists for {len(files)} images.")
    boxes = [wider.boxes(f) for f in files]
    curves = {}
    for setting in settings:
        ignore = [wider.ignore(f, setting) for f in files]
        curves[setting], _ = evaluate_detections(
            detections, boxes, ignore, iou_threshold=iou_threshold, plus_one=plus_one
        )
    invalid = [wider.face_rows(f)["invalid"].to_numpy() == 1 for f in files]
    _, matches = evaluate_detections(
        detections, boxes, invalid, iou_threshold=iou_threshold, plus_one=plus_one
    )
    import pandas as pd

    faces = pd.concat([wider.face_rows(f) for f in files], ignore_index=True)
    faces["score"] = np.concatenate([m.gt_score for m in matches]) if matches else []
    return WiderEvaluation(curves, faces, len(files))


# --- recall by group, and agreement between detectors ---------------------------------------------


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (better than ``p +- z se`` near 0 and 1)."""
    from scipy import stats

    n = check_int("n", n, minimum=0)
    successes = check_int("successes", successes, minimum=0, maximum=n)
    confidence = check_number(
        "confidence", confidence, low=0, high=1, low_open=True, high_open=True
    )
    if n == 0:
        return (float("nan"), float("nan"))
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # the interval always contains p; clip rounding errors at p = 0 and p = 1
    return (float(max(0.0, min(p, centre - half))), float(min(1.0, max(p, centre + half))))


def recall_by(found: ArrayLike, groups: ArrayLike, *, confidence: float = 0.95):
    """Recall (share of faces found) per group, with Wilson intervals.

    Parameters
    ----------
    found
        ``(F,)`` bool: whether each face was found (e.g. :meth:`WiderEvaluation.found`).
    groups
        ``(F,)`` group label of each face (size bucket, skin tone, attribute value...). Faces
        whose label is missing (NaN / None) are left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (sorted; categorical order kept): ``faces``, ``found``, ``recall``,
        ``low``, ``high``.
    """
    import pandas as pd

    found = np.asarray(found)
    if found.dtype != bool and not (
        np.issubdtype(found.dtype, np.integer) and np.isin(found, (0, 1)).all()
    ):
        raise InvalidInputError(
            f"found must be booleans (True for a found face), got dtype {found.dtype}. For "
            "matched scores pass WiderEvaluation.found(threshold) or scores >= threshold "
            "(NaN, never matched, is then False)."
        )
    found = found.astype(bool)
    labels = pd.Series(groups).reset_index(drop=True)
    if len(labels) != len(found):
        raise InvalidInputError(f"{len(found)} found flags but {len(labels)} group labels.")
    table = pd.DataFrame({"group": labels, "found": found}).dropna(subset=["group"])
    rows = []
    for group, part in table.groupby("group", observed=True, sort=True):
        n, k = len(part), int(part["found"].sum())
        low, high = wilson_interval(k, n, confidence)
        rows.append(
            {"group": group, "faces": n, "found": k, "recall": k / n, "low": low, "high": high}
        )
    return pd.DataFrame(rows).set_index("group")


def size_bucket(heights: ArrayLike, edges: Sequence[float] = (10, 20, 40, 80, 160)):
    """Label face heights (pixels) by bucket: ``"<10"``, ``"10-20"``, ..., ``">=160"`` (ordered
    categorical, for :func:`recall_by`)."""
    import pandas as pd

    if isinstance(edges, str) or not hasattr(edges, "__len__") or len(edges) == 0:
        raise InvalidInputError(
            f"edges must be a non-empty, increasing list of heights such as (10, 20, 40), got "
            f"{edges!r}."
        )
    edges = [check_number(f"edges[{i}]", e) for i, e in enumerate(edges)]
    if any(b <= a for a, b in zip(edges[:-1], edges[1:], strict=True)):
        raise InvalidInputError(f"edges must increase, got {edges}.")
    labels = [f"<{edges[0]:g}"]
    labels += [f"{a:g}-{b:g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    labels += [f">={edges[-1]:g}"]
    bins = [-np.inf, *edges, np.inf]
    return pd.cut(np.asarray(heights, dtype=np.float64), bins=bins, labels=labels, right=False)


def agreement(
    boxes_a: ArrayLike, boxes_b: ArrayLike, *, iou_threshold: float = 0.5
) -> tuple[int, float]:
    """How far two detectors agree on one image: faces matched one-to-one at IoU >= threshold.

    Returns ``(matches, score)`` with ``score = 2 * matches / (n_a + n_b)`` (the Dice / F1
    overlap of the two sets of boxes; 1.0 when both found nothing).
    """
    a, b = _boxes(boxes_a, "boxes_a"), _boxes(boxes_b, "boxes_b")
    iou_threshold = _iou_threshold(iou_threshold)
    if len(a) + len(b) == 0:
        return 0, 1.0
    overlaps = iou_matrix(a, b)
    matches = 0
    while overlaps.size and overlaps.max() >= iou_threshold:
        i, j = np.unravel_index(overlaps.argmax(), overlaps.shape)
        matches += 1
        overlaps[i, :], overlaps[:, j] = -1.0, -1.0
    return matches, 2 * matches / (len(a) + len(b))
