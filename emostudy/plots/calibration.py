"""Calibration figures: the reliability diagram of a model's top-label probabilities."""

from __future__ import annotations

import matplotlib.pyplot as plt

from emostudy.errors import InvalidInputError
from emostudy.plots._axes import axes_or_new

_COLUMNS = ("lower", "upper", "count", "confidence", "accuracy")


def plot_reliability(
    bins,
    *,
    ax: plt.Axes | None = None,
    title: str | None = None,
    label: str = "faces whose top class is right",
    counts: bool = True,
) -> plt.Axes:
    """Reliability diagram from binned confidences (no model, no data: only the bins).

    Parameters
    ----------
    bins
        A DataFrame (or anything ``pandas.DataFrame`` accepts, e.g. a list of row dicts) with
        the columns of :func:`emostudy.evaluation.reliability_bins`: ``lower``, ``upper`` (bin
        edges on [0, 1]), ``count``, ``confidence`` (mean top probability) and ``accuracy``
        (share right); empty bins (``count == 0``) are skipped.
    ax
        The axis to draw on (default: a new 4.8x4.4-inch figure).
    title
        Axis title.
    label
        Legend label of the bars.
    counts
        Write each bin's number of faces above its bar.

    Returns
    -------
    matplotlib.axes.Axes
        Bars of accuracy per bin (width: the bin), the mean confidence of each bin as a dot, and
        the diagonal a perfectly calibrated model would follow.
    """
    import pandas as pd

    table = pd.DataFrame(bins)
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise InvalidInputError(
            f"bins lack the column(s) {', '.join(missing)}; pass reliability_bins(...)'s table."
        )
    used = table[table["count"] > 0]
    ax = axes_or_new(ax, (4.8, 4.4))
    widths = (used["upper"] - used["lower"]).to_numpy()
    ax.bar(
        used["lower"],
        used["accuracy"],
        width=widths,
        align="edge",
        color="tab:blue",
        alpha=0.75,
        edgecolor="white",
        label=label,
    )
    ax.plot(
        used["confidence"],
        used["confidence"],
        "o",
        color="tab:red",
        markersize=3.5,
        label="mean probability of the bin",
    )
    ax.plot([0, 1], [0, 1], "--", color="0.4", linewidth=1, label="perfect calibration")
    if counts:
        for x, w, y, n in zip(used["lower"], widths, used["accuracy"], used["count"], strict=True):
            ax.text(
                x + w / 2,
                min(float(y), 0.93) + 0.02,
                f"{int(n)}",
                ha="center",
                va="bottom",
                fontsize="x-small",
                rotation=90,
            )
    ax.set(xlim=(0, 1), ylim=(0, 1.05), xlabel="top probability (confidence)", ylabel="share right")
    ax.set_aspect("equal")
    ax.legend(loc="upper left", fontsize="x-small", frameon=False)
    if title:
        ax.set_title(title, fontsize="small")
    return ax
