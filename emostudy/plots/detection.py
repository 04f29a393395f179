"""Drawing detections: boxes (and landmarks) over an image, and a grid of detectors x images."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from emostudy.detectors.base import Face


def _rows(faces) -> tuple[np.ndarray, list]:
    if isinstance(faces, np.ndarray) or (faces and not isinstance(faces[0], Face)):
        boxes = np.asarray(faces, dtype=np.float64).reshape(-1, np.shape(faces)[-1])[:, :4]
        return boxes, [None] * len(boxes)
    boxes = np.array([f.box for f in faces], dtype=np.float64).reshape(-1, 4)
    return boxes, [f.landmarks for f in faces]


def draw_detections(
    ax: plt.Axes,
    image: np.ndarray,
    faces: Sequence[Face] | np.ndarray,
    *,
    box_color: str = "lime",
    linewidth: float = 1.5,
    landmarks: bool = True,
    title: str | None = None,
    color_order: str = "bgr",
) -> plt.Axes:
    """Show ``image`` (``color_order`` "bgr" by default, "rgb", or gray) on ``ax`` with boxes.

    ``faces`` is a list of :class:`Face` or an ``(N, >=4)`` array of ``x, y, w, h`` rows.
    """
    if image.ndim == 2:
        ax.imshow(image, cmap="gray", vmin=0, vmax=255)
    else:
        ax.imshow(cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if color_order == "bgr" else image)
    boxes, marks = _rows(faces)
    for (x, y, w, h), points in zip(boxes, marks, strict=True):
        ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor=box_color, linewidth=linewidth))
        if landmarks and points is not None:
            ax.plot(points[:, 0], points[:, 1], ".", color="yellow", markersize=1.5)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize="small")
    return ax


def detection_grid(
    images: Sequence[np.ndarray],
    detections: dict[str, Sequence[Sequence[Face]]],
    *,
    labels: Sequence[str] | None = None,
    size: float = 2.2,
    detectors_as_rows: bool = False,
) -> plt.Figure:
    """A grid of images x detectors, boxes drawn, the number of faces in each panel's title.

    ``detections[name][i]`` holds the faces that detector ``name`` found in ``images[i]``. By
    default one row per image and one column per detector; ``detectors_as_rows=True`` transposes
    (better for many detectors). ``labels`` name the images.
    """
    names = list(detections)
    n_rows, n_cols = (len(names), len(images)) if detectors_as_rows else (len(images), len(names))
    aspect = np.mean([im.shape[0] / im.shape[1] for im in images])
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(size * n_cols, size * aspect * n_rows + 0.3 * n_rows),
        squeeze=False,
    )
    for i, image in enumerate(images):
        for j, name in enumerate(names):
            ax = axes[j, i] if detectors_as_rows else axes[i, j]
            faces = detections[name][i]
            count = f"{len(faces)} face" + ("" if len(faces) == 1 else "s")
            label = f"{name}: {len(faces)}" if not detectors_as_rows else count
            draw_detections(ax, image, faces, title=label, linewidth=1.2)
            if detectors_as_rows and i == 0:
                ax.set_ylabel(name, fontsize="small")
            if detectors_as_rows and j == 0 and labels is not None:
                ax.set_title(f"{labels[i]}\n{count}", fontsize="small")
            if not detectors_as_rows and j == 0 and labels is not None:
                ax.set_ylabel(labels[i], fontsize="small")
    fig.tight_layout()
    return fig
