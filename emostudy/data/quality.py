"""Data-quality audit: class balance, exact duplicates (and their labels/usages), blank images."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emostudy._validation import check_number
from emostudy.data.classes import FACE_SIZE, FER_USAGES
from emostudy.data.faceset import FaceSet
from emostudy.errors import InvalidInputError

DUPLICATE_COLUMNS = ["group", "index", "usage", "label", "source"]


@dataclass(frozen=True)
class QualityReport:
    """Findings of :func:`audit`.

    Attributes
    ----------
    class_counts
        Images per class (rows, in class order) and usage (columns, plus ``total``).
    duplicate_groups
        One row per image whose pixels exactly equal another image's: ``group`` (0, 1, ...),
        ``index`` (position in the FaceSet), ``usage``, ``label`` (class name), ``source``.
    conflicting_groups
        The rows of ``duplicate_groups`` whose group carries more than one label.
    cross_usage_groups
        The rows of ``duplicate_groups`` whose group spans more than one usage (leakage between
        training and test data).
    blank
        Images whose pixel standard deviation is below ``blank_std`` gray levels: ``index``,
        ``usage``, ``label``, ``std``, ``source``.
    id_collisions
        Images sharing a ``file_id`` (file name) with another image of the same usage, although
        their pixels may differ: ``file_id``, ``index``, ``usage``, ``label``, ``source``. Empty
        when meta has no ``file_id`` column.
    """

    class_counts: pd.DataFrame
    duplicate_groups: pd.DataFrame
    conflicting_groups: pd.DataFrame
    cross_usage_groups: pd.DataFrame
    blank: pd.DataFrame
    id_collisions: pd.DataFrame

    def summary(self) -> dict[str, int]:
        """Counts of each finding."""
        return {
            "n_images": int(self.class_counts["total"].sum()),
            "n_duplicate_groups": int(self.duplicate_groups["group"].nunique()),
            "n_images_in_duplicate_groups": len(self.duplicate_groups),
            "n_conflicting_groups": int(self.conflicting_groups["group"].nunique()),
            "n_cross_usage_groups": int(self.cross_usage_groups["group"].nunique()),
            "n_blank": len(self.blank),
            "n_id_collisions": len(self.id_collisions),
        }


def audit(faceset: FaceSet, *, blank_std: float = 2.0) -> QualityReport:
    """Audit a FaceSet for class imbalance, exact duplicate images and blank images.

    Duplicates are exact: two images are duplicates when the SHA-1 of their pixel bytes is equal.

    Parameters
    ----------
    faceset
        The images to audit.
    blank_std
        Images whose pixel standard deviation (gray levels, 0..255 scale) is below this are blank.

    An empty FaceSet gives a report of empty tables (and zero counts).
    """
    if not isinstance(faceset, FaceSet):
        raise InvalidInputError(
            f"audit takes a FaceSet (from load_fer2013, load_ckplus...), got "
            f"{type(faceset).__name__}."
        )
    blank_std = check_number("blank_std", blank_std, low=0.0)
    names = np.asarray(faceset.classes, dtype=object)
    frame = pd.DataFrame(
        {
            "index": np.arange(len(faceset)),
            # an image without a usage is counted as "(missing)", never dropped from the counts
            "usage": faceset.meta["usage"].map(lambda v: "(missing)" if pd.isna(v) else str(v)),
            "label": names[faceset.labels] if len(faceset) else pd.Series([], dtype=object),
            "source": faceset.meta["source"].astype(str),
        }
    )
    duplicates = _duplicates(faceset, frame)
    return QualityReport(
        class_counts=_class_counts(faceset, frame),
        duplicate_groups=duplicates,
        conflicting_groups=_groups_with_many(duplicates, "label"),
        cross_usage_groups=_groups_with_many(duplicates, "usage"),
        blank=_blank(faceset, frame, blank_std),
        id_collisions=_id_collisions(faceset, frame),
    )


def _class_counts(faceset: FaceSet, frame: pd.DataFrame) -> pd.DataFrame:
    present = list(pd.unique(frame["usage"]))
    usages = [u for u in FER_USAGES if u in present] + [u for u in present if u not in FER_USAGES]
    table = pd.crosstab(pd.Categorical(frame["label"], categories=faceset.classes), frame["usage"])
    table = table.reindex(index=list(faceset.classes), columns=usages, fill_value=0)
    table["total"] = table.sum(axis=1)
    table.index.name, table.columns.name = "class", None
    return table.astype(np.int64)


def _duplicates(faceset: FaceSet, frame: pd.DataFrame) -> pd.DataFrame:
    digests = pd.Series([hashlib.sha1(image.tobytes()).hexdigest() for image in faceset.images])
    repeated = digests.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return pd.DataFrame(columns=DUPLICATE_COLUMNS).astype({"group": int, "index": int})
    group = pd.factorize(digests[repeated])[0]  # numbered in order of first appearance
    result = frame[repeated].assign(group=group)[DUPLICATE_COLUMNS]
    return result.sort_values(["group", "index"], kind="stable").reset_index(drop=True)


def _groups_with_many(duplicates: pd.DataFrame, column: str) -> pd.DataFrame:
    varied = duplicates.groupby("group")[column].transform("nunique") > 1
    return duplicates[varied].reset_index(drop=True)


def _blank(faceset: FaceSet, frame: pd.DataFrame, blank_std: float) -> pd.DataFrame:
    flat = faceset.images.reshape(len(faceset), FACE_SIZE * FACE_SIZE)
    chunks = [flat[i : i + 4096].std(axis=1, dtype=np.float64) for i in range(0, len(flat), 4096)]
    std = np.concatenate(chunks) if chunks else np.zeros(0)
    blank = frame[std < blank_std].assign(std=std[std < blank_std])
    return blank[["index", "usage", "label", "std", "source"]].reset_index(drop=True)


def _id_collisions(faceset: FaceSet, frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["file_id", "index", "usage", "label", "source"]
    if "file_id" not in faceset.meta.columns:
        return pd.DataFrame(columns=columns)
    with_id = frame.assign(file_id=faceset.meta["file_id"].astype(str))
    shared = with_id.duplicated(["usage", "file_id"], keep=False)
    result = with_id[shared][columns]
    return result.sort_values(["file_id", "index"], kind="stable").reset_index(drop=True)


def training_exclusions(report: QualityReport, *, train_usage: str = "Training") -> pd.DataFrame:
    """The book's policy for the audit's findings: which training images to leave out, and why.

    Test images are never touched (published results use the full test splits). From the
    training side (``usage == train_usage``) it drops:

    * ``blank``: near-constant images (no face to learn from);
    * ``conflicting``: every copy of an image that carries more than one label (the label is
      unknowable);
    * ``test_copy``: training copies of an image that also appears in a test split (keeping them
      would let a model memorise test answers);
    * ``repeat``: all but the first copy of the remaining exact duplicates (they only re-weight).

    Returns a DataFrame with one row per excluded image: ``index`` (position in the audited
    FaceSet) and ``reason`` (the first reason that applies, in the order above).
    """
    duplicates = report.duplicate_groups
    in_train = duplicates["usage"] == train_usage
    reasons: list[pd.DataFrame] = [
        report.blank.loc[report.blank["usage"] == train_usage, ["index"]].assign(reason="blank"),
        report.conflicting_groups.loc[
            report.conflicting_groups["usage"] == train_usage, ["index"]
        ].assign(reason="conflicting"),
    ]
    test_groups = set(duplicates.loc[~in_train, "group"])
    reasons.append(
        duplicates.loc[in_train & duplicates["group"].isin(test_groups), ["index"]].assign(
            reason="test_copy"
        )
    )
    train_dups = duplicates[in_train]
    reasons.append(
        train_dups.loc[train_dups.duplicated("group", keep="first"), ["index"]].assign(
            reason="repeat"
        )
    )
    table = pd.concat(reasons, ignore_index=True).drop_duplicates("index", keep="first")
    return table.astype({"index": np.int64}).sort_values("index").reset_index(drop=True)
