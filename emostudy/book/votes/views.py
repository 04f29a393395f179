"""Which windows of each face the FER+ pipeline caches: the centre 44-pixel window of the
v3 family, its mirror, and seeded random shifts (mirrored or not) as augmentation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Side of the window the v3 family sees (``RandomFaceCrop(44)``); the centre window is at (2, 2).
CROP = 44


@dataclass(frozen=True)
class Views:
    """Which windows of each face to cache: ``(n_views, 3)`` int rows ``(top, left, flip)``.

    ``per_image`` False: the same views for every face (``offsets`` shape ``(V, 3)``); True: each
    face has its own random views (``offsets`` shape ``(N, V, 3)``).
    """

    offsets: np.ndarray
    per_image: bool = False


def centre_and_flip(*, crop: int = CROP, size: int = 48) -> Views:
    """The two views of flip test-time averaging: the centre window and its mirror."""
    c = (size - crop) // 2
    return Views(np.array([[c, c, 0], [c, c, 1]], dtype=np.int64))


def training_views(
    n_images: int, *, n_random: int = 4, seed: int = 0, crop: int = CROP, size: int = 48
) -> Views:
    """Centre, mirror, and ``n_random`` random windows per face (uniform offsets 0..size-crop,
    mirrored with probability 1/2), seeded: ``(n_images, 2 + n_random, 3)``."""
    rng = np.random.default_rng(seed)
    c = (size - crop) // 2
    fixed = np.broadcast_to(np.array([[c, c, 0], [c, c, 1]]), (n_images, 2, 3))
    random = np.stack(
        [
            rng.integers(0, size - crop + 1, size=(n_images, n_random)),
            rng.integers(0, size - crop + 1, size=(n_images, n_random)),
            rng.integers(0, 2, size=(n_images, n_random)),
        ],
        axis=-1,
    )
    return Views(np.concatenate([fixed, random], axis=1).astype(np.int64), per_image=True)


def crop_view(x: np.ndarray, top: np.ndarray, left: np.ndarray, flip: np.ndarray, crop: int):
    """Windows ``(N, crop, crop, C)`` of ``x`` (N, H, W, C): per-face offsets and mirror flags.

    The mirror is taken of the whole face before cropping, as ``x[:, :, ::-1]`` does for the
    flip test-time augmentation of :func:`emostudy.training.predict_logits`.
    """
    n = len(x)
    top = np.broadcast_to(np.asarray(top), (n,))
    left = np.broadcast_to(np.asarray(left), (n,))
    flip = np.broadcast_to(np.asarray(flip, dtype=bool), (n,))
    source = np.where(flip[:, None, None, None], x[:, :, ::-1], x)
    rows = top[:, None] + np.arange(crop)[None, :]
    cols = left[:, None] + np.arange(crop)[None, :]
    out = source[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return out
