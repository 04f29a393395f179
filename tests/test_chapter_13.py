"""Chapter 13 (training cost): its quick run times only the precisions this CPU runs natively,
says which, and records the processor beside every time."""

import pytest

from emostudy.book import load_results
from emostudy.hardware import cpu_description, native_precisions

pytestmark = pytest.mark.notebook

VARIANTS = {"no normalisation", "Keras BatchNormalization", "FusedBatchNormalization"}


def test_chapter_times_three_normalisations_in_the_native_precisions(quick_run):
    executed, results_dir = quick_run("13_training_cost")
    table = load_results("training_cost", results_dir)
    results = table["results"]
    assert table["profile"] == "quick" and results["images_timed"] == 128
    assert results["precisions_timed"] == native_precisions()
    assert set(results["seconds_per_epoch"]) == VARIANTS
    for label, row in results["seconds_per_epoch"].items():
        assert list(row) == native_precisions(), label  # never an emulated precision
        assert all(seconds > 0 for seconds in row.values()), label
    fused = results["seconds_per_epoch"]["FusedBatchNormalization"]
    keras_bn = results["seconds_per_epoch"]["Keras BatchNormalization"]
    fastest = results["fastest_precision"]
    assert set(results["ratios"]) == set(native_precisions())
    assert results["ratios"][fastest]["fused speed-up over Keras BN"] == pytest.approx(
        keras_bn[fastest] / fused[fastest]
    )
    assert fused[fastest] == min(fused.values())
    assert table["cpu"] == cpu_description()
    estimate = results["headline_estimate"]
    assert estimate["precision"] in native_precisions() and estimate["minutes"] > 0
    spread = results["estimate_spread"]
    assert "chapter 10's run" in spread["earlier_estimates"]
    for pair in spread["like_for_like"]:  # only estimates of one precision on one kind of CPU
        assert pair["ratio"] >= 1
        assert pair["ratio"] == pytest.approx(pair["slower_seconds"] / pair["faster_seconds"])
    text = executed.read_text()
    assert "ch13_tables_with_cpu" in text and "ch13_like_max" in text
    if "mixed_bfloat16" not in native_precisions():
        assert "mixed_bfloat16 is not timed" in text
