"""Curves: a function's curve, training histories, learning curves and train-vs-validation bars."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from emostudy.errors import InvalidInputError
from emostudy.plots._axes import axes_or_new

#: Colours of the training and validation series in every curve.
TRAIN_COLOR, VAL_COLOR = "#2c7fb8", "#d95f0e"


def plot_curve(
    values: Sequence[float] | dict[str, Sequence[float]],
    *,
    ax: plt.Axes | None = None,
    xlabel: str = "epoch",
    ylabel: str = "",
    title: str | None = None,
    logy: bool = False,
) -> plt.Axes:
    """Plot one curve, or several named curves (a dict), against their 1-based step number."""
    ax = axes_or_new(ax, (5.0, 3.2))
    series = values if isinstance(values, dict) else {"": values}
    for name, curve in series.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, marker=".", label=name or None)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if logy:
        ax.set_yscale("symlog")
    if title:
        ax.set_title(title)
    if isinstance(values, dict):
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def plot_histories(
    histories: Mapping[str, pd.DataFrame],
    column: str = "val_accuracy",
    *,
    ax: plt.Axes | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    best: str | None = "max",
    linestyle: str = "-",
) -> plt.Axes:
    """One curve per run of ``history[column]`` against the epoch (1-based index of the history).

    ``best="max"`` (for accuracies) or ``"min"`` (for losses) marks each run's best value with a
    dot; None marks nothing.
    """
    if best not in ("max", "min", None):
        raise InvalidInputError(f"best must be 'max', 'min' or None, got {best!r}.")
    ax = axes_or_new(ax, (5.5, 3.5))
    for name, history in histories.items():
        if column not in history.columns:
            raise InvalidInputError(
                f"run {name!r} has no column {column!r}; columns: {', '.join(history.columns)}."
            )
        values = history[column].to_numpy(dtype=float)
        epochs = np.arange(1, len(values) + 1)
        (line,) = ax.plot(epochs, values, linestyle, label=name, lw=1.4)
        if best is not None and len(values):
            k = int(np.nanargmax(values) if best == "max" else np.nanargmin(values))
            ax.plot(epochs[k], values[k], "o", color=line.get_color(), ms=5)
    ax.set(xlabel="epoch", ylabel=ylabel or column)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def plot_learning_curve(
    sizes: Sequence[float],
    train_accuracy: Sequence[float],
    val_accuracy: Sequence[float],
    *,
    val_interval: tuple[Sequence[float], Sequence[float]] | None = None,
    baseline: float | None = None,
    xlabel: str = "training images",
    train_label: str = "training (inference mode)",
    val_label: str = "validation",
    ax: plt.Axes | None = None,
    title: str | None = None,
) -> plt.Axes:
    """Training and validation accuracy against the number of training images (log axis).

    Any other size (e.g. the number of parameters, with ``xlabel``) works the same way.
    ``val_interval`` = (lows, highs) shades a confidence band around the validation curve;
    ``baseline`` draws a horizontal reference (e.g. always answering the largest class).
    """
    if not len(sizes) == len(train_accuracy) == len(val_accuracy):
        raise InvalidInputError("sizes, train_accuracy and val_accuracy must have equal lengths.")
    ax = axes_or_new(ax, (5.5, 3.8))
    ax.plot(sizes, train_accuracy, "o-", color=TRAIN_COLOR, label=train_label)
    ax.plot(sizes, val_accuracy, "s-", color=VAL_COLOR, label=val_label)
    if val_interval is not None:
        ax.fill_between(sizes, *val_interval, color=VAL_COLOR, alpha=0.2, label="95% CI")
    if baseline is not None:
        ax.axhline(baseline, color="gray", ls=":", label="largest class")
    ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel="accuracy", ylim=(0, 1.02))
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    return ax


def plot_train_val(
    table: pd.DataFrame,
    *,
    ax: plt.Axes | None = None,
    title: str | None = None,
) -> plt.Axes:
    """Train and validation accuracy of each variant (rows of ``table``), joined by a line.

    ``table`` is indexed by variant and has ``train_accuracy`` and ``val_accuracy`` columns, and
    optionally ``val_ci_low``/``val_ci_high`` (drawn as an error bar), as
    :attr:`emostudy.training.Experiment.table` has. The line's length is the gap.
    """
    missing = {"train_accuracy", "val_accuracy"} - set(table.columns)
    if missing:
        raise InvalidInputError(f"table lacks the column(s) {sorted(missing)}.")
    ax = axes_or_new(ax, (6.0, 0.45 * len(table) + 1.2))
    rows = np.arange(len(table))[::-1]
    train, val = table["train_accuracy"].to_numpy(), table["val_accuracy"].to_numpy()
    ax.hlines(rows, np.minimum(train, val), np.maximum(train, val), color="lightgray", lw=3)
    ax.plot(train, rows, "o", color=TRAIN_COLOR, label="training (inference mode)")
    if {"val_ci_low", "val_ci_high"} <= set(table.columns):
        error = np.vstack([val - table["val_ci_low"], table["val_ci_high"] - val])
        ax.errorbar(
            val, rows, xerr=error, fmt="s", color=VAL_COLOR, capsize=3, label="validation (95% CI)"
        )
    else:
        ax.plot(val, rows, "s", color=VAL_COLOR, label="validation")
    ax.set_yticks(rows, [str(name) for name in table.index])
    ax.set(xlabel="accuracy", xlim=(0, 1.02))
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize="small", loc="lower right")
    return ax
