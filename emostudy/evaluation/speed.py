"""Wall-clock time per image of any callable (detectors, models, whole pipelines)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from emostudy.errors import InvalidInputError


def time_per_image(
    fn: Callable[[Any], Any],
    images: Sequence[Any],
    *,
    warmup: int = 2,
    repeats: int = 3,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:
    """Time ``fn(image)`` on each image: ``warmup`` untimed calls, then ``repeats`` timed passes.

    Parameters
    ----------
    fn
        Called with one image at a time; its result is ignored.
    images
        The images (arrays or anything ``fn`` accepts). If they are arrays, their sizes are
        reported (``resolution``), so that a time always comes with the size it was measured at.
    warmup
        Untimed calls before timing, cycling through ``images`` (0 allowed).
    repeats
        Timed passes over all the images (at least 1).

    Returns
    -------
    dict
        ``ms_median`` (median over all timed calls), ``ms_mean``, ``ms_p10``, ``ms_p90``,
        ``ms_min``, ``ms_max``, ``ms_per_image`` (``(n_images,)`` median over repeats of each
        image), ``n_images``, ``repeats``, ``warmup``, ``calls`` (timed calls), and
        ``resolution`` (``"WxH"`` when every image has the same size, ``"mixed"`` otherwise,
        ``None`` for non-arrays).
    """
    images = list(images)
    if not images:
        raise InvalidInputError("time_per_image needs at least one image.")
    if int(repeats) < 1 or int(warmup) < 0:
        raise InvalidInputError(f"Need repeats >= 1 and warmup >= 0, got {repeats}, {warmup}.")
    for i in range(int(warmup)):
        fn(images[i % len(images)])
    times = np.empty((int(repeats), len(images)))
    for r in range(int(repeats)):
        for i, image in enumerate(images):
            start = clock()
            fn(image)
            times[r, i] = clock() - start
    ms = times * 1000.0
    return {
        "ms_median": float(np.median(ms)),
        "ms_mean": float(ms.mean()),
        "ms_p10": float(np.percentile(ms, 10)),
        "ms_p90": float(np.percentile(ms, 90)),
        "ms_min": float(ms.min()),
        "ms_max": float(ms.max()),
        "ms_per_image": np.median(ms, axis=0),
        "n_images": len(images),
        "repeats": int(repeats),
        "warmup": int(warmup),
        "calls": int(ms.size),
        "resolution": _resolution(images),
    }


def _resolution(images: Sequence[Any]) -> str | None:
    shapes = {tuple(np.shape(im)[:2]) for im in images if isinstance(im, np.ndarray)}
    if len(shapes) != len(images) and not all(isinstance(im, np.ndarray) for im in images):
        return None
    if len(shapes) == 1:
        ((h, w),) = shapes
        return f"{w}x{h}"
    return "mixed"
