"""Transfer learning measured on CK+ (chapter 11): subject-grouped folds, a fold runner that keeps
every prediction, fixed feature extractors, the compared methods and cross-data-set scoring.

Floor 5 of the house plan: it builds on ``data``, ``faces``, ``evaluation``, ``models`` and
``training``; TensorFlow, dlib and face_recognition load lazily in the functions that use them.
"""

from emostudy.transfer.crossval import (
    CVResult,
    compare_folds,
    cross_validate,
    ensemble,
    methods_table,
    per_class_recall,
    subject_interval,
)
from emostudy.transfer.domain import CKPLUS_TO_FER, ckplus_mapping, shared_class_scores
from emostudy.transfer.features import (
    FEATURE_LAYERS,
    face_descriptors,
    feature_layers,
    identity_check,
    network_features,
)
from emostudy.transfer.folds import make_folds, subjects_shared
from emostudy.transfer.methods import CKPLUS_AUGMENTATION, FineTuned, InnerSelected, ScratchCNN

__all__ = [
    "CKPLUS_AUGMENTATION",
    "CKPLUS_TO_FER",
    "CVResult",
    "FEATURE_LAYERS",
    "FineTuned",
    "InnerSelected",
    "ScratchCNN",
    "ckplus_mapping",
    "compare_folds",
    "cross_validate",
    "ensemble",
    "face_descriptors",
    "feature_layers",
    "identity_check",
    "make_folds",
    "methods_table",
    "network_features",
    "per_class_recall",
    "shared_class_scores",
    "subject_interval",
    "subjects_shared",
]
