"""``FaceSet``: a labelled set of 48x48 grayscale faces with one row of metadata per image."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emostudy.data.classes import FACE_SIZE
from emostudy.errors import InvalidInputError

REQUIRED_META = ("usage", "source")


@dataclass(frozen=True)
class FaceSet:
    """A labelled set of face images.

    Attributes
    ----------
    images
        ``(N, 48, 48, 1)`` uint8 array, gray levels 0..255.
    labels
        ``(N,)`` int64 array of indices into ``classes``.
    classes
        Class names, in label order (for FER-2013 :data:`~emostudy.data.classes.FER_CLASSES`).
    meta
        DataFrame with N rows and a RangeIndex, one row per image; at least the columns ``usage``
        (``Training``/``PublicTest``/``PrivateTest`` for FER-2013, ``all`` for CK+) and ``source``
        (file path, ``fer2013.csv:<line>`` or ``synthetic:<i>``).
    name
        Data set name: ``"FER-2013"``, ``"CK+"`` or ``"synthetic"``.
    synthetic
        True for the synthetic stand-in (its results are not results on real faces).
    """

    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    meta: pd.DataFrame
    name: str
    synthetic: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(self.classes))
        images, labels, meta = self.images, self.labels, self.meta
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
            raise InvalidInputError(
                f"FaceSet images must be a uint8 numpy array, got {_describe(images)}."
            )
        if images.ndim != 4 or images.shape[1:] != (FACE_SIZE, FACE_SIZE, 1):
            raise InvalidInputError(
                f"FaceSet images must have shape (N, {FACE_SIZE}, {FACE_SIZE}, 1), got "
                f"{images.shape}. Add the channel axis with images[..., None]."
            )
        n = len(images)
        if not isinstance(labels, np.ndarray) or labels.dtype != np.int64 or labels.shape != (n,):
            raise InvalidInputError(
                f"FaceSet labels must be an int64 array of shape ({n},), got {_describe(labels)}."
            )
        if n and (labels.min() < 0 or labels.max() >= len(self.classes)):
            raise InvalidInputError(
                f"FaceSet labels must lie in 0..{len(self.classes) - 1} (one per class name), "
                f"got values from {labels.min()} to {labels.max()}."
            )
        if not isinstance(meta, pd.DataFrame) or len(meta) != n:
            raise InvalidInputError(
                f"FaceSet meta must be a DataFrame with {n} rows, got {_describe(meta)}."
            )
        if not isinstance(meta.index, pd.RangeIndex) or (n and meta.index[0] != 0):
            raise InvalidInputError(
                "FaceSet meta must have a RangeIndex from 0; use meta.reset_index(drop=True)."
            )
        missing = [column for column in REQUIRED_META if column not in meta.columns]
        if missing:
            raise InvalidInputError(f"FaceSet meta lacks the column(s) {missing}.")

    def __len__(self) -> int:
        return len(self.labels)

    def __repr__(self) -> str:
        kind = ", synthetic" if self.synthetic else ""
        return f"FaceSet({self.name!r}, {len(self)} images, {len(self.classes)} classes{kind})"

    def subset(self, index: np.ndarray | Sequence[int] | Sequence[bool]) -> FaceSet:
        """A new FaceSet of the selected images, in the order given.

        ``index`` is a boolean mask of length N or an array of integer positions.
        """
        index = np.asarray(index)
        if index.dtype == bool:
            if index.shape != (len(self),):
                raise InvalidInputError(
                    f"A boolean mask must have shape ({len(self)},), got {index.shape}."
                )
        elif index.size == 0:
            index = index.astype(np.int64)
        elif not np.issubdtype(index.dtype, np.integer) or index.ndim != 1:
            raise InvalidInputError(
                f"subset() takes a boolean mask or a 1-D array of integer positions, got a "
                f"{index.dtype} array of shape {index.shape}."
            )
        elif index.min() < -len(self) or index.max() >= len(self):
            raise InvalidInputError(
                f"subset() positions must lie in 0..{len(self) - 1}, got {index.min()}.."
                f"{index.max()}."
            )
        return FaceSet(
            images=self.images[index],
            labels=self.labels[index],
            classes=self.classes,
            meta=self.meta.iloc[index].reset_index(drop=True),
            name=self.name,
            synthetic=self.synthetic,
        )

    def where(self, **column_equals: object) -> FaceSet:
        """Images whose meta columns equal the given values, e.g. ``fs.where(usage="Training")``.

        A value may also be a list/tuple/set of accepted values. The pseudo-column ``label``
        selects by class name (or label index) when meta has no ``label`` column.
        """
        mask = np.ones(len(self), dtype=bool)
        for column, wanted in column_equals.items():
            if column == "label" and "label" not in self.meta.columns:
                values = pd.Series(np.asarray(self.classes, dtype=object)[self.labels])
                valid = list(self.classes)
                wanted = _label_names(wanted, self.classes)
            elif column in self.meta.columns:
                values = self.meta[column]
                valid = list(pd.unique(values))
            else:
                raise InvalidInputError(
                    f"where(): no column '{column}' in the meta of {self.name}. Valid columns: "
                    f"{', '.join(map(str, self.meta.columns))} (and 'label')."
                )
            accepted = list(wanted) if isinstance(wanted, list | tuple | set) else [wanted]
            absent = [value for value in accepted if value not in valid]
            if absent:
                shown = valid if len(valid) <= 20 else [*valid[:20], "..."]
                raise InvalidInputError(
                    f"where(): value(s) {absent} do not occur in column '{column}' of {self.name}. "
                    f"Valid values: {shown}."
                )
            mask &= values.isin(accepted).to_numpy()
        return self.subset(mask)

    def class_counts(self) -> pd.Series:
        """Number of images per class, indexed by class name in class order (zeros included)."""
        counts = np.bincount(self.labels, minlength=len(self.classes))
        return pd.Series(counts, index=pd.Index(self.classes, name="class"), name="count")


def _label_names(wanted: object, classes: tuple[str, ...]) -> object:
    """Map label indices to class names (keeping names as they are)."""

    def one(value: object) -> object:
        if isinstance(value, int | np.integer) and 0 <= value < len(classes):
            return classes[value]
        return value

    if isinstance(wanted, list | tuple | set):
        return [one(value) for value in wanted]
    return one(wanted)


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    if isinstance(value, pd.DataFrame):
        return f"a DataFrame with {len(value)} rows"
    return f"a {type(value).__name__}"
