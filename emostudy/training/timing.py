"""Timing training: one epoch in a given precision, and cost tables across models and precisions."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from emostudy import hardware
from emostudy._quiet import import_keras
from emostudy.errors import InvalidInputError
from emostudy.hardware import MIXED_BFLOAT16


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
    allow_emulated: bool = False,
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
    ``n_images``, ``repeats``, ``precision``, ``batch_size``, ``n_params`` and ``cpu``
    (:func:`cpu_description`). Absolute times drift on a shared machine: compare settings timed
    one after another in the same session, as ratios.

    ``precision="mixed_bfloat16"`` on a CPU that would only emulate bfloat16 (see
    :func:`has_native_bfloat16`) is refused: an emulated epoch can take tens of times longer and
    measures the emulation, not the model. Pass ``allow_emulated=True`` to time it anyway.
    """
    keras = import_keras()

    from emostudy.training.loop import set_seed
    from emostudy.training.precision import precision_policy

    if n_images < batch_size or int(repeats) < 1:
        raise InvalidInputError(
            f"Need n_images >= batch_size ({batch_size}) and repeats >= 1, "
            f"got {n_images} and {repeats}."
        )
    if precision == MIXED_BFLOAT16 and not allow_emulated and not hardware.has_native_bfloat16():
        raise InvalidInputError(
            f"This CPU would only emulate bfloat16 ({hardware.bfloat16_support()}): timing "
            f"precision={precision!r} measures the emulation and can take tens of times longer. "
            "Time the precisions in emostudy.hardware.native_precisions() instead, or pass "
            "allow_emulated=True to measure the emulation on purpose."
        )
    set_seed(seed)
    with precision_policy(precision):
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
        "cpu": hardware.cpu_description(),
    }


def compare_training_cost(
    builds: Mapping[str, Callable[[], Any]],
    n_images: int = 1536,
    *,
    precisions: Sequence[str] | None = None,
    repeats: int = 5,
    scale_to: int | None = None,
    input_shape: Sequence[int] = (48, 48, 1),
    batch_size: int = 128,
    seed: int = 0,
):
    """Seconds per training epoch of several models in several precisions, timed one after the
    other in this process, as a table.

    Parameters
    ----------
    builds
        ``{label: build}``, each ``build()`` returning a fresh uncompiled Keras model.
    n_images
        Random inputs per timed epoch (see :func:`time_training_epoch`).
    precisions
        Keras precisions to time; default :func:`native_precisions`, so that an emulated
        ``mixed_bfloat16`` is never timed by accident (asking for it explicitly on a CPU without
        bfloat16 units raises :class:`~emostudy.errors.InvalidInputError`).
    repeats, scale_to, input_shape, batch_size, seed
        As in :func:`time_training_epoch`.

    Returns
    -------
    pandas.DataFrame
        One row per label (in ``builds`` order), one column per precision: the fastest of
        ``repeats`` timed epochs (``seconds_per_epoch_best``), in seconds per epoch of
        ``scale_to`` images (of ``n_images`` when None).
    """
    import pandas as pd

    if not builds:
        raise InvalidInputError("compare_training_cost needs at least one model to time.")
    precisions = list(hardware.native_precisions() if precisions is None else precisions)
    seconds: dict[str, dict[str, float]] = {}
    for precision in precisions:
        for label, build in builds.items():
            timed = time_training_epoch(
                build,
                n_images,
                input_shape=input_shape,
                batch_size=batch_size,
                precision=precision,
                repeats=repeats,
                scale_to=scale_to,
                seed=seed,
            )
            seconds.setdefault(label, {})[precision] = timed["seconds_per_epoch_best"]
    return pd.DataFrame(seconds).T[precisions]
