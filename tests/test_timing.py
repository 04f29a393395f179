"""The timing helper on fakes of known cost (sleeps, a fake clock); never absolute times."""

from __future__ import annotations

import time

import numpy as np
import pytest

from emostudy.errors import InvalidInputError
from emostudy.evaluation import time_per_image


def test_structure_and_ordering_on_sleeps():
    images = [np.zeros((48, 64, 3), np.uint8)] * 3
    fast = time_per_image(lambda im: time.sleep(0.001), images, warmup=1, repeats=2)
    slow = time_per_image(lambda im: time.sleep(0.02), images, warmup=1, repeats=2)
    assert fast["n_images"] == 3 and fast["repeats"] == 2 and fast["calls"] == 6
    assert fast["resolution"] == "64x48" and len(fast["ms_per_image"]) == 3
    assert fast["ms_min"] <= fast["ms_p10"] <= fast["ms_median"] <= fast["ms_p90"] <= fast["ms_max"]
    assert slow["ms_median"] > fast["ms_median"]
    assert slow["ms_min"] >= 20.0  # sleep never returns early


def test_warmup_calls_are_not_timed_and_the_median_ignores_outliers():
    ticks = iter(np.arange(0, 1000, 0.001))  # a fake clock: each reading is 1 ms later
    calls = []
    result = time_per_image(
        calls.append, ["a", "b"], warmup=3, repeats=2, clock=lambda: next(ticks)
    )
    assert calls == ["a", "b", "a", "a", "b", "a", "b"]  # 3 warm-up calls, then 2 passes
    assert result["ms_median"] == pytest.approx(1.0) and result["resolution"] is None

    costs = iter([0.001, 0.001, 0.5, 0.001, 0.001, 0.001])  # one slow outlier call
    now = [0.0]

    def clock():
        return now[0]

    def fn(_):
        now[0] += next(costs)

    result = time_per_image(fn, [1, 2, 3], warmup=0, repeats=2, clock=clock)
    assert result["ms_median"] == pytest.approx(1.0)
    assert result["ms_max"] == pytest.approx(500.0)


def test_mixed_sizes_and_bad_arguments():
    images = [np.zeros((10, 10), np.uint8), np.zeros((20, 10), np.uint8)]
    assert time_per_image(len, images, warmup=0, repeats=1)["resolution"] == "mixed"
    with pytest.raises(InvalidInputError):
        time_per_image(len, [], repeats=1)
    with pytest.raises(InvalidInputError):
        time_per_image(len, images, repeats=0)


def test_training_epoch_time_grows_with_the_work_and_scales_linearly():
    import keras

    from emostudy.training import time_training_epoch

    def build(width):
        inputs = keras.Input((8, 8, 1))
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.Dense(width, activation="relu")(x)
        return lambda: keras.Model(inputs, keras.layers.Dense(3)(x))

    small = time_training_epoch(build(4), 256, input_shape=(8, 8, 1), batch_size=32, repeats=1)
    assert small["n_images"] == 256 and small["precision"] == "float32"
    assert small["n_params"] == 64 * 4 + 4 + 4 * 3 + 3
    assert 0 < small["seconds_per_epoch_best"] <= small["seconds_per_epoch"]
    assert small["ms_per_image"] == pytest.approx(1000 * small["seconds_per_epoch"] / 256)
    scaled = time_training_epoch(
        build(4), 256, input_shape=(8, 8, 1), batch_size=32, repeats=1, scale_to=2560
    )
    assert scaled["n_images"] == 2560
    assert scaled["seconds_per_epoch"] == pytest.approx(scaled["ms_per_image"] * 2560 / 1000)


def test_training_epoch_refuses_too_few_images():
    from emostudy.training import time_training_epoch

    with pytest.raises(InvalidInputError, match="n_images >= batch_size"):
        time_training_epoch(lambda: None, 10, batch_size=128)


@pytest.mark.parametrize(
    "flags, expected",
    [
        ("fpu avx512f avx512_bf16 amx_bf16 amx_tile", "AMX matrix units"),
        ("fpu avx512f avx512_bf16", "AVX512-BF16 vector instructions (no matrix units)"),
        ("fpu sse2 avx2", "none (bfloat16 is emulated; prefer float32)"),  # BFLOAT16_NONE
    ],
)
def test_bfloat16_support_reads_the_strongest_cpu_flag(flags, expected):
    from emostudy.hardware import bfloat16_support

    assert bfloat16_support(_cpuinfo(flags), environ={}) == expected


def _cpuinfo(flags: str, model: str = "X") -> str:
    return f"processor\t: 0\nmodel name\t: {model}\nflags\t\t: {flags}\n\nprocessor\t: 1\n"


AMX = "fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile"
AVX512_BF16 = "fpu avx2 avx512f avx512_bf16"
AVX2 = "fpu sse2 avx2 fma"


@pytest.mark.parametrize(
    "flags, environ, native, precisions",
    [
        (AMX, {}, True, ["float32", "mixed_bfloat16"]),
        (AVX512_BF16, {}, True, ["float32", "mixed_bfloat16"]),
        (AVX2, {}, False, ["float32"]),
        # oneDNN off: TensorFlow's own kernels emulate bfloat16 even on a CPU with the units
        (AMX, {"TF_ENABLE_ONEDNN_OPTS": "0"}, False, ["float32"]),
        # oneDNN capped below the bfloat16 instructions
        (AVX512_BF16, {"ONEDNN_MAX_CPU_ISA": "AVX2"}, False, ["float32"]),
        (AMX, {"DNNL_MAX_CPU_ISA": "avx512_core"}, False, ["float32"]),
        # a cap that still reaches the vector instructions (not AMX)
        (AMX, {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_BF16"}, True, ["float32", "mixed_bfloat16"]),
        (AVX512_BF16, {"ONEDNN_MAX_CPU_ISA": "ALL", "TF_ENABLE_ONEDNN_OPTS": "1"}, True, None),
    ],
)
def test_native_bfloat16_needs_the_units_and_onednn_allowed_to_use_them(
    flags, environ, native, precisions
):
    from emostudy.hardware import has_native_bfloat16, native_precisions, usable_precision

    assert has_native_bfloat16(_cpuinfo(flags), environ=environ) is native
    if precisions is not None:
        assert native_precisions(_cpuinfo(flags), environ=environ) == precisions
    expected = "mixed_bfloat16" if native else "float32"
    assert usable_precision("mixed_bfloat16", _cpuinfo(flags), environ=environ) == expected
    assert usable_precision("float32", _cpuinfo(flags), environ=environ) == "float32"


def test_bfloat16_support_names_the_setting_that_disables_the_units():
    from emostudy.hardware import bfloat16_support, has_native_bfloat16

    words = bfloat16_support(_cpuinfo(AMX), environ={"ONEDNN_MAX_CPU_ISA": "AVX2"})
    assert "ONEDNN_MAX_CPU_ISA=AVX2" in words and "emulated" in words
    assert bfloat16_support(_cpuinfo(AMX), environ={"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_BF16"}) == (
        "AVX512-BF16 vector instructions (no matrix units)"
    )
    assert not has_native_bfloat16("", environ={})  # no flags at all


def test_cpu_description_records_model_and_vector_flags_only():
    from emostudy.hardware import cpu_description

    cpu = cpu_description(_cpuinfo("fpu vme sse2 avx2 fma avx512f avx512_bf16", "AMD EPYC 9R14"))
    assert cpu["model"] == "AMD EPYC 9R14"
    assert cpu["simd_flags"] == ["avx2", "avx512_bf16", "avx512f", "fma", "sse2"]
    assert cpu["cores"] >= 1
    assert cpu["native_precisions"] in (["float32", "mixed_bfloat16"], ["float32"])


def test_timing_an_emulated_precision_is_refused_with_the_fix(monkeypatch):
    from emostudy import hardware, training

    monkeypatch.setattr(hardware, "has_native_bfloat16", lambda *a, **k: False)
    with pytest.raises(InvalidInputError, match="native_precisions.*allow_emulated=True"):
        training.time_training_epoch(lambda: None, 256, precision="mixed_bfloat16")


def test_bfloat16_support_of_this_machine_is_one_of_the_answers():
    import os

    from emostudy.hardware import (
        BFLOAT16_DISABLED,
        BFLOAT16_LEVELS,
        BFLOAT16_NONE,
        bfloat16_support,
    )

    answers = {*BFLOAT16_LEVELS.values(), BFLOAT16_NONE, "unknown"}
    for setting in ("TF_ENABLE_ONEDNN_OPTS=0", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"):
        name = setting.partition("=")[0]
        if name in os.environ:
            value = os.environ[name].strip()
            answers.add(BFLOAT16_DISABLED.format(setting=f"{name}={value.upper()}"))
    assert bfloat16_support() in answers


def _dense(width):
    import keras

    def build():
        inputs = keras.Input((8, 8, 1))
        hidden = keras.layers.Dense(width, activation="relu")(keras.layers.Flatten()(inputs))
        return keras.Model(inputs, keras.layers.Dense(3)(hidden))

    return build


def test_compare_training_cost_times_only_native_precisions_by_default(monkeypatch):
    from emostudy import hardware, training

    monkeypatch.setattr(hardware, "has_native_bfloat16", lambda *a, **k: False)
    table = training.compare_training_cost(
        {"narrow": _dense(2), "wide": _dense(512)},
        256,
        repeats=1,
        input_shape=(8, 8, 1),
        batch_size=32,
        scale_to=2560,
    )
    assert list(table.index) == ["narrow", "wide"] and list(table.columns) == ["float32"]
    assert (table["float32"] > 0).all()
    with pytest.raises(InvalidInputError, match="only emulate bfloat16"):
        training.compare_training_cost(
            {"narrow": _dense(2)},
            256,
            precisions=["mixed_bfloat16"],
            input_shape=(8, 8, 1),
            batch_size=32,
            repeats=1,
        )
    with pytest.raises(InvalidInputError, match="at least one model"):
        training.compare_training_cost({})
