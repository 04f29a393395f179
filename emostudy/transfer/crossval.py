"""Run a method on cross-validation folds and keep everything it predicted.

A *method* is any object with ``fit(inputs, labels, *, groups)`` and ``predict_proba(inputs)``
returning ``(n, n_classes)`` class probabilities; :func:`cross_validate` makes a fresh one for
every fold (``make_method()``), fits it on the fold's training side only and records its
out-of-fold probabilities and training time. Every number reported about a method (fold
accuracies, their mean, pooled macro-F1, confusion matrix) is computed from that record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emostudy._validation import (
    check_callable,
    check_class_labels,
    check_names,
    check_probabilities,
)
from emostudy.errors import InvalidInputError
from emostudy.evaluation.classification import classification_metrics
from emostudy.transfer.folds import Folds

#: Progress of long cross-validations (``progress=True``), one line per fold, at INFO level.
_LOG = logging.getLogger(__name__)

Inputs = np.ndarray | dict[str, np.ndarray]


@dataclass
class CVResult:
    """What one method predicted on every fold.

    ``probabilities[i]`` was predicted for image ``i`` by the model of the one fold that held
    ``i`` out; ``seconds[k]`` is the training time of fold ``k`` (fit only, in seconds, including
    any inner model selection); ``details[k]`` what the fold's method chose (e.g. its layer).
    """

    name: str
    classes: tuple[str, ...]
    labels: np.ndarray  # (N,) int64
    folds: Folds
    probabilities: np.ndarray  # (N, n_classes) float
    seconds: np.ndarray  # (n_folds,) float
    details: list[dict[str, Any]] = field(default_factory=list)
    #: (n_folds,) accuracy of each fold's model on its own training side (resubstitution), when
    #: asked for with ``score_training=True``; None otherwise.
    training_accuracy: np.ndarray | None = None

    @property
    def predictions(self) -> np.ndarray:
        """(N,) out-of-fold predicted class indices."""
        return np.argmax(self.probabilities, axis=1)

    @property
    def fold_accuracy(self) -> np.ndarray:
        """(n_folds,) accuracy on the test side of each fold."""
        correct = self.predictions == self.labels
        return np.array([correct[test].mean() for _, test in self.folds])

    @property
    def mean_accuracy(self) -> float:
        """Mean of the fold accuracies."""
        return float(self.fold_accuracy.mean())

    @property
    def std_accuracy(self) -> float:
        """Standard deviation of the fold accuracies (sample, ``ddof=1``)."""
        return float(self.fold_accuracy.std(ddof=1)) if len(self.folds) > 1 else 0.0

    def metrics(self) -> dict[str, Any]:
        """:func:`emostudy.evaluation.classification_metrics` of the pooled predictions."""
        return classification_metrics(self.labels, self.predictions, self.classes)

    def summary(self) -> dict[str, Any]:
        """The method's record for a result table (plain Python values)."""
        pooled = self.metrics()
        return {
            "name": self.name,
            "mean_accuracy": self.mean_accuracy,
            "std_accuracy": self.std_accuracy,
            "macro_f1": pooled["macro_f1"],
            "balanced_accuracy": pooled["balanced_accuracy"],
            "pooled_accuracy": pooled["accuracy"],
            "per_class_recall": {k: v["recall"] for k, v in pooled["per_class"].items()},
            "confusion": pooled["confusion"],
            "seconds_per_fold": float(self.seconds.mean()),
            "folds": [float(a) for a in self.fold_accuracy],
            "choices": self.details,
            "training_accuracy": (
                None
                if self.training_accuracy is None
                else [float(a) for a in self.training_accuracy]
            ),
        }


def _n_items(inputs: Inputs) -> int:
    if isinstance(inputs, dict):
        if not inputs:
            raise InvalidInputError("inputs is an empty dict; give at least one feature set.")
        lengths = {key: len(value) for key, value in inputs.items()}
        if len(set(lengths.values())) != 1:
            raise InvalidInputError(
                f"Every feature set must have one row per image; got {lengths}."
            )
        return next(iter(lengths.values()))
    return len(inputs)


def take(inputs: Inputs, positions: np.ndarray) -> Inputs:
    """Rows ``positions`` of an array, or of every array of a dict of feature sets."""
    if isinstance(inputs, dict):
        return {key: value[positions] for key, value in inputs.items()}
    return inputs[positions]


def _run_key(folds: Folds, labels: np.ndarray, method: Any) -> str:
    """Digest of the labels, the folds and the method's settings (its ``repr``)."""
    digest = hashlib.sha256(repr(method).encode())
    digest.update(np.asarray(labels, dtype=np.int64).tobytes())
    for train, test in folds:
        digest.update(np.asarray(train, dtype=np.int64).tobytes())
        digest.update(b"|")
        digest.update(np.asarray(test, dtype=np.int64).tobytes())
    return digest.hexdigest()[:16]


def _cache_file(cache_dir: str | Path, name: str) -> Path:
    return Path(cache_dir) / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".npz")


def check_folds(folds: Folds, n_items: int) -> None:
    """Raise unless every position lies in ``0..n_items-1``, is tested once, and no fold's
    training and test sides overlap."""
    if not folds:
        raise InvalidInputError("folds is empty; make them with emostudy.transfer.make_folds.")
    tested = np.concatenate([np.asarray(test) for _, test in folds])
    for k, (train, test) in enumerate(folds):
        for side in (train, test):
            if len(side) and (np.min(side) < 0 or np.max(side) >= n_items):
                raise InvalidInputError(
                    f"fold {k} holds positions outside 0..{n_items - 1}: the folds were made for "
                    "other data. Make them from the same images with make_folds."
                )
        if np.intersect1d(train, test).size:
            raise InvalidInputError(f"fold {k} has images on both its training and test sides.")
    if len(tested) != n_items or len(np.unique(tested)) != n_items:
        raise InvalidInputError(
            f"The folds' test sides must cover each of the {n_items} images exactly once."
        )


def cross_validate(
    make_method: Callable[[], Any],
    inputs: Inputs,
    labels: np.ndarray,
    folds: Folds,
    *,
    name: str,
    classes: Sequence[str],
    groups: np.ndarray | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = False,
    score_training: bool = False,
) -> CVResult:
    """Fit a fresh method on the training side of every fold and predict its test side.

    Parameters
    ----------
    make_method
        Called once per fold; returns an unfitted method (``fit(inputs, labels, *, groups)``,
        ``predict_proba(inputs)`` → ``(n, len(classes))``).
    inputs
        One row per image: images ``(N, 48, 48, 1)`` uint8, a feature array ``(N, d)``, or a
        dict of candidate feature sets (each ``(N, d_k)``) for methods that choose among them.
    labels
        ``(N,)`` integer class indices into ``classes``.
    folds
        From :func:`emostudy.transfer.make_folds`: the same folds for every method.
    groups
        ``(N,)`` subject of each image, handed to ``fit`` for inner subject-grouped selection.
    cache_dir
        If given, the finished record is stored there (``<name>.npz``) and reused by a later call
        with the same name, labels, folds and method settings (the ``repr`` of
        ``make_method()``): an interrupted chapter resumes, and a changed setting is re-run.
    progress
        Log one line per finished fold (logger ``emostudy.transfer.crossval``, level INFO).
    score_training
        Also score each fold's model on its own training side (``training_accuracy``): how well
        it fits the images it learnt from, which is what scoring on training images measures.

    Returns
    -------
    CVResult
    """
    check_callable(
        "make_method",
        make_method,
        "a factory that returns a fresh method each fold, such as lambda: ScratchCNN() "
        "(not a method instance: each fold needs an unfitted one)",
    )
    classes = tuple(check_names("classes", classes))
    labels = check_class_labels("labels", labels, len(classes))
    n = _n_items(inputs)
    if labels.shape != (n,):
        raise InvalidInputError(
            f"labels must have shape ({n},), one per input; got {labels.shape}."
        )
    if groups is not None and len(groups) != n:
        raise InvalidInputError(f"groups must have one entry per input ({n}), got {len(groups)}.")
    check_folds(folds, n)
    key = _run_key(folds, labels, make_method()) + ("+train" if score_training else "")
    cache = _cache_file(cache_dir, name) if cache_dir is not None else None
    if cache is not None and cache.is_file():
        stored = np.load(cache, allow_pickle=False)
        if str(stored["key"]) == key:
            return CVResult(
                name,
                classes,
                labels,
                folds,
                stored["probabilities"],
                stored["seconds"],
                json.loads(str(stored["details"])),
                stored["training_accuracy"] if score_training else None,
            )
    probabilities = np.full((n, len(classes)), np.nan)
    seconds = np.zeros(len(folds))
    details = []
    training_accuracy = np.full(len(folds), np.nan)
    for k, (train, test) in enumerate(folds):
        method = make_method()
        start = time.perf_counter()
        method.fit(
            take(inputs, train), labels[train], groups=None if groups is None else groups[train]
        )
        seconds[k] = time.perf_counter() - start
        predicted = np.asarray(method.predict_proba(take(inputs, test)), dtype=np.float64)
        if predicted.shape != (len(test), len(classes)):
            raise InvalidInputError(
                f"{name}: predict_proba returned shape {predicted.shape}, expected "
                f"({len(test)}, {len(classes)})."
            )
        check_probabilities(f"{name}: predict_proba's output (fold {k})", predicted)
        probabilities[test] = predicted
        details.append(dict(getattr(method, "chosen_", {}) or {}))
        if score_training:
            fitted = np.asarray(method.predict_proba(take(inputs, train))).argmax(axis=1)
            training_accuracy[k] = float((fitted == labels[train]).mean())
        if progress:
            accuracy = float((predicted.argmax(axis=1) == labels[test]).mean())
            _LOG.info(
                "%s: fold %d/%d accuracy %.1f%% (%.0f s)",
                *(name, k + 1, len(folds), 100 * accuracy, seconds[k]),
            )
    result = CVResult(
        name,
        classes,
        labels,
        folds,
        probabilities,
        seconds,
        details,
        training_accuracy if score_training else None,
    )
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            cache,
            key=key,
            probabilities=probabilities,
            seconds=seconds,
            details=json.dumps(details, default=str),
            training_accuracy=training_accuracy,
        )
    return result


def ensemble(results: Sequence[CVResult], *, name: str | None = None) -> CVResult:
    """Soft vote: the mean of several methods' out-of-fold probabilities, on the same folds.

    Its training time per fold is the sum of the members'.
    """
    if len(results) < 2:
        raise InvalidInputError("An ensemble needs at least two CVResults.")
    first = results[0]
    for other in results[1:]:
        same_folds = len(other.folds) == len(first.folds) and all(
            np.array_equal(a[1], b[1]) for a, b in zip(other.folds, first.folds, strict=True)
        )
        if not (same_folds and np.array_equal(other.labels, first.labels)):
            raise InvalidInputError(
                f"{other.name} was not cross-validated on the same images and folds as "
                f"{first.name}; an ensemble needs both on the same folds."
            )
    return CVResult(
        name or " + ".join(r.name for r in results),
        first.classes,
        first.labels,
        first.folds,
        np.mean([r.probabilities for r in results], axis=0),
        np.sum([r.seconds for r in results], axis=0),
        [{"members": [r.name for r in results]} for _ in first.folds],
    )


def compare_folds(a: CVResult, b: CVResult) -> dict[str, Any]:
    """Paired comparison of two methods' fold accuracies (Wilcoxon signed-rank, two-sided).

    Returns
    -------
    dict
        ``a``, ``b`` (names), ``differences`` (a - b per fold), ``mean_difference``, ``wins``,
        ``ties``, ``losses`` (folds where a is better, equal, worse), ``statistic`` and
        ``p_value`` of ``scipy.stats.wilcoxon`` (zero differences dropped; ``p_value`` 1.0 when
        every fold ties).
    """
    from scipy.stats import wilcoxon

    if len(a.folds) != len(b.folds):
        raise InvalidInputError(f"{a.name} and {b.name} have different numbers of folds.")
    differences = a.fold_accuracy - b.fold_accuracy
    nonzero = differences[np.abs(differences) > 1e-12]
    if len(nonzero) == 0:
        statistic, p_value = 0.0, 1.0
    else:
        test = wilcoxon(nonzero)
        statistic, p_value = float(test.statistic), float(test.pvalue)
    return {
        "a": a.name,
        "b": b.name,
        "differences": [float(d) for d in differences],
        "mean_difference": float(differences.mean()),
        "wins": int(np.sum(differences > 1e-12)),
        "ties": int(np.sum(np.abs(differences) <= 1e-12)),
        "losses": int(np.sum(differences < -1e-12)),
        "statistic": statistic,
        "p_value": p_value,
    }


def subject_interval(
    result: CVResult,
    groups: np.ndarray,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Pooled out-of-fold accuracy with a bootstrap interval that resamples *subjects*.

    A person's images share a face, so their errors are not independent: the interval draws
    subjects with replacement (all of a drawn subject's images together) and takes percentiles
    of the pooled accuracy over ``n_boot`` draws.

    Parameters
    ----------
    result
        A method's record from :func:`cross_validate`.
    groups
        (N,) subject of each image, in the order of ``result.labels``.
    n_boot
        Bootstrap draws.
    confidence
        Coverage of the interval, in (0, 1).
    seed
        Seed of the draws.

    Returns
    -------
    dict
        ``accuracy`` (pooled, fraction), ``low`` and ``high`` (the interval), ``confidence``,
        ``n_subjects`` and ``n_boot``.
    """
    groups = np.asarray(groups)
    if groups.shape != result.labels.shape:
        raise InvalidInputError(
            f"groups must give one subject per image: shape {result.labels.shape}, "
            f"got {groups.shape}."
        )
    if int(n_boot) < 1 or not 0.0 < float(confidence) < 1.0:
        raise InvalidInputError(
            f"n_boot must be >= 1 and confidence in (0, 1), got {n_boot} and {confidence}."
        )
    subjects, index = np.unique(groups, return_inverse=True)
    correct = (result.predictions == result.labels).astype(float)
    hits = np.bincount(index, weights=correct, minlength=len(subjects))
    sizes = np.bincount(index, minlength=len(subjects)).astype(float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(subjects), size=(int(n_boot), len(subjects)))
    accuracies = hits[draws].sum(axis=1) / sizes[draws].sum(axis=1)
    tail = (1.0 - float(confidence)) / 2 * 100
    low, high = np.percentile(accuracies, [tail, 100 - tail])
    return {
        "accuracy": float(correct.mean()),
        "low": float(low),
        "high": float(high),
        "confidence": float(confidence),
        "n_subjects": int(len(subjects)),
        "n_boot": int(n_boot),
    }


def methods_table(results: Sequence[CVResult]) -> pd.DataFrame:
    """One row per method: mean and std of fold accuracy, pooled balanced accuracy and macro-F1,
    training seconds per fold and the mean accuracy on the training sides (NaN when not scored);
    indexed by name, in the given order."""
    rows = []
    for result in results:
        summary = result.summary()
        rows.append(
            {
                "method": result.name,
                "mean_accuracy": summary["mean_accuracy"],
                "std_accuracy": summary["std_accuracy"],
                "balanced_accuracy": summary["balanced_accuracy"],
                "macro_f1": summary["macro_f1"],
                "seconds_per_fold": summary["seconds_per_fold"],
                "training_accuracy": (
                    float(np.mean(summary["training_accuracy"]))
                    if summary["training_accuracy"] is not None
                    else float("nan")
                ),
            }
        )
    return pd.DataFrame(rows).set_index("method")


def per_class_recall(results: Sequence[CVResult]) -> pd.DataFrame:
    """Pooled recall of every class (columns) for every method (rows)."""
    return pd.DataFrame({r.name: r.summary()["per_class_recall"] for r in results}).T.rename_axis(
        "method"
    )
