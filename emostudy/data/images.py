"""Reading 48x48 grayscale face images from disk, one at a time or many in parallel."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from emostudy._quiet import quiet_unless
from emostudy.data.classes import FACE_SIZE
from emostudy.errors import (
    CorruptImageError,
    DataLayoutError,
    DataNotFoundError,
)
from emostudy.imageio import read_image

#: File name extensions read as images (lower case).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")


#: How many corrupt images a data set may contain before loading fails: max(5, 0.1% of files).
CORRUPT_MIN, CORRUPT_FRACTION = 5, 0.001


class CorruptImageWarning(UserWarning):
    """Some images of a data set could not be decoded and were skipped."""


def read_gray(path: str | os.PathLike) -> np.ndarray:
    """Read one 48x48 grayscale face image.

    Returns
    -------
    np.ndarray
        ``(48, 48)`` uint8 array, gray levels 0..255 (colour files are converted to gray).

    Raises
    ------
    DataNotFoundError
        If the file does not exist.
    CorruptImageError
        If the file cannot be read or decoded as an image.
    DataLayoutError
        If the image is not 48x48 pixels.
    """
    image = read_image(path, color_order="gray", hint="Re-download the data set.")
    if image.shape != (FACE_SIZE, FACE_SIZE):
        height, width = image.shape
        raise DataLayoutError(
            f"Image {Path(path)} is {width}x{height} pixels; images must be "
            f"{FACE_SIZE}x{FACE_SIZE} grayscale faces. Resize them first (for example with "
            f"cv2.resize(image, ({FACE_SIZE}, {FACE_SIZE}), interpolation=cv2.INTER_AREA))."
        )
    return image


def read_many(
    paths: Sequence[str | os.PathLike],
    *,
    progress: bool = True,
    desc: str = "Reading images",
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read many 48x48 grayscale images in parallel threads, skipping a few corrupt ones.

    If at most ``max(5, 0.1% of len(paths))`` files are corrupt they are skipped with one
    :class:`CorruptImageWarning`; more than that raise :class:`CorruptImageError`. A file of the
    wrong size raises :class:`DataLayoutError` at once.

    Returns
    -------
    images, kept
        ``(M, 48, 48, 1)`` uint8 images of the readable files, and the ``(M,)`` int64 positions
        in ``paths`` they come from.
    """
    n = len(paths)
    images = np.empty((n, FACE_SIZE, FACE_SIZE, 1), dtype=np.uint8)
    ok = np.ones(n, dtype=bool)

    def read(position: int) -> None:
        try:
            images[position, :, :, 0] = read_gray(paths[position])
        except (CorruptImageError, DataNotFoundError):
            ok[position] = False

    workers = workers or min(4, os.cpu_count() or 1)
    chunk = 256
    with (
        tqdm(total=n, desc=desc, unit="img", **quiet_unless(progress)) as bar,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        for start in range(0, n, chunk):
            batch = range(start, min(start + chunk, n))
            list(pool.map(read, batch))  # re-raises DataLayoutError from any thread
            bar.update(len(batch))
    bad = np.flatnonzero(~ok)
    if bad.size:
        limit = max(CORRUPT_MIN, int(CORRUPT_FRACTION * n))
        first = ", ".join(str(paths[i]) for i in bad[:5])
        more = " ..." if bad.size > 5 else ""
        if bad.size > limit or bad.size == n:
            how_many = "all of them" if bad.size == n else f"more than the {limit} tolerated"
            raise CorruptImageError(
                f"{bad.size} of {n} image files cannot be decoded ({how_many}), for example: "
                f"{first}{more}. The download is damaged: re-download the data set."
            )
        warnings.warn(
            f"Skipped {bad.size} of {n} image files that cannot be decoded: {first}{more}.",
            CorruptImageWarning,
            stacklevel=3,
        )
    kept = np.flatnonzero(ok).astype(np.int64)
    return (images if ok.all() else images[kept]), kept
