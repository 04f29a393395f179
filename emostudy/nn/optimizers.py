"""Gradient-descent optimisers written out by hand, plus toy functions to watch them work.

An optimiser's :meth:`step` takes ``params`` and ``grads`` with the same structure — a float64
array, or a (nested) list/tuple of them such as ``MLP.params`` = ``[(W1, b1), (W2, b2), ...]`` —
and updates every parameter array **in place**. State (velocities, moment estimates) is kept per
array position, so always pass the parameters in the same order.

Update rules (``g`` = gradient, ``t`` = step number starting at 1):

* SGD:       ``w <- w - lr * g``
* Momentum:  ``v <- beta * v + g``;  ``w <- w - lr * v``  (the "heavy ball", as in most textbooks).
  Keras' ``SGD(momentum=beta)`` stores ``u <- beta * u - lr * g``; ``w <- w + u`` instead. With a
  constant learning rate the two are the same algorithm, because ``u = -lr * v`` at every step;
  they differ only if ``lr`` changes during training. ``tests/test_nn_optimizers.py`` checks the
  equivalence numerically against Keras.
* Adam:      ``m <- b1 m + (1 - b1) g``;  ``s <- b2 s + (1 - b2) g**2``;
  ``w <- w - lr * m_hat / (sqrt(s_hat) + eps)`` with ``m_hat = m / (1 - b1**t)`` and
  ``s_hat = s / (1 - b2**t)`` (Kingma & Ba, 2015, Algorithm 1). Keras applies ``eps`` to the
  *uncorrected* ``sqrt(s)`` instead ("epsilon hat"), i.e. Keras' ``epsilon`` equals our
  ``eps * sqrt(1 - b2**t)``; the difference only matters when gradients are as small as ``eps``.
  (Keras also rounds ``b1``, ``b2`` and ``lr`` to float32 first, even for float64 variables, so
  with ``b2 = 0.999`` the two agree to about 1e-6 relative, not to round-off.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from emostudy.errors import InvalidInputError

FloatArray = NDArray[np.float64]


def flatten_params(tree: Any) -> list[np.ndarray]:
    """All arrays in a (nested) list/tuple/dict of arrays, in a fixed depth-first order.

    Dicts are walked in insertion order. The arrays are returned as-is (not copied), so writing
    into them writes into the original parameters.
    """
    if isinstance(tree, np.ndarray):
        return [tree]
    if isinstance(tree, dict):
        tree = list(tree.values())
    if isinstance(tree, list | tuple):
        out: list[np.ndarray] = []
        for item in tree:
            out.extend(flatten_params(item))
        return out
    raise InvalidInputError(
        f"parameters must be NumPy arrays or lists/tuples/dicts of them, got {type(tree).__name__}."
    )


def _paired(params: Any, grads: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    flat_params = flatten_params(params)
    flat_grads = flatten_params(grads)
    if len(flat_params) != len(flat_grads):
        raise InvalidInputError(
            f"got {len(flat_params)} parameter arrays but {len(flat_grads)} gradient arrays."
        )
    for i, (p, g) in enumerate(zip(flat_params, flat_grads, strict=True)):
        if p.shape != g.shape:
            raise InvalidInputError(
                f"parameter {i} has shape {p.shape} but its gradient {g.shape}."
            )
    return list(zip(flat_params, flat_grads, strict=True))


class Optimizer:
    """Base class: subclasses implement :meth:`_update` for one (param, grad) pair."""

    def __init__(self, lr: float) -> None:
        if not lr > 0:
            raise InvalidInputError(f"learning rate must be positive, got {lr}.")
        self.lr = float(lr)
        self.iterations = 0  # number of step() calls so far
        self._state: dict[int, dict[str, FloatArray]] = {}

    def step(self, params: Any, grads: Any) -> None:
        """Apply one update to every parameter array in ``params`` (in place)."""
        pairs = _paired(params, grads)
        self.iterations += 1
        for index, (param, grad) in enumerate(pairs):
            state = self._state.setdefault(index, {})
            param -= self._update(np.asarray(grad, dtype=np.float64), state)

    def reset(self) -> None:
        """Forget all state (velocities, moments, step count)."""
        self.iterations = 0
        self._state = {}

    def _update(self, grad: FloatArray, state: dict[str, FloatArray]) -> FloatArray:
        """Return the amount to *subtract* from the parameter."""
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class SGD(Optimizer):
    """Plain (stochastic) gradient descent: ``w <- w - lr * g``."""

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__(lr)

    def _update(self, grad: FloatArray, state: dict[str, FloatArray]) -> FloatArray:
        return self.lr * grad


class Momentum(Optimizer):
    """Heavy-ball momentum: ``v <- beta * v + g``; ``w <- w - lr * v`` (see module docstring).

    ``v`` is a running, exponentially decaying sum of past gradients, so steps grow along
    directions where gradients agree and cancel where they oscillate. Same trajectory as
    ``keras.optimizers.SGD(learning_rate=lr, momentum=beta)`` for a constant ``lr``.
    """

    def __init__(self, lr: float = 0.01, beta: float = 0.9) -> None:
        super().__init__(lr)
        if not 0 <= beta < 1:
            raise InvalidInputError(f"beta must be in [0, 1), got {beta}.")
        self.beta = float(beta)

    def _update(self, grad: FloatArray, state: dict[str, FloatArray]) -> FloatArray:
        velocity = state.get("velocity", np.zeros_like(grad))
        velocity = self.beta * velocity + grad
        state["velocity"] = velocity
        return self.lr * velocity


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): momentum on the gradient, scaled by a running RMS of it.

    ``m`` estimates the mean gradient, ``s`` the mean squared gradient; both start at zero, so
    they are divided by ``1 - beta**t`` ("bias correction") to undo the pull towards zero in
    early steps. The step size per coordinate is then roughly ``lr`` whatever the gradient scale.
    """

    def __init__(
        self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        super().__init__(lr)
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= beta < 1:
                raise InvalidInputError(f"{name} must be in [0, 1), got {beta}.")
        self.beta1 = float(beta1)
        self.beta2 = float(beta2)
        self.eps = float(eps)

    def _update(self, grad: FloatArray, state: dict[str, FloatArray]) -> FloatArray:
        t = self.iterations
        m = self.beta1 * state.get("m", np.zeros_like(grad)) + (1.0 - self.beta1) * grad
        s = self.beta2 * state.get("s", np.zeros_like(grad)) + (1.0 - self.beta2) * grad**2
        state["m"], state["s"] = m, s
        m_hat = m / (1.0 - self.beta1**t)
        s_hat = s / (1.0 - self.beta2**t)
        return self.lr * m_hat / (np.sqrt(s_hat) + self.eps)


def minimize(
    fn_grad: Callable[[FloatArray], ArrayLike],
    x0: ArrayLike,
    optimizer: Optimizer,
    steps: int,
) -> FloatArray:
    """Run ``steps`` optimiser updates from ``x0`` and return the whole trajectory.

    ``fn_grad(x)`` returns the gradient of the function at ``x`` (same shape as ``x``).
    Returns an array of shape ``(steps + 1, *x0.shape)``: row 0 is ``x0``, row ``i`` the point after
    ``i`` updates. Diverging runs are not stopped; their rows become ``inf``/``nan``.
    """
    if steps < 0:
        raise InvalidInputError(f"steps must be >= 0, got {steps}.")
    x = np.array(x0, dtype=np.float64)  # a copy: x0 is left untouched
    trajectory = np.empty((steps + 1, *x.shape))
    trajectory[0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(1, steps + 1):
            optimizer.step([x], [np.asarray(fn_grad(x), dtype=np.float64)])
            trajectory[i] = x
    return trajectory


# --- toy functions for learning-rate sweeps ------------------------------------------------------


def quadratic(x: ArrayLike, scales: Iterable[float] = (1.0, 10.0)) -> float:
    """Elongated bowl ``0.5 * sum_i scales_i * x_i**2``; minimum 0 at the origin.

    The ratio ``max(scales) / min(scales)`` is the condition number: the larger it is, the more
    plain gradient descent zig-zags. ``x`` has shape (D,) with D = len(scales).
    """
    x = np.asarray(x, dtype=np.float64)
    return float(0.5 * np.sum(np.asarray(tuple(scales)) * x**2))


def quadratic_grad(x: ArrayLike, scales: Iterable[float] = (1.0, 10.0)) -> FloatArray:
    """Gradient of :func:`quadratic`: ``scales * x``."""
    return np.asarray(tuple(scales), dtype=np.float64) * np.asarray(x, dtype=np.float64)


def rosenbrock(x: ArrayLike, a: float = 1.0, b: float = 100.0) -> float:
    """Rosenbrock's banana ``(a - x)**2 + b (y - x**2)**2``; minimum 0 at ``(a, a**2)``."""
    x0, x1 = np.asarray(x, dtype=np.float64)
    return float((a - x0) ** 2 + b * (x1 - x0**2) ** 2)


def rosenbrock_grad(x: ArrayLike, a: float = 1.0, b: float = 100.0) -> FloatArray:
    """Gradient of :func:`rosenbrock` at ``x`` = (x, y)."""
    x0, x1 = np.asarray(x, dtype=np.float64)
    return np.array([-2.0 * (a - x0) - 4.0 * b * x0 * (x1 - x0**2), 2.0 * b * (x1 - x0**2)])
