"""Chapter 9 (CNN generations): its quick run trains every generation and scores all on one set."""

import pytest

from emostudy.book import PACKAGE_NAMES, load_privatetest_ledger, load_results
from emostudy.models import shipped_models

HEADLINES = {"v2": "gen4_headline", "v3": "gen5_headline_v3", "v4": "gen6_distilled_v4"}

pytestmark = pytest.mark.notebook


def test_chapter_scores_generations_anchor_and_tests_pairs(quick_run):
    _, results_dir = quick_run("09_emotion_cnns")
    table = load_results("fer2013", results_dir)
    assert table["profile"] == "quick"
    results = table["results"]
    generations = results["generations"]
    names = list(generations)
    ceiling = [name for name in names if name.startswith("ceiling: ")]
    assert len(ceiling) == 1
    # every shipped headline model, in its three test-time settings
    shipped = [
        key for version, key in HEADLINES.items() if PACKAGE_NAMES[version] in shipped_models()
    ]
    assert shipped[:2] == ["gen4_headline", "gen5_headline_v3"]
    assert [name for name in names if name not in ceiling] == [
        "gen1_tiny",
        "gen2_vgg",
        "gen3_regularised",
        *(key + setting for key in shipped for setting in ("", " + flip TTA", " + ten-crop")),
        "anchor: fer package",
        "anchor: fer package + flip TTA",
        "anchor: fer package + ten-crop",
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
    speed = results["faces_per_second"]
    assert speed["single pass"] > speed["flip TTA"] > speed["ten-crop"]
    assert results["one_face_latency_ms"]["ms_median"] > 0

    # Candidates are compared on PublicTest; the default may take at most two passes per face.
    candidates = results["candidates_publictest"]
    assert len(candidates) == 3 * (len(shipped) + 1 + (len(shipped) > 2))  # + the ensembles
    assert candidates[results["default_config"]]["passes per face"] <= 2
    best = max(c["PublicTest accuracy"] for c in candidates.values())
    assert candidates[results["ceiling_config"]]["PublicTest accuracy"] == best

    # Two workers on localhost end with identical weights.
    assert results["multiworker"]["workers"] == 2
    assert results["multiworker"]["largest_weight_difference"] == 0.0

    # Every PrivateTest evaluation of the run is in the run's own ledger, never the book's.
    ledger = load_privatetest_ledger(results_dir)
    assert len(ledger) == len(generations) == results["privatetest_ledger_entries"]
    assert set(ledger["profile"]) == {"quick"}


def test_chapter_figures_are_captured_even_under_agg(quick_run):
    executed, _ = quick_run("09_emotion_cnns")
    assert '"image/png"' in executed.read_text()  # training curves and confusion matrices
