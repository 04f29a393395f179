"""The annotated heatmap behind the confusion and label-agreement figures: counts or row shares."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np


def row_normalise(confusion: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (shares of each answer within a true class); 0 if empty."""
    confusion = np.asarray(confusion, dtype=np.float64)
    totals = confusion.sum(axis=1, keepdims=True)
    return np.divide(confusion, totals, out=np.zeros_like(confusion), where=totals > 0)


def annotated_heatmap(
    counts: np.ndarray,
    *,
    normalize: bool,
    share_format: str,
    xticklabels: Sequence[str],
    yticklabels: Sequence[str],
    count_label: str,
    share_label: str,
    cmap: str,
    ax: plt.Axes,
    square: bool = False,
) -> plt.Axes:
    """Seaborn heatmap of ``counts`` (R, C), or of its row shares when ``normalize``, each cell
    annotated (shares with ``share_format``, e.g. ``".2f"``; counts as integers); the colour bar
    is labelled ``share_label`` or ``count_label``."""
    import seaborn as sns

    values = row_normalise(counts) if normalize else counts
    sns.heatmap(
        values,
        annot=True,
        fmt=share_format if normalize else "d",
        cmap=cmap,
        vmin=0,
        vmax=1 if normalize else None,
        square=square,
        xticklabels=xticklabels,
        yticklabels=yticklabels,
        cbar_kws={"label": share_label if normalize else count_label},
        annot_kws={"fontsize": "small"},
        ax=ax,
    )
    return ax
