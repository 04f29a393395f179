"""Scaffolding of the detector chapters (5 to 7): the photo folder by index, the Haar sweep, the
per-photo galleries, recall gaps with intervals, and chapter 7's verdict.

The chapters tell the story; this module does the bookkeeping that would otherwise fill a
hundred-line cell: it returns tables, figures, numbers and sentences, and prints nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emostudy._validation import check_int, check_number, check_sequence
from emostudy.errors import InvalidInputError
from emostudy.settings import dataset_path

#: File name endings read as photos (case-insensitive).
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")


def study_photos(
    indices: Sequence[int] | None = None, *, folder: str | os.PathLike | None = None
) -> list[Path]:
    """Photos of a folder, chosen by their index in its sorted list of file names.

    Parameters
    ----------
    indices
        0-based positions in the folder's photos sorted by file name (negative counts from the
        end); ``None``: every photo. With the study set (``photo_01.jpg`` ... ``photo_70.jpg``)
        index ``i`` is ``photo_{i + 1:02d}.jpg``; with any other folder the same indices pick
        that folder's photos, so a reader's own folder works unchanged.
    folder
        The folder; ``None``: ``$EMOSTUDY_DATA/photos``.

    Returns
    -------
    list of pathlib.Path
        The chosen photos (JPEG or PNG), in the order of ``indices``.

    Raises
    ------
    DataNotFoundError
        When the folder does not exist.
    InvalidInputError
        When the folder holds no photo, or an index is out of range.
    """
    root = dataset_path("photos", folder, folder=True)
    files = sorted(
        (p for p in root.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES),
        key=lambda p: p.name,
    )
    if not files:
        raise InvalidInputError(f"The photo folder {root} holds no JPEG or PNG file.")
    if indices is None:
        return files
    chosen = []
    for index in check_sequence("indices", indices, "photo indices"):
        index = check_int("index", index)
        if not -len(files) <= index < len(files):
            raise InvalidInputError(
                f"Photo index {index} is out of range: {root} holds {len(files)} photos "
                f"(indices 0 to {len(files) - 1}). Choose indices in that range in the chapter's "
                "parameters cell."
            )
        chosen.append(files[index])
    return chosen


def detector_gallery(
    image: np.ndarray,
    faces_by_detector: Mapping[str, Sequence],
    *,
    title: str | None = None,
    columns: int = 3,
    size: float = 3.0,
    max_height: float | None = None,
):
    """One photo under every detector: a grid of panels, one per detector, boxes drawn.

    Parameters
    ----------
    image
        ``(H, W, 3)`` BGR uint8 photo.
    faces_by_detector
        ``{detector name: faces}``, each a list of :class:`~emostudy.detectors.Face` (or an
        ``(N, >=4)`` array of ``x, y, w, h`` rows) in the photo's pixels.
    title
        The figure's title (e.g. the photo's file name).
    columns
        Panels per row.
    size
        Width of one panel, in inches (the height follows the photo's aspect ratio).
    max_height
        Largest height of the figure, in inches: panels of a tall (portrait) photo shrink to fit;
        ``None``: no limit.

    Returns
    -------
    matplotlib.figure.Figure
        ``columns`` panels wide, ``ceil(len(faces_by_detector) / columns)`` rows.
    """
    import matplotlib.pyplot as plt

    from emostudy.plots import draw_detections

    columns = check_int("columns", columns, minimum=1)
    size = check_number("size", size, low=0, low_open=True)
    names = list(faces_by_detector)
    rows = -(-len(names) // columns)
    aspect = image.shape[0] / image.shape[1]
    if max_height is not None:
        max_height = check_number("max_height", max_height, low=0, low_open=True)
        size = max(0.5, min(size, (max_height / rows - 0.35) / aspect))
    fig, axes = plt.subplots(
        rows, columns, figsize=(size * columns, (size * aspect + 0.35) * rows), squeeze=False
    )
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    for ax, name in zip(axes.ravel(), names, strict=False):
        faces = faces_by_detector[name]
        count = f"{len(faces)} face" + ("" if len(faces) == 1 else "s")
        draw_detections(ax, image, faces, title=f"{name}: {count}", linewidth=1.4)
        ax.title.set_fontsize("small")
    if title:
        fig.suptitle(title, fontsize="medium")
    fig.tight_layout()
    return fig


# --- chapter 5: the Haar sweep --------------------------------------------------------------------


def haar_sweep(
    wider,
    scale_factors: Sequence[float],
    min_neighbors_grid: Sequence[int],
):
    """OpenCV's Haar cascade over WIDER FACE images, for every ``scaleFactor`` x ``minNeighbors``.

    The cascade runs once per ``scaleFactor`` (each call timed, the image already in memory); its
    raw windows are grouped for every ``minNeighbors``, which gives exactly what
    ``detectMultiScale`` returns, and each face is ranked by its number of windows.

    Parameters
    ----------
    wider
        A :class:`~emostudy.data.WiderFaceSet`.
    scale_factors
        Image-pyramid ratios (each > 1).
    min_neighbors_grid
        Grouping thresholds (each >= 0).

    Returns
    -------
    table : pandas.DataFrame
        One row per setting: ``scale_factor``, ``min_neighbors``, ``ms_per_image`` (median
        wall-clock milliseconds per image for the scan), ``ap_easy``, ``ap_medium``, ``ap_hard``,
        ``precision_hard``, ``recall_hard``, ``recall_easy`` (of every face reported) and
        ``faces_per_image``.
    evaluations : dict
        ``{(scale_factor, min_neighbors): WiderEvaluation}``.
    """
    import cv2
    import pandas as pd

    from emostudy.detectors import HaarCascadeDetector, group_windows
    from emostudy.evaluation import evaluate_wider

    scale_factors = [
        check_number("scale factor", s, low=1, low_open=True)
        for s in check_sequence("scale_factors", scale_factors, "scale factors")
    ]
    grid = [
        check_int("minNeighbors", m, minimum=0)
        for m in check_sequence("min_neighbors_grid", min_neighbors_grid, "minNeighbors values")
    ]
    rows, evaluations = [], {}
    images = [cv2.imread(str(path)) for path in wider.images["path"]]
    for sf in scale_factors:
        detector = HaarCascadeDetector(scale_factor=sf)
        raws, seconds = [], []
        for image in images:
            t0 = time.perf_counter()
            raws.append(detector.raw_windows(image))
            seconds.append(time.perf_counter() - t0)
        ms = 1000 * float(np.median(seconds))
        for mn in grid:
            dets = []
            for raw in raws:
                boxes, n = group_windows(raw, mn)
                dets.append(np.c_[boxes, n])
            ev = evaluate_wider(dets, wider)
            hard, easy = ev.curves["hard"], ev.curves["easy"]
            rows.append(
                {
                    "scale_factor": sf,
                    "min_neighbors": mn,
                    "ms_per_image": ms,
                    "ap_easy": ev.ap["easy"],
                    "ap_medium": ev.ap["medium"],
                    "ap_hard": ev.ap["hard"],
                    "precision_hard": float(hard.precision[-1])
                    if hard.n_detections
                    else float("nan"),
                    "recall_hard": float(hard.recall[-1]) if hard.n_detections else 0.0,
                    "recall_easy": float(easy.recall[-1]) if easy.n_detections else 0.0,
                    "faces_per_image": float(np.mean([len(d) for d in dets])),
                }
            )
            evaluations[(sf, mn)] = ev
    return pd.DataFrame(rows), evaluations


def _check_sweep_row(table, key: tuple[float, int]):
    index = table.set_index(["scale_factor", "min_neighbors"])
    if key not in index.index:
        raise InvalidInputError(
            f"The sweep has no row scaleFactor={key[0]}, minNeighbors={key[1]}; it holds "
            f"scaleFactor {sorted(set(table['scale_factor']))} and minNeighbors "
            f"{sorted(set(table['min_neighbors']))}."
        )
    return index


def haar_sweep_figure(table, curves: Mapping, *, scale_factor: float = 1.1, marked=(1, 3, 8)):
    """The sweep in three panels: the precision-recall curves at one ``scaleFactor`` with the
    ``minNeighbors`` operating points marked, precision and recall against ``minNeighbors``, and
    AP against time per ``scaleFactor`` (at ``minNeighbors=1``).

    Parameters
    ----------
    table
        The first return value of :func:`haar_sweep`.
    curves
        ``{"easy" | "medium" | "hard": PRCurve}`` at ``scale_factor`` and ``minNeighbors=1``
        (faces ranked by their windows).
    scale_factor
        The ``scaleFactor`` of the first two panels.
    marked
        ``minNeighbors`` values marked on the curves.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    _check_sweep_row(table, (scale_factor, int(table["min_neighbors"].min())))
    at = table[table["scale_factor"] == scale_factor]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for setting, colour in zip(("easy", "medium", "hard"), ("C0", "C1", "C2"), strict=True):
        c = curves[setting]
        axes[0].plot(c.recall, c.precision, color=colour, label=f"{setting} (AP {c.ap:.3f})")
        for mn in marked:
            # a face of a cluster of more than mn windows has a score of at least mn + 1
            if c.thresholds.size and mn + 1 >= c.thresholds.min():
                p, r = c.at(mn + 1)
                axes[0].plot(r, p, "o", color=colour, ms=4)
                if setting == "easy":
                    axes[0].annotate(
                        f"mN={mn}", (r, p), textcoords="offset points", xytext=(4, 4),
                        fontsize="x-small",
                    )  # fmt: skip
    axes[0].set(
        xlabel="recall",
        ylabel="precision",
        title=f"scaleFactor {scale_factor:g}, ranked by neighbours",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    axes[0].legend(fontsize="small")
    axes[0].grid(alpha=0.3)
    axes[1].plot(at["min_neighbors"], at["precision_hard"], "o-", label="precision (hard)")
    axes[1].plot(at["min_neighbors"], at["recall_hard"], "s-", label="recall (hard)")
    axes[1].plot(at["min_neighbors"], at["recall_easy"], "^-", label="recall (easy)")
    axes[1].set(
        xlabel="minNeighbors", ylabel="fraction", title=f"scaleFactor {scale_factor:g}", ylim=(0, 1)
    )
    axes[1].legend(fontsize="small")
    axes[1].grid(alpha=0.3)
    lowest = table[table["min_neighbors"] == min(1, int(table["min_neighbors"].max()))]
    for setting, marker in (("easy", "o"), ("medium", "s"), ("hard", "^")):
        axes[2].plot(lowest["ms_per_image"], lowest[f"ap_{setting}"], marker + "-", label=setting)
    for _, r in lowest.iterrows():
        axes[2].annotate(
            f"{r['scale_factor']:g}", (r["ms_per_image"], r["ap_easy"]),
            textcoords="offset points", xytext=(3, 4), fontsize="x-small",
        )  # fmt: skip
    axes[2].set(
        xscale="log",
        xlabel="median time per image (ms, log scale)",
        ylabel="AP",
        title="scaleFactor: AP against time",
    )
    axes[2].legend(fontsize="small", title="setting")
    axes[2].grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def haar_sweep_numbers(
    table, *, default: tuple[float, int] = (1.1, 3), ranked_min_neighbors: int = 1
) -> dict[str, Any]:
    """The numbers chapter 5 quotes from the sweep, and the sentence that reads them.

    Parameters
    ----------
    table
        The first return value of :func:`haar_sweep`.
    default
        OpenCV's default ``(scaleFactor, minNeighbors)``.
    ranked_min_neighbors
        The ``minNeighbors`` at which the ``scaleFactor`` values are compared.

    Returns
    -------
    dict
        ``default_<column>`` (the default's AP, precision, recall and ms per image),
        ``mn0_precision``, ``mn_max``, ``mn_max_recall_easy``, ``sf_fast`` / ``sf_slow`` (the
        largest and smallest ``scaleFactor``) with ``ms_``, ``ap_easy_`` and ``ap_hard_`` of
        each, and ``sf_clause``: what the easy AP does between them, in words (a change of more
        than 0.01 counts as a change).
    """
    d = _check_sweep_row(table, default)
    sf = default[0]
    fast, slow = float(table["scale_factor"].max()), float(table["scale_factor"].min())
    mn_max = int(table["min_neighbors"].max())
    mn_min = int(table["min_neighbors"].min())
    _check_sweep_row(table, (fast, ranked_min_neighbors))
    out: dict[str, Any] = {
        f"default_{k}": float(d.loc[default, k])
        for k in (
            "ap_easy", "ap_medium", "ap_hard", "precision_hard", "recall_hard", "recall_easy",
            "ms_per_image",
        )
    }  # fmt: skip
    out["mn0_precision"] = float(d.loc[(sf, mn_min), "precision_hard"])
    out["mn_max"] = mn_max
    out["mn_max_recall_easy"] = float(d.loc[(sf, mn_max), "recall_easy"])
    out["ap_easy_mn1"] = float(d.loc[(sf, ranked_min_neighbors), "ap_easy"])
    for name, value in (("fast", fast), ("slow", slow)):
        row = d.loc[(value, ranked_min_neighbors)]
        out[f"sf_{name}"] = value
        out[f"ms_{name}"] = float(row["ms_per_image"])
        out[f"ap_easy_{name}"] = float(row["ap_easy"])
        out[f"ap_hard_{name}"] = float(row["ap_hard"])
    gain = out["ap_easy_slow"] - out["ap_easy_fast"]
    if gain > 0.01:
        out["sf_clause"] = (
            "the finer pyramid finds more faces, because a face that falls between two coarse "
            "levels is seen by fewer windows, and fewer neighbours rank it lower or drop it"
        )
    elif gain < -0.01:
        out["sf_clause"] = (
            "on these images the coarser pyramid costs no AP: it gives fewer windows to every "
            "face, but also to every false alarm, and AP only measures the ranking"
        )
    else:
        out["sf_clause"] = (
            "on these images AP hardly depends on it, so the coarser and faster setting loses "
            "little"
        )
    return out


# --- chapter 7: recall gaps with intervals, and the verdict ---------------------------------------


def recall_gap_table(
    found: Mapping[str, np.ndarray],
    groups: Sequence,
    clusters: Sequence,
    *,
    high: Any,
    low: Any,
    reference: str | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
):
    """Recall in group ``high`` minus recall in group ``low``, per detector, with bootstrap
    intervals that resample whole clusters (images), and each gap's difference from a reference
    detector's.

    Faces of one photo share its lighting, camera and event, so they are not independent; the
    percentile bootstrap resamples images with replacement (every detector on the same resample,
    so differences between detectors are paired) and recomputes both recalls.

    Parameters
    ----------
    found
        ``{detector: (F,) bool}``: whether each of the same ``F`` faces was found.
    groups
        ``(F,)`` group label of each face (faces in neither ``high`` nor ``low`` are ignored).
    clusters
        ``(F,)`` the image (or other unit) each face belongs to; the unit of resampling.
    high, low
        The two groups compared: the gap is ``recall(high) - recall(low)``.
    reference
        A detector of ``found``: adds ``minus_reference`` (this detector's gap minus the
        reference's) with its interval; ``None``: no such columns.
    n_boot
        Bootstrap resamples.
    confidence
        Level of the intervals.
    seed
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        Indexed by detector: ``faces_high``, ``faces_low``, ``recall_high``, ``recall_low``,
        ``gap``, ``gap_low``, ``gap_high``, ``gap_resolved`` (the interval excludes 0), and with a
        reference ``minus_reference``, ``minus_reference_low``, ``minus_reference_high``,
        ``minus_reference_resolved``.
    """
    import pandas as pd

    n_boot = check_int("n_boot", n_boot, minimum=100)
    confidence = check_number(
        "confidence", confidence, low=0, high=1, low_open=True, high_open=True
    )
    labels = pd.Series(list(groups), dtype=object)
    units = pd.Series(list(clusters))
    if len(labels) != len(units):
        raise InvalidInputError(f"{len(labels)} group labels but {len(units)} cluster labels.")
    names = list(found)
    flags = {}
    for name in names:
        f = np.asarray(found[name])
        if f.shape != (len(labels),):
            raise InvalidInputError(
                f"found[{name!r}] has shape {f.shape}; expected ({len(labels)},): one flag "
                "per face."
            )
        flags[name] = f.astype(bool)
    if reference is not None and reference not in flags:
        raise InvalidInputError(f"reference {reference!r} is not one of the detectors {names}.")
    in_high, in_low = (labels == high).to_numpy(), (labels == low).to_numpy()
    if not in_high.any() or not in_low.any():
        raise InvalidInputError(
            f"Both groups need faces: {int(in_high.sum())} in {high!r}, {int(in_low.sum())} in "
            f"{low!r}."
        )
    codes, uniques = pd.factorize(units)
    k = len(uniques)

    def per_unit(mask):
        return np.bincount(codes[mask], minlength=k).astype(np.float64)

    # per image: faces of each group, and faces found by each detector in each group
    n_high, n_low = per_unit(in_high), per_unit(in_low)
    hits_high = np.stack([per_unit(in_high & flags[n]) for n in names])
    hits_low = np.stack([per_unit(in_low & flags[n]) for n in names])
    rng = np.random.default_rng(seed)
    weights = np.stack([np.bincount(rng.integers(0, k, k), minlength=k) for _ in range(n_boot)])
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = (weights @ hits_high.T) / (weights @ n_high)[:, None] - (weights @ hits_low.T) / (
            weights @ n_low
        )[:, None]  # (n_boot, detectors)
    point = hits_high.sum(1) / n_high.sum() - hits_low.sum(1) / n_low.sum()
    q = [(1 - confidence) / 2, (1 + confidence) / 2]
    lo, hi = np.nanquantile(boot, q, axis=0)
    table = pd.DataFrame(
        {
            "faces_high": int(n_high.sum()),
            "faces_low": int(n_low.sum()),
            "recall_high": hits_high.sum(1) / n_high.sum(),
            "recall_low": hits_low.sum(1) / n_low.sum(),
            "gap": point,
            "gap_low": lo,
            "gap_high": hi,
            "gap_resolved": (lo > 0) | (hi < 0),
        },
        index=pd.Index(names, name="detector"),
    )
    if reference is not None:
        r = names.index(reference)
        diff = boot - boot[:, [r]]
        dlo, dhi = np.nanquantile(diff, q, axis=0)
        table["minus_reference"] = point - point[r]
        table["minus_reference_low"] = dlo
        table["minus_reference_high"] = dhi
        table["minus_reference_resolved"] = (dlo > 0) | (dhi < 0)
    return table


def choose_detector(
    table,
    operating: Mapping[str, Mapping[str, float]],
    *,
    max_ms: float = 50.0,
    tie: float = 0.01,
    exclude: Sequence[str] = ("dlib_mmod",),
) -> dict[str, Any]:
    """Chapter 7's rule: among detectors under ``max_ms`` per frame, the best medium AP; of those
    within ``tie`` of it, the fastest.

    Parameters
    ----------
    table
        Indexed by detector, with ``ap_easy``, ``ap_medium``, ``ap_hard`` and ``ms_640x480``.
    operating
        ``{detector: {"threshold", "f1", "precision", "recall"}}``: each detector's operating
        point (best F1 on the medium setting).
    max_ms
        Time budget per frame, in milliseconds.
    tie
        AP margin within which the faster detector wins.
    exclude
        Detectors left out (run on part of the images only).

    Returns
    -------
    dict
        ``chosen``, ``runner_up`` (or ``None``), ``eligible`` (the candidates' table, best medium
        AP first), ``threshold``, ``f1``, ``precision``, ``recall`` and ``rule`` (in words).
    """
    max_ms = check_number("max_ms", max_ms, low=0, low_open=True)
    tie = check_number("tie", tie, low=0)
    eligible = table[(table["ms_640x480"] < max_ms) & ~table.index.isin(list(exclude))]
    if eligible.empty:
        raise InvalidInputError(f"No detector runs a frame in under {max_ms:g} ms.")
    eligible = eligible.sort_values("ap_medium", ascending=False)
    best = eligible["ap_medium"].iloc[0]
    chosen = str(eligible[eligible["ap_medium"] >= best - tie]["ms_640x480"].idxmin())
    others = eligible.drop(index=chosen)
    point = operating[chosen]
    return {
        "chosen": chosen,
        "runner_up": str(others.index[0]) if len(others) else None,
        "eligible": eligible[["ap_easy", "ap_medium", "ap_hard", "ms_640x480"]],
        "threshold": float(point["threshold"]),
        "f1": float(point["f1"]),
        "precision": float(point["precision"]),
        "recall": float(point["recall"]),
        "rule": f"fastest of the detectors within {tie:g} of the best medium AP among those under "
        f"{max_ms:g} ms per 640x480 frame",
    }


def _small_face_recall(size_rows: Mapping, buckets=("10-20", "20-40")) -> dict[str, float]:
    out = {}
    for name, rows in size_rows.items():
        part = rows.reindex(list(buckets))
        out[name] = float(part["found"].sum() / max(1, part["faces"].sum()))
    return out


def original_study_claims(
    table,
    size_rows: Mapping,
    tone_gaps,
    pose_gaps,
    *,
    original: Sequence[str] = ("haar", "mtcnn", "ssd"),
    partial: Sequence[str] = ("dlib_mmod",),
) -> dict[str, Any]:
    """The evidence on the original study's three conclusions, as numbers.

    Parameters
    ----------
    table
        Indexed by detector, with ``ap_easy`` and ``ap_medium``.
    size_rows
        ``{detector: recall_by table}`` by face-height bucket (``faces``, ``found`` per bucket).
    tone_gaps, pose_gaps
        :func:`recall_gap_table` results (reference ``"haar"``) for perceived skin tone I–II vs
        V–VI and typical vs atypical pose.
    original
        The detectors the study compared: Haar, MTCNN, SSD.
    partial
        Detectors run on part of the images only (left out of "best of all").

    Returns
    -------
    dict
        Plain values (JSON-ready) that :func:`claims_text` puts into words.
    """
    haar, mtcnn, ssd = original
    three = table.loc[list(original)]
    small = _small_face_recall(size_rows)
    small_three = {n: small[n] for n in original}
    full = [n for n in small if n not in partial]

    def gap_summary(gaps):
        others = gaps.drop(index=haar)
        row = gaps.loc[haar]
        return {
            "haar": float(row["gap"]),
            "haar_low": float(row["gap_low"]),
            "haar_high": float(row["gap_high"]),
            "haar_resolved": bool(row["gap_resolved"]),
            "faces_high": int(row["faces_high"]),
            "faces_low": int(row["faces_low"]),
            "others_median": float(np.median(others["gap"])),
            "others_resolved": int(others["gap_resolved"].sum()),
            "others": int(len(others)),
            "haar_larger_resolved": int(
                (others["minus_reference_high"] < 0).sum()
            ),  # detectors whose gap is resolvably smaller than Haar's
        }

    return {
        "ssd_best_of_three": bool(
            three["ap_medium"].idxmax() == ssd and three["ap_easy"].idxmax() == ssd
        ),
        "best_easy_of_three": str(three["ap_easy"].idxmax()),
        "best_medium_of_three": str(three["ap_medium"].idxmax()),
        "ap_easy": {n: float(three.loc[n, "ap_easy"]) for n in original},
        "ap_medium": {n: float(three.loc[n, "ap_medium"]) for n in original},
        "ssd_rank_medium": int((table["ap_medium"] > table.loc[ssd, "ap_medium"]).sum()) + 1,
        "detectors": len(table),
        "recall_10_40px": small,
        "mtcnn_best_of_three_small": max(small_three, key=small_three.get) == mtcnn,
        "best_small": max(full, key=small.get),
        "tone": gap_summary(tone_gaps),
        "pose": gap_summary(pose_gaps),
    }


def _interval(value: float, low: float, high: float) -> str:
    return f"{value:+.2f} (95% interval {low:+.2f} to {high:+.2f})"


def claims_text(claims: Mapping[str, Any]) -> dict[str, str]:
    """The verdict on the original study's three conclusions, in words.

    Parameters
    ----------
    claims
        The result of :func:`original_study_claims`.

    Returns
    -------
    dict
        ``{"claim1": ..., "claim2": ..., "claim3": ...}``: clauses that complete "*The SSD is the
        best detector*", "*MTCNN is best for faraway faces*" and "*Haar fails on dark skin and on
        side faces*: for faces of at least 40 pixels, at the operating threshold, ...".
    """
    e, m = claims["ap_easy"], claims["ap_medium"]
    rank, n = claims["ssd_rank_medium"], claims["detectors"]
    if claims["ssd_best_of_three"]:
        claim1 = (
            "holds among the three detectors the study compared: the SSD has the highest easy and "
            f"medium AP of the three ({e['ssd']:.3f} / {m['ssd']:.3f}); once newer detectors are "
            f"included it ranks {rank} of {n} on medium AP"
        )
    else:
        be, bm = claims["best_easy_of_three"], claims["best_medium_of_three"]
        claim1 = (
            "does not hold: among the three detectors the study compared, the highest easy AP is "
            f"{be}'s ({e[be]:.3f}) and the highest medium AP {bm}'s ({m[bm]:.3f}), against the "
            f"SSD's {e['ssd']:.3f} / {m['ssd']:.3f}; among all the detectors it ranks {rank} of "
            f"{n} on medium AP"
        )
    claim2 = (
        "holds against Haar and the SSD: MTCNN finds the largest share of the small (10–40 pixel) "
        "faces of the three"
        if claims["mtcnn_best_of_three_small"]
        else "does not hold: MTCNN is not the best of the three on small (10–40 pixel) faces"
    )
    claim2 += f"; over all the detectors the best on small faces is {claims['best_small']}"
    t, p = claims["tone"], claims["pose"]

    def resolved(g, what):
        if g["haar_resolved"]:
            return f"the data resolve this {what}"
        return f"the interval includes zero, so the data cannot resolve this {what}"

    claim3 = (
        f"Haar's recall on perceived skin tones I–II ({t['faces_high']} faces) minus its recall on "
        f"V–VI ({t['faces_low']} faces) is {_interval(t['haar'], t['haar_low'], t['haar_high'])}: "
        f"{resolved(t, 'gap')}. The other detectors' median gap is {t['others_median']:+.2f}, "
        f"resolved for {t['others_resolved']} of {t['others']}; Haar's gap is resolvably larger "
        f"than that of {t['haar_larger_resolved']} of them. On pose, Haar's recall on typical "
        f"minus atypical poses is {_interval(p['haar'], p['haar_low'], p['haar_high'])} (the "
        f"others' median {p['others_median']:+.2f}; Haar's gap resolvably larger than that of "
        f"{p['haar_larger_resolved']} of {p['others']})"
    )
    return {"claim1": claim1, "claim2": claim2, "claim3": claim3}
