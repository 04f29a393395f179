"""The machinery of the Viola-Jones detector in NumPy: integral images, Haar-like features, and
OpenCV's trained frontal-face cascade, parsed and evaluated window by window.

Used by chapter 5 to show where the detector's speed comes from; :class:`HaarCascadeDetector`
(OpenCV's C++ implementation) is what detects faces in practice. The NumPy evaluation of a window
follows OpenCV's ``HaarEvaluator`` exactly (same variance normalisation, same comparisons), and the
tests check it against ``cv2.CascadeClassifier``.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emostudy.detectors.haar import DEFAULT_CASCADE, cascade_path
from emostudy.errors import DataLayoutError, InvalidInputError

# --- integral images ------------------------------------------------------------------------------


def integral_image(image: np.ndarray, *, squared: bool = False) -> np.ndarray:
    """Summed-area table of a 2-D image, with a leading row and column of zeros (``cv2.integral``).

    ``ii[y, x]`` is the sum of ``image[:y, :x]``, so ``ii`` has shape ``(H + 1, W + 1)``; any
    rectangle sum then costs four look-ups (:func:`rect_sum`). With ``squared=True`` the squares
    of the pixels are summed (``cv2.integral2``'s second output), which gives window variances.
    Returned as int64 for integer images (float64 otherwise), so it cannot overflow.
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise InvalidInputError(f"integral_image needs a 2-D (grayscale) image, got {image.shape}.")
    dtype = np.int64 if np.issubdtype(image.dtype, np.integer) else np.float64
    values = image.astype(dtype)
    if squared:
        values = values * values
    ii = np.zeros((image.shape[0] + 1, image.shape[1] + 1), dtype=dtype)
    ii[1:, 1:] = values.cumsum(axis=0).cumsum(axis=1)
    return ii


def rect_sum(ii: np.ndarray, x, y, w, h):
    """Sum of the pixels in the rectangle ``(x, y, w, h)`` from an integral image: four look-ups,

    ``ii[y+h, x+w] - ii[y, x+w] - ii[y+h, x] + ii[y, x]``, whatever the rectangle's size.
    Arguments may be arrays (broadcast together) to sum many rectangles at once.
    """
    x, y, w, h = (np.asarray(v, dtype=np.int64) for v in (x, y, w, h))
    return ii[y + h, x + w] - ii[y, x + w] - ii[y + h, x] + ii[y, x]


def haar_feature(ii: np.ndarray, rects: np.ndarray, x0: int = 0, y0: int = 0) -> float:
    """Value of one Haar-like feature: the weighted sum of its rectangles' pixel sums.

    ``rects`` is an ``(R, 5)`` array of ``x, y, w, h, weight`` rows relative to the window's
    top-left corner ``(x0, y0)``. A two-rectangle "edge" feature, for example, is a whole region
    with weight -1 plus one half with weight 2: the difference between the two halves.
    """
    rects = np.asarray(rects, dtype=np.float64).reshape(-1, 5)
    sums = rect_sum(ii, x0 + rects[:, 0], y0 + rects[:, 1], rects[:, 2], rects[:, 3])
    return float(np.dot(rects[:, 4], sums))


#: Prototypes of Viola and Jones' feature types in a unit window, as ``x, y, w, h, weight`` rows
#: (the OpenCV convention: a whole region at weight -1, plus the part that counts extra).
FEATURE_TYPES: dict[str, np.ndarray] = {
    "edge (left-right)": np.array([[0, 0, 2, 1, -1], [1, 0, 1, 1, 2]], float),
    "edge (top-bottom)": np.array([[0, 0, 1, 2, -1], [0, 1, 1, 1, 2]], float),
    "line (3 bands)": np.array([[0, 0, 3, 1, -1], [1, 0, 1, 1, 3]], float),
    "four-rectangle": np.array([[0, 0, 2, 2, -1], [1, 0, 1, 1, 2], [0, 1, 1, 1, 2]], float),
}


def scaled_feature(kind: str, x: int, y: int, cell_w: int, cell_h: int) -> np.ndarray:
    """A feature of :data:`FEATURE_TYPES` placed at ``(x, y)`` with unit cells of
    ``cell_w x cell_h`` pixels, as ``(R, 5)`` rows for :func:`haar_feature`."""
    if kind not in FEATURE_TYPES:
        raise InvalidInputError(f"kind must be one of {list(FEATURE_TYPES)}, got {kind!r}.")
    rects = FEATURE_TYPES[kind].copy()
    rects[:, [0, 2]] *= cell_w
    rects[:, [1, 3]] *= cell_h
    rects[:, 0] += x
    rects[:, 1] += y
    return rects


# --- the trained cascade --------------------------------------------------------------------------


@dataclass(frozen=True)
class CascadeStage:
    """One stage: boosted decision stumps and the threshold their vote must reach.

    A stump ``k`` computes feature ``feature[k]`` (normalised by the window's standard deviation),
    and votes ``left[k]`` if the value is below ``threshold[k]``, else ``right[k]``. The window
    passes the stage when the sum of the votes is at least ``stage_threshold``.
    """

    stage_threshold: float
    feature: np.ndarray  # (K,) int feature indices
    threshold: np.ndarray  # (K,) float
    left: np.ndarray  # (K,) float vote when value < threshold
    right: np.ndarray  # (K,) float vote otherwise

    def __len__(self) -> int:
        return len(self.feature)


@dataclass(frozen=True)
class HaarCascade:
    """A parsed OpenCV stump-based Haar cascade (``<cascade>`` XML format, as in ``cv2.data``)."""

    window: tuple[int, int]  # (width, height) of the training window
    stages: tuple[CascadeStage, ...]
    features: tuple[np.ndarray, ...]  # each (R, 5): x, y, w, h, weight

    @property
    def n_weak(self) -> int:
        """Total number of weak classifiers (stumps)."""
        return sum(len(s) for s in self.stages)

    def stage_table(self):
        """One row per stage: weak classifiers, stage threshold, and the range of possible votes."""
        import pandas as pd

        rows = []
        for i, s in enumerate(self.stages):
            low = np.minimum(s.left, s.right).sum()
            high = np.maximum(s.left, s.right).sum()
            rows.append(
                {
                    "stage": i + 1,
                    "weak_classifiers": len(s),
                    "stage_threshold": s.stage_threshold,
                    "min_vote": low,
                    "max_vote": high,
                }
            )
        return pd.DataFrame(rows)


def parse_cascade(cascade: str | os.PathLike = DEFAULT_CASCADE) -> HaarCascade:
    """Parse a stump-based Haar cascade XML (a file in ``cv2.data.haarcascades`` or a path)."""
    path = cascade_path(str(cascade)) if not Path(cascade).is_file() else Path(cascade)
    try:
        root = ET.parse(path).getroot().find("cascade")
        if root is None or root.findtext("featureType", "").strip() != "HAAR":
            raise ValueError("not a <cascade> of HAAR features")
        window = (int(root.findtext("width")), int(root.findtext("height")))
        stages = []
        for stage in root.find("stages"):
            feats, thresholds, lefts, rights = [], [], [], []
            for weak in stage.find("weakClassifiers"):
                nodes = weak.findtext("internalNodes").split()
                leaves = [float(v) for v in weak.findtext("leafValues").split()]
                if len(nodes) != 4 or len(leaves) != 2:
                    raise ValueError("only stump (single-split) weak classifiers are supported")
                feats.append(int(nodes[2]))
                thresholds.append(float(nodes[3]))
                lefts.append(leaves[0])
                rights.append(leaves[1])
            stages.append(
                CascadeStage(
                    float(stage.findtext("stageThreshold")),
                    np.array(feats),
                    np.array(thresholds),
                    np.array(lefts),
                    np.array(rights),
                )
            )
        features = []
        for feature in root.find("features"):
            if (feature.findtext("tilted") or "0").strip() not in ("0", ""):
                raise ValueError("tilted (45-degree) features are not supported")
            rects = [[float(v) for v in r.text.split()] for r in feature.find("rects")]
            features.append(np.array(rects).reshape(-1, 5))
    except (AttributeError, TypeError, ValueError, ET.ParseError) as error:
        raise DataLayoutError(f"{path} is not a stump-based Haar cascade: {error}.") from None
    return HaarCascade(window, tuple(stages), tuple(features))


@dataclass(frozen=True)
class WindowResult:
    """What the cascade did with one window."""

    passed: bool  # survived every stage: a raw detection
    stages_passed: int  # number of stages passed before rejection (all of them if passed)
    weak_evaluated: int  # stumps computed (the cost of the window)
    stage_sums: np.ndarray  # vote of each stage reached
    last_sum: float  # the vote of the last stage reached (OpenCV's "level weight")


def evaluate_window(
    cascade: HaarCascade,
    ii: np.ndarray,
    ii_sq: np.ndarray,
    x: int = 0,
    y: int = 0,
    *,
    early_exit: bool = True,
) -> WindowResult:
    """Run the cascade on the window whose top-left corner is ``(x, y)`` (no rescaling).

    As OpenCV does: the window's standard deviation is measured on its interior (one pixel in from
    each side), ``nf = sqrt(A * sum(p^2) - sum(p)^2)`` with ``A`` the interior area (so
    ``nf = A * std``); each feature value is divided by ``nf`` before it is compared with its stump
    threshold. With ``early_exit=False`` every stage is scored even after a rejection (to study
    the stage votes).
    """
    w, h = cascade.window
    if y + h > ii.shape[0] - 1 or x + w > ii.shape[1] - 1:
        raise InvalidInputError(f"The {w}x{h} window at ({x}, {y}) leaves the image.")
    area = (w - 2) * (h - 2)
    s = float(rect_sum(ii, x + 1, y + 1, w - 2, h - 2))
    sq = float(rect_sum(ii_sq, x + 1, y + 1, w - 2, h - 2))
    nf = area * sq - s * s
    nf = np.sqrt(nf) if nf > 0 else 1.0
    sums, passed_stages, evaluated = [], 0, 0
    rejected = False
    for stage in cascade.stages:
        values = np.array([haar_feature(ii, cascade.features[f], x, y) for f in stage.feature]) / nf
        votes = np.where(values < stage.threshold, stage.left, stage.right)
        total = float(votes.sum())
        evaluated += len(stage)
        sums.append(total)
        if total < stage.stage_threshold:
            rejected = True
            if early_exit:
                break
        elif not rejected:
            passed_stages += 1
    return WindowResult(not rejected, passed_stages, evaluated, np.array(sums), sums[-1])


def cascade_stage_sums(cascade: HaarCascade, windows: np.ndarray) -> np.ndarray:
    """The vote of every stage on many windows at once (vectorised :func:`evaluate_window`).

    Parameters
    ----------
    windows
        ``(N, H, W)`` uint8 gray windows of the cascade's size (``(N, 24, 24)`` for OpenCV's).

    Returns
    -------
    np.ndarray
        ``(N, n_stages)`` stage sums, every stage scored for every window (no early exit). Window
        ``i`` passes stage ``k`` when ``sums[i, k] >= cascade.stages[k].stage_threshold``; in a
        real cascade it reaches stage ``k`` only if it passed all earlier ones (see
        :func:`cascade_survival`).
    """
    windows = np.asarray(windows)
    w, h = cascade.window
    if windows.ndim != 3 or windows.shape[1:] != (h, w):
        raise InvalidInputError(f"windows must be (N, {h}, {w}) gray images, got {windows.shape}.")
    n = len(windows)
    values = windows.astype(np.int64)
    ii = np.zeros((n, h + 1, w + 1), dtype=np.int64)
    sq = np.zeros((n, h + 1, w + 1), dtype=np.int64)
    ii[:, 1:, 1:] = values.cumsum(1).cumsum(2)
    sq[:, 1:, 1:] = (values * values).cumsum(1).cumsum(2)

    def box(table, x, y, bw, bh):
        return table[:, y + bh, x + bw] - table[:, y, x + bw] - table[:, y + bh, x] + table[:, y, x]

    area = (w - 2) * (h - 2)
    s = box(ii, 1, 1, w - 2, h - 2).astype(np.float64)
    q = box(sq, 1, 1, w - 2, h - 2).astype(np.float64)
    nf = area * q - s * s
    nf = np.where(nf > 0, np.sqrt(np.clip(nf, 0, None)), 1.0)
    feature_values: dict[int, np.ndarray] = {}
    sums = np.zeros((n, len(cascade.stages)))
    for k, stage in enumerate(cascade.stages):
        for f, threshold, left, right in zip(
            stage.feature, stage.threshold, stage.left, stage.right, strict=True
        ):
            if f not in feature_values:
                total = np.zeros(n)
                for x, y, bw, bh, weight in cascade.features[f]:
                    total += weight * box(ii, int(x), int(y), int(bw), int(bh))
                feature_values[f] = total / nf
            sums[:, k] += np.where(feature_values[f] < threshold, left, right)
    return sums


def cascade_survival(cascade: HaarCascade, stage_sums: np.ndarray) -> np.ndarray:
    """``(N, n_stages)`` bool: window ``i`` passed stages ``0..k`` (still alive after ``k``)."""
    thresholds = np.array([s.stage_threshold for s in cascade.stages])
    return np.cumprod(np.asarray(stage_sums) >= thresholds, axis=1).astype(bool)


def weak_classifiers_evaluated(cascade: HaarCascade, stage_sums: np.ndarray) -> np.ndarray:
    """``(N,)`` number of stumps the cascade computes on each window before it stops."""
    alive = cascade_survival(cascade, stage_sums)
    sizes = np.array([len(s) for s in cascade.stages])
    reached = np.c_[
        np.ones(len(alive), bool), alive[:, :-1]
    ]  # stage k is computed if 0..k-1 passed
    return (reached * sizes).sum(axis=1)


def count_haar_features(width: int = 24, height: int = 24) -> dict[str, int]:
    """How many upright Haar-like features of Viola and Jones' five kinds fit in a window.

    Two-rectangle (left-right, top-bottom), three-rectangle (horizontal, vertical) and
    four-rectangle features, at every position and every integer scale of their unit cells.
    For a 24x24 window the total is 162,336.
    """
    kinds = {
        "two-rectangle, left-right": (2, 1),
        "two-rectangle, top-bottom": (1, 2),
        "three-rectangle, horizontal": (3, 1),
        "three-rectangle, vertical": (1, 3),
        "four-rectangle": (2, 2),
    }
    counts = {}
    for kind, (bw, bh) in kinds.items():
        total = 0
        for fw in range(bw, width + 1, bw):
            for fh in range(bh, height + 1, bh):
                total += (width - fw + 1) * (height - fh + 1)
        counts[kind] = total
    return counts


def sliding_window_count(
    width: int, height: int, scale_factor: float = 1.1, window: tuple[int, int] = (24, 24)
) -> list[tuple[float, int]]:
    """Windows a cascade scans in a ``width x height`` image, per scale, as OpenCV does.

    OpenCV shrinks the image by ``scale_factor`` per level (the window stays 24x24) and steps the
    window by 2 pixels of the shrunken image while the scale is at most 2, by 1 beyond.

    Returns
    -------
    list of (scale, windows)
        One entry per pyramid level.
    """
    if scale_factor <= 1.0:
        raise InvalidInputError(f"scale_factor must be > 1, got {scale_factor}.")
    levels, factor = [], 1.0
    while True:
        sw, sh = round(width / factor), round(height / factor)
        if sw < window[0] or sh < window[1]:
            break
        step = 2 if factor <= 2.0 else 1
        nx = (sw - window[0]) // step + 1
        ny = (sh - window[1]) // step + 1
        levels.append((factor, nx * ny))
        factor *= scale_factor
    return levels
