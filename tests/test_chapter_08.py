"""Chapter 8 (the emotion data): the counts and audit findings its quick run must reproduce."""

import pytest

from emostudy.book import load_results
from emostudy.settings import data_dir

pytestmark = pytest.mark.notebook


def test_chapter_reports_counts_audit_and_policy(quick_run):
    _, results_dir = quick_run("08_emotions_and_data")
    table = load_results("emotion_data", results_dir)["results"]
    audit = table["audit"]
    counts = table["fer2013_counts"]
    assert sum(counts["total"].values()) == audit["n_images"]
    excluded = table["training_exclusions"]
    assert set(excluded) == {"blank", "conflicting", "test_copy", "repeat"}
    assert table["ckplus"]["max_subject_overlap"] == 0


@pytest.mark.skipif(not (data_dir() / "fer2013").is_dir(), reason="FER-2013 is absent")
def test_chapter_on_real_data_finds_the_known_faults(quick_run):
    _, results_dir = quick_run("08_emotions_and_data")
    table = load_results("emotion_data", results_dir)["results"]
    assert table["fer2013_counts"]["Training"]["happy"] == 7214
    assert table["audit"]["n_conflicting_groups"] == 57
    assert table["audit"]["n_id_collisions"] == 4
    assert 16 < table["happy_over_disgust"]["all"] < 17
    assert table["ckplus"]["n_images"] == 327 and table["ckplus"]["n_subjects"] == 118
