"""Images: a grid of faces, and a classifier's decision regions in two dimensions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np

from emostudy.plots._axes import axes_or_new


def plot_decision_regions(
    score: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    ax: plt.Axes | None = None,
    resolution: int = 300,
    padding: float = 0.3,
    title: str | None = None,
) -> plt.Axes:
    """Shade where ``score(points) > 0`` over the 2-D data ``X`` (n, 2) and scatter it by ``y``.

    ``score`` maps an (m, 2) array of points to (m,) signed scores (e.g. a fitted model's
    ``decision_function``); the zero level set is drawn as the decision boundary.
    """
    ax = axes_or_new(ax)
    X = np.asarray(X, float)
    low, high = X.min(axis=0) - padding, X.max(axis=0) + padding
    gx, gy = np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )
    values = np.asarray(score(np.c_[gx.ravel(), gy.ravel()]), float).reshape(gx.shape)
    ax.contourf(gx, gy, values > 0, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"])
    if values.min() < 0 < values.max():
        ax.contour(gx, gy, values, levels=[0.0], colors="k", linewidths=1.2)
    for label, marker, color in zip(
        np.unique(y), "os^", ["#c0392b", "#2c7fb8", "#27ae60"], strict=False
    ):
        mask = np.asarray(y) == label
        ax.scatter(*X[mask].T, marker=marker, s=18, c=color, edgecolor="k", lw=0.3, label=label)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", xlim=(low[0], high[0]), ylim=(low[1], high[1]))
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize="small", title="class")
    return ax


def show_images(
    images: np.ndarray,
    titles: Sequence[str] | None = None,
    *,
    ncols: int = 8,
    cmap: str = "gray",
    size: float = 1.3,
    symmetric: bool = False,
) -> plt.Figure:
    """A grid of images (n, h, w) or (n, h, w, 1); ``symmetric`` centres a diverging map on 0.

    Returns the figure, with one titled, axis-free panel per image.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    ncols = min(ncols, n)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows + 0.2), squeeze=False
    )
    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k >= n:
            continue
        if symmetric:
            limit = float(np.abs(images[k]).max()) or 1.0
            ax.imshow(images[k], cmap="RdBu_r", vmin=-limit, vmax=limit)
        else:
            ax.imshow(images[k], cmap=cmap)
        if titles is not None:
            ax.set_title(titles[k], fontsize="small")
    fig.tight_layout()
    return fig
