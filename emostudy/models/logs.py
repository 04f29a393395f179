"""The one reader of a training log (``log.csv``, written by Keras' ``CSVLogger``)."""

from __future__ import annotations

import os

import pandas as pd


def read_training_log(path: str | os.PathLike) -> pd.DataFrame:
    """Per-epoch metrics of a training run, one row per epoch.

    A resumed run appends to its log, so an epoch may be logged twice; the last entry wins.

    Parameters
    ----------
    path
        The CSV log: an ``epoch`` column (0-based, as Keras writes it) and one column per metric
        (``accuracy``, ``val_accuracy``, ``loss``, ``val_loss``, ``lr``, ``seconds``...).

    Returns
    -------
    pandas.DataFrame
        Index ``epoch`` (1-based, consecutive), one column per metric.
    """
    log = pd.read_csv(path).drop_duplicates("epoch", keep="last").drop(columns="epoch")
    log = log.reset_index(drop=True)
    log.index = pd.RangeIndex(1, len(log) + 1, name="epoch")
    return log
