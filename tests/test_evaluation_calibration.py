"""Calibration metrics checked against independent implementations (scikit-learn, SciPy)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import kl_div, rel_entr
from scipy.special import softmax as scipy_softmax
from sklearn.calibration import calibration_curve
from sklearn.metrics import log_loss

from emostudy.errors import InvalidInputError
from emostudy.evaluation.calibration import (
    N_BINS,
    expected_calibration_error,
    fit_temperature,
    mean_kl_from_shares,
    negative_log_likelihood,
    reliability_bins,
)
from emostudy.models import softmax


def _data(n=3000, k=7, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k)) * scale
    labels = np.array([rng.choice(k, p=p) for p in scipy_softmax(logits / 2.0, axis=1)])
    return logits, labels


def test_reliability_bins_match_sklearn_calibration_curve():
    logits, labels = _data()
    p = softmax(logits)
    bins = reliability_bins(p, labels)
    assert len(bins) == N_BINS and bins["count"].sum() == len(p)
    correct = (p.argmax(axis=1) == labels).astype(int)
    prob_true, prob_pred = calibration_curve(correct, p.max(axis=1), n_bins=15, strategy="uniform")
    used = bins[bins["count"] > 0]
    np.testing.assert_allclose(used["accuracy"], prob_true, rtol=1e-12)
    np.testing.assert_allclose(used["confidence"], prob_pred, rtol=1e-12)


def test_ece_equals_the_weighted_gap_of_sklearn_bins():
    logits, labels = _data(seed=1)
    p = softmax(logits)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == labels).astype(int)
    prob_true, prob_pred = calibration_curve(correct, confidence, n_bins=15, strategy="uniform")
    edges = np.linspace(0, 1, 16)
    counts = np.bincount(np.searchsorted(edges[1:-1], confidence), minlength=15)
    expected = (counts[counts > 0] / len(p) * np.abs(prob_true - prob_pred)).sum()
    assert expected_calibration_error(p, labels) == pytest.approx(expected, rel=1e-12)
    # the over-confident logits are badly calibrated; the right temperature fixes most of it
    assert expected_calibration_error(p, labels) > 0.1
    assert expected_calibration_error(softmax(logits, temperature=2.0), labels) < 0.03


def test_ece_of_a_hand_example():
    # two images at confidence 0.9 (one right) and two at 0.6 (both right): bins 13 and 8
    p = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
    y = np.array([0, 1, 0, 1])
    assert expected_calibration_error(p, y) == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)


def test_a_confidence_on_a_bin_edge_goes_to_the_lower_bin():
    p = np.array([[2 / 3, 1 / 3]])  # 2/3 = 10/15: the upper edge of bin 9
    bins = reliability_bins(p, np.array([0]), n_bins=15)
    assert bins["count"].iloc[9] == 1


def test_mean_kl_matches_scipy():
    rng = np.random.default_rng(2)
    p = scipy_softmax(rng.normal(size=(500, 8)), axis=1)
    votes = rng.multinomial(10, np.full(8, 1 / 8), size=500)
    shares = votes / votes.sum(axis=1, keepdims=True)
    expected = rel_entr(shares, p).sum(axis=1).mean()
    assert mean_kl_from_shares(p, shares) == pytest.approx(expected, rel=1e-9)
    # kl_div adds p - s terms that sum to 0 over a distribution
    assert mean_kl_from_shares(p, shares) == pytest.approx(kl_div(shares, p).sum(1).mean())
    assert mean_kl_from_shares(shares, shares, eps=1e-12) == pytest.approx(0.0, abs=1e-9)


def test_kl_floors_zero_probabilities_at_eps():
    p = np.array([[1.0, 0.0]])
    s = np.array([[0.5, 0.5]])
    eps = 1e-7
    floored = np.array([1.0, eps]) / (1 + eps)
    expected = 0.5 * np.log(0.5 / floored[0]) + 0.5 * np.log(0.5 / floored[1])
    assert mean_kl_from_shares(p, s, eps=eps) == pytest.approx(expected)


def test_temperature_recovers_the_generating_one_and_minimises_sklearn_log_loss():
    logits, labels = _data(n=20000, seed=3)
    t = fit_temperature(logits, labels)
    assert t == pytest.approx(2.0, rel=0.05)
    nll = log_loss(labels, softmax(logits, temperature=t), labels=range(7))
    assert negative_log_likelihood(logits, labels, temperature=t) == pytest.approx(nll)
    for other in (t * 0.97, t * 1.03):
        assert log_loss(labels, softmax(logits, temperature=other), labels=range(7)) > nll


def test_temperature_against_soft_targets():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(4000, 8)) * 4
    shares = softmax(logits, temperature=2.5)
    t = fit_temperature(logits, shares)
    assert t == pytest.approx(2.5, rel=1e-3)  # the exact minimiser of the cross-entropy


def test_bad_inputs_are_refused():
    with pytest.raises(InvalidInputError):
        expected_calibration_error(np.ones((3, 2)), np.zeros(3, int))
    with pytest.raises(InvalidInputError):
        expected_calibration_error(np.full((3, 2), 0.5), np.array([0, 1, 2]))
    with pytest.raises(InvalidInputError):
        mean_kl_from_shares(np.full((3, 2), 0.5), np.full((3, 3), 1 / 3))
    with pytest.raises(InvalidInputError):
        fit_temperature(np.zeros((3, 2)), np.zeros((3, 5)))
