"""Loss functions that return the loss *and* its gradient, ready for backpropagation.

Every function here returns ``(loss, grad)`` where ``loss`` is a Python float — the **mean over the
batch** (the first axis) — and ``grad`` is the derivative of that mean loss with respect to the
first argument, with the same shape as that argument. Because the loss is a mean, every gradient
carries a factor ``1 / N`` (N = batch size).

Numerical stability:

* :func:`softmax_cross_entropy` works on logits and uses the log-sum-exp trick, so it never takes
  ``log(0)`` however large the logits are; its gradient is the famous ``(softmax(z) - y) / N``.
* :func:`cross_entropy` and :func:`binary_cross_entropy` take probabilities, so they clip them to
  ``[PROB_EPS, 1 - PROB_EPS]`` before the logarithm (Keras clips to 1e-7 in the same way).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from emostudy.errors import InvalidInputError
from emostudy.nn.activations import log_softmax, sigmoid, softmax

FloatArray = NDArray[np.float64]

#: Probabilities are clipped to ``[PROB_EPS, 1 - PROB_EPS]`` before taking a logarithm.
PROB_EPS = 1e-12


def _pair(a: ArrayLike, b: ArrayLike, name_a: str, name_b: str) -> tuple[FloatArray, FloatArray]:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise InvalidInputError(
            f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must match."
        )
    if a.ndim == 0 or a.shape[0] == 0:
        raise InvalidInputError(f"{name_a} must have a non-empty batch axis, got shape {a.shape}.")
    return a, b


def mse(y_pred: ArrayLike, y_true: ArrayLike) -> tuple[float, FloatArray]:
    """Mean squared error over all entries, and its gradient with respect to ``y_pred``.

    ``loss = mean((y_pred - y_true)**2)`` — for a (N, D) array this is the mean over the batch of
    the per-sample mean over D, exactly like ``keras.losses.MeanSquaredError``.

    Shapes: ``y_pred`` and ``y_true`` (N,) or (N, D). Returns ``(loss, dloss/dy_pred)``.
    """
    y_pred, y_true = _pair(y_pred, y_true, "y_pred", "y_true")
    diff = y_pred - y_true
    loss = float(np.mean(diff**2))
    grad = 2.0 * diff / diff.size  # d/dy_pred of sum(diff**2) / size
    return loss, grad


def cross_entropy(probs: ArrayLike, y_onehot: ArrayLike) -> tuple[float, FloatArray]:
    """Categorical cross-entropy ``-mean_n sum_k y_nk log p_nk`` from probabilities.

    Shapes: ``probs`` and ``y_onehot`` (N, K); rows of ``probs`` should sum to 1 (they are *not*
    renormalised). Returns ``(loss, dloss/dprobs)`` with ``dloss/dp_nk = -y_nk / (N p_nk)``.
    Prefer :func:`softmax_cross_entropy` when you have logits: it is exact and stable.
    """
    probs, y_onehot = _pair(probs, y_onehot, "probs", "y_onehot")
    n = probs.shape[0]
    clipped = np.clip(probs, PROB_EPS, 1.0 - PROB_EPS)
    loss = float(-np.sum(y_onehot * np.log(clipped)) / n)
    grad = -y_onehot / clipped / n
    return loss, grad


def softmax_cross_entropy(logits: ArrayLike, labels: ArrayLike) -> tuple[float, FloatArray]:
    """Softmax followed by cross-entropy, fused: loss and gradient with respect to the logits.

    Shapes: ``logits`` (N, K) float; ``labels`` (N,) integers in ``[0, K)``.
    ``loss = -mean_n log softmax(logits)_n[labels_n]`` (computed with log-sum-exp, so it is finite
    for any finite logits), and ``dloss/dlogits = (softmax(logits) - onehot(labels)) / N``.
    """
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if logits.ndim != 2 or logits.shape[0] == 0:
        raise InvalidInputError(f"logits must have shape (N, K) with N > 0, got {logits.shape}.")
    n, k = logits.shape
    if labels.shape != (n,):
        raise InvalidInputError(f"labels must have shape ({n},), got {labels.shape}.")
    if not np.issubdtype(labels.dtype, np.integer):
        raise InvalidInputError(f"labels must be integers, got dtype {labels.dtype}.")
    if labels.min() < 0 or labels.max() >= k:
        raise InvalidInputError(
            f"labels must lie in [0, {k}), got [{labels.min()}, {labels.max()}]."
        )
    rows = np.arange(n)
    loss = float(-np.mean(log_softmax(logits)[rows, labels]))
    grad = softmax(logits)
    grad[rows, labels] -= 1.0  # softmax(z) - onehot(y)
    grad /= n
    return loss, grad


def binary_cross_entropy(probs: ArrayLike, y_true: ArrayLike) -> tuple[float, FloatArray]:
    """Binary cross-entropy ``-mean[y log p + (1 - y) log(1 - p)]`` from probabilities.

    Shapes: ``probs`` and ``y_true`` (N,) or (N, D), targets in [0, 1]; the mean runs over all
    entries (as ``keras.losses.BinaryCrossentropy`` does). Returns ``(loss, dloss/dprobs)``.
    """
    probs, y_true = _pair(probs, y_true, "probs", "y_true")
    p = np.clip(probs, PROB_EPS, 1.0 - PROB_EPS)
    loss = float(-np.mean(y_true * np.log(p) + (1.0 - y_true) * np.log1p(-p)))
    grad = (p - y_true) / (p * (1.0 - p)) / p.size
    return loss, grad


def sigmoid_binary_cross_entropy(logits: ArrayLike, y_true: ArrayLike) -> tuple[float, FloatArray]:
    """Sigmoid followed by binary cross-entropy, fused: loss and gradient w.r.t. the logits.

    Uses ``-log sigmoid(z) = softplus(-z) = max(-z, 0) + log1p(exp(-|z|))``, finite for any z.
    Shapes: ``logits`` and ``y_true`` (N,) or (N, D). The gradient is ``(sigmoid(z) - y) / size``.
    """
    logits, y_true = _pair(logits, y_true, "logits", "y_true")
    # loss per entry = y * softplus(-z) + (1 - y) * softplus(z) = softplus(z) - y * z
    softplus = np.maximum(logits, 0.0) + np.log1p(np.exp(-np.abs(logits)))
    loss = float(np.mean(softplus - y_true * logits))
    grad = (sigmoid(logits) - y_true) / logits.size
    return loss, grad
