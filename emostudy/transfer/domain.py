"""Scoring a model across data sets whose class lists differ: FER-2013 ↔ CK+.

CK+ has ``contempt`` and no ``neutral``; FER-2013 the reverse. The other six classes are shared
under different names. :func:`shared_class_scores` keeps the images of shared classes and lets the
model choose among the shared classes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from emostudy._validation import check_class_labels
from emostudy.data.classes import CKPLUS_CLASSES
from emostudy.errors import InvalidInputError
from emostudy.evaluation.classification import classification_metrics

#: CK+ class → FER-2013 class, for the six classes both data sets have.
CKPLUS_TO_FER = {
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "happiness": "happy",
    "sadness": "sad",
    "surprise": "surprise",
}


def ckplus_mapping(score_classes: Sequence[str]) -> dict[str, str]:
    """CK+ class → the class of a model's output that means it, for every CK+ class it has.

    The six classes of :data:`CKPLUS_TO_FER` map under their FER-2013 names; any other CK+
    class (``contempt``) maps to a model class of the same name. A FER-2013-label model gets the
    six shared classes; a FER+ model, whose vocabulary includes ``contempt``, gets all seven.

    Parameters
    ----------
    score_classes
        Class names of the model's outputs, in order (e.g.
        :func:`emostudy.models.model_classes`).

    Returns
    -------
    dict
        ``{ckplus_class: model_class}`` in CK+'s class order, only for classes the model has.
    """
    score_classes = list(score_classes)
    mapping = {}
    for name in CKPLUS_CLASSES:
        target = CKPLUS_TO_FER.get(name, name)
        if target in score_classes:
            mapping[name] = target
    if not mapping:
        raise InvalidInputError(f"No CK+ class maps onto {score_classes}.")
    return mapping


def shared_class_scores(
    scores: np.ndarray,
    labels: np.ndarray,
    *,
    score_classes: Sequence[str],
    label_classes: Sequence[str],
    mapping: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Metrics of a model on the images of classes that its own class list shares.

    Parameters
    ----------
    scores
        (N, len(score_classes)) probabilities or logits of the model.
    labels
        (N,) true classes, indices into ``label_classes``.
    score_classes, label_classes
        Class names of the model's columns and of the labels (e.g. ``FER_CLASSES`` and
        ``CKPLUS_CLASSES``).
    mapping
        Label-class name → score-class name for shared classes; default :data:`CKPLUS_TO_FER`
        (or its inverse, whichever fits the two lists).

    Returns
    -------
    dict
        :func:`emostudy.evaluation.classification_metrics` over the shared classes (named as in
        ``label_classes``), with ``dropped`` (images of unshared classes left out) added; the
        prediction is the highest-scoring *shared* class.
    """
    scores = np.asarray(scores)
    score_classes, label_classes = list(score_classes), list(label_classes)
    labels = check_class_labels("labels", labels, len(label_classes))
    if scores.ndim != 2 or scores.shape != (len(labels), len(score_classes)):
        raise InvalidInputError(
            f"scores must have shape ({len(labels)}, {len(score_classes)}), got {scores.shape}."
        )
    if not np.issubdtype(scores.dtype, np.number) or not np.isfinite(scores).all():
        raise InvalidInputError(
            "scores must be finite numbers (probabilities or logits); NaN or inf found in "
            f"{int((~np.isfinite(scores.astype(float))).any(axis=1).sum())} rows: check the model."
            if np.issubdtype(scores.dtype, np.number)
            else f"scores must be numbers, got dtype {scores.dtype}."
        )
    if mapping is None:
        mapping = CKPLUS_TO_FER
        if not set(mapping).issubset(label_classes):
            mapping = {v: k for k, v in CKPLUS_TO_FER.items()}
    shared = [c for c in label_classes if c in mapping and mapping[c] in score_classes]
    if not shared:
        raise InvalidInputError(
            f"No class of {label_classes} maps onto {score_classes}; pass a mapping."
        )
    label_index = np.array([label_classes.index(c) for c in shared])
    score_index = np.array([score_classes.index(mapping[c]) for c in shared])
    keep = np.isin(labels, label_index)
    lookup = np.full(len(label_classes), -1, dtype=np.int64)
    lookup[label_index] = np.arange(len(shared))
    y_true = lookup[labels[keep]]
    y_pred = np.argmax(scores[keep][:, score_index], axis=1)
    metrics = classification_metrics(y_true, y_pred, shared)
    metrics["dropped"] = int(np.sum(~keep))
    return metrics
