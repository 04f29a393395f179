"""Classification figures: confusion matrices (counts or row-normalised)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from emostudy.errors import InvalidInputError
from emostudy.plots._axes import axes_or_new
from emostudy.plots._heatmap import annotated_heatmap, row_normalise

__all__ = ["plot_confusion", "row_normalise"]


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
    confusion = np.asarray(confusion)
    k = len(classes)
    if confusion.shape != (k, k):
        raise InvalidInputError(
            f"confusion must be {k}x{k} for {k} class names, got shape {confusion.shape}."
        )
    ax = axes_or_new(ax, (5.2, 4.4))
    annotated_heatmap(
        confusion,
        normalize=normalize,
        share_format=".2f",
        xticklabels=classes,
        yticklabels=classes,
        count_label="images",
        share_label="share of the true class",
        cmap=cmap,
        ax=ax,
        square=True,
    )
    ax.set(xlabel="predicted class", ylabel="true class")
    ax.tick_params(axis="x", labelrotation=45)
    ax.tick_params(axis="y", labelrotation=0)
    if title:
        ax.set_title(title)
    return ax
