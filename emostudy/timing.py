"""Fair wall-clock timing: per-image functions (detectors, preprocessing...) and training epochs.

"Fair" means: the same images for every function, at a stated resolution; a few warm-up calls
first (lazy initialisation, memory allocation and caches are not the steady-state cost); several
repeats; the **median** over images and repeats reported (robust to a background process waking
up); all in the current process, one call at a time. On a shared machine the absolute numbers
still drift, so time competing functions in the same session, one after the other.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
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
    import keras

    from emostudy.training import _precision_policy, set_seed

    if n_images < batch_size or int(repeats) < 1:
        raise InvalidInputError(
            f"Need n_images >= batch_size ({batch_size}) and repeats >= 1, "
            f"got {n_images} and {repeats}."
        )
    if precision == MIXED_BFLOAT16 and not allow_emulated and not has_native_bfloat16():
        raise InvalidInputError(
            f"This CPU would only emulate bfloat16 ({bfloat16_support()}): timing "
            f"precision={precision!r} measures the emulation and can take tens of times longer. "
            "Time the precisions in emostudy.timing.native_precisions() instead, or pass "
            "allow_emulated=True to measure the emulation on purpose."
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
        "cpu": cpu_description(),
    }


#: What the processor offers for bfloat16, from its Linux ``/proc/cpuinfo`` flags, strongest first.
BFLOAT16_LEVELS = {
    "amx_bf16": "AMX matrix units",
    "avx512_bf16": "AVX512-BF16 vector instructions (no matrix units)",
}

#: :func:`bfloat16_support`'s answer for a CPU with neither flag.
BFLOAT16_NONE = "none (bfloat16 is emulated; prefer float32)"

#: :func:`bfloat16_support`'s answer when the CPU has the units but oneDNN, the library that
#: TensorFlow uses to reach them, is switched off or capped below them (see :func:`_onednn_cap`).
BFLOAT16_DISABLED = "disabled for TensorFlow by {setting} (bfloat16 is emulated; prefer float32)"

#: oneDNN instruction-set levels (``ONEDNN_MAX_CPU_ISA``) that still reach each bfloat16 flag.
_ONEDNN_LEVELS_FOR = {
    "amx_bf16": {"AVX512_CORE_AMX", "AVX512_CORE_AMX_FP16", "AVX10_1_512_AMX"}
    | {"AVX10_1_512_AMX_FP16", "ALL", "DEFAULT"},
    "avx512_bf16": {"AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX10_1_512", "AVX512_CORE_AMX"}
    | {"AVX512_CORE_AMX_FP16", "AVX10_1_512_AMX", "AVX10_1_512_AMX_FP16", "ALL", "DEFAULT"},
}

#: Instruction-set flags worth recording next to a timing (vector width, FMA, bfloat16, AMX).
SIMD_FLAG_PREFIXES = ("sse", "ssse", "avx", "fma", "f16c", "amx", "vnni")

#: The precision every CPU runs natively.
FLOAT32 = "float32"
#: Keras' mixed policy: bfloat16 arithmetic, float32 weights.
MIXED_BFLOAT16 = "mixed_bfloat16"


def _read_cpuinfo(cpuinfo: str | None) -> str | None:
    if cpuinfo is not None:
        return cpuinfo
    try:
        with open("/proc/cpuinfo") as file:
            return file.read()
    except OSError:
        return None


def _cpu_flags(cpuinfo: str) -> set[str]:
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return flags


def _onednn_cap(flag: str, environ: Mapping[str, str]) -> str | None:
    """The environment setting that keeps TensorFlow from using ``flag``'s units, or None.

    ``TF_ENABLE_ONEDNN_OPTS=0`` switches oneDNN off (TensorFlow's own kernels then emulate
    bfloat16); ``ONEDNN_MAX_CPU_ISA`` (or its old name ``DNNL_MAX_CPU_ISA``) caps the instruction
    sets oneDNN may use, e.g. ``AVX2`` makes a bfloat16 CPU behave like one without the units.
    """
    if environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip().lower() in {"0", "false", "off"}:
        return "TF_ENABLE_ONEDNN_OPTS=0"
    for name in ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"):
        cap = environ.get(name, "").strip().upper()
        if cap and cap not in _ONEDNN_LEVELS_FOR[flag]:
            return f"{name}={cap}"
    return None


def bfloat16_support(
    cpuinfo: str | None = None, *, environ: Mapping[str, str] | None = None
) -> str:
    """How TensorFlow on this CPU runs bfloat16 arithmetic, in words.

    The speed of the ``mixed_bfloat16`` policy depends on it: convolutions run several times
    faster on AMX matrix units than on AVX512-BF16 vector instructions alone, and without either
    bfloat16 is *emulated*, many times slower than float32 (time it:
    :func:`time_training_epoch`).

    Parameters
    ----------
    cpuinfo
        The text of ``/proc/cpuinfo`` (read when None).
    environ
        Environment variables to consult (default ``os.environ``): ``TF_ENABLE_ONEDNN_OPTS=0`` or
        an ``ONEDNN_MAX_CPU_ISA`` below the CPU's bfloat16 level disable the units for
        TensorFlow, and the answer says so.

    Returns
    -------
    str
        A value of :data:`BFLOAT16_LEVELS`, :data:`BFLOAT16_NONE`, :data:`BFLOAT16_DISABLED`
        (formatted with the setting), or ``"unknown"`` where ``/proc/cpuinfo`` does not exist
        (not Linux).
    """
    cpuinfo = _read_cpuinfo(cpuinfo)
    if cpuinfo is None:
        return "unknown"
    environ = os.environ if environ is None else environ
    flags = _cpu_flags(cpuinfo)
    disabled_by = None
    for flag, words in BFLOAT16_LEVELS.items():
        if flag in flags:
            setting = _onednn_cap(flag, environ)
            if setting is None:
                return words
            disabled_by = disabled_by or setting
    if disabled_by is not None:
        return BFLOAT16_DISABLED.format(setting=disabled_by)
    return BFLOAT16_NONE


def has_native_bfloat16(
    cpuinfo: str | None = None, *, environ: Mapping[str, str] | None = None
) -> bool:
    """True when TensorFlow can run bfloat16 on this CPU's own units (AMX or AVX512-BF16).

    False for CPUs without them, where oneDNN is off or capped below them, and where the CPU
    cannot be read (not Linux): there the safe answer is float32.
    """
    return bfloat16_support(cpuinfo, environ=environ) in BFLOAT16_LEVELS.values()


def native_precisions(
    cpuinfo: str | None = None, *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """The Keras precisions this CPU runs natively: ``["float32"]``, plus ``"mixed_bfloat16"``
    when :func:`has_native_bfloat16`. Benchmarks time only these."""
    if has_native_bfloat16(cpuinfo, environ=environ):
        return [FLOAT32, MIXED_BFLOAT16]
    return [FLOAT32]


def usable_precision(
    requested: str, cpuinfo: str | None = None, *, environ: Mapping[str, str] | None = None
) -> str:
    """``requested``, or ``"float32"`` when it is ``"mixed_bfloat16"`` and the CPU would only
    emulate bfloat16 (many times slower than float32, for no gain in accuracy)."""
    if requested == MIXED_BFLOAT16 and not has_native_bfloat16(cpuinfo, environ=environ):
        return FLOAT32
    return requested


def cpu_description(
    cpuinfo: str | None = None, *, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The facts a timing needs beside it: which processor, which instruction sets, how many cores.

    Returns
    -------
    dict
        ``model`` (``/proc/cpuinfo``'s model name, else :func:`platform.processor`),
        ``machine`` (e.g. ``"x86_64"``), ``cores`` (logical CPUs this process may use),
        ``simd_flags`` (sorted vector and matrix flags: SSE, AVX, FMA, F16C, VNNI, AMX),
        ``bfloat16`` (:func:`bfloat16_support`) and ``native_precisions``.
    """
    cpuinfo = _read_cpuinfo(cpuinfo)
    model = None
    flags: set[str] = set()
    if cpuinfo is not None:
        for line in cpuinfo.splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
        flags = _cpu_flags(cpuinfo)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count()
    return {
        "model": model or platform.processor() or "unknown",
        "machine": platform.machine(),
        "cores": cores,
        "simd_flags": sorted(f for f in flags if f.startswith(SIMD_FLAG_PREFIXES)),
        "bfloat16": bfloat16_support(cpuinfo, environ=environ),
        "native_precisions": native_precisions(cpuinfo, environ=environ),
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
    precisions = list(native_precisions() if precisions is None else precisions)
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
