"""Chapter 8's label-noise study: the FER+ votes for a run profile (real, or a loud stand-in)."""

from __future__ import annotations

import os
import warnings

import numpy as np

from emostudy.data import VOTE_COLUMNS, FaceSet, FerPlusSet, SyntheticDataWarning, load_ferplus
from emostudy.errors import DataNotFoundError, InvalidInputError
from emostudy.evaluation import majority_vote
from emostudy.settings import PROFILES

#: Stand-in votes per image (FER+ has ten).
STAND_IN_VOTES = 10


def load_votes_for(
    profile: str,
    faces: FaceSet,
    *,
    path: str | os.PathLike | None = None,
    seed: int = 0,
) -> FerPlusSet:
    """The FER+ votes of ``faces`` for a run profile, unfiltered (every image kept, in order).

    Parameters
    ----------
    profile
        ``"full"``: the real votes file (a missing file raises the
        :class:`~emostudy.errors.DataNotFoundError` that says where to get it). ``"quick"``: the
        real votes when the file exists and ``faces`` are real; otherwise a banner is printed, a
        :class:`~emostudy.data.SyntheticDataWarning` is issued, and seeded stand-in votes
        (:func:`stand_in_votes`) are returned.
    faces
        FER-2013 faces (``N`` images), from :func:`~emostudy.data.load_fer2013_for`.
    path
        The votes file or its folder, as in :func:`~emostudy.data.load_ferplus`.
    seed
        Seed of the stand-in votes.

    Returns
    -------
    FerPlusSet
        ``N`` images; ``majority`` is -1 for images without votes, 8 or 9 for ``unknown`` /
        ``not_face``, as with ``load_ferplus(faces, ferplus_filter=False)``.
    """
    if profile not in PROFILES:
        raise InvalidInputError(
            f"Unknown profile {profile!r}; valid profiles: {', '.join(PROFILES)}."
        )
    if profile == "full" or not faces.synthetic:
        try:
            return load_ferplus(faces, path=path, ferplus_filter=False)
        except DataNotFoundError as error:
            if profile == "full":
                raise
            reason = str(error)
    else:
        reason = "the faces are the synthetic stand-in, which has no FER+ votes."
    line = "=" * 78
    print(
        f"{line}\nUSING STAND-IN VOTES: {reason}\nThe votes below are random draws around each "
        f"image's label, and every number below is NOT a FER+ result.\n{line}",
        flush=True,
    )
    warnings.warn(
        f"FER+ votes unavailable; using seeded stand-in votes. ({reason})",
        SyntheticDataWarning,
        stacklevel=2,
    )
    return stand_in_votes(faces, seed=seed)


def stand_in_votes(faces: FaceSet, *, seed: int = 0, agreement: float = 0.6) -> FerPlusSet:
    """Seeded random votes around each face's label, shaped like FER+ (for runs without it).

    Each face gets :data:`STAND_IN_VOTES` votes; the crowd's favourite answer is the face's label
    with probability ``agreement`` and a random emotion (of 8) otherwise; each vote picks the
    favourite with probability ``agreement``, ``unknown`` with probability 0.05, and otherwise a
    random emotion.

    Parameters
    ----------
    faces
        ``N`` faces with labels in FER-2013's 7 classes.
    seed
        Seed of :func:`numpy.random.default_rng`.
    agreement
        Probability in [0, 1] described above.

    Returns
    -------
    FerPlusSet
        ``N`` images with ``(N, 10)`` counts and their majority (FER+'s tie rule).
    """
    if not 0 <= agreement <= 1:
        raise InvalidInputError(f"The 'agreement' parameter must be in [0, 1], got {agreement}.")
    rng = np.random.default_rng(seed)
    n, k = len(faces), len(VOTE_COLUMNS)
    favourite = np.where(
        rng.random(n) < agreement, faces.labels, rng.integers(0, 8, size=n)
    ).astype(np.int64)
    draw = rng.random((n, STAND_IN_VOTES))
    vote = np.where(draw < agreement, favourite[:, None], rng.integers(0, 8, size=draw.shape))
    vote = np.where(draw > 0.95, VOTE_COLUMNS.index("unknown"), vote)
    counts = np.zeros((n, k), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(n), STAND_IN_VOTES), vote.ravel()), 1)
    return FerPlusSet(faces, counts, majority_vote(counts))
