"""Measuring the recognizer: FER-2013 faces put back into larger images (the crop study and the
detector-in-the-loop accuracy), test frames with a chosen number of faces, and a slideshow video.

FER-2013 faces are 48x48 crops. To measure the whole pipeline on them, each face is enlarged
(``scale``, bicubic) and pasted at a seeded random place into a canvas filled with the face's
median border grey. The detector then has to find it; the crop under study cuts it out again; the
model classifies it. A face counts as *found* when the best-scored detection overlaps its true
place by IoU >= ``min_iou``; a missed face counts as a wrong answer in the end-to-end accuracy.

The same predictions are scored against two label sets (:func:`scores_by_label_set`): FER-2013's
single labels and the FER+ ten-vote majority (:func:`ferplus_majority`), a model's classes mapped
by name (:func:`to_label_space`). The chapter's other helpers: another model on the gallery's
detected faces (:func:`classify_detected`, :func:`label_counts`), the recorded reliability bins of
the default model (:func:`recorded_reliability`, :func:`bin_at`), and intervals for recall by group
and the gaps between groups (:func:`recall_intervals`), McNemar's paired test per label set
(:func:`paired_by_label_set`).
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
from emostudy.data.faceset import FaceSet
from emostudy.data.ferplus import load_ferplus
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
    ``macro_f1_end_to_end`` (a missed face, -1, counts as a wrong answer outside the classes).

    ``labels`` and ``predicted`` are ``(N,)`` indices into the same class list (map a model's
    outputs with :func:`to_label_space`); ``found`` is ``(N,)`` bool."""
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


# -- label sets, the gallery before and after, calibration and intervals (chapter 12) ----------


def ferplus_majority(
    faces: FaceSet, *, n_classes: int = 7, path: str | os.PathLike | None = None
) -> np.ndarray:
    """The FER+ ten-vote majority of every face, aligned with ``faces``.

    Parameters
    ----------
    faces
        FER-2013 faces (``N`` images, from :func:`emostudy.data.load_fer2013_for`).
    n_classes
        7: the classes FER-2013 and FER+ share (:data:`~emostudy.data.FER_CLASSES`, the issue's
        protocol); 8: :data:`~emostudy.data.FERPLUS_CLASSES`, ``contempt`` included.
    path
        The votes file (default: ``<data>/ferplus/ferplus_votes.csv``).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` int64 class indices into ``FERPLUS_CLASSES[:n_classes]``, or -1 where a face has
        no votes or its majority is not one of those classes (``unknown``, not a face, and
        ``contempt`` when ``n_classes=7``): score only the faces where it is >= 0.
    """
    if n_classes not in (7, 8):
        raise InvalidInputError(f"n_classes must be 7 or 8, got {n_classes!r}.")
    majority = load_ferplus(faces, path=path, ferplus_filter=False).majority
    return np.where((majority >= 0) & (majority < n_classes), majority, -1).astype(np.int64)


def to_label_space(
    predicted: np.ndarray, model_classes: Sequence[str], label_classes: Sequence[str]
) -> np.ndarray:
    """Predicted class indices of a model re-indexed into a label set's classes, by name.

    ``predicted`` ``(N,)`` holds indices into ``model_classes`` (-1 for a missed face); the
    result ``(N,)`` holds indices into ``label_classes``, -1 for a missed face or a class the
    label set lacks (an 8-class model's ``contempt`` scored against FER-2013's 7 labels is
    simply wrong).
    """
    predicted = np.asarray(predicted)
    lookup = np.array(
        [list(label_classes).index(c) if c in label_classes else -1 for c in model_classes] + [-1],
        dtype=np.int64,
    )
    if predicted.size and (predicted.max() >= len(model_classes) or predicted.min() < -1):
        raise InvalidInputError(
            f"predicted must hold indices 0..{len(model_classes) - 1} (or -1), got "
            f"{predicted.min()}..{predicted.max()}."
        )
    return lookup[np.where(predicted < 0, len(model_classes), predicted)]


def scores_by_label_set(
    predicted: np.ndarray,
    found: np.ndarray,
    label_sets: dict[str, tuple[np.ndarray, Sequence[str]]],
    model_classes: Sequence[str],
) -> dict[str, dict[str, float]]:
    """:func:`in_the_loop_scores` of one set of predictions against several label sets.

    Parameters
    ----------
    predicted
        ``(N,)`` indices into ``model_classes``; -1 for a missed face.
    found
        ``(N,)`` bool, the detector found the face.
    label_sets
        ``{name: (labels, classes)}``: ``labels`` ``(N,)`` indices into ``classes``, -1 for a
        face that label set does not score (e.g. :func:`ferplus_majority`'s -1).
    model_classes
        The model's class names in output order.

    Returns
    -------
    dict
        ``{name: scores}`` with the keys of :func:`in_the_loop_scores` and ``n`` (faces scored).
    """
    found = np.asarray(found, dtype=bool)
    out = {}
    for name, (labels, classes) in label_sets.items():
        labels = np.asarray(labels)
        scored = labels >= 0
        mapped = to_label_space(predicted, model_classes, classes)
        out[name] = {
            **in_the_loop_scores(labels[scored], mapped[scored], found[scored]),
            "n": int(scored.sum()),
        }
    return out


def classify_detected(recognizer: Any, image: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
    """``(N, K)`` probabilities that ``recognizer``'s model gives the already detected ``faces``
    of ``image`` (cut with the recognizer's crop): another model on exactly the same faces."""
    from emostudy.faces.crop import crop_faces

    return recognizer.classify(crop_faces(image, faces, spec=recognizer.crop))


def label_counts(labels: dict[str, Sequence[str]], classes: Sequence[str]) -> Any:
    """Faces per predicted class for several models: a DataFrame, one row per class (``classes``
    in order, then any other class predicted), one column per model, zero-filled ints."""
    import pandas as pd

    order = list(classes)
    for values in labels.values():
        order += [c for c in dict.fromkeys(values) if c not in order]
    table = pd.DataFrame(
        {
            name: pd.Series(list(values), dtype=object).value_counts()
            for name, values in labels.items()
        }
    )
    table = table.reindex(order).fillna(0).astype(int)
    table.index.name = "class"
    return table


def recorded_reliability(evaluation: dict) -> Any:
    """The reliability bins recorded in a results table (``results["reliability"]`` of
    ``book/results/ferplus_evaluation.json``) as a DataFrame with the columns of
    :func:`emostudy.evaluation.reliability_bins` (``lower``, ``upper``, ``count``,
    ``confidence``, ``accuracy``, ``gap``). Raises a clear error when they are not recorded."""
    import pandas as pd

    from emostudy.errors import DataNotFoundError

    results = evaluation.get("results", evaluation)
    rows = results.get("reliability")
    if isinstance(rows, dict):
        rows = rows.get("bins", rows.get("rows"))
    if not rows:
        raise DataNotFoundError(
            "The evaluation table holds no reliability bins (results['reliability']): re-run "
            "the model's evaluation (python -m emostudy.votes_training) to record them."
        )
    table = pd.DataFrame(rows)
    missing = {"lower", "upper", "count", "confidence", "accuracy", "gap"} - set(table.columns)
    if missing:
        raise InvalidInputError(f"reliability rows lack the column(s) {sorted(missing)}.")
    return table


def speed_comparison(ours_ms: float, theirs_ms: float) -> str:
    """How one pipeline's time compares with another's, as words that read right either way.

    Parameters
    ----------
    ours_ms, theirs_ms
        Median times of the same work, in milliseconds (positive).

    Returns
    -------
    str
        ``"runs 1.8 times as fast as"`` when ours is faster, ``"takes 1.1 times as long as"``
        when it is slower (both to one decimal), ``"takes about as long as"`` when the ratio
        rounds to 1.0; the caller adds the other pipeline's name.
    """
    if not (ours_ms > 0 and theirs_ms > 0):
        raise InvalidInputError(
            f"Times must be positive milliseconds, got {ours_ms!r} and {theirs_ms!r}."
        )
    ratio = theirs_ms / ours_ms
    if round(ratio, 1) == 1.0:
        return "takes about as long as"
    if ratio > 1:
        return f"runs {ratio:.1f} times as fast as"
    return f"takes {1 / ratio:.1f} times as long as"


def bin_at(bins: Any, confidence: float) -> dict[str, float]:
    """The reliability bin whose range ``(lower, upper]`` holds ``confidence``, as a dict."""
    confidence = float(confidence)
    if not 0.0 <= confidence <= 1.0:
        raise InvalidInputError(f"confidence must lie in [0, 1], got {confidence!r}.")
    inside = (bins["lower"] < confidence) & (confidence <= bins["upper"])
    if confidence == 0.0:
        inside = bins["lower"] == 0.0
    return {k: float(v) for k, v in bins[inside].iloc[0].items()}


def recall_intervals(
    recall: dict[str, float],
    counts: dict[str, int],
    *,
    confidence: float = 0.95,
    n_boot: int = 10_000,
    seed: int = 0,
) -> tuple[Any, Any]:
    """Intervals for recall per group and for the gaps between groups.

    Recall per group is a proportion ``found / faces``: its interval is Wilson's
    (:func:`emostudy.evaluation.wilson_interval`). A gap between two groups gets a percentile
    bootstrap interval: each group's faces are resampled with replacement ``n_boot`` times (the
    found/missed outcome of a face is all the resample needs, so it is drawn from the group's
    counts). Faces are treated as independent; faces of one photo are not quite, so the
    intervals are if anything too narrow.

    Parameters
    ----------
    recall
        ``{group: recall}`` fractions.
    counts
        ``{group: faces}``; ``recall * faces`` must be (close to) a whole number of found faces.
    confidence
        Level of every interval.
    n_boot, seed
        Bootstrap resamples and the generator's seed.

    Returns
    -------
    groups : pandas.DataFrame
        Index ``group``; columns ``faces``, ``found``, ``recall``, ``low``, ``high``.
    gaps : pandas.DataFrame
        One row per pair ``a``, ``b`` (in the given order): ``gap`` (recall a - recall b),
        ``low``, ``high`` and ``resolved`` (the interval excludes 0).
    """
    import pandas as pd

    from emostudy.evaluation import wilson_interval

    if set(recall) != set(counts) or len(recall) < 2:
        raise InvalidInputError("recall and counts need the same groups, at least two of them.")
    rng = np.random.default_rng(seed)
    rows, draws = {}, {}
    for group, share in recall.items():
        n = int(counts[group])
        found = float(share) * n
        if n < 1 or abs(found - round(found)) > 1e-6 * max(n, 1):
            raise InvalidInputError(
                f"group {group!r}: recall {share!r} of {n} faces is not a whole number found."
            )
        k = int(round(found))
        low, high = wilson_interval(k, n, confidence)
        rows[group] = {"faces": n, "found": k, "recall": k / n, "low": low, "high": high}
        draws[group] = rng.binomial(n, k / n, size=int(n_boot)) / n
    groups = pd.DataFrame(rows).T.astype({"faces": int, "found": int})
    groups.index.name = "group"
    tail = 100 * (1 - confidence) / 2
    names = list(recall)
    gaps = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            diff = draws[a] - draws[b]
            low, high = np.percentile(diff, [tail, 100 - tail])
            gaps.append(
                {
                    "a": a,
                    "b": b,
                    "gap": rows[a]["recall"] - rows[b]["recall"],
                    "low": float(low),
                    "high": float(high),
                    "resolved": bool(low > 0 or high < 0),
                }
            )
    return groups, pd.DataFrame(gaps)


def paired_by_label_set(
    run_a: tuple[np.ndarray, np.ndarray, Sequence[str]],
    run_b: tuple[np.ndarray, np.ndarray, Sequence[str]],
    label_sets: dict[str, tuple[np.ndarray, Sequence[str]]],
) -> Any:
    """McNemar's paired test of two pipelines' end-to-end answers, once per label set.

    Parameters
    ----------
    run_a, run_b
        ``(predicted, found, model_classes)`` of each pipeline on the same ``N`` faces:
        ``predicted`` ``(N,)`` indices into ``model_classes`` (-1: missed), ``found`` ``(N,)``.
    label_sets
        As for :func:`scores_by_label_set` (labels -1: face not scored by that set).

    Returns
    -------
    pandas.DataFrame
        One row per label set: ``faces``, ``only a right`` (McNemar's b), ``only b right`` (c),
        ``statistic``, ``p_value``, ``method`` (:func:`emostudy.evaluation.mcnemar`). A missed
        face, or a class the label set lacks, counts as a wrong answer.
    """
    import pandas as pd

    from emostudy.evaluation import mcnemar

    rows = {}
    for name, (labels, classes) in label_sets.items():
        labels = np.asarray(labels)
        scored = labels >= 0
        answers = []
        for predicted, found, model_classes in (run_a, run_b):
            mapped = to_label_space(predicted, model_classes, classes)
            wrong = ~np.asarray(found, dtype=bool) | (mapped < 0)
            answers.append(np.where(wrong, len(classes), mapped)[scored])
        test = mcnemar(labels[scored], answers[0], answers[1])
        rows[name] = {
            "faces": int(scored.sum()),
            "only a right": int(test["b"]),
            "only b right": int(test["c"]),
            "statistic": float(test["statistic"]),
            "p_value": float(test["p_value"]),
            "method": test["method"],
        }
    return pd.DataFrame(rows).T
