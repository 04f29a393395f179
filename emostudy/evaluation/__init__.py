"""Evaluation of classifiers: metrics from the confusion matrix, bootstrap intervals, McNemar."""

from emostudy.evaluation.calibration import (
    expected_calibration_error,
    fit_temperature,
    mean_kl_from_shares,
    negative_log_likelihood,
    reliability_bins,
)
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
from emostudy.evaluation.published import (
    ORIGINAL_STUDY_FER2013,
    PUBLISHED_FER2013,
    PUBLISHED_WIDER_VAL_AP,
)
from emostudy.evaluation.speed import time_per_image

__all__ = [
    "reliability_bins",
    "expected_calibration_error",
    "mean_kl_from_shares",
    "negative_log_likelihood",
    "fit_temperature",
    "PUBLISHED_WIDER_VAL_AP",
    "ORIGINAL_STUDY_FER2013",
    "PUBLISHED_FER2013",
    "time_per_image",
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
