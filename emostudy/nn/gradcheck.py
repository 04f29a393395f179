"""Gradient checking: compare backprop's gradients with finite differences.

Central differences ``(f(w + eps) - f(w - eps)) / (2 eps)`` have an error of order ``eps**2``
(truncation) plus ``machine_eps * |f| / eps`` (round-off); in float64 with ``eps = 1e-6`` both are
far below 1e-8 for smooth losses, so a correct backprop agrees to about 1e-9 relative error and a
wrong one is off by orders of magnitude more. (ReLU's kink at 0 can spoil a check if a
pre-activation lies within ``eps`` of 0; with random data that practically never happens.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from emostudy.nn.optimizers import flatten_params

#: Denominator floor in :func:`relative_error`, so that two all-zero arrays compare as equal.
TINY = 1e-300


def numerical_gradient(f: Callable[[], float], params: Any, eps: float = 1e-6) -> list[np.ndarray]:
    """Central-difference gradient of ``f()`` with respect to every entry of every array.

    ``f`` takes no arguments and must read the current values of ``params`` (e.g. a closure
    ``lambda: mlp.loss(X, y)`` with ``params = mlp.params``). Each entry is nudged by ``+eps`` and
    ``-eps`` in place and then restored, so ``params`` are unchanged afterwards.

    Returns one float64 array per parameter array, in the order of ``flatten_params(params)``
    (for ``MLP.params``: W_1, b_1, W_2, b_2, ...). Costs 2 evaluations of ``f`` per entry.
    """
    grads = []
    for array in flatten_params(params):
        grad = np.zeros(array.shape, dtype=np.float64)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + eps
            f_plus = f()
            array[index] = original - eps
            f_minus = f()
            array[index] = original  # restore
            grad[index] = (f_plus - f_minus) / (2.0 * eps)
        grads.append(grad)
    return grads


def relative_error(a: ArrayLike, b: ArrayLike) -> float:
    """``max |a - b| / max(max(|a| + |b|), TINY)``: 0 when equal, 1 when of opposite sign."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), TINY))


def check_mlp_gradients(
    mlp: Any, X: ArrayLike, y: ArrayLike, eps: float = 1e-6
) -> dict[str, float]:
    """Relative error between :meth:`MLP.backward` and numerical gradients, per parameter.

    Returns ``{"W1": err, "b1": err, "W2": ..., ...}`` (layers numbered from 1). Keep ``X`` and
    the network small: the numerical gradient needs two forward passes per parameter.
    """
    _, cache = mlp.forward(X)
    analytic = flatten_params(mlp.backward(cache, y))
    numeric = numerical_gradient(lambda: mlp.loss(X, y), mlp.params, eps=eps)
    names = [f"{kind}{layer}" for layer in range(1, len(mlp.params) + 1) for kind in ("W", "b")]
    return {name: relative_error(a, n) for name, a, n in zip(names, analytic, numeric, strict=True)}
