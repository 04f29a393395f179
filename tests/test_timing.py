"""The timing helper on fakes of known cost (sleeps, a fake clock); never absolute times."""

from __future__ import annotations

import time

import numpy as np
import pytest

from emostudy.errors import InvalidInputError
from emostudy.timing import time_per_image


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

    from emostudy.timing import time_training_epoch

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
    from emostudy.timing import time_training_epoch

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
    from emostudy.timing import bfloat16_support

    cpuinfo = f"processor\t: 0\nmodel name\t: X\nflags\t\t: {flags}\n\nprocessor\t: 1\n"
    assert bfloat16_support(cpuinfo) == expected


def test_bfloat16_support_of_this_machine_is_one_of_the_answers():
    from emostudy.timing import BFLOAT16_LEVELS, BFLOAT16_NONE, bfloat16_support

    answers = {*BFLOAT16_LEVELS.values(), BFLOAT16_NONE, "unknown"}
    assert bfloat16_support() in answers
