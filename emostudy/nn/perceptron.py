"""Rosenblatt's perceptron, from scratch in NumPy (chapter 1).

The model is a single linear threshold unit, ``y_hat = sign(w . x + b)`` with labels in {-1, +1}.
The learning rule visits the samples one at a time and, for each mistake
(``y * (w . x + b) <= 0``), moves the boundary towards the sample:

    w <- w + eta * y * x        b <- b + eta * y

On linearly separable data this stops after a finite number of mistakes (Novikoff, 1962: at most
``(R / gamma)^2`` with ``R`` the largest norm of a sample and ``gamma`` the margin). On data that is
not separable (XOR) it never stops changing its mind.

With ``shuffle=False`` this is exactly scikit-learn's ``Perceptron(penalty=None, eta0=eta,
tol=None, shuffle=False)``; the tests check that both give the same weights.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from emostudy.errors import InvalidInputError


class Perceptron(ClassifierMixin, BaseEstimator):
    """Binary perceptron trained with Rosenblatt's rule.

    Works with any two class labels (they are mapped to -1/+1 internally), so it can be wrapped by
    scikit-learn's ``OneVsRestClassifier`` for more classes.

    Parameters
    ----------
    eta
        Learning rate (step size of each correction). The solution's direction does not depend on
        it when the weights start at zero; it only scales them.
    max_epochs
        Passes over the training set; training stops earlier after a pass with no mistake.
    shuffle
        Visit the samples in a new random order every epoch (seeded by ``seed``).
    seed
        Seed for the shuffling.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Weights ``w``.
    intercept_ : float
        Bias ``b``.
    classes_ : ndarray of shape (2,)
        The two labels; ``classes_[1]`` is the positive class.
    mistakes_ : list of int
        Number of updates made in each epoch (the learning curve).
    converged_ : bool
        Whether the last epoch made no mistake (the data was separated).
    """

    def __init__(
        self, eta: float = 1.0, max_epochs: int = 100, shuffle: bool = False, seed: int = 0
    ):
        self.eta = eta
        self.max_epochs = max_epochs
        self.shuffle = shuffle
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> Perceptron:
        """Learn ``w`` and ``b`` from samples ``X`` (n_samples, n_features) and two-valued ``y``."""
        X = _as_2d_float(X)
        y = np.asarray(y)
        if len(y) != len(X):
            raise InvalidInputError(f"X has {len(X)} samples but y has {len(y)} labels.")
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise InvalidInputError(
                f"Perceptron is a two-class model but y has {len(self.classes_)} classes "
                f"({self.classes_[:10].tolist()}); wrap it in sklearn's OneVsRestClassifier."
            )
        signs = np.where(y == self.classes_[1], 1.0, -1.0)
        rng = np.random.default_rng(self.seed)
        w, b = np.zeros(X.shape[1]), 0.0
        self.mistakes_ = []
        for _ in range(self.max_epochs):
            order = rng.permutation(len(X)) if self.shuffle else range(len(X))
            mistakes = 0
            for i in order:
                if signs[i] * (X[i] @ w + b) <= 0.0:  # wrong side of (or on) the boundary
                    w += self.eta * signs[i] * X[i]
                    b += self.eta * signs[i]
                    mistakes += 1
            self.mistakes_.append(mistakes)
            if mistakes == 0:
                break
        self.coef_, self.intercept_ = w, b
        self.converged_ = self.mistakes_[-1] == 0
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Signed score ``w . x + b`` per sample, shape (n_samples,); > 0 means ``classes_[1]``."""
        X = _as_2d_float(X)
        if not hasattr(self, "coef_"):
            raise InvalidInputError("This Perceptron is not fitted yet: call fit(X, y) first.")
        if X.shape[1] != self.n_features_in_:
            raise InvalidInputError(
                f"X has {X.shape[1]} features but the perceptron was fitted on "
                f"{self.n_features_in_}."
            )
        return X @ self.coef_ + self.intercept_

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted label of each sample, shape (n_samples,)."""
        return np.where(self.decision_function(X) > 0.0, self.classes_[1], self.classes_[0])


def _as_2d_float(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise InvalidInputError(
            f"X must be a 2-D array (n_samples, n_features), got shape {X.shape}; "
            "flatten images with X.reshape(len(X), -1)."
        )
    return X


def make_separable_blobs(
    n_samples: int = 100, *, margin: float = 0.5, offset: float = 0.4, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two linearly separable 2-D point clouds with labels -1/+1.

    Points are drawn uniformly in the square [-1, 1]^2 on both sides of a random line at a random
    distance of at most ``offset`` from the origin (so the bias has to be learned too); points
    closer than ``margin / 2`` to the line are dropped, so the classes are separated by a gap of
    width ``margin``. Returns ``X`` (n_samples, 2) and ``y`` (n_samples,).
    """
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])
    distance = rng.uniform(-offset, offset)
    points: list[np.ndarray] = []
    while sum(len(p) for p in points) < n_samples:
        candidates = rng.uniform(-1, 1, size=(4 * n_samples, 2))
        points.append(candidates[np.abs(candidates @ normal - distance) >= margin / 2])
    X = np.concatenate(points)[:n_samples]
    y = np.where(X @ normal - distance > 0, 1, -1)
    return X, y


def make_xor(
    n_samples: int = 200, *, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: four Gaussian clusters at (+-1, +-1), label +1 when the signs differ.

    Returns ``X`` (n_samples, 2) and ``y`` (n_samples,) in {-1, +1}. No line separates it.
    """
    rng = np.random.default_rng(seed)
    corners = rng.choice([-1.0, 1.0], size=(n_samples, 2))
    X = corners + rng.normal(scale=noise, size=(n_samples, 2))
    y = np.where(corners[:, 0] != corners[:, 1], 1, -1)
    return X, y


def mistake_bound(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """Novikoff's bound ``(R / gamma)^2`` on the perceptron's number of mistakes.

    ``R`` is the largest norm of an augmented sample ``(x, 1)`` and ``gamma`` the margin of the
    separating hyperplane ``(w, b)`` (normalised), which must separate the data.
    """
    Xa = np.hstack([np.asarray(X, float), np.ones((len(X), 1))])
    wa = np.append(w, b)
    margins = np.where(np.asarray(y) > 0, 1, -1) * (Xa @ wa) / np.linalg.norm(wa)
    if margins.min() <= 0:
        raise InvalidInputError("The hyperplane (w, b) does not separate the data.")
    radius = np.linalg.norm(Xa, axis=1).max()
    return float((radius / margins.min()) ** 2)
