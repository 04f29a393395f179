"""The book's FER-2013 protocol: fit on ``Training``, select on ``PublicTest``, report on
``PrivateTest``."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emostudy.data.faceset import FaceSet
from emostudy.data.fer2013 import load_fer2013
from emostudy.data.quality import audit, training_exclusions
from emostudy.errors import InvalidInputError


@dataclass(frozen=True)
class Fer2013Protocol:
    """FER-2013 split the way every model in the book uses it.

    Attributes
    ----------
    train
        ``Training`` minus :func:`~emostudy.data.training_exclusions` (fit on this).
    select
        ``PublicTest`` (choose epochs, settings and models on this).
    report
        ``PrivateTest`` (evaluate each final model on this once; never train or tune on it).
    excluded
        The training images left out: ``index`` into the full set and ``reason``.
    """

    train: FaceSet
    select: FaceSet
    report: FaceSet
    excluded: pd.DataFrame


def load_fer2013_protocol(
    path: str | os.PathLike | None = None, *, exclude: bool = True, progress: bool = True
) -> Fer2013Protocol:
    """Load FER-2013 (all usages) and split it by the book's protocol (:func:`fer2013_protocol`)."""
    return fer2013_protocol(load_fer2013(path, progress=progress), exclude=exclude)


def fer2013_protocol(fer: FaceSet, *, exclude: bool = True) -> Fer2013Protocol:
    """Split a FER-2013 FaceSet (all three usages; or a subsample, or the synthetic stand-in).

    ``exclude=False`` keeps every training image (for comparison with the policy).
    """
    usages = set(fer.meta["usage"])
    if not {"Training", "PublicTest", "PrivateTest"} <= usages:
        raise InvalidInputError(
            f"{fer.name} must hold the usages Training, PublicTest and PrivateTest; it has "
            f"{sorted(usages)}. Load it with load_fer2013(usage=None)."
        )
    excluded = (
        training_exclusions(audit(fer))
        if exclude
        else pd.DataFrame({"index": pd.Series(dtype=np.int64), "reason": pd.Series(dtype=str)})
    )
    usage = fer.meta["usage"].to_numpy()
    keep = (usage == "Training") & ~np.isin(np.arange(len(fer)), excluded["index"].to_numpy())
    return Fer2013Protocol(
        train=fer.subset(keep),
        select=fer.subset(usage == "PublicTest"),
        report=fer.subset(usage == "PrivateTest"),
        excluded=excluded,
    )
