"""Classification metrics computed from the confusion matrix, with bootstrap intervals and McNemar.

Everything starts from the confusion matrix ``C`` (rows = true class, columns = predicted class):

* accuracy = ``trace(C) / n``
* recall_k = ``C[k, k] / sum(C[k, :])`` (of the examples of class k, the share found)
* precision_k = ``C[k, k] / sum(C[:, k])`` (of the predictions of class k, the share right)
* F1_k = ``2 * precision_k * recall_k / (precision_k + recall_k)`` = ``2 TP / (2 TP + FP + FN)``
* balanced accuracy = mean recall over the classes present in ``y_true``
* macro-F1 = mean F1 over **all** ``K`` classes.

Zero-division conventions are those of scikit-learn's defaults (which also warn; we do not):
a precision, recall or F1 whose denominator is 0 counts as 0.0 — e.g. a class that is never
predicted has precision 0.0, and a class absent from both ``y_true`` and ``y_pred`` has F1 0.0
and still counts in macro-F1 (as in ``f1_score(..., labels=range(K), average="macro")``).
Balanced accuracy, like ``balanced_accuracy_score``, averages recall only over the classes that
occur in ``y_true``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from emostudy._validation import (
    check_choice,
    check_class_labels,
    check_int,
    check_names,
    check_number,
    check_seed,
)
from emostudy.errors import InvalidInputError

IntArray = NDArray[np.int64]

METRICS = ("accuracy", "balanced_accuracy", "macro_f1")

#: McNemar uses the exact binomial test when fewer than this many discordant pairs.
MCNEMAR_EXACT_BELOW = 25

_BOOT_CHUNK_CELLS = 4_000_000  # resampled labels held in memory at once (~32 MB of int64)

#: Most bootstrap resamples :func:`bootstrap_ci` and :func:`evaluate` draw (their confusion
#: matrices are held at once: 100,000 resamples of 7 classes take 39 MB; a percentile interval
#: stops moving long before).
MAX_BOOT = 100_000


# --- validation ----------------------------------------------------------------------------------


def _check_labels(
    y_true: ArrayLike, y_pred: ArrayLike, n_classes: int | None, name_pred: str = "y_pred"
) -> tuple[IntArray, IntArray, int]:
    """Validate a pair of label vectors; infer ``n_classes`` (max label + 1) when None."""
    if n_classes is not None:
        n_classes = check_int("n_classes", n_classes, minimum=1)
    y_true = check_class_labels("y_true", y_true)
    y_pred = check_class_labels(name_pred, y_pred)
    if y_true.shape != y_pred.shape:
        raise InvalidInputError(
            f"y_true has {y_true.size} labels but {name_pred} has {y_pred.size}; they must match."
        )
    if y_true.size == 0:
        raise InvalidInputError("y_true and y_pred are empty; need at least one prediction.")
    if n_classes is None:
        n_classes = int(max(y_true.max(), y_pred.max())) + 1
    if n_classes < 1:
        raise InvalidInputError(f"n_classes must be >= 1, got {n_classes}.")
    for name, y in (("y_true", y_true), (name_pred, y_pred)):
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= n_classes:
            raise InvalidInputError(
                f"{name} has labels in [{low}, {high}] but must lie in [0, {n_classes - 1}] "
                f"({n_classes} classes)."
            )
    return y_true, y_pred, n_classes


# --- confusion matrix and metrics ----------------------------------------------------------------


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int) -> IntArray:
    """Counts ``C[i, j]`` of examples of true class ``i`` predicted as ``j``; shape (K, K) int64."""
    y_true, y_pred, k = _check_labels(y_true, y_pred, n_classes)
    # Each (true, pred) pair gets a single code true * K + pred in [0, K*K); count the codes.
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k).astype(np.int64)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with 0.0 where the denominator is 0 (scikit-learn's default)."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.zeros(np.broadcast_shapes(numerator.shape, denominator.shape))
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _metrics_from_confusions(confusions: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class and summary metrics for a stack of confusion matrices, shape (..., K, K)."""
    confusions = np.asarray(confusions, dtype=np.float64)
    tp = np.diagonal(confusions, axis1=-2, axis2=-1)  # (..., K)
    support = confusions.sum(axis=-1)  # row sums: true examples per class
    predicted = confusions.sum(axis=-2)  # column sums: predictions per class
    n = support.sum(axis=-1)
    precision = _safe_divide(tp, predicted)
    recall = _safe_divide(tp, support)
    f1 = _safe_divide(2.0 * tp, support + predicted)  # 2TP / (2TP + FP + FN)
    present = support > 0
    balanced = _safe_divide((recall * present).sum(axis=-1), present.sum(axis=-1))
    return {
        "accuracy": _safe_divide(tp.sum(axis=-1), n),
        "balanced_accuracy": balanced,
        "macro_f1": f1.mean(axis=-1),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
    }


def classification_metrics(
    y_true: ArrayLike, y_pred: ArrayLike, classes: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, balanced accuracy, macro-F1 and per-class precision/recall/F1/support.

    Parameters
    ----------
    y_true, y_pred
        Shape (n,), integer class indices in ``[0, len(classes))``.
    classes
        One name per class index.

    Returns
    -------
    dict
        ``{"accuracy", "balanced_accuracy", "macro_f1"}`` as floats in [0, 1], ``"per_class"``
        (``{name: {"precision", "recall", "f1", "support"}}``, support an int), ``"confusion"``
        (list of lists of ints, rows = true class) and ``"n"`` (number of examples).
    """
    classes = check_names("classes", classes)
    confusion = confusion_matrix(y_true, y_pred, len(classes))
    m = _metrics_from_confusions(confusion)
    per_class = {
        name: {
            "precision": float(m["precision"][k]),
            "recall": float(m["recall"][k]),
            "f1": float(m["f1"][k]),
            "support": int(m["support"][k]),
        }
        for k, name in enumerate(classes)
    }
    return {
        "accuracy": float(m["accuracy"]),
        "balanced_accuracy": float(m["balanced_accuracy"]),
        "macro_f1": float(m["macro_f1"]),
        "per_class": per_class,
        "confusion": confusion.tolist(),
        "n": int(confusion.sum()),
    }


# --- bootstrap -----------------------------------------------------------------------------------


def _bootstrap_metrics(
    y_true: IntArray, y_pred: IntArray, n_classes: int, n_boot: int, seed: int
) -> dict[str, np.ndarray]:
    """Every summary metric on ``n_boot`` resamples (with replacement) of the n predictions.

    Vectorised: a resample's confusion matrix is a bincount of its (true, pred) codes; shifting
    resample r's codes by ``r * K*K`` lets one bincount fill all the matrices of a chunk at once.
    """
    n, kk = y_true.size, n_classes * n_classes
    codes = y_true * n_classes + y_pred
    rng = np.random.default_rng(seed)
    chunk = max(1, _BOOT_CHUNK_CELLS // n)
    confusions = np.empty((n_boot, kk), dtype=np.int64)
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        resampled = codes[rng.integers(0, n, size=(size, n))]  # (size, n)
        shifted = resampled + (np.arange(size) * kk)[:, None]
        confusions[start : start + size] = np.bincount(
            shifted.ravel(), minlength=size * kk
        ).reshape(size, kk)
    m = _metrics_from_confusions(confusions.reshape(n_boot, n_classes, n_classes))
    return {name: m[name] for name in METRICS}


def _percentile_interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    low, high = np.quantile(samples, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(low), float(high)


def _check_boot(n_boot: int, confidence: float, seed: Any) -> tuple[int, float, int | None]:
    n_boot = check_int("n_boot", n_boot, minimum=1, maximum=MAX_BOOT)
    confidence = check_number(
        "confidence", confidence, low=0, high=1, low_open=True, high_open=True
    )
    return n_boot, confidence, check_seed("seed", seed)


def bootstrap_ci(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    metric: str = "accuracy",
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    n_classes: int | None = None,
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of a metric over the test set.

    Resamples the n (true, predicted) pairs with replacement ``n_boot`` times, recomputes
    ``metric`` (``"accuracy"``, ``"balanced_accuracy"`` or ``"macro_f1"``) on each resample, and
    returns the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles as ``(low, high)``.
    The interval reflects test-set sampling noise only (not training randomness).
    ``n_classes`` (default: max label + 1) matters for macro-F1, which averages over all classes.
    """
    check_choice("metric", metric, METRICS)
    n_boot, confidence, seed = _check_boot(n_boot, confidence, seed)
    y_true, y_pred, k = _check_labels(y_true, y_pred, n_classes)
    samples = _bootstrap_metrics(y_true, y_pred, k, n_boot, seed)[metric]
    return _percentile_interval(samples, confidence)


# --- McNemar -------------------------------------------------------------------------------------


def mcnemar(y_true: ArrayLike, pred_a: ArrayLike, pred_b: ArrayLike) -> dict[str, Any]:
    """McNemar's test: do two classifiers, scored on the same examples, differ in accuracy?

    Only the discordant examples matter: ``b`` = A right and B wrong, ``c`` = A wrong and B right.
    Under the null hypothesis (equal accuracy) each discordant example is a fair coin flip, so
    ``b ~ Binomial(b + c, 1/2)``.

    * ``b + c < 25``: exact two-sided binomial test (``scipy.stats.binomtest``); ``statistic`` is
      ``min(b, c)`` (as in statsmodels).
    * otherwise: chi-square with continuity correction,
      ``statistic = (|b - c| - 1)**2 / (b + c)``, p-value from chi-square with 1 degree of freedom.
    * ``b + c == 0``: no evidence either way; statistic 0.0, p-value 1.0.

    Returns ``{"b", "c", "statistic", "p_value", "method"}`` (method ``"exact"`` or ``"chi2"``).
    """
    y_true, pred_a, _ = _check_labels(y_true, pred_a, None, name_pred="pred_a")
    y_true, pred_b, _ = _check_labels(y_true, pred_b, None, name_pred="pred_b")
    right_a, right_b = pred_a == y_true, pred_b == y_true
    b = int(np.sum(right_a & ~right_b))
    c = int(np.sum(~right_a & right_b))
    discordant = b + c
    if discordant == 0:
        return {"b": 0, "c": 0, "statistic": 0.0, "p_value": 1.0, "method": "exact"}
    if discordant < MCNEMAR_EXACT_BELOW:
        p_value = stats.binomtest(b, discordant, 0.5, alternative="two-sided").pvalue
        return {
            "b": b,
            "c": c,
            "statistic": float(min(b, c)),
            "p_value": float(p_value),
            "method": "exact",
        }
    statistic = (abs(b - c) - 1.0) ** 2 / discordant
    p_value = stats.chi2.sf(statistic, df=1)
    return {
        "b": b,
        "c": c,
        "statistic": float(statistic),
        "p_value": float(p_value),
        "method": "chi2",
    }


# --- all together --------------------------------------------------------------------------------


def evaluate(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    classes: Sequence[str],
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """:func:`classification_metrics` plus ``"ci"``: bootstrap intervals of the summary metrics.

    ``result["ci"]`` is ``{"accuracy": (low, high), "balanced_accuracy": ..., "macro_f1": ...}``,
    all computed from the same ``n_boot`` resamples, and each equal to
    ``bootstrap_ci(y_true, y_pred, metric, n_boot, confidence, seed, n_classes=len(classes))``.
    ``result["ci_level"]`` records ``confidence``.
    """
    n_boot, confidence, seed = _check_boot(n_boot, confidence, seed)
    result = classification_metrics(y_true, y_pred, classes)
    y_true, y_pred, k = _check_labels(y_true, y_pred, len(classes))
    samples = _bootstrap_metrics(y_true, y_pred, k, n_boot, seed)
    result["ci"] = {name: _percentile_interval(samples[name], confidence) for name in METRICS}
    result["ci_level"] = confidence
    return result
