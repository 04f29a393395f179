"""Chapter 8 (the emotion data): the counts, audit findings and label-noise study (FER+ votes on
Training and PublicTest) that its quick run must reproduce."""

import numpy as np
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


def test_chapter_measures_label_noise_on_training_and_publictest_only(quick_run):
    _, results_dir = quick_run("08_emotions_and_data")
    noise = load_results("emotion_data", results_dir)["results"]["ferplus_label_noise"]
    assert noise["usages"] == ["Training", "PublicTest"]
    assert set(noise["agreement_by_usage"]) == {"Training", "PublicTest"}
    assert noise["n_images"] >= noise["n_with_votes"] >= noise["n_majority_emotion"] > 0
    matrix = np.array(noise["agreement_matrix"]["counts"])
    assert matrix.shape == (7, 10) and matrix.sum() == noise["n_with_votes"]
    kept = matrix[:, :8]  # FER+'s protocol: the majority is one of the 8 emotions
    assert kept.sum() == noise["n_majority_emotion"]
    assert np.trace(kept) / kept.sum() == pytest.approx(noise["agreement_fer2013_vs_majority"])
    typical = noise["typical_annotator_vs_fer2013"]
    loo = noise["typical_annotator_vs_majority_of_others"]
    assert 0 < typical["all"] < 1 and 0 < loo["all"] < 1
    # counting an annotator in their own majority can only flatter them
    assert noise["typical_annotator_vs_majority_with_self"] >= loo["all"]
    assert 0 <= noise["mean_entropy_bits"] <= np.log2(10)
    assert len(noise["gallery"]["files"]) == 12
    assert not any("PrivateTest" in name for name in noise["gallery"]["files"])


@pytest.mark.skipif(not (data_dir() / "fer2013").is_dir(), reason="FER-2013 is absent")
def test_chapter_on_real_data_finds_the_known_faults(quick_run):
    _, results_dir = quick_run("08_emotions_and_data")
    table = load_results("emotion_data", results_dir)["results"]
    assert table["fer2013_counts"]["Training"]["happy"] == 7214
    assert table["audit"]["n_conflicting_groups"] == 57
    assert table["audit"]["n_id_collisions"] == 4
    assert 16 < table["happy_over_disgust"]["all"] < 17
    assert table["ckplus"]["n_images"] == 327 and table["ckplus"]["n_subjects"] == 118


@pytest.mark.skipif(
    not (data_dir() / "fer2013").is_dir() or not (data_dir() / "ferplus").is_dir(),
    reason="FER-2013 or its FER+ votes are absent",
)
def test_chapter_on_real_votes_finds_noisy_labels_and_a_human_yardstick(quick_run):
    _, results_dir = quick_run("08_emotions_and_data")
    noise = load_results("emotion_data", results_dir)["results"]["ferplus_label_noise"]
    # the votes file's counts: Training 28,560 and PublicTest 3,579 images with votes
    assert noise["n_with_votes"] == 28560 + 3579
    assert 0.5 < noise["agreement_fer2013_vs_majority"] < 0.8
    assert (
        abs(noise["agreement_by_usage"]["Training"] - noise["agreement_by_usage"]["PublicTest"])
        < 0.03
    )
    typical, loo = (
        noise["typical_annotator_vs_fer2013"],
        noise["typical_annotator_vs_majority_of_others"],
    )
    # one annotator agrees less with FER-2013's label than the ten-vote majority does, and more
    # with the majority of the others than with FER-2013's label
    assert 0.45 < typical["all"] < noise["agreement_fer2013_vs_majority"] < loo["all"] < 0.8
    assert typical["happy"] > 0.8 and typical["fear"] < 0.3
    by_majority = noise["entropy_by_majority"]
    assert min(by_majority, key=by_majority.get) == "happy"
    assert by_majority["disgust"] > 1.5
