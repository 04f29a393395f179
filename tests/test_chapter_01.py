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
