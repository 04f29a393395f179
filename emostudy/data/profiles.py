"""Data for the book's run profiles: ``full`` (the real data, or a clear error) and ``quick``
(the real data, possibly subsampled, or a loudly announced synthetic stand-in)."""

from __future__ import annotations

import os
import warnings

import numpy as np

from emostudy.data import fer2013
from emostudy.data.ckplus import load_ckplus
from emostudy.data.classes import CKPLUS_CLASSES
from emostudy.data.faceset import FaceSet
from emostudy.data.splits import sample_per_class
from emostudy.data.synthetic import make_synthetic_faces
from emostudy.errors import DataNotFoundError, InvalidInputError
from emostudy.settings import PROFILES, dataset_path

CKPLUS_SYNTHETIC_PER_CLASS = 50


CKPLUS_SYNTHETIC_SUBJECTS = 40


class SyntheticDataWarning(UserWarning):
    """The quick profile is using the synthetic stand-in instead of a missing real data set."""


def load_fer2013_for(
    profile: str,
    *,
    path: str | os.PathLike | None = None,
    quick_per_class: int | None = None,
    seed: int = 0,
) -> FaceSet:
    """FER-2013 for a run profile.

    ``"full"``: the whole real data set (a missing data set raises the
    :class:`~emostudy.errors.DataNotFoundError` that says where to get it). ``"quick"``: the real
    data if present, at most ``quick_per_class`` images per class and usage (seeded; ``None``
    keeps all); if it is absent, a banner is printed, a :class:`SyntheticDataWarning` is issued
    and ``make_synthetic_faces(seed=seed)`` is returned instead.
    """
    _check_profile(profile)
    if profile == "full":
        return fer2013.load_fer2013(path)
    try:
        root = dataset_path("fer2013", path)
    except DataNotFoundError as error:
        _announce_stand_in("FER-2013", error)
        return make_synthetic_faces(seed=seed)
    return fer2013.load_fer2013_sample(
        root, usage=None, progress=True, per_class=quick_per_class, seed=seed
    )


def load_ckplus_for(
    profile: str,
    *,
    path: str | os.PathLike | None = None,
    quick_per_class: int | None = None,
    seed: int = 0,
) -> FaceSet:
    """CK+ for a run profile, as :func:`load_fer2013_for`.

    The synthetic stand-in has the CK+ classes, ``usage`` ``"all"`` and a ``subject`` column of
    fake subject ids (``S901``...) so that :func:`~emostudy.data.splits.subject_folds` works.
    """
    _check_profile(profile)
    if profile == "full":
        return load_ckplus(path)
    try:
        root = dataset_path("ckplus", path)
    except DataNotFoundError as error:
        _announce_stand_in("CK+", error)
        return _synthetic_ckplus(seed)
    faceset = load_ckplus(root)
    if quick_per_class is None:
        return faceset
    return sample_per_class(faceset, quick_per_class, seed=seed)


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise InvalidInputError(
            f"Unknown profile {profile!r}; valid profiles: {', '.join(PROFILES)}."
        )


def _announce_stand_in(name: str, error: DataNotFoundError) -> None:
    line = "=" * 78
    print(
        f"{line}\n{line}\n"
        f"USING THE SYNTHETIC STAND-IN: {name} was not found.\n"
        f"{error}\n"
        f"The images below are synthetic cartoon faces, and every number below is NOT a {name}\n"
        f"result. Install the data set and re-run to get real results.\n"
        f"{line}\n{line}",
        flush=True,
    )
    warnings.warn(
        f"{name} not found; using the synthetic stand-in, so results are NOT {name} results. "
        f"({error})",
        SyntheticDataWarning,
        stacklevel=3,
    )


def _synthetic_ckplus(seed: int) -> FaceSet:
    faceset = make_synthetic_faces(CKPLUS_SYNTHETIC_PER_CLASS, seed=seed, classes=CKPLUS_CLASSES)
    rng = np.random.default_rng(seed + 1)
    subjects = rng.integers(0, CKPLUS_SYNTHETIC_SUBJECTS, size=len(faceset))
    meta = faceset.meta.assign(usage="all", subject=[f"S{901 + s}" for s in subjects])
    return FaceSet(faceset.images, faceset.labels, faceset.classes, meta, faceset.name, True)
