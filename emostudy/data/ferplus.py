"""FER+ : ten crowd votes per FER-2013 image (Barsoum et al., ICMI 2016), attached to a FaceSet.

Microsoft's FER+ re-labelled every FER-2013 image with 10 crowd votes over 8 emotions (FER-2013's
7 and ``contempt``) plus ``unknown`` and ``NF`` (not a face). The project's votes file
(``<data>/ferplus/ferplus_votes.csv``) joins them to the files of the FER-2013 folder layout
(column ``file``, e.g. ``train/angry/Training_10118481.jpg``) and to the rows of the original
``fer2013.csv`` (column ``fer2013_row``).

Class orders
------------
Everything here uses the FER-2013 order, with ``contempt`` appended as the 8th class:
:data:`FERPLUS_CLASSES` = ``FER_CLASSES + ("contempt",)``; vote counts add ``unknown`` and
``not_face`` (:data:`VOTE_COLUMNS`). :data:`FERPLUS_NAMES` maps each to FER+'s own column name
(``anger`` for ``angry``, ``happiness`` for ``happy``, ...).

Majority and its tie rule
-------------------------
The majority is the column with the most of the 10 votes. **Ties** go to the tied column that
comes first in FER+'s own column order, ``neutral, happiness, surprise, sadness, anger, disgust,
fear, contempt, unknown, NF`` (``np.argmax`` over the file's columns): an emotion beats
``unknown``/``NF`` at equal votes, and ``neutral`` beats every other emotion. The rule is
deterministic and independent of the row order.

The FER+ filter (``ferplus_filter=True``, the usual FER+ protocol) drops images without votes and
images whose majority is ``unknown`` or ``NF``. A 7-class model is scored on the kept images whose
majority is one of the 7 FER-2013 classes (:meth:`FerPlusSet.seven_class`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emostudy._validation import check_path
from emostudy.data.classes import FER_CLASSES, FERPLUS_CLASSES
from emostudy.data.faceset import FaceSet
from emostudy.errors import DataLayoutError, DataNotFoundError, InvalidInputError
from emostudy.settings import dataset_path

#: The 10 vote columns of :attr:`FerPlusSet.counts`: the 8 emotions, ``unknown``, ``not_face``.
VOTE_COLUMNS: tuple[str, ...] = (*FERPLUS_CLASSES, "unknown", "not_face")
#: emostudy name → the column name in FER+'s files.
FERPLUS_NAMES: dict[str, str] = {
    "angry": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happiness",
    "sad": "sadness",
    "surprise": "surprise",
    "neutral": "neutral",
    "contempt": "contempt",
    "unknown": "unknown",
    "not_face": "NF",
}
#: FER+'s own column order (``fer2013new.csv``); ties of the majority go to the earliest.
FERPLUS_ORDER: tuple[str, ...] = (
    "neutral",
    "happiness",
    "surprise",
    "sadness",
    "anger",
    "disgust",
    "fear",
    "contempt",
    "unknown",
    "NF",
)
#: Name of the votes file inside ``<data>/ferplus``.
VOTES_FILE = "ferplus_votes.csv"
#: Majority value of an image without votes (only when ``ferplus_filter=False``).
NO_VOTES = -1
#: Index of ``contempt`` in :data:`FERPLUS_CLASSES`.
CONTEMPT = 7
_UNKNOWN, _NOT_FACE = 8, 9
_REQUIRED = ("file", "fer2013_row", *FERPLUS_ORDER)


@dataclass(frozen=True)
class FerPlusSet:
    """FER-2013 faces with their FER+ votes.

    Attributes
    ----------
    faces
        The images, unchanged (labels: FER-2013's own, :data:`FER_CLASSES`); ``meta`` gains
        ``ferplus_majority`` (name, or ``"none"`` without votes) and ``fer2013_row``.
    counts
        ``(N, 10)`` int64 vote counts, columns :data:`VOTE_COLUMNS` (zeros without votes).
    majority
        ``(N,)`` int64 index into :data:`VOTE_COLUMNS` (0..7 an emotion, 8 unknown, 9 not a face;
        :data:`NO_VOTES` = -1 without votes), tie rule in the module docstring.
    """

    faces: FaceSet
    counts: np.ndarray
    majority: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.faces)
        if self.counts.shape != (n, len(VOTE_COLUMNS)) or self.majority.shape != (n,):
            raise InvalidInputError(
                f"FerPlusSet needs counts ({n}, {len(VOTE_COLUMNS)}) and majority ({n},), got "
                f"{self.counts.shape} and {self.majority.shape}."
            )

    def __len__(self) -> int:
        return len(self.faces)

    def __repr__(self) -> str:
        return f"FerPlusSet({len(self)} images with FER+ votes)"

    @property
    def fer2013_labels(self) -> np.ndarray:
        """``(N,)`` FER-2013's own labels, indices into :data:`FER_CLASSES`."""
        return self.faces.labels

    def shares(self, n_classes: int = 8) -> np.ndarray:
        """``(N, n_classes)`` float64 vote shares over the first ``n_classes`` emotions.

        ``n_classes=8``: over :data:`FERPLUS_CLASSES`; ``7``: over :data:`FER_CLASSES`
        (contempt votes left out and the rest renormalised). ``unknown``/``NF`` votes never
        count. Rows without a vote on those classes are all zeros.
        """
        if n_classes not in (7, 8):
            raise InvalidInputError(f"n_classes must be 7 or 8, got {n_classes!r}.")
        votes = self.counts[:, :n_classes].astype(np.float64)
        total = votes.sum(axis=1, keepdims=True)
        return np.divide(votes, total, out=np.zeros_like(votes), where=total > 0)

    def subset(self, index: np.ndarray) -> FerPlusSet:
        """The selected images (boolean mask or integer positions), as :meth:`FaceSet.subset`."""
        index = np.asarray(index)
        return FerPlusSet(self.faces.subset(index), self.counts[index], self.majority[index])

    def where(self, **column_equals: object) -> FerPlusSet:
        """Images whose ``faces.meta`` columns equal the values, as :meth:`FaceSet.where`."""
        mask = np.ones(len(self), dtype=bool)
        for column, wanted in column_equals.items():
            if column not in self.faces.meta.columns:
                raise InvalidInputError(f"where(): no column {column!r} in the meta.")
            accepted = list(wanted) if isinstance(wanted, list | tuple | set) else [wanted]
            mask &= self.faces.meta[column].isin(accepted).to_numpy()
        return self.subset(mask)

    def seven_class(self) -> FerPlusSet:
        """The images whose majority is one of FER-2013's 7 classes (drops majority contempt)."""
        return self.subset((self.majority >= 0) & (self.majority < CONTEMPT))

    def majority_faceset(self, n_classes: int = 8) -> FaceSet:
        """A :class:`FaceSet` labelled by the majority vote (:data:`FERPLUS_CLASSES`, or
        :data:`FER_CLASSES` for ``n_classes=7``); only images whose majority is such a class.
        The FER-2013 label moves to the meta column ``fer2013_label``."""
        if n_classes not in (7, 8):
            raise InvalidInputError(f"n_classes must be 7 or 8, got {n_classes!r}.")
        keep = self.subset((self.majority >= 0) & (self.majority < n_classes))
        meta = keep.faces.meta.copy()
        meta["fer2013_label"] = np.asarray(FER_CLASSES, dtype=object)[keep.faces.labels]
        return FaceSet(
            images=keep.faces.images,
            labels=keep.majority.astype(np.int64),
            classes=FERPLUS_CLASSES[:n_classes],
            meta=meta,
            name=f"{keep.faces.name} (FER+ majority)",
            synthetic=keep.faces.synthetic,
        )


def votes_path(path: str | os.PathLike | None = None) -> Path:
    """The votes file: ``path`` (a file, or a folder holding ``ferplus_votes.csv``), default
    ``dataset_path("ferplus") / "ferplus_votes.csv"``."""
    if path is None:
        folder = dataset_path("ferplus")
        return folder / VOTES_FILE
    path = check_path("path", path)
    return path / VOTES_FILE if path.is_dir() else path


def read_ferplus_votes(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The votes table, validated: columns ``file``, ``fer2013_row`` (nullable Int64) and the 10
    vote columns under FER+'s names (nullable Int64; all empty for images without votes).

    Raises
    ------
    DataNotFoundError
        If the file does not exist.
    DataLayoutError
        If columns are missing, a vote is not a non-negative integer, or a row is partly empty.
    """
    file = votes_path(path)
    if not file.is_file():
        raise DataNotFoundError(
            f"FER+ votes file not found at {file}. It comes with the study data "
            f"(<data>/ferplus/{VOTES_FILE}, read its README); point EMOSTUDY_DATA at the folder "
            "holding 'ferplus/', or pass path=."
        )
    try:
        table = pd.read_csv(file, dtype={"file": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataLayoutError(f"{file} is not a readable CSV file ({error}).") from error
    missing = [column for column in _REQUIRED if column not in table.columns]
    if missing:
        raise DataLayoutError(
            f"{file} lacks the column(s) {', '.join(missing)} (found: "
            f"{', '.join(map(str, table.columns))}). A FER+ votes file needs "
            f"{', '.join(_REQUIRED)}."
        )
    votes = table[list(FERPLUS_ORDER)]
    empty = votes.isna()
    partly = empty.any(axis=1) & ~empty.all(axis=1)
    numeric = votes.apply(pd.to_numeric, errors="coerce")
    bad = ~empty & (numeric.isna() | (numeric < 0) | (numeric % 1 != 0))
    if partly.any() or bad.any(axis=None):
        row = int(np.flatnonzero(partly.to_numpy() | bad.any(axis=1).to_numpy())[0])
        raise DataLayoutError(
            f"{file}, data row {row + 1} ({table['file'].iloc[row]}): the 10 vote columns must "
            "be non-negative integers (or all empty for an image without votes)."
        )
    out = table[["file"]].copy()
    out["fer2013_row"] = pd.to_numeric(table["fer2013_row"], errors="coerce").astype("Int64")
    for column in FERPLUS_ORDER:
        out[column] = numeric[column].astype("Int64")
    return out


def load_ferplus(
    faces: FaceSet,
    *,
    path: str | os.PathLike | None = None,
    ferplus_filter: bool = True,
) -> FerPlusSet:
    """Attach the FER+ votes to FER-2013 faces (from :func:`~emostudy.data.load_fer2013`).

    Parameters
    ----------
    faces
        A FER-2013 FaceSet, ``N`` images, from the folder layout (joined by the relative file
        path ``<split>/<class folder>/<name>``, letter case ignored) or from ``fer2013.csv``
        (joined by row: ``fer2013_row`` = CSV line - 2; rows absent from the votes file count
        as without votes).
    path
        The votes file or a folder holding it; default ``<data>/ferplus/ferplus_votes.csv``.
    ferplus_filter
        Drop images without votes and images whose majority is ``unknown`` or ``NF`` (the
        usual FER+ protocol). With False every image is kept, in order.

    Returns
    -------
    FerPlusSet
        ``M <= N`` images in the FaceSet's order, with ``counts`` ``(M, 10)``, ``majority``
        ``(M,)`` and :meth:`~FerPlusSet.shares` ``(M, 8)`` or ``(M, 7)``.

    Raises
    ------
    DataNotFoundError
        If the votes file does not exist.
    DataLayoutError
        If the file lacks columns or holds bad votes, or if some of the faces' files are not in
        it (votes for another copy of the data): the message counts them and names a few.
    InvalidInputError
        If ``faces`` is not a FaceSet.
    """
    if not isinstance(faces, FaceSet):
        raise InvalidInputError(
            f"load_ferplus takes a FaceSet from load_fer2013, got {type(faces).__name__}."
        )
    table = read_ferplus_votes(path)
    counts, rows = _join(faces, table, votes_path(path))
    voted = counts.sum(axis=1) > 0
    # np.argmax over FER+'s own column order: ties go to the first column of that order.
    ferplus_order = [VOTE_COLUMNS.index(_our_name(c)) for c in FERPLUS_ORDER]
    first = np.argmax(counts[:, ferplus_order], axis=1)
    majority = np.where(voted, np.asarray(ferplus_order)[first], NO_VOTES).astype(np.int64)
    meta = faces.meta.copy()
    names = np.asarray([*VOTE_COLUMNS, "none"], dtype=object)
    meta["ferplus_majority"] = names[majority]
    meta["fer2013_row"] = rows
    result = FerPlusSet(
        FaceSet(faces.images, faces.labels, faces.classes, meta, faces.name, faces.synthetic),
        counts,
        majority,
    )
    if ferplus_filter:
        result = result.subset((majority >= 0) & (majority < _UNKNOWN))
    return result


def _our_name(ferplus_name: str) -> str:
    return {v: k for k, v in FERPLUS_NAMES.items()}[ferplus_name]


def _join(faces: FaceSet, table: pd.DataFrame, file: Path) -> tuple[np.ndarray, pd.Series]:
    """``(N, 10)`` counts in :data:`VOTE_COLUMNS` order and the ``fer2013_row`` of each face."""
    ours = [FERPLUS_NAMES[name] for name in VOTE_COLUMNS]
    sources = faces.meta["source"].astype(str)
    from_csv = sources.str.match(r"^.*\.csv:\d+$")
    if from_csv.all():
        lines = sources.str.rsplit(":", n=1).str[1].astype(np.int64)
        keyed = table.dropna(subset=["fer2013_row"]).drop_duplicates("fer2013_row")
        keyed = keyed.set_index(keyed["fer2013_row"].astype(np.int64))
        found = keyed.reindex(lines.to_numpy() - 2)
        found.index = faces.meta.index
    else:
        keys = sources.map(_relative_key)
        keyed = table.assign(key=table["file"].map(_relative_key))
        duplicated = keyed["key"].duplicated(keep=False)
        if duplicated.any():
            raise DataLayoutError(
                f"{file} lists {int(duplicated.sum())} rows under repeated file names, e.g. "
                f"{keyed.loc[duplicated, 'file'].iloc[0]}: each image must have one row."
            )
        keyed = keyed.set_index("key")
        absent = ~keys.isin(keyed.index)
        if absent.any():
            examples = ", ".join(keys[absent].head(3))
            raise DataLayoutError(
                f"{int(absent.sum())} of the {len(faces)} faces have no row in {file} (e.g. "
                f"{examples}): the votes do not join these files. The votes file joins the "
                "FER-2013 folder layout by '<split>/<class folder>/<file name>'; use the study's "
                "copy of FER-2013 and its votes file."
            )
        found = keyed.loc[keys.to_numpy()].reset_index(drop=True)
    counts = found[ours].fillna(0).to_numpy(dtype=np.int64)
    return counts, found["fer2013_row"].astype("Int64").reset_index(drop=True)


def _relative_key(source: str) -> str:
    """``.../train/Angry/Training_1.jpg`` → ``train/angry/training_1.jpg`` (last 3 parts)."""
    parts = str(source).replace("\\", "/").split("/")
    return "/".join(parts[-3:]).lower()
