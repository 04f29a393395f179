"""Evaluation of classifiers: metrics from the confusion matrix, bootstrap intervals, McNemar."""

from emostudy.evaluation.classification import (
    METRICS,
    bootstrap_ci,
    classification_metrics,
    confusion_matrix,
    evaluate,
    mcnemar,
)

__all__ = [
    "METRICS",
    "bootstrap_ci",
    "classification_metrics",
    "confusion_matrix",
    "evaluate",
    "mcnemar",
]
