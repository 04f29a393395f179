"""Chapter 9 (CNN generations): its quick run trains every generation and scores all on one set."""

import pytest

from emostudy.results import load_results

pytestmark = pytest.mark.notebook


def test_chapter_scores_generations_anchor_and_tests_pairs(quick_run):
    _, results_dir = quick_run("09_emotion_cnns")
    table = load_results("fer2013", results_dir)
    assert table["profile"] == "quick"
    results = table["results"]
    generations = results["generations"]
    assert list(generations) == [
        "gen1_tiny",
        "gen2_vgg",
        "gen3_regularised",
        "gen4_headline",
        "gen4_headline + flip TTA",
        "anchor: fer package",
    ]
    for name, entry in generations.items():
        low, high = entry["accuracy_ci95"]
        assert 0 <= low <= entry["accuracy"] <= high <= 1, name
        assert len(entry["per_class_recall"]) == 7
        total = sum(map(sum, entry["confusion"]))
        assert total == results["n_images"]["report"]
    for name in ("gen1_tiny", "gen2_vgg", "gen3_regularised"):
        assert generations[name]["epochs"] == 1  # quick profile: one epoch each
        assert generations[name]["training_seconds"] > 0
    assert "gen3_regularised → gen4_headline" in results["mcnemar"]
    assert results["faces_per_second"]["single pass"] > results["faces_per_second"]["flip TTA"]


def test_chapter_figures_are_captured_even_under_agg(quick_run):
    executed, _ = quick_run("09_emotion_cnns")
    assert '"image/png"' in executed.read_text()  # training curves and confusion matrices
