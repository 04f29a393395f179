"""Chapter 11 (transfer learning on CK+): every method on the same subject folds, numbers that
add up, the leak measured, and the result table in the published format."""

import json
from pathlib import Path

import numpy as np
import pytest

from emostudy.book import load_results
from emostudy.data import CKPLUS_CLASSES
from emostudy.models import DEFAULT_EMOTION_MODEL
from emostudy.transfer import FEATURE_LAYERS

pytestmark = pytest.mark.notebook

METHODS = [
    "CNN from scratch",
    "frozen features + LR",
    "fine-tuned network",
    "face descriptors + SVM",
    "landmarks + SVM",
    "ensemble: fine-tuned network + frozen features + LR",
    "frozen FER+ features + LR",
]
ENSEMBLE = METHODS[5]
PUBLISHED = Path(__file__).resolve().parents[1] / "book" / "results" / "ckplus.json"


def check_table(results, n_splits):
    assert [m["name"] for m in results["methods"]] == METHODS
    for method in results["methods"]:
        folds = method["folds"]
        assert len(folds) == n_splits, method["name"]
        assert method["mean_accuracy"] == pytest.approx(np.mean(folds))
        assert method["std_accuracy"] == pytest.approx(np.std(folds, ddof=1))
        assert 0 <= method["macro_f1"] <= 1 and method["seconds_per_fold"] > 0
        assert list(method["per_class_recall"]) == list(CKPLUS_CLASSES)
        confusion = np.array(method["confusion"])
        assert confusion.sum() == results["n_images"]
        recall = np.diag(confusion) / np.maximum(confusion.sum(axis=1), 1)
        np.testing.assert_allclose(recall, list(method["per_class_recall"].values()))
    for method in results["methods"]:
        if method["name"] == ENSEMBLE:  # the ensemble has no training side of its own
            continue
        assert len(method["training_accuracy"]) == n_splits
        assert all(0 <= a <= 1 for a in method["training_accuracy"])
    best = max(results["methods"], key=lambda m: m["mean_accuracy"])
    assert results["best_method"] == best["name"]
    leak = results["leaky_folds"]
    assert leak["method"] == best["name"]
    assert leak["subject_independent_accuracy"] == pytest.approx(best["mean_accuracy"])
    assert leak["gap"] == pytest.approx(leak["leaky_accuracy"] - best["mean_accuracy"])
    assert leak["mean_test_subjects_also_in_training"] > 0
    assert 0 <= leak["accuracy_on_training_images"] <= 1
    tests = {(t["a"], t["b"]): t for t in results["pretraining_vs_scratch"]}
    assert set(tests) == {
        ("fine-tuned network", "CNN from scratch"),
        ("frozen features + LR", "CNN from scratch"),
    }
    labels_test = results["ferplus_vs_fer2013_features"]
    assert (labels_test["a"], labels_test["b"]) == (
        "frozen FER+ features + LR",
        "frozen features + LR",
    )
    for test in [*tests.values(), labels_test]:
        assert 0 <= test["p_value"] <= 1
        assert test["wins"] + test["ties"] + test["losses"] == n_splits
    by_name = {m["name"]: m for m in results["methods"]}
    assert set(results["intervals_by_subject"]) == set(by_name)
    for name, interval in results["intervals_by_subject"].items():
        assert interval["accuracy"] == pytest.approx(by_name[name]["pooled_accuracy"])
        assert interval["low"] <= interval["accuracy"] <= interval["high"]
        assert interval["n_subjects"] == results["n_subjects"]
    # zero-shot: the FER-2013-label network scores six CK+ classes, the default FER+ model all seven
    assert results["ferplus_model"] == DEFAULT_EMOTION_MODEL
    six = results["zero_shot_fer_to_ckplus"]
    assert "contempt" not in six["per_class_recall"] and len(six["per_class_recall"]) == 6
    seven = results["zero_shot_ferplus_to_ckplus"]
    assert seven["model"] == DEFAULT_EMOTION_MODEL
    assert list(seven["per_class_recall"]) == list(CKPLUS_CLASSES) == seven["classes"]
    assert seven["dropped"] == 0 and seven["n"] == results["n_images"]
    assert six["n"] == results["n_images"] - results["class_counts"]["contempt"]
    assert 0 <= seven["accuracy"] <= 1 and 0 <= seven["balanced_accuracy"] <= 1


def test_quick_run_scores_every_method_on_the_same_subject_folds(quick_run):
    executed, results_dir = quick_run("11_transfer_learning")
    table = load_results("ckplus", results_dir)
    assert table["profile"] == "quick"
    results = table["results"]
    assert results["n_splits"] == 3
    check_table(results, 3)
    frozen = next(m for m in results["methods"] if m["name"] == "frozen features + LR")
    assert {c["features"] for c in frozen["choices"]} <= set(FEATURE_LAYERS)
    reverse = results["fer2013_privatetest_six_classes"]
    assert list(reverse["shipped"]["per_class_recall"]) == [
        "angry",
        "disgust",
        "fear",
        "happy",
        "sad",
        "surprise",
    ]
    code = "".join(
        "".join(cell["source"])
        for cell in json.loads(executed.read_text())["cells"]
        if cell["cell_type"] == "code"
    )
    assert "make_folds(ck, n_splits=n_splits, seed=seed)" in code
    assert "ferplus_model or DEFAULT_EMOTION_MODEL" in code
    assert "ferplus_vgg" not in code  # the default model by its constant, never by a typed name
    plus = next(m for m in results["methods"] if m["name"] == "frozen FER+ features + LR")
    assert {c["features"] for c in plus["choices"]} <= set(FEATURE_LAYERS)


@pytest.mark.skipif(not PUBLISHED.is_file(), reason="the full run is not committed yet")
def test_published_table_has_the_issue_format_and_consistent_numbers():
    table = json.loads(PUBLISHED.read_text())
    assert table["profile"] == "full"
    results = table["results"]
    assert results["n_images"] == 327 and results["n_subjects"] == 118
    check_table(results, 10)
