"""Chapter 1 (the perceptron): the numbers its quick run must reproduce."""

import pytest

from emostudy.book import load_results


@pytest.mark.notebook
def test_perceptron_chapter_numbers(quick_run):
    _, results_dir = quick_run("01_perceptron")
    table = load_results("perceptron", results_dir)["results"]
    assert table["separable"]["converged"] is True
    assert table["xor"]["converged"] is False
    assert table["xor"]["accuracy"] < 0.8 < table["xor"]["accuracy_with_product_feature"]
    assert table["digits_3_vs_8"]["max_weight_difference"] == 0.0
    assert table["digits_10_ovr"]["test_accuracy"] > 0.85
    faces = table["faces_happy_vs_sad"]
    assert faces["publictest_balanced_accuracy"] > 0.5
    low, high = faces["publictest_accuracy_wilson_95"]
    assert 0.0 < low < faces["publictest_accuracy"] < high < 1.0
    assert high - low < 0.1  # over a thousand PublicTest faces
    orders = faces["accuracy_over_other_orders"]
    assert len(orders) >= 2 and len(set(orders)) > 1  # the visiting order moves the result
