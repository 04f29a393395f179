"""The from-scratch perceptron: the learning rule, convergence, XOR, and scikit-learn agreement."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import Perceptron as SklearnPerceptron
from sklearn.multiclass import OneVsRestClassifier

from emostudy.errors import InvalidInputError
from emostudy.nn import Perceptron
from emostudy.nn.perceptron import make_separable_blobs, make_xor, mistake_bound


def test_one_update_follows_the_rule_by_hand():
    # First sample is misclassified by w = 0, b = 0 (score 0 counts as a mistake):
    # w <- 0 + 0.5 * (+1) * [2, -1] = [1, -0.5], b <- 0.5; the second sample is then correct.
    X = np.array([[2.0, -1.0], [-3.0, 1.0]])
    y = np.array([1, -1])
    model = Perceptron(eta=0.5, max_epochs=1).fit(X, y)
    np.testing.assert_allclose(model.coef_, [1.0, -0.5])
    assert model.intercept_ == 0.5
    assert model.mistakes_ == [1]


def test_converges_on_separable_data_within_novikoff_bound():
    X, y = make_separable_blobs(200, margin=0.3, seed=1)
    model = Perceptron(max_epochs=1000).fit(X, y)
    assert model.converged_
    assert (model.predict(X) == y).all()
    bound = mistake_bound(X, y, model.coef_, model.intercept_)
    assert sum(model.mistakes_) <= bound


def test_fails_on_xor():
    X, y = make_xor(200, seed=0)
    model = Perceptron(max_epochs=50).fit(X, y)
    assert not model.converged_
    assert min(model.mistakes_) > 0
    assert (model.predict(X) == y).mean() < 0.8


def test_matches_scikit_learn_weights_exactly():
    X, y = load_digits(n_class=2, return_X_y=True)
    ours = Perceptron(eta=1.0, max_epochs=20).fit(X, y)
    theirs = SklearnPerceptron(
        penalty=None, eta0=1.0, max_iter=len(ours.mistakes_), tol=None, shuffle=False
    ).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_.ravel())
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_[0])
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_one_vs_rest_on_ten_digits_learns():
    X, y = load_digits(return_X_y=True)
    model = OneVsRestClassifier(Perceptron(max_epochs=30, shuffle=True, seed=0)).fit(X, y)
    assert (model.predict(X) == y).mean() > 0.9


def test_shuffle_is_seeded():
    X, y = make_xor(100, seed=3)
    a = Perceptron(max_epochs=5, shuffle=True, seed=7).fit(X, y)
    b = Perceptron(max_epochs=5, shuffle=True, seed=7).fit(X, y)
    c = Perceptron(max_epochs=5, shuffle=True, seed=8).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert not np.array_equal(a.coef_, c.coef_)


def test_labels_are_kept():
    X, y = make_separable_blobs(50, seed=0)
    words = np.where(y > 0, "happy", "sad")
    model = Perceptron().fit(X, words)
    assert set(model.predict(X)) <= {"happy", "sad"}
    assert (model.predict(X) == words).all()


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.zeros((4, 2)), np.array([0, 1, 2, 0]), "OneVsRestClassifier"),
        (np.zeros((4, 2)), np.array([0, 1, 0]), "4 samples but y has 3"),
        (np.zeros((4, 2, 2)), np.array([0, 1, 0, 1]), "reshape"),
    ],
)
def test_bad_input_is_named(X, y, message):
    with pytest.raises(InvalidInputError, match=message):
        Perceptron().fit(X, y)


def test_predict_before_fit_and_wrong_width():
    with pytest.raises(InvalidInputError, match="not fitted"):
        Perceptron().predict(np.zeros((1, 2)))
    model = Perceptron().fit(*make_separable_blobs(20))
    with pytest.raises(InvalidInputError, match="fitted on 2"):
        model.predict(np.zeros((1, 3)))


def test_separable_blobs_have_the_requested_gap():
    X, y = make_separable_blobs(300, margin=0.4, seed=2)
    model = Perceptron(max_epochs=1000).fit(X, y)
    assert model.converged_
    assert X.shape == (300, 2) and set(np.unique(y)) == {-1, 1}
