"""Train/validation splits and subject-independent folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from emostudy._validation import check_int, check_number, check_seed
from emostudy.data.faceset import FaceSet
from emostudy.errors import InvalidInputError


def train_validation_split(
    faceset: FaceSet, validation_fraction: float = 0.1, seed: int = 0
) -> tuple[FaceSet, FaceSet]:
    """Split a FaceSet into training and validation parts, stratified by label.

    Both parts keep the original image order. The same ``seed`` gives the same split.

    Returns
    -------
    train, validation
        FaceSets with about ``(1 - validation_fraction) * N`` and ``validation_fraction * N``
        images, each class in the same proportion as in ``faceset``.
    """
    _check_faceset(faceset)
    validation_fraction = check_number(
        "validation_fraction", validation_fraction, low=0.0, high=1.0, low_open=True, high_open=True
    )
    positions = np.arange(len(faceset))
    try:
        train, validation = train_test_split(
            positions,
            test_size=validation_fraction,
            random_state=seed,
            stratify=faceset.labels,
        )
    except ValueError as error:
        raise InvalidInputError(
            f"Cannot split {faceset.name} ({len(faceset)} images) with validation_fraction="
            f"{validation_fraction} stratified by label: {error}"
        ) from None
    return faceset.subset(np.sort(train)), faceset.subset(np.sort(validation))


def subject_folds(
    faceset: FaceSet, n_splits: int = 10, seed: int = 0, group_column: str = "subject"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Subject-independent cross-validation folds, stratified by label.

    No value of ``meta[group_column]`` (a subject) appears on both sides of a fold, and every
    image is in exactly one evaluation side.

    Returns
    -------
    list of (train_positions, test_positions)
        ``n_splits`` pairs of sorted int64 position arrays into ``faceset``.
    """
    _check_faceset(faceset)
    n_splits = check_int("n_splits", n_splits, minimum=2)
    if group_column not in faceset.meta.columns:
        raise InvalidInputError(
            f"{faceset.name} has no '{group_column}' column to group by; columns: "
            f"{', '.join(map(str, faceset.meta.columns))}."
        )
    seed = check_seed("seed", seed)
    missing = faceset.meta[group_column].isna().to_numpy()
    if missing.any():
        raise InvalidInputError(
            f"{faceset.name}: {int(missing.sum())} images have no '{group_column}' (None or NaN), "
            f"first at position {int(np.flatnonzero(missing)[0])}; give every image its subject "
            "(or drop those images) so that no subject lands on both sides of a fold."
        )
    groups = faceset.meta[group_column].to_numpy()
    n_groups = len(np.unique(groups))
    if n_splits < 2 or n_groups < n_splits:
        raise InvalidInputError(
            f"subject_folds needs 2 <= n_splits <= number of groups; got n_splits={n_splits} and "
            f"{n_groups} distinct '{group_column}' values in {faceset.name}."
        )
    largest = int(np.bincount(faceset.labels).max())
    if n_splits > largest:
        raise InvalidInputError(
            f"subject_folds: n_splits={n_splits} is more than the images of any class in "
            f"{faceset.name} (the largest class has {largest}), so no fold can be stratified. "
            f"Use n_splits <= {largest}, or more images."
        )
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return [
        (np.sort(train).astype(np.int64), np.sort(test).astype(np.int64))
        for train, test in splitter.split(np.zeros(len(faceset)), faceset.labels, groups)
    ]


def sample_per_class(faceset: FaceSet, n_per_class: int, *, seed: int = 0) -> FaceSet:
    """At most ``n_per_class`` images of every class within every usage, drawn at random (seeded).

    Classes with fewer images keep them all; the original order is preserved.
    """
    _check_faceset(faceset)
    n_per_class = check_int("n_per_class", n_per_class, minimum=1)
    seed = check_seed("seed", seed)
    frame = pd.DataFrame({"usage": faceset.meta["usage"], "label": faceset.labels})
    return faceset.subset(positions_per_class(frame, n_per_class, seed))


def _check_faceset(faceset: object) -> None:
    if not isinstance(faceset, FaceSet):
        raise InvalidInputError(
            f"Expected a FaceSet (from load_fer2013, load_ckplus...), got {type(faceset).__name__}."
        )


def positions_per_class(frame: pd.DataFrame, per_class: int, seed: int) -> np.ndarray:
    """Sorted positions keeping at most ``per_class`` rows per (usage, label), seeded."""
    per_class = check_int("per_class", per_class, minimum=1)
    rng = np.random.default_rng(seed)
    keep = []
    for _, positions in frame.groupby(["usage", "label"], sort=True).indices.items():
        if len(positions) > per_class:
            positions = rng.choice(positions, size=per_class, replace=False)
        keep.append(positions)
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)
