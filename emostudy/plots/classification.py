"""Classification figures: confusion matrices (counts or row-normalised)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from emostudy.errors import InvalidInputError
from emostudy.plots._axes import axes_or_new


def row_normalise(confusion: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (shares of each answer within a true class); 0 if empty."""
    confusion = np.asarray(confusion, dtype=np.float64)
    totals = confusion.sum(axis=1, keepdims=True)
    return np.divide(confusion, totals, out=np.zeros_like(confusion), where=totals > 0)


def plot_confusion(
    confusion: np.ndarray | Sequence[Sequence[int]],
    classes: Sequence[str],
    *,
    normalize: bool = False,
    ax: plt.Axes | None = None,
    title: str | None = None,
    cmap: str = "Blues",
) -> plt.Axes:
    """Seaborn heatmap of a confusion matrix ``C[true, predicted]``, annotated cell by cell.

    ``normalize=True`` shows row-normalised shares (each row sums to 1: the recall of the class on
    the diagonal), otherwise counts.
    """
    import seaborn as sns

    confusion = np.asarray(confusion)
    k = len(classes)
    if confusion.shape != (k, k):
        raise InvalidInputError(
            f"confusion must be {k}x{k} for {k} class names, got shape {confusion.shape}."
        )
    ax = axes_or_new(ax, (5.2, 4.4))
    values = row_normalise(confusion) if normalize else confusion
    sns.heatmap(
        values,
        annot=True,
        fmt=".2f" if normalize else "d",
        cmap=cmap,
        vmin=0,
        vmax=1 if normalize else None,
        square=True,
        xticklabels=classes,
        yticklabels=classes,
        cbar_kws={"label": "share of the true class" if normalize else "images"},
        annot_kws={"fontsize": "small"},
        ax=ax,
    )
    ax.set(xlabel="predicted class", ylabel="true class")
    ax.tick_params(axis="x", labelrotation=45)
    ax.tick_params(axis="y", labelrotation=0)
    if title:
        ax.set_title(title)
    return ax
