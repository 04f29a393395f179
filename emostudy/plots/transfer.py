"""Figures of chapter 11: landmark fits, fold-by-fold accuracies, per-class recall."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from emostudy.errors import InvalidInputError
from emostudy.plots._axes import axes_or_new


def plot_landmarks(
    faces: np.ndarray,
    landmarks: np.ndarray,
    *,
    titles: Sequence[str] | None = None,
    ncols: int = 6,
    size: float = 1.9,
):
    """Face crops with their 68 landmarks drawn on top (outlines joined); returns the figure.

    ``faces`` (N, H, W[, 1]) uint8 and ``landmarks`` (N, 68, 2) in the crops' pixel coordinates.
    """
    from emostudy.faces.landmarks import OUTLINES

    faces = np.asarray(faces)
    faces = faces[..., 0] if faces.ndim == 4 else faces
    landmarks = np.asarray(landmarks)
    if landmarks.shape != (len(faces), 68, 2):
        raise InvalidInputError(
            f"landmarks must have shape ({len(faces)}, 68, 2) for {len(faces)} faces, got "
            f"{landmarks.shape}."
        )
    nrows = int(np.ceil(len(faces) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * size, nrows * size * 1.1), squeeze=False
    )
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(faces):
            continue
        ax.imshow(faces[k], cmap="gray", vmin=0, vmax=255)
        for first, last, closed in OUTLINES:
            ring = list(range(first, last + 1)) + ([first] if closed else [])
            ax.plot(landmarks[k, ring, 0], landmarks[k, ring, 1], "-", color="#ff3b30", lw=0.8)
        ax.plot(landmarks[k, :, 0], landmarks[k, :, 1], ".", color="#ffd60a", ms=2)
        if titles is not None:
            ax.set_title(titles[k], fontsize=8)
    fig.tight_layout()
    return fig


def plot_fold_accuracies(
    fold_accuracy: Mapping[str, Sequence[float]], *, ax: plt.Axes | None = None
) -> plt.Axes:
    """Accuracy of each method (x) on each fold (one grey line per fold), with the mean marked."""
    ax = axes_or_new(ax, (8, 4))
    names = list(fold_accuracy)
    values = np.array([fold_accuracy[n] for n in names], dtype=float)  # (methods, folds)
    positions = np.arange(len(names))
    for fold in values.T:
        ax.plot(positions, fold, "-o", color="0.6", lw=0.7, ms=3, alpha=0.7)
    ax.plot(positions, values.mean(axis=1), "D", color="#d95f0e", ms=8, label="mean over folds")
    ax.set_xticks(positions, names, rotation=20, ha="right")
    ax.set_ylabel("test-fold accuracy (fraction)")
    ax.set_xlabel("method")
    ax.legend(loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_recall_table(
    table: pd.DataFrame, *, ax: plt.Axes | None = None, title: str = ""
) -> plt.Axes:
    """Heatmap of a (methods x classes) table of recalls in [0, 1], annotated."""
    import seaborn as sns

    ax = (
        ax
        if ax is not None
        else plt.subplots(figsize=(1.0 * table.shape[1] + 3, 0.5 * len(table) + 1.5))[1]
    )
    sns.heatmap(
        table.astype(float), annot=True, fmt=".2f", vmin=0, vmax=1, cmap="Blues", cbar=False, ax=ax
    )
    ax.set_xlabel("true class")
    ax.set_ylabel("")
    if title:
        ax.set_title(title)
    return ax
