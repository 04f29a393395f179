"""Recognizer figures: an annotated photo on an axis, and one track's emotions over a video."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from emostudy.data.classes import FER_CLASSES
from emostudy.plots._axes import axes_or_new
from emostudy.recognition.drawing import EMOTION_COLORS, draw_faces


def show_recognition(ax, image: np.ndarray, faces, *, title: str | None = None, **kwargs):
    """Show a BGR image with :func:`draw_faces` annotations on a Matplotlib axes."""
    annotated = draw_faces(image, faces, **kwargs)
    ax.imshow(cv2.cvtColor(annotated, cv2.COLOR_BGR2RGB))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize="small")
    return ax


def plot_track(table, track: int, *, ax=None, classes: Sequence[str] = FER_CLASSES):
    """Probabilities of one track over time: each frame's own (thin, dotted) and the smoothed
    ones (solid), one colour per class. ``table`` is :func:`~emostudy.recognition.tracks_table`."""

    if ax is None:
        ax = axes_or_new(None, (8, 3))
    rows = table[table["track"] == track].sort_values("time_s")
    for name in classes:
        b, g, r = EMOTION_COLORS[name]
        color = (r / 255, g / 255, b / 255)
        if f"raw_{name}" in rows:
            ax.plot(rows["time_s"], rows[f"raw_{name}"], ":", color=color, linewidth=1)
        ax.plot(rows["time_s"], rows[name], "-", color=color, linewidth=1.8, label=name)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    ax.set_title(f"track {track}: dotted = frame by frame, solid = smoothed", fontsize="small")
    ax.legend(fontsize="x-small", ncol=4, loc="upper right")
    return ax
