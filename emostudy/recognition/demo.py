"""A photo that ships inside an installed package, so a fresh install shows output at once."""

from __future__ import annotations

import numpy as np


def demo_image() -> np.ndarray:
    """Scikit-image's ``astronaut`` photograph (Eileen Collins, NASA, public domain) as a uint8
    BGR ``(512, 512, 3)`` array: one face, no data folder and no network needed."""
    import cv2
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
