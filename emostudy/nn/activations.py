"""Activation functions and their derivatives, on float64 NumPy arrays.

Each activation ``f`` comes with ``f_grad(z)``, the element-wise derivative ``df/dz`` evaluated at
the pre-activation ``z`` (same shape as ``z``). Softmax is the exception: its derivative is a
Jacobian, so :func:`softmax_grad` returns the vector-Jacobian product for a given upstream
gradient instead.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def _as_float(z: ArrayLike) -> FloatArray:
    return np.asarray(z, dtype=np.float64)


def sigmoid(z: ArrayLike) -> FloatArray:
    """Logistic function ``1 / (1 + exp(-z))``, computed without overflow for large ``|z|``."""
    z = _as_float(z)
    out = np.empty_like(z)
    positive = z >= 0
    # For z >= 0, exp(-z) <= 1 cannot overflow; for z < 0 use the equivalent exp(z) / (1 + exp(z)).
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    exp_z = np.exp(z[~positive])
    out[~positive] = exp_z / (1.0 + exp_z)
    return out


def sigmoid_grad(z: ArrayLike) -> FloatArray:
    """Derivative of the sigmoid: ``s(z) * (1 - s(z))``; at most 0.25 (at z = 0)."""
    s = sigmoid(z)
    return s * (1.0 - s)


def relu(z: ArrayLike) -> FloatArray:
    """Rectified linear unit ``max(z, 0)``."""
    return np.maximum(_as_float(z), 0.0)


def relu_grad(z: ArrayLike) -> FloatArray:
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (the value at exactly 0 is taken as 0)."""
    return (_as_float(z) > 0).astype(np.float64)


def tanh(z: ArrayLike) -> FloatArray:
    """Hyperbolic tangent, range (-1, 1)."""
    return np.tanh(_as_float(z))


def tanh_grad(z: ArrayLike) -> FloatArray:
    """Derivative of tanh: ``1 - tanh(z)**2``."""
    t = np.tanh(_as_float(z))
    return 1.0 - t * t


def identity(z: ArrayLike) -> FloatArray:
    """Linear (no-op) activation."""
    return _as_float(z).copy()


def identity_grad(z: ArrayLike) -> FloatArray:
    """Derivative of the identity: ones."""
    return np.ones_like(_as_float(z))


def softmax(z: ArrayLike) -> FloatArray:
    """Softmax along the last axis: ``exp(z_k) / sum_j exp(z_j)``.

    Subtracting the row maximum first leaves the result unchanged (it cancels between numerator
    and denominator) but keeps every exponent <= 0, so nothing overflows.
    """
    z = _as_float(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    exp_z = np.exp(shifted)
    return exp_z / exp_z.sum(axis=-1, keepdims=True)


def log_softmax(z: ArrayLike) -> FloatArray:
    """``log(softmax(z))`` along the last axis, computed stably (log-sum-exp trick)."""
    z = _as_float(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_grad(z: ArrayLike, upstream: ArrayLike) -> FloatArray:
    """Vector-Jacobian product of softmax: ``dL/dz`` given ``upstream = dL/dsoftmax(z)``.

    The Jacobian is ``J_kj = p_k (delta_kj - p_j)``, so ``(upstream @ J)_j = p_j (g_j - sum_k g_k
    p_k)``. Shapes: ``z`` and ``upstream`` are (..., K); the result is (..., K).
    """
    p = softmax(z)
    g = _as_float(upstream)
    return p * (g - (g * p).sum(axis=-1, keepdims=True))


#: Element-wise activations by name: ``name -> (function, derivative)``.
ACTIVATIONS: dict[
    str, tuple[Callable[[ArrayLike], FloatArray], Callable[[ArrayLike], FloatArray]]
] = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "relu": (relu, relu_grad),
    "tanh": (tanh, tanh_grad),
    "identity": (identity, identity_grad),
    "linear": (identity, identity_grad),
}
