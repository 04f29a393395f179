"""Figures of the label-noise study: single labels against crowd votes (FER-2013 and FER+)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from emostudy.errors import InvalidInputError
from emostudy.plots._axes import axes_or_new
from emostudy.plots._heatmap import annotated_heatmap


def plot_label_agreement(
    matrix: pd.DataFrame,
    *,
    normalize: bool = True,
    ax: plt.Axes | None = None,
    title: str | None = None,
    cmap: str = "Blues",
) -> plt.Axes:
    """Seaborn heatmap of an agreement matrix (rows: single label, columns: majority vote).

    Parameters
    ----------
    matrix
        ``(R, C)`` image counts with class names as index and columns, e.g. from
        :func:`emostudy.evaluation.label_agreement`; ``R <= C`` allowed (extra answer columns).
    normalize
        Show each row's shares (where the images of one single label went), else counts.
    ax
        Axis to draw on; default a new ``9 x 4.4`` inch figure.
    title
        Optional axis title.

    Returns
    -------
    matplotlib.axes.Axes
        The axis, annotated cell by cell (row shares in percent, or counts).
    """
    if not isinstance(matrix, pd.DataFrame) or matrix.ndim != 2 or matrix.empty:
        raise InvalidInputError("The 'matrix' parameter must be a non-empty DataFrame of counts.")
    ax = axes_or_new(ax, (9.0, 4.4))
    annotated_heatmap(
        matrix.to_numpy(),
        normalize=normalize,
        share_format=".0%",
        xticklabels=[str(c).replace("_", " ") for c in matrix.columns],
        yticklabels=list(matrix.index),
        count_label="images",
        share_label="share of the row's images",
        cmap=cmap,
        ax=ax,
    )
    ax.set(xlabel=str(matrix.columns.name or "majority"), ylabel=str(matrix.index.name or "label"))
    ax.tick_params(axis="x", labelrotation=30)
    ax.tick_params(axis="y", labelrotation=0)
    if title:
        ax.set_title(title)
    return ax


def plot_entropy_by_class(
    tables: Mapping[str, pd.DataFrame],
    *,
    column: str = "mean entropy",
    unit: str = "bits",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Grouped horizontal bars: one value per class from each table (e.g. by majority, by label).

    Parameters
    ----------
    tables
        Legend label → a table indexed by class (from
        :func:`emostudy.evaluation.entropy_by_class`); classes missing from a table are blank.
    column
        The column drawn.
    unit
        Unit named on the x axis.
    ax
        Axis to draw on; default a new ``8 x 3.8`` inch figure.

    Returns
    -------
    matplotlib.axes.Axes
        The axis.
    """
    if not tables:
        raise InvalidInputError("The 'tables' parameter must hold at least one table.")
    classes: list[str] = []
    for table in tables.values():
        if column not in table.columns:
            raise InvalidInputError(f"Every table needs the column {column!r}.")
        classes += [c for c in table.index if c not in classes]
    frame = pd.DataFrame({name: t[column].reindex(classes) for name, t in tables.items()})
    ax = axes_or_new(ax, (8.0, 3.8))
    frame.iloc[::-1].plot.barh(ax=ax, width=0.8)
    ax.set(xlabel=f"{column} ({unit})", ylabel="")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


def show_votes_gallery(
    images: np.ndarray,
    counts: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    *,
    answers: Sequence[str],
    label_name: str = "FER-2013",
    ncols: int = 6,
    size: float = 1.5,
) -> plt.Figure:
    """Faces with their votes: each face above a small bar chart of the answers it received.

    Parameters
    ----------
    images
        ``(n, h, w)`` or ``(n, h, w, 1)`` grayscale faces.
    counts
        ``(n, K)`` votes per answer.
    labels
        ``(n,)`` each face's single label, an index into ``answers``: its bar is drawn in orange
        and named above the face.
    answers
        The ``K`` answer names (e.g. :data:`~emostudy.data.VOTE_COLUMNS`).
    label_name
        Name of the single label's source, in each face's title.
    ncols
        Faces per row.
    size
        Width of one face's cell in inches; the figure is ``ncols * size`` wide and about
        ``rows * (1.4 * size + 0.6)`` high (a square face of ``0.8 * size`` above its bars).

    Returns
    -------
    matplotlib.figure.Figure
        Only the answers with at least one vote are drawn, most votes first.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    counts = np.asarray(counts)
    labels = np.asarray(labels)
    n = len(images)
    if counts.shape != (n, len(answers)) or labels.shape != (n,) or n == 0:
        raise InvalidInputError(
            f"show_votes_gallery needs n > 0 images, counts (n, {len(answers)}) and labels (n,), "
            f"got {images.shape}, {counts.shape} and {labels.shape}."
        )
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    # Fixed layout in inches (no tight_layout: tick labels would shrink the faces): per cell a
    # title, a square face and below it the bars, whose answer names take the left margin.
    title, face, gap, bar_height, ticks, top = 0.22, 0.8 * size, 0.1, 0.6 * size, 0.3, 0.15
    cell = title + face + gap + bar_height + ticks
    width, height = size * ncols, cell * nrows + top
    fig = plt.figure(figsize=(width, height))
    names = [str(a).replace("_", " ") for a in answers]
    for k in range(n):
        row, col = divmod(k, ncols)
        left, cell_top = col * size, height - top - row * cell
        face_ax = fig.add_axes(
            [
                (left + (size - face) / 2) / width,
                (cell_top - title - face) / height,
                face / width,
                face / height,
            ]
        )
        face_ax.imshow(images[k], cmap="gray")
        face_ax.set_axis_off()
        face_ax.set_title(f"{label_name}: {names[labels[k]]}", fontsize="small")
        margin = 0.42 * size
        bars = fig.add_axes(
            [
                (left + margin) / width,
                (cell_top - title - face - gap - bar_height) / height,
                (size - margin - 0.1 * size) / width,
                bar_height / height,
            ]
        )
        given = np.flatnonzero(counts[k] > 0)
        given = given[np.argsort(-counts[k][given], kind="stable")]
        colours = ["tab:orange" if j == labels[k] else "tab:blue" for j in given]
        bars.barh(np.arange(len(given)), counts[k][given], color=colours)
        bars.set_yticks(np.arange(len(given)), [names[j] for j in given], fontsize="x-small")
        bars.set_ylim(max(len(given), 4) - 0.5, -0.5)
        total = int(counts[k].sum())
        bars.set_xlim(0, total)
        bars.set_xticks([0, total // 2, total])
        bars.tick_params(axis="x", labelsize="x-small")
        for side in ("top", "right"):
            bars.spines[side].set_visible(False)
    return fig
