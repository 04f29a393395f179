"""What this CPU can do: its description, its bfloat16 support and the precisions it runs natively.

Kept apart from timing: a chapter asks this *before* choosing what to time or train, so that no run
times or trains in a precision the CPU only emulates (many times slower).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from typing import Any

#: oneDNN instruction-set levels (``ONEDNN_MAX_CPU_ISA``) that still reach each bfloat16 flag.

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


#: The precision every CPU runs natively.
FLOAT32 = "float32"


#: Keras' mixed policy: bfloat16 arithmetic, float32 weights.
MIXED_BFLOAT16 = "mixed_bfloat16"


_ONEDNN_LEVELS_FOR = {
    "amx_bf16": {"AVX512_CORE_AMX", "AVX512_CORE_AMX_FP16", "AVX10_1_512_AMX"}
    | {"AVX10_1_512_AMX_FP16", "ALL", "DEFAULT"},
    "avx512_bf16": {"AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX10_1_512", "AVX512_CORE_AMX"}
    | {"AVX512_CORE_AMX_FP16", "AVX10_1_512_AMX", "AVX10_1_512_AMX_FP16", "ALL", "DEFAULT"},
}


#: Instruction-set flags worth recording next to a timing (vector width, FMA, bfloat16, AMX).
SIMD_FLAG_PREFIXES = ("sse", "ssse", "avx", "fma", "f16c", "amx", "vnni")


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


__all__ = [
    "BFLOAT16_LEVELS",
    "BFLOAT16_NONE",
    "BFLOAT16_DISABLED",
    "FLOAT32",
    "MIXED_BFLOAT16",
    "SIMD_FLAG_PREFIXES",
    "bfloat16_support",
    "has_native_bfloat16",
    "native_precisions",
    "usable_precision",
    "cpu_description",
]
