"""The one helper behind every ``ax=None`` option: draw on the given axis, or on a new figure."""

from __future__ import annotations

import matplotlib.pyplot as plt


def axes_or_new(ax: plt.Axes | None, figsize: tuple[float, float] = (4.5, 4.0)) -> plt.Axes:
    """``ax`` itself, or the axis of a new figure of ``figsize`` inches (width, height)."""
    return ax if ax is not None else plt.subplots(figsize=figsize)[1]
