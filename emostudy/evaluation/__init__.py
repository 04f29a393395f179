"""Evaluation of classifiers: metrics from the confusion matrix, bootstrap intervals, McNemar."""

from emostudy.evaluation.classification import (
    METRICS,
    bootstrap_ci,
    classification_metrics,
    confusion_matrix,
    evaluate,
    mcnemar,
)
from emostudy.evaluation.detection import (
    PRCurve,
    WiderEvaluation,
    agreement,
    average_precision,
    detect_all,
    evaluate_detections,
    evaluate_wider,
    iou_matrix,
    match_detections,
    precision_recall_curve,
    recall_by,
    size_bucket,
    wilson_interval,
)

__all__ = [
    "METRICS",
    "bootstrap_ci",
    "classification_metrics",
    "confusion_matrix",
    "evaluate",
    "mcnemar",
    "PRCurve",
    "WiderEvaluation",
    "average_precision",
    "detect_all",
    "evaluate_detections",
    "evaluate_wider",
    "iou_matrix",
    "match_detections",
    "precision_recall_curve",
    "agreement",
    "recall_by",
    "size_bucket",
    "wilson_interval",
]
