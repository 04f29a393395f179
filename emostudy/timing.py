"""Fair wall-clock timing: per-image functions (detectors, preprocessing...) and training epochs.

"Fair" means: the same images for every function, at a stated resolution; a few warm-up calls
first (lazy initialisation, memory allocation and caches are not the steady-state cost); several
repeats; the **median** over images and repeats reported (robust to a background process waking
up); all in the current process, one call at a time. On a shared machine the absolute numbers
still drift, so time competing functions in the same session, one after the other.
"""

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


def time_training_epoch(
    build: Callable[[], Any],
    n_images: int = 1536,
    *,
    input_shape: Sequence[int] = (48, 48, 1),
    batch_size: int = 128,
    precision: str = "float32",
    repeats: int = 2,
    scale_to: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Seconds per training epoch of the Keras model made by ``build()``, fairly measured.

    The model (built under the dtype policy ``precision``) is compiled with Adam and
    cross-entropy on its logits and fitted on ``n_images`` random inputs of ``input_shape`` with
    random labels: one untimed warm-up epoch (graph tracing, memory), then ``repeats`` timed
    epochs. Random data is enough: the cost of a step does not depend on the pixel values.

    Returns ``seconds_per_epoch`` (median over the repeats, for ``n_images`` images, or scaled
    linearly to ``scale_to`` images when given), ``seconds_per_epoch_best`` (the fastest repeat,
    as ``timeit`` reports: on a shared machine slow-downs come from outside, so the minimum is
    the steadier estimate of the model's own cost), ``ms_per_image`` (from the median),
    ``n_images``, ``repeats``, ``precision``, ``batch_size`` and ``n_params``. Absolute times
    drift on a shared machine: compare settings timed one after another in the same session, as
    ratios.
    """
    import keras

    from emostudy.training import _precision_policy, set_seed

    if n_images < batch_size or int(repeats) < 1:
        raise InvalidInputError(
            f"Need n_images >= batch_size ({batch_size}) and repeats >= 1, "
            f"got {n_images} and {repeats}."
        )
    set_seed(seed)
    with _precision_policy(precision):
        model = build()
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
    rng = np.random.default_rng(seed)
    x = rng.random((n_images, *input_shape), dtype=np.float32)
    y = rng.integers(0, int(model.output_shape[-1]), n_images)
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)  # warm-up
    seconds = []
    for _ in range(int(repeats)):
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
        seconds.append(time.perf_counter() - start)
    per_epoch = float(np.median(seconds))
    scale = scale_to / n_images if scale_to else 1.0
    return {
        "seconds_per_epoch": per_epoch * scale,
        "seconds_per_epoch_best": float(np.min(seconds)) * scale,
        "ms_per_image": 1000.0 * per_epoch / n_images,
        "n_images": int(scale_to or n_images),
        "repeats": int(repeats),
        "precision": precision,
        "batch_size": int(batch_size),
        "n_params": int(model.count_params()),
    }


#: What the processor offers for bfloat16, from its Linux ``/proc/cpuinfo`` flags, strongest first.
BFLOAT16_LEVELS = {
    "amx_bf16": "AMX matrix units",
    "avx512_bf16": "AVX512-BF16 vector instructions (no matrix units)",
}

#: :func:`bfloat16_support`'s answer for a CPU with neither flag.
BFLOAT16_NONE = "none (bfloat16 is emulated; prefer float32)"


def bfloat16_support(cpuinfo: str | None = None) -> str:
    """How this CPU runs bfloat16 arithmetic, in words: the speed-up of the ``mixed_bfloat16``
    policy depends on it, and convolutions run several times faster on AMX matrix units than on
    AVX512-BF16 vector instructions alone (time it: :func:`time_training_epoch`).

    ``cpuinfo`` is the text of ``/proc/cpuinfo`` (read when None). Returns a value of
    :data:`BFLOAT16_LEVELS`, :data:`BFLOAT16_NONE`, or ``"unknown"``
    where ``/proc/cpuinfo`` does not exist (not Linux).
    """
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as file:
                cpuinfo = file.read()
        except OSError:
            return "unknown"
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    for flag, words in BFLOAT16_LEVELS.items():
        if flag in flags:
            return words
    return BFLOAT16_NONE
