"""Cross-validation folds for CK+: grouped by subject (the protocol), or leaky (for contrast)."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedKFold

from emostudy._validation import check_int, check_seed
from emostudy.data.faceset import FaceSet
from emostudy.data.splits import subject_folds
from emostudy.errors import InvalidInputError

Folds = list[tuple[np.ndarray, np.ndarray]]


def make_folds(
    faceset: FaceSet,
    *,
    n_splits: int = 10,
    seed: int = 0,
    grouped: bool = True,
    group_column: str = "subject",
) -> Folds:
    """Seeded, stratified cross-validation folds of ``faceset``.

    Parameters
    ----------
    faceset
        The images to split; ``meta[group_column]`` names the subject of each image.
    n_splits
        Number of folds; at most the number of images of the smallest class, so that every
        class can appear on the test side of every fold.
    seed
        Seed of the shuffle: the same seed gives the same folds, for every method.
    grouped
        ``True`` (the CK+ protocol): no subject has images on both sides of any fold
        (:func:`emostudy.data.subject_folds`, scikit-learn's ``StratifiedGroupKFold``).
        ``False``: plain ``StratifiedKFold`` over images, which puts other images of a test
        subject into training: the leak this chapter measures.

    Returns
    -------
    list of (train_positions, test_positions)
        ``n_splits`` pairs of sorted int64 position arrays; every image is tested exactly once.
    """
    if not isinstance(faceset, FaceSet):
        raise InvalidInputError(
            f"make_folds takes a FaceSet (images, labels and each image's subject), got "
            f"{type(faceset).__name__}. Load one with load_ckplus() or build a FaceSet."
        )
    n_splits = check_int("n_splits", n_splits, minimum=2)
    seed = check_seed("seed", seed)
    counts = np.bincount(faceset.labels, minlength=len(faceset.classes))
    present = counts[counts > 0]
    if len(present) == 0:
        raise InvalidInputError(f"{faceset.name} has no images to split into folds.")
    smallest = int(present.min())
    if n_splits < 2 or n_splits > smallest:
        name = faceset.classes[int(np.flatnonzero(counts == smallest)[0])]
        raise InvalidInputError(
            f"n_splits={n_splits} cannot stratify {faceset.name}: its smallest class "
            f"({name}) has {smallest} images, so choose 2 <= n_splits <= {smallest}."
        )
    if grouped:
        return subject_folds(faceset, n_splits=n_splits, seed=seed, group_column=group_column)
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return [
        (np.sort(train).astype(np.int64), np.sort(test).astype(np.int64))
        for train, test in splitter.split(np.zeros(len(faceset)), faceset.labels)
    ]


def subjects_shared(folds: Folds, groups: np.ndarray) -> list[list[str]]:
    """Per fold, the subjects (sorted) that have images on both sides; empty lists when none."""
    groups = np.asarray(groups)
    highest = max((int(np.max(side)) for fold in folds for side in fold if len(side)), default=-1)
    if groups.ndim != 1 or len(groups) <= highest:
        raise InvalidInputError(
            f"groups must name the subject of every image the folds use (at least "
            f"{highest + 1}), got {groups.shape[0] if groups.ndim else 0}: pass "
            "faceset.meta['subject'] of the FaceSet the folds were made from."
        )
    return [sorted(map(str, np.intersect1d(groups[train], groups[test]))) for train, test in folds]
