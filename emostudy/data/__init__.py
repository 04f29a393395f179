"""Data sets: FER-2013 (with its FER+ votes), CK+, the synthetic stand-in, splits, quality audit.

Every loader returns a :class:`FaceSet`: ``(N, 48, 48, 1)`` uint8 images, ``(N,)`` int64 labels,
class names and a metadata DataFrame (one row per image).
"""

from emostudy.data.ckplus import load_ckplus
from emostudy.data.classes import (
    CKPLUS_CLASSES,
    FACE_SIZE,
    FER_CLASSES,
    FER_USAGES,
    FERPLUS_CLASSES,
)
from emostudy.data.faceset import FaceSet
from emostudy.data.fer2013 import load_fer2013
from emostudy.data.ferplus import VOTE_COLUMNS, FerPlusSet, load_ferplus, read_ferplus_votes
from emostudy.data.images import CorruptImageWarning, read_gray
from emostudy.data.profiles import SyntheticDataWarning, load_ckplus_for, load_fer2013_for
from emostudy.data.protocol import Fer2013Protocol, fer2013_protocol, load_fer2013_protocol
from emostudy.data.quality import QualityReport, audit, training_exclusions
from emostudy.data.splits import sample_per_class, subject_folds, train_validation_split
from emostudy.data.synthetic import make_synthetic_faces
from emostudy.data.wider import WIDER_SETTINGS, WiderFaceSet, load_wider_face_val

__all__ = [
    "VOTE_COLUMNS",
    "FerPlusSet",
    "load_ferplus",
    "read_ferplus_votes",
    "Fer2013Protocol",
    "fer2013_protocol",
    "load_fer2013_protocol",
    "CKPLUS_CLASSES",
    "FER_CLASSES",
    "FERPLUS_CLASSES",
    "FER_USAGES",
    "FACE_SIZE",
    "CorruptImageWarning",
    "FaceSet",
    "QualityReport",
    "SyntheticDataWarning",
    "audit",
    "load_ckplus",
    "load_ckplus_for",
    "load_fer2013",
    "load_fer2013_for",
    "make_synthetic_faces",
    "read_gray",
    "sample_per_class",
    "subject_folds",
    "train_validation_split",
    "training_exclusions",
    "WIDER_SETTINGS",
    "WiderFaceSet",
    "load_wider_face_val",
]
