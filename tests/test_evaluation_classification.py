"""Confusion-matrix metrics against scikit-learn, bootstrap intervals and McNemar's test."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from emostudy.errors import InvalidInputError
from emostudy.evaluation import (
    bootstrap_ci,
    classification_metrics,
    confusion_matrix,
    evaluate,
    mcnemar,
)

NAMES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def _predictions(n=400, k=7, accuracy=0.6, never_predicted=(1,), seed=0):
    """Random labels with roughly the given accuracy; classes in ``never_predicted`` never
    appear in y_pred (like 'disgust' for many FER models)."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, size=n)
    y_pred = np.where(rng.random(n) < accuracy, y_true, rng.integers(0, k, size=n))
    allowed = np.setdiff1d(np.arange(k), never_predicted)
    bad = np.isin(y_pred, never_predicted)
    y_pred[bad] = rng.choice(allowed, size=bad.sum())
    return y_true, y_pred


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_scikit_learn(seed):
    y_true, y_pred = _predictions(seed=seed)
    labels = list(range(7))
    result = classification_metrics(y_true, y_pred, NAMES)
    assert 1 not in y_pred  # a class never predicted: precision 0/0
    assert result["n"] == len(y_true)
    np.testing.assert_array_equal(
        result["confusion"], skm.confusion_matrix(y_true, y_pred, labels=labels)
    )
    assert result["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred), abs=1e-12)
    assert result["balanced_accuracy"] == pytest.approx(
        skm.balanced_accuracy_score(y_true, y_pred), abs=1e-12
    )
    assert result["macro_f1"] == pytest.approx(
        skm.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0), abs=1e-12
    )
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    for k, name in enumerate(NAMES):
        per_class = result["per_class"][name]
        assert per_class["precision"] == pytest.approx(precision[k], abs=1e-12)
        assert per_class["recall"] == pytest.approx(recall[k], abs=1e-12)
        assert per_class["f1"] == pytest.approx(f1[k], abs=1e-12)
        assert per_class["support"] == support[k]
    assert result["per_class"]["disgust"]["precision"] == 0.0


def test_zero_division_conventions_match_scikit_learn_defaults():
    # Class 2 is absent from y_true (but predicted once); class 3 is absent from both.
    y_true = np.array([0, 0, 1, 1, 1])
    y_pred = np.array([0, 1, 1, 2, 1])
    labels = [0, 1, 2, 3]
    result = classification_metrics(y_true, y_pred, ["a", "b", "c", "d"])
    with pytest.warns(Warning):  # scikit-learn warns, then uses 0.0 (we just use 0.0)
        expected_f1 = skm.f1_score(y_true, y_pred, labels=labels, average="macro")
    with pytest.warns(UserWarning):
        expected_bal = skm.balanced_accuracy_score(y_true, y_pred)
    assert result["macro_f1"] == pytest.approx(expected_f1)
    assert result["balanced_accuracy"] == pytest.approx(expected_bal)  # mean over classes 0, 1
    assert result["balanced_accuracy"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert result["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert result["per_class"]["d"]["f1"] == 0.0


def test_confusion_matrix_rows_are_true_classes():
    cm = confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], n_classes=3)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [0, 1, 0]])


def test_input_validation():
    with pytest.raises(InvalidInputError, match="must match"):
        confusion_matrix([0, 1], [0], 2)
    with pytest.raises(InvalidInputError, match=r"must lie in \[0, 1\]"):
        confusion_matrix([0, 2], [0, 1], 2)
    with pytest.raises(InvalidInputError, match="integer"):
        classification_metrics([0.5, 1.0], [0, 1], ["a", "b"])
    with pytest.raises(InvalidInputError, match="empty"):
        classification_metrics([], [], ["a", "b"])
    with pytest.raises(InvalidInputError, match="1-D"):
        confusion_matrix([[0, 1]], [[0, 1]], 2)
    with pytest.raises(InvalidInputError, match="metric"):
        bootstrap_ci([0, 1], [0, 1], metric="auc")
    with pytest.raises(InvalidInputError, match="pred_b"):
        mcnemar([0, 1], [0, 1], [0, 1, 1])


@pytest.mark.parametrize("metric", ["accuracy", "balanced_accuracy", "macro_f1"])
def test_bootstrap_ci_contains_estimate_and_narrows_with_n(metric):
    widths = []
    for n in (200, 3200):
        y_true, y_pred = _predictions(n=n, seed=3)
        point = classification_metrics(y_true, y_pred, NAMES)[metric]
        low, high = bootstrap_ci(y_true, y_pred, metric, n_boot=500, seed=0, n_classes=7)
        assert low <= point <= high
        widths.append(high - low)
    assert widths[1] < 0.5 * widths[0]  # width ~ 1 / sqrt(n): expect ~ 1/4


def test_bootstrap_accuracy_ci_agrees_with_normal_approximation():
    y_true, y_pred = _predictions(n=2000, seed=4)
    p = np.mean(y_true == y_pred)
    low, high = bootstrap_ci(y_true, y_pred, n_boot=2000, seed=1)
    half_width = 1.96 * np.sqrt(p * (1 - p) / len(y_true))
    assert (high - low) / 2 == pytest.approx(half_width, rel=0.1)
    assert bootstrap_ci(y_true, y_pred, n_boot=2000, seed=1) == (low, high)  # seeded


def test_bootstrap_is_fast_on_a_fer2013_sized_test_set():
    y_true, y_pred = _predictions(n=3589, seed=5)
    start = time.perf_counter()
    bootstrap_ci(y_true, y_pred, "macro_f1", n_boot=1000, n_classes=7)
    assert time.perf_counter() - start < 1.0


def test_evaluate_bundles_metrics_and_intervals():
    y_true, y_pred = _predictions(n=300, seed=6)
    result = evaluate(y_true, y_pred, NAMES, n_boot=300, seed=2)
    assert result["accuracy"] == classification_metrics(y_true, y_pred, NAMES)["accuracy"]
    assert set(result["ci"]) == {"accuracy", "balanced_accuracy", "macro_f1"}
    for metric, interval in result["ci"].items():
        assert interval == bootstrap_ci(y_true, y_pred, metric, n_boot=300, seed=2, n_classes=7)
        assert interval[0] <= result[metric] <= interval[1]


def test_mcnemar_exact_hand_worked_case():
    # 20 examples: both right on 8, both wrong on 2, only A right on 2 (b), only B right on 8 (c).
    y_true = np.zeros(20, dtype=int)
    pred_a = np.array([0] * 8 + [1] * 2 + [0] * 2 + [1] * 8)
    pred_b = np.array([0] * 8 + [1] * 2 + [1] * 2 + [0] * 8)
    result = mcnemar(y_true, pred_a, pred_b)
    # b + c = 10 < 25 -> exact: p = 2 P(X <= 2), X ~ Bin(10, 1/2)
    #   = 2 (C(10,0) + C(10,1) + C(10,2)) / 2**10 = 2 * (1 + 10 + 45) / 1024 = 0.109375
    assert (result["b"], result["c"]) == (2, 8)
    assert result["method"] == "exact"
    assert result["statistic"] == 2.0
    assert result["p_value"] == pytest.approx(0.109375, abs=1e-12)


def test_mcnemar_chi_square_hand_worked_case():
    # b = 30, c = 10 -> b + c = 40 >= 25: chi2 = (|30 - 10| - 1)**2 / 40 = 361 / 40 = 9.025.
    # With 1 degree of freedom, p = P(|N(0,1)| > sqrt(9.025) = 3.0042) = 0.00266.
    y_true = np.ones(50, dtype=int)
    pred_a = np.array([1] * 30 + [0] * 10 + [1] * 10)
    pred_b = np.array([0] * 30 + [1] * 10 + [1] * 10)
    result = mcnemar(y_true, pred_a, pred_b)
    assert (result["b"], result["c"], result["method"]) == (30, 10, "chi2")
    assert result["statistic"] == pytest.approx(9.025)
    assert result["p_value"] == pytest.approx(2 * stats.norm.sf(np.sqrt(9.025)), rel=1e-12)
    assert result["p_value"] == pytest.approx(0.00266, abs=1e-5)


def test_mcnemar_identical_predictions_give_p_one():
    y_true, pred_a = _predictions(n=200, seed=7)
    result = mcnemar(y_true, pred_a, pred_a)
    assert (result["b"], result["c"], result["p_value"]) == (0, 0, 1.0)


def test_mcnemar_matches_statsmodels_if_installed():
    contingency = pytest.importorskip("statsmodels.stats.contingency_tables")
    y_true, pred_a = _predictions(n=200, seed=7)
    _, pred_b = _predictions(n=200, seed=8)
    ours = mcnemar(y_true, pred_a, pred_b)
    a_right, b_right = pred_a == y_true, pred_b == y_true
    table = [
        [np.sum(a_right & b_right), np.sum(a_right & ~b_right)],
        [np.sum(~a_right & b_right), np.sum(~a_right & ~b_right)],
    ]
    ref = contingency.mcnemar(table, exact=ours["method"] == "exact", correction=True)
    assert ours["p_value"] == pytest.approx(ref.pvalue)
